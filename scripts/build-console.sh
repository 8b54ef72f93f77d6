#!/usr/bin/env bash
# Builds the agent console (release, wasm-opt -Oz), offline:
#   dist/console/   the Leptos console app (served at /console/) — console/Trunk.toml
# Needs the same tools as scripts/build-widget.sh (trunk 0.21, wasm-bindgen-cli = Cargo.lock's
# version, binaryen 132's wasm-opt from widget/tools, the wasm32 target). Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."

die() { echo "build-console: $*" >&2; exit 1; }

command -v trunk >/dev/null || die "trunk not found (cargo install trunk --version ~0.21 --locked)"
if [ ! -x widget/tools/node_modules/.bin/wasm-opt ]; then
    command -v npm >/dev/null || die "npm not found: needed once to install wasm-opt (binaryen) into widget/tools"
    echo "build-console: installing wasm-opt (npm binaryen, pinned) into widget/tools"
    npm ci --prefix widget/tools --no-audit --no-fund >&2 || die "npm ci --prefix widget/tools failed"
fi
export PATH="$PWD/widget/tools/node_modules/.bin:$PATH"
[ "$(wasm-opt --version)" = "wasm-opt version 132 (version_132)" ] ||
    die "wrong wasm-opt: $(wasm-opt --version) (expected binaryen 132 from widget/tools)"
want_wb=$(awk '/^name = "wasm-bindgen"$/{getline; gsub(/[^0-9.]/, ""); print; exit}' Cargo.lock)
have_wb=$(wasm-bindgen --version 2>/dev/null | awk '{print $2}') ||
    die "wasm-bindgen not found (cargo install wasm-bindgen-cli --version =$want_wb, without --locked)"
[ "$have_wb" = "$want_wb" ] ||
    die "wasm-bindgen $have_wb found but Cargo.lock has $want_wb (cargo install wasm-bindgen-cli --version =$want_wb, without --locked)"
rustup target list --installed 2>/dev/null | grep -qx wasm32-unknown-unknown ||
    die "wasm32 target missing (rustup target add wasm32-unknown-unknown)"

echo "build-console: agent console -> dist/console"
(cd console && trunk build --release --offline=true)

[ -s dist/console/index.html ] || die "expected output dist/console/index.html is missing"
echo "build-console: done"
