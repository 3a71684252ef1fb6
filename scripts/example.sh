#!/usr/bin/env bash
# Runs the bundled example agent (examples/example.properties) for a few seconds and shows what
# arrived. Used by `npm run example`; needs `npm ci` first.
set -euo pipefail
cd "$(dirname "$0")/.."
npm run build --silent
rm -rf .run/example
mkdir -p .run/example
node apps/sluice/dist/main.js agent -n a1 -f examples/example.properties \
  --run-dir .run/example/run --data-dir .run/example/data --exit-after "${EXAMPLE_SECONDS:-3}" "$@"
echo
echo "file_roll wrote $(cat .run/example/out/* | wc -l) lines to .run/example/out (expected 100000)"
echo "last status: .run/example/run/status.json"
