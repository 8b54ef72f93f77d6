#!/usr/bin/env bash
# Builds the visitor widget's two bundles (release, wasm-opt -Oz), offline:
#   dist/chat/      the Leptos chat page   (served at /chat/h5/v2/)        — Trunk.toml
#   dist/launcher/  launcher.js + launcher_bg.wasm, fixed names (served at /chat/frame/v2/launcher/)
# Needs: rustup target wasm32-unknown-unknown, trunk 0.21, wasm-bindgen-cli =0.2.130 (the
# version in Cargo.lock), and binaryen 132's wasm-opt from npm (widget/tools; Debian's
# binaryen 108 silently breaks wasm-bindgen's externref table). Trunk runs offline: nothing
# is downloaded except that, once, `npm ci` of the pinned widget/tools/package-lock.json.
# Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."

die() { echo "build-widget: $*" >&2; exit 1; }

command -v trunk >/dev/null || die "trunk not found (cargo install trunk --version ~0.21 --locked)"
if [ ! -x widget/tools/node_modules/.bin/wasm-opt ]; then
    command -v npm >/dev/null || die "npm not found: needed once to install wasm-opt (binaryen) into widget/tools"
    echo "build-widget: installing wasm-opt (npm binaryen, pinned) into widget/tools"
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

echo "build-widget: chat page -> dist/chat"
trunk build --release --offline=true

echo "build-widget: launcher -> dist/launcher"
trunk build --release --offline=true widget/launcher.html \
    --dist dist/launcher --public-url /chat/frame/v2/launcher/ --filehash false
# The HTML page is only Trunk's build entry; host pages load launcher.js via entrance.js.
rm -f dist/launcher/index.html

for f in dist/chat/index.html dist/launcher/launcher.js dist/launcher/launcher_bg.wasm; do
    [ -s "$f" ] || die "expected output $f is missing"
done
echo "build-widget: done"
