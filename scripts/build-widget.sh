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

SCRIPT=build-widget
# shellcheck source=scripts/wasm-tools.sh
source scripts/wasm-tools.sh

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
