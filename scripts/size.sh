#!/usr/bin/env bash
# The widget's size report and budgets (./x size; ./x test runs it): bytes served per file,
# bundle and tier (gzip and brotli, as precompressed at build time), where the bytes of each
# wasm go (per crate, largest functions), and a non-zero exit when a budget is exceeded.
# See scripts/size.mjs for the tiers and budgets. Run scripts/build-widget.sh first.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v node >/dev/null || { echo "size: node not found (./x setup installs it)" >&2; exit 1; }
exec node scripts/size.mjs
