#!/usr/bin/env bash
# Builds the visitor widget's three bundles (release, wasm-opt -Oz), offline:
#   dist/extras/    extras.js + extras_bg.wasm + emoji.json, fixed names: the chat page's lazy
#                   tier, imported on first use (served at /chat/h5/v2/extras/)
#   dist/chat/      the Leptos chat page   (served at /chat/h5/v2/)        — Trunk.toml
#   dist/launcher/  launcher.js + launcher_bg.wasm, fixed names (served at /chat/frame/v2/launcher/),
#                   and widget/host/ (host.js, notify.html: the host-page module, lazily loaded)
# then minifies the wasm-bindgen glue (terser, scripts/minify-js.mjs) and precompresses every
# file (FILE.br, FILE.gz; scripts/precompress.mjs) so the server sends exactly what
# `./x size` measures.
# Needs: rustup target wasm32-unknown-unknown, trunk 0.21, wasm-bindgen-cli =0.2.130 (the
# version in Cargo.lock), binaryen 132's wasm-opt from npm (widget/tools; Debian's
# binaryen 108 silently breaks wasm-bindgen's externref table), terser and zopfli (npm, same
# folder), and node. Trunk runs
# offline: nothing is downloaded except that, once, `npm ci` of the pinned
# widget/tools/package-lock.json. Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."

SCRIPT=build-widget
# shellcheck source=scripts/wasm-tools.sh
source scripts/wasm-tools.sh
command -v node >/dev/null || die "node not found (Debian: apt-get install nodejs)"
# terser and zopfli joined wasm-opt in widget/tools later: a tools folder from before gets them.
if [ ! -d widget/tools/node_modules/terser ] || [ ! -d widget/tools/node_modules/@gfx/zopfli ]; then
    echo "$SCRIPT: installing terser and zopfli (npm, pinned) into widget/tools"
    npm ci --prefix widget/tools --no-audit --no-fund >&2 || die "npm ci --prefix widget/tools failed"
fi

# Everything the three bundles are built from (the chat page's Trunk.toml is the root's).
INPUTS=(widget shared public/entrance.js scripts Cargo.toml Cargo.lock Trunk.toml .cargo)
if unchanged widget "${INPUTS[@]}" &&
    [ -s dist/chat/index.html ] && [ -s dist/launcher/launcher.js ] && [ -s dist/extras/extras.js ]; then
    echo "build-widget: nothing changed since the last build of dist/ (FD_REBUILD=1 builds anyway)"
    exit 0
fi
rm -f dist/.widget.stamp

# wasm-bindgen's output folder is shared by the three builds and keeps `snippets/` of earlier
# ones; Trunk would copy (and preload) those stale files into every bundle.
clear_snippets() { rm -rf "${CARGO_TARGET_DIR:-target}"/wasm-bindgen/*/snippets; }

clear_snippets
echo "build-widget: lazy tier -> dist/extras"
trunk build --release --offline=true widget/extras.html \
    --dist dist/extras --public-url /chat/h5/v2/extras/ --filehash false
rm -f dist/extras/index.html
node scripts/minify-js.mjs dist/extras
# The chat page imports the tier with this version in its URLs (served immutable), so it is
# the hash of the files exactly as served.
FD_EXTRAS_V=$(cat dist/extras/extras.js dist/extras/extras_bg.wasm dist/extras/emoji.json dist/extras/box.js |
    sha256sum | cut -c1-12)
export FD_EXTRAS_V

# A second wasm-opt round after Trunk's -Oz (for the chat page: after the stripping, which
# leaves more dead code): to convergence, with whole-program flow analysis (gufa), without
# the producers section. About 0.8 KB brotli off the chat page, 0.1 KB off the launcher.
reoptimize() {
    wasm-opt "$1" -Oz --converge --gufa -Oz --converge --strip-producers \
        --enable-bulk-memory --enable-reference-types --enable-nontrapping-float-to-int \
        --enable-sign-ext --enable-mutable-globals --enable-multivalue -o "$1"
}

clear_snippets
echo "build-widget: chat page -> dist/chat (extras version $FD_EXTRAS_V)"
trunk build --release --offline=true
# Leptos's server-function streaming classes (wasm-streams) are dead code in the chat page.
node scripts/strip-exports.mjs dist/chat
reoptimize "$(ls dist/chat/*_bg.wasm)"

clear_snippets
echo "build-widget: launcher -> dist/launcher"
trunk build --release --offline=true widget/launcher.html \
    --dist dist/launcher --public-url /chat/frame/v2/launcher/ --filehash false
# The HTML page is only Trunk's build entry; host pages load launcher.js via entrance.js.
rm -f dist/launcher/index.html
reoptimize dist/launcher/launcher_bg.wasm
# The host-page module and its notifier frame (plain JS, loaded only when a page registers
# receive_message / offline_message_count): minified and precompressed with the launcher.
cp widget/host/host.js widget/host/notify.html dist/launcher/

# Seed 003's stand-alone leave-message page (its form is the lazy tier's).
cp widget/leavemessage.html dist/chat/

for f in dist/chat/index.html dist/chat/leavemessage.html dist/launcher/launcher.js dist/launcher/launcher_bg.wasm \
    dist/launcher/host.js dist/launcher/notify.html \
    dist/extras/extras.js dist/extras/extras_bg.wasm dist/extras/emoji.json dist/extras/box.js; do
    [ -s "$f" ] || die "expected output $f is missing"
done
node scripts/minify-js.mjs dist/chat dist/launcher
# The loader as served (the server prefers dist/entrance.js to public/entrance.js).
cp public/entrance.js dist/entrance.js
node scripts/minify-js.mjs --script dist/entrance.js
node scripts/precompress.mjs dist/chat dist/launcher dist/extras
stamp widget
echo "build-widget: done"
