#!/usr/bin/env bash
# The kill -9 / resume sweep: 100 kills (or $1) at moments from a random seed (or $2), printing each kill
# and the tally. Build first: npm run build. The test suite runs only a few kills, with a fixed seed.
set -euo pipefail
cd "$(dirname "$0")/../.."
GRADSTREAM_KILLS="${1:-100}" GRADSTREAM_KILL_TRAIN_SIZE=1024 GRADSTREAM_KILL_SEED="${2:-$((RANDOM * 32768 + RANDOM))}" GRADSTREAM_KILL_LOG=1 \
  npx vitest run app/test/e2e/killResume.test.ts --project cpu 2>&1 | grep -E '^kill|kill-resume|passed|failed|Assertion'
