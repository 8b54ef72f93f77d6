#!/usr/bin/env bash
# Builds the agent console (release, wasm-opt -Oz), offline:
#   dist/console/   the Leptos console app (served at /console/) — console/Trunk.toml
# Needs the same tools as scripts/build-widget.sh (trunk 0.21, wasm-bindgen-cli = Cargo.lock's
# version, binaryen 132's wasm-opt from widget/tools, the wasm32 target). Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."

SCRIPT=build-console
# shellcheck source=scripts/wasm-tools.sh
source scripts/wasm-tools.sh

if unchanged console console shared scripts Cargo.toml Cargo.lock .cargo && [ -s dist/console/index.html ]; then
    echo "build-console: nothing changed since the last build of dist/console (FD_REBUILD=1 builds anyway)"
    exit 0
fi
rm -f dist/.console.stamp
echo "build-console: agent console -> dist/console"
(cd console && trunk build --release --offline=true)

[ -s dist/console/index.html ] || die "expected output dist/console/index.html is missing"
stamp console
echo "build-console: done"
