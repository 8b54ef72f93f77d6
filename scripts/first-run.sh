#!/usr/bin/env bash
# Measures the README's `./x run` as on a fresh machine, then once more (incremental):
# a clone of COMMIT in a temp dir, a new CARGO_HOME (only rustup's proxies: no trunk, no
# wasm-bindgen, an empty registry), a new target dir, a new npm cache, this machine's
# rustup toolchains (RUSTUP_HOME). For each `==>` step of `./x` it prints the wall seconds
# and the CPU seconds (user + system of everything the step ran) it took, and the load
# average while it ran (other work on the machine slows the wall clock, not the CPU); a run
# stops as soon as the server listens.
#
#   bash scripts/first-run.sh [COMMIT]      (default HEAD; needs network to the registries)
#
# Keeps its temp dir (printed) for inspection; remove it afterwards.
set -euo pipefail
cd "$(dirname "$0")/.."
commit=${1:-HEAD}
work=$(mktemp -d /tmp/frontdesk-first-run.XXXXXX)
echo "first-run: $work"
git clone -q . "$work/src"
git -C "$work/src" checkout -q "$(git rev-parse "$commit")"
mkdir -p "$work/cargo/bin" "$work/npm-cache"
rustup_bin=$(command -v rustup)
for t in cargo rustc rustdoc rustup cargo-clippy cargo-fmt rustfmt clippy-driver; do
    ln -s "$rustup_bin" "$work/cargo/bin/$t"
done
# PATH without the machine's cargo bin (where trunk and wasm-bindgen already are).
clean_path=$(tr ':' '\n' <<<"$PATH" | grep -vx "$(dirname "$rustup_bin")" | paste -sd:)
hz=$(getconf CLK_TCK)

# CPU seconds of process $1 and of the children it waited for (x runs every step as its
# child; `exec frontdesk` keeps the count).
cpu() { awk -v hz="$hz" '{ print int(($14 + $15 + $16 + $17) / hz) }' "/proc/$1/stat" 2>/dev/null || echo 0; }
load() { cut -d' ' -f1 /proc/loadavg; }

run_once() { # run_once LABEL
    local label=$1 log="$work/$1.log"
    local start seen=0 step="start" step_t step_cpu
    start=$(date +%s)
    setsid bash -c 'cd "$1/src" && exec env PATH="$1/cargo/bin:$2" CARGO_HOME="$1/cargo" \
        RUSTUP_HOME="$3" CARGO_TARGET_DIR="$1/target" npm_config_cache="$1/npm-cache" \
        ./x run --addr 127.0.0.1:0' _ "$work" "$clean_path" "${RUSTUP_HOME:-$HOME/.rustup}" \
        >"$log" 2>&1 &
    local pid=$!
    step_t=$start
    step_cpu=0
    local loads=() t c n l
    report() { # the step that just ended
        local sum=0 avg x
        for x in "${loads[@]:-0}"; do sum=$(awk -v a="$sum" -v b="$x" 'BEGIN{print a+b}'); done
        avg=$(awk -v s="$sum" -v n="${#loads[@]}" 'BEGIN{printf "%.1f", n ? s/n : 0}')
        printf '%6d s wall %6d s cpu  load %4s  %s\n' "$(($1 - step_t))" "$(($2 - step_cpu))" "$avg" "$step"
        loads=()
    }
    while :; do
        t=$(date +%s)
        c=$(cpu "$pid")
        loads+=("$(load)")
        n=$(wc -l <"$log")
        if [ "$n" -gt "$seen" ]; then
            while IFS= read -r l; do
                l=$(sed 's/\x1b\[[0-9;]*m//g' <<<"$l")
                case "$l" in
                    "==> "*)
                        report "$t" "$c"
                        step=${l#==> }
                        step_t=$t
                        step_cpu=$c
                        ;;
                    "frontdesk listening"*) ;;
                esac
            done < <(sed -n "$((seen + 1)),${n}p" "$log")
            seen=$n
        fi
        if grep -q '^frontdesk listening' "$log"; then
            report "$t" "$c"
            echo "first-run: $label: $((t - start)) s wall, $c s cpu to a listening server"
            break
        fi
        if ! kill -0 "$pid" 2>/dev/null; then
            tail -30 "$log"
            echo "first-run: $label did not reach a listening server" >&2
            exit 1
        fi
        sleep 1
    done
    kill -- "-$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
}
run_once first
run_once again
