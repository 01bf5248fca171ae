#!/usr/bin/env bash
# How fast the log grows under continuous pointer motion (docs/benchmarks.md, "Log growth
# under continuous motion").
#
# Runs APP with the recorder under a private Xvfb and moves the pointer over it without
# a pause for SECONDS seconds, one motion every PACE seconds, inside AREA (x0,y0,x1,y1 in
# window coordinates), then ends it with SIGTERM. Reports the log's bytes (up to its last
# record), the input events, the records by kind, bytes per input event (all records
# counted), and the growth per second and per hour.
#
# Usage: recorder/bench/motion-log.sh [APP ARGS...]
#   env: SECONDS_OF_MOTION=180 PACE=0.007 AREA=200,60,380,190 NO_BUILD=1 KEEP=FILE
#   default APP: the counter sample with --still (no animation), over its empty right half.
# Examples:
#   recorder/bench/motion-log.sh
#   AREA=420,150,760,520 recorder/bench/motion-log.sh /usr/bin/gtk4-demo
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
DURATION=${SECONDS_OF_MOTION:-180}
PACE=${PACE:-0.007}
AREA=${AREA:-200,60,380,190}
TARGET=${CARGO_TARGET_DIR:-$ROOT/target}/release

if [[ -z ${NO_BUILD:-} ]]; then
    (cd "$ROOT" && cargo build --release -q -p gdkrecord-recorder -p gdkrecord-tool -p gdkrecord-samples)
fi
APP_CMD=("$@")
[[ ${#APP_CMD[@]} -gt 0 ]] || APP_CMD=("$TARGET/counter" --still)
for tool in Xvfb xdotool python3 "${APP_CMD[0]}" "$TARGET/libgdkrecord.so" "$TARGET/gdkrecord-tool"; do
    command -v "$tool" >/dev/null || [[ -e $tool ]] || { echo "motion-log.sh: $tool is missing" >&2; exit 1; }
done
IFS=, read -r X0 Y0 X1 Y1 <<<"$AREA"

WORK=$(mktemp -d)
mkdir -p "$WORK/gtk-path/4.0.0/media"
ln -s "$TARGET/libgdkrecord.so" "$WORK/gtk-path/4.0.0/media/libgdkrecord.so"
Xvfb -displayfd 3 -screen 0 1600x1200x24 -nolisten tcp 3>"$WORK/display" 2>/dev/null &
XVFB=$!
APP_PID=""
trap 'kill $APP_PID $XVFB 2>/dev/null; rm -rf "$WORK"' EXIT
for _ in $(seq 100); do [[ -s $WORK/display ]] && break; sleep 0.05; done
export DISPLAY=":$(tr -d '\n' <"$WORK/display")"
export GDK_BACKEND=x11 NO_AT_BRIDGE=1 GSETTINGS_BACKEND=memory

GTK_PATH="$WORK/gtk-path" GDKRECORD_FILENAME="$WORK/run.gdkrecord" "${APP_CMD[@]}" >/dev/null 2>"$WORK/err" &
APP_PID=$!
window=$(timeout 30 xdotool search --sync --onlyvisible --pid "$APP_PID" | tail -n 1)
[[ -n $window ]] || { echo "motion-log.sh: no window: $(cat "$WORK/err")" >&2; exit 1; }
# Motions in chunks of 500 (one xdotool each): a zigzag over AREA that never stops.
motions=$(awk -v d="$DURATION" -v p="$PACE" 'BEGIN {printf "%d", d / p}')
width=$((X1 - X0)) height=$((Y1 - Y0))
started=$(date +%s.%N)
for ((done_ = 0; done_ < motions; done_ += 500)); do
    chunk=()
    for ((i = done_; i < done_ + 500 && i < motions; i++)); do
        chunk+=(mousemove --window "$window" $((X0 + (i * 7) % width)) $((Y0 + (i * 3) % height)) sleep "$PACE")
    done
    xdotool "${chunk[@]}"
done
elapsed=$(awk -v s="$started" -v e="$(date +%s.%N)" 'BEGIN {printf "%.1f", e - s}')
kill -TERM "$APP_PID" 2>/dev/null || true
wait "$APP_PID" 2>/dev/null || true
APP_PID=""
[[ -n ${KEEP:-} ]] && cp "$WORK/run.gdkrecord" "$KEEP"
bytes=$(python3 -c 'import sys; print(len(open(sys.argv[1], "rb").read().rstrip(b"\0")))' "$WORK/run.gdkrecord")
"$TARGET/gdkrecord-tool" stats --json "$WORK/run.gdkrecord" >"$WORK/stats.json" 2>/dev/null
python3 - "$WORK/stats.json" "$bytes" "$elapsed" "$motions" "$(basename "${APP_CMD[0]}")" <<'EOF'
import json, sys
stats = json.load(open(sys.argv[1]))
bytes_, elapsed, motions, app = int(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
kinds = stats.get("records_by_kind") or stats.get("kinds") or {}
events = kinds.get("event", 0)
seconds = stats.get("duration_ms", 0) / 1000
print(f"{app}: {motions} motions sent over {elapsed:.1f} s; recording {seconds:.1f} s")
print(f"  records: {sum(kinds.values())} (" + ", ".join(f"{k} {v}" for k, v in sorted(kinds.items(), key=lambda kv: -kv[1])) + ")")
print(f"  log: {bytes_} bytes, {events} input events")
print(f"  bytes per input event (all records): {bytes_ / max(events, 1):.1f}")
rate = bytes_ / max(seconds, 1e-9)
print(f"  growth: {rate / 1000:.2f} KB/s = {rate * 3600 / 1e6:.1f} MB/h")
EOF
