#!/usr/bin/env bash
# Runs the kill -9 / resume test with 100 kills (or $1) and prints the tally. Build first: npm run build.
set -euo pipefail
cd "$(dirname "$0")/../.."
KILLS="${1:-100}" KILL_LOG=1 npx vitest run app/test/e2e/killResume.test.ts --project cpu 2>&1 | grep -E '^kill|kill-resume|passed|failed|Assertion'
