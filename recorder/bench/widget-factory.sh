#!/usr/bin/env bash
# What the recorder costs a real app (docs/benchmarks.md, "Recorder in a real app").
#
# Runs gtk4-widget-factory (GSK_RENDERER=cairo) under a private Xvfb PAIRS times without
# and with the recorder, side by side (off, on, off, on, ...), each time feeding it the
# same xdotool script: MOTIONS pointer motions PACE seconds apart sweeping the window
# (hover effects repaint), CLICKS clicks over its first page, KEYS typed keys; then it
# is ended with SIGTERM (it has no quit shortcut) once its input is handled. Reports,
# per run and as medians over the pairs:
# - the app's CPU time (user + sys, all threads, from /usr/bin/time) and the on/off
#   ratio of each pair (median, min, max);
# - with the recorder: the log's bytes (up to its last record), its records by kind,
#   the input events, bytes per input event (all records counted) and bytes per
#   second of recording.
#
# With BEFORE=DIR (a target/release folder of another build, e.g. main's, holding
# libgdkrecord.so and gdkrecord-tool), each pair gets a third run with that recorder,
# reported the same way: before and after side by side in one run.
#
# Usage: recorder/bench/widget-factory.sh   (env: PAIRS=10 MOTIONS=1500 PACE=0.007 CLICKS=30 KEYS=60 NO_BUILD=1
#        KEEP=FILE keeps the last recording, BEFORE=DIR)
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
PAIRS=${PAIRS:-10}
MOTIONS=${MOTIONS:-1500}
PACE=${PACE:-0.007}
CLICKS=${CLICKS:-30}
KEYS=${KEYS:-60}
TARGET=${CARGO_TARGET_DIR:-$ROOT/target}/release
APP=${APP:-/usr/bin/gtk4-widget-factory}

for tool in Xvfb xdotool /usr/bin/time python3 "$APP"; do
    command -v "$tool" >/dev/null || { echo "widget-factory.sh: $tool is missing (scripts/setup installs it)" >&2; exit 1; }
done
if [[ -z ${NO_BUILD:-} ]]; then
    (cd "$ROOT" && cargo build --release -q -p gdkrecord-recorder -p gdkrecord-tool)
fi
for file in "$TARGET/libgdkrecord.so" "$TARGET/gdkrecord-tool"; do
    [[ -e $file ]] || { echo "widget-factory.sh: $file is missing" >&2; exit 1; }
done

WORK=$(mktemp -d)
mkdir -p "$WORK/gtk-path/4.0.0/media" "$WORK/before-path/4.0.0/media"
ln -s "$TARGET/libgdkrecord.so" "$WORK/gtk-path/4.0.0/media/libgdkrecord.so"
[[ -n ${BEFORE:-} ]] && ln -s "$BEFORE/libgdkrecord.so" "$WORK/before-path/4.0.0/media/libgdkrecord.so"
Xvfb -displayfd 3 -screen 0 1600x1200x24 -nolisten tcp 3>"$WORK/display" 2>/dev/null &
XVFB=$!
trap 'kill $XVFB 2>/dev/null; rm -rf "$WORK"' EXIT
for _ in $(seq 100); do [[ -s $WORK/display ]] && break; sleep 0.05; done
export DISPLAY=":$(tr -d '\n' <"$WORK/display")"
export GDK_BACKEND=x11 NO_AT_BRIDGE=1 GSETTINGS_BACKEND=memory GSK_RENDERER=cairo

# The script, WID replaced by the window id: sweeps over the first page (1342x832 on
# GTK 4.8), clicks spread over it (toggles, check buttons, scales, entries), typing.
INPUT=()
for ((i = 0; i < MOTIONS; i++)); do
    INPUT+=(mousemove --window WID $((20 + (i * 13) % 1300)) $((20 + (i * 7) % 790)) sleep "$PACE")
done
for ((i = 0; i < CLICKS; i++)); do
    INPUT+=(mousemove --window WID $((40 + (i * 131) % 1260)) $((60 + (i * 89) % 740)) click 1 sleep 0.05)
done
INPUT+=(key --delay 10)
for ((i = 0; i < KEYS; i++)); do INPUT+=(a); done

# run_once off|on|before -> "cpu_s bytes events records seconds kinds"
run_once() {
    local mode=$1 gtk_path="" tool=$TARGET/gdkrecord-tool
    [[ $mode == on ]] && gtk_path="$WORK/gtk-path"
    [[ $mode == before ]] && gtk_path="$WORK/before-path" tool=$BEFORE/gdkrecord-tool
    rm -f "$WORK/run.gdkrecord"
    GTK_PATH=$gtk_path GDKRECORD_FILENAME="$WORK/run.gdkrecord" \
        /usr/bin/time -f "%U %S" -o "$WORK/time" "$APP" >/dev/null 2>"$WORK/err" &
    local timer=$! app=""
    for _ in $(seq 200); do
        app=$(cat /proc/$timer/task/$timer/children 2>/dev/null | tr -d ' ')
        [[ -n $app ]] && break
        sleep 0.05
    done
    local window
    window=$(timeout 30 xdotool search --sync --onlyvisible --pid "$app" | tail -n 1)
    if ! timeout 600 xdotool windowfocus --sync "$window" "${INPUT[@]/#WID/$window}" >&2; then
        echo "widget-factory.sh: xdotool failed" >&2
    fi
    # Its first page animates (a spinner, a pulsing progress bar): its CPU time never
    # settles, so give the last input a moment, then end it.
    sleep 0.5
    kill -TERM "$app" 2>/dev/null || true
    wait $timer 2>/dev/null || true
    local cpu
    cpu=$(awk 'END {printf "%.3f", $1 + $2}' "$WORK/time")
    if [[ $mode != off ]]; then
        # SIGTERM leaves the mapped file's zero padding: count up to the last record.
        local bytes
        [[ -n ${KEEP:-} ]] && cp "$WORK/run.gdkrecord" "$KEEP"
        bytes=$(python3 -c 'import sys; d = open(sys.argv[1], "rb").read(); print(len(d.rstrip(b"\0")))' "$WORK/run.gdkrecord")
        "$tool" stats --json "$WORK/run.gdkrecord" >"$WORK/stats.json" 2>/dev/null
        python3 - "$WORK/stats.json" "$bytes" "$cpu" <<'EOF'
import json, sys
stats = json.load(open(sys.argv[1]))
kinds = stats.get("records_by_kind") or stats.get("kinds") or {}
events = kinds.get("event", 0)
records = sum(kinds.values())
seconds = stats.get("duration_ms", 0) / 1000
bytes_ = int(sys.argv[2])
print(sys.argv[3], bytes_, events, records, f"{seconds:.1f}",
      ",".join(f"{k}={v}" for k, v in sorted(kinds.items())))
EOF
    else
        echo "$cpu - - - - -"
    fi
}

median() { sort -g | awk '{v[NR] = $1} END {print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }

echo "$(basename "$APP"), cairo: $MOTIONS motions ($PACE s apart), $CLICKS clicks, $KEYS keys per run; $PAIRS pairs; display $DISPLAY; load $(cut -d' ' -f1-3 /proc/loadavg)"
FORMAT='%-4s %-3s %7s %9s %7s %8s %7s %s\n'
printf "$FORMAT" pair mode cpu_s bytes events records secs records_by_kind
: >"$WORK/results"
for ((pair = 1; pair <= PAIRS; pair++)); do
    read -r -a off < <(run_once off)
    read -r -a on < <(run_once on)
    printf "$FORMAT" "$pair" off "${off[@]}"
    printf "$FORMAT" "$pair" on "${on[@]}"
    echo "${off[0]} ${on[*]}" >>"$WORK/results"
    if [[ -n ${BEFORE:-} ]]; then
        read -r -a before < <(run_once before)
        printf "$FORMAT" "$pair" before "${before[@]}"
        echo "${off[0]} ${before[*]}" >>"$WORK/before"
    fi
done
report() {
    local results=$1
    col() { awk -v c="$1" '{print $c}' "$results" | median; }
    ratios=$(awk '{printf "%.4f\n", $2 / $1}' "$results")
    echo "  app CPU time, medians over $PAIRS pairs: off $(col 1) s, on $(col 2) s"
    echo "  on/off ratio per pair: median $(median <<<"$ratios"), min $(sort -g <<<"$ratios" | head -n 1), max $(sort -g <<<"$ratios" | tail -n 1)"
    echo "  log: median $(col 3) bytes, $(col 4) input events, $(col 5) records, $(col 6) s per run"
    echo "  bytes per input event (all records): median $(awk '{printf "%.1f\n", $3 / $4}' "$results" | median)"
    echo "  bytes per second of recording: median $(awk '$6 > 0 {printf "%.0f\n", $3 / $6}' "$results" | median) (x 3600 = per hour)"
}
echo
echo "this recorder ($TARGET):"
report "$WORK/results"
if [[ -n ${BEFORE:-} ]]; then
    echo "before ($BEFORE):"
    report "$WORK/before"
fi
