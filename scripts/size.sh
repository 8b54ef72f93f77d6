#!/usr/bin/env bash
# Transfer sizes of the widget (gzip -9 bytes) against SPEC §10's budgets:
#   bootstrap          public/entrance.js                                   <=   2 KB
#   launcher visible   bootstrap + launcher.js + launcher_bg.wasm           <=  30 KB
#   chat interactive   launcher visible + chat index.html + js + wasm + css <= 150 KB
# Run scripts/build-widget.sh first. Exits 1 if a budget is exceeded.
set -euo pipefail
cd "$(dirname "$0")/.."

gz() { gzip -9 -c "$1" | wc -c; }
one() {
    local matches=("$@")
    [ "${#matches[@]}" -eq 1 ] && [ -f "${matches[0]}" ] ||
        { echo "size: expected exactly one file for $*; run scripts/build-widget.sh" >&2; exit 1; }
    echo "${matches[0]}"
}

entrance=public/entrance.js
launcher_js=$(one dist/launcher/launcher.js)
launcher_wasm=$(one dist/launcher/launcher_bg.wasm)
chat_html=$(one dist/chat/index.html)
chat_js=$(one dist/chat/chat-*.js)
chat_wasm=$(one dist/chat/chat-*_bg.wasm)
shopt -s nullglob
chat_css=(dist/chat/*.css)
shopt -u nullglob

status=0
row() { printf '%-44s %9s %9s\n' "$1" "$2" "$3"; }
check() { # name bytes limit
    local verdict=PASS
    [ "$2" -le "$3" ] || { verdict=OVER; status=1; }
    printf '%-44s %9d %9d  %s\n' "$1" "$2" "$3" "$verdict"
}

echo "Frontdesk widget sizes (bytes, gzip -9)"
row "file" "raw" "gzip"
total_launcher=0
total_chat=0
for f in "$entrance" "$launcher_js" "$launcher_wasm"; do
    g=$(gz "$f"); total_launcher=$((total_launcher + g))
    row "$f" "$(wc -c <"$f")" "$g"
done
for f in "$chat_html" "$chat_js" "$chat_wasm" "${chat_css[@]}"; do
    g=$(gz "$f"); total_chat=$((total_chat + g))
    row "$f" "$(wc -c <"$f")" "$g"
done
echo
printf '%-44s %9s %9s  %s\n' "budget" "gzip" "limit" "verdict"
check "bootstrap (entrance.js)" "$(gz "$entrance")" 2048
check "launcher visible" "$total_launcher" 30720
check "chat interactive" "$((total_launcher + total_chat))" 153600
exit $status
