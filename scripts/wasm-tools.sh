# Sourced by scripts/build-widget.sh and scripts/build-console.sh (which set $SCRIPT first):
# checks the tools every Trunk build here needs and puts binaryen 132's wasm-opt first on PATH.
#   trunk 0.21 · wasm-bindgen-cli = Cargo.lock's wasm-bindgen · the wasm32 target
#   wasm-opt from widget/tools (npm binaryen 132; Debian's 108 corrupts wasm-bindgen's
#   externref table), installed once with `npm ci` from the pinned lock file.

die() { echo "$SCRIPT: $*" >&2; exit 1; }

command -v trunk >/dev/null || die "trunk not found (cargo install trunk --version ~0.21 --locked)"
if [ ! -x widget/tools/node_modules/.bin/wasm-opt ]; then
    command -v npm >/dev/null || die "npm not found: needed once to install wasm-opt (binaryen) into widget/tools"
    echo "$SCRIPT: installing wasm-opt (npm binaryen, pinned) into widget/tools"
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
# Panic locations of registry crates carry their source path; without this machine's registry
# prefix ("…/registry/src/index.crates.io-<hash>/") they are shorter: fewer bytes served, and
# the same bytes whatever the build machine's home. Both scripts set it, so the wasm builds
# share one set of compiled dependencies.
fd_rustflags=""
for d in "${CARGO_HOME:-$HOME/.cargo}"/registry/src/*/; do
    [ -d "$d" ] && fd_rustflags="$fd_rustflags --remap-path-prefix=$d="
done
export CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUSTFLAGS="${fd_rustflags# }"

# Later builds are incremental: a build whose inputs are byte for byte those of the last
# successful one (the files below, the tool versions, the flags) is skipped, which makes a
# second `./x run` seconds instead of a minute (Trunk and wasm-opt would redo everything).
#   unchanged NAME PATH…   true when dist/.NAME.stamp holds the stamp of PATH… now
#   stamp NAME             records it, after a successful build
# FD_REBUILD=1 builds anyway.
fd_stamp() {
    {
        find "$@" -type f -not -path '*/node_modules/*' -not -path '*/target/*' -print0 |
            sort -z | xargs -0 sha256sum
        trunk --version
        wasm-bindgen --version
        wasm-opt --version
        rustc --version
        echo "$CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUSTFLAGS ${CARGO_TARGET_DIR:-}"
    } | sha256sum | cut -d' ' -f1
}
unchanged() {
    local name=$1
    shift
    FD_STAMP_NOW=$(fd_stamp "$@")
    [ "${FD_REBUILD:-0}" != 1 ] && [ -f "dist/.$name.stamp" ] &&
        [ "$(cat "dist/.$name.stamp")" = "$FD_STAMP_NOW" ]
}
stamp() { echo "$FD_STAMP_NOW" >"dist/.$1.stamp"; }
