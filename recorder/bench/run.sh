#!/usr/bin/env bash
# Recorder overhead benchmark (results in docs/benchmarks.md, "## Recorder").
#
# Runs the `counter` sample (release build; TOOLKIT=gtk3: its GTK 3 twin in C,
# samples/gtk3/counter.c, compiled here with -O2, recorded by libgdkrecord_gtk3.so through
# GTK_MODULES) under a private Xvfb (BENCH_DISPLAY=N: on display :N), RUNS times without and
# RUNS times with the recorder, each time feeding it the same xdotool script (MOTIONS
# pointer motions, CLICKS button clicks, KEYS typed keys, then Ctrl+Q). Reports:
# - with the recorder, its own time on the main thread (GDKRECORD_SELF_TIME=1): ns per
#   input event inside the GdkSurface::event hook, ns per frame for all phase, size,
#   damage and painted work, and the log's bytes per input event;
# - the same event path run 100000 times back to back on a real event once the app has
#   had 200 (warm caches, into a scratch file): the code's own cost, for comparison;
# - per frame site (each phase hook, the cycle end, size, damage, painted), its median;
# - how often the main loop woke the parked writer thread before polling, and what that cost;
# - the app's CPU time (user+sys) with and without, medians and their ratio.
#
# Usage: recorder/bench/run.sh   (env: TOOLKIT=gtk4|gtk3 RUNS=5 MOTIONS=1500 CLICKS=100 KEYS=100 PACE=0.002 NO_BUILD=1)
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
RUNS=${RUNS:-5}
MOTIONS=${MOTIONS:-1500}
CLICKS=${CLICKS:-100}
KEYS=${KEYS:-100}
PACE=${PACE:-0.002}  # seconds between motions; 0 sends them back to back (warm caches)
TARGET=${CARGO_TARGET_DIR:-$ROOT/target}/release
TOOLKIT=${TOOLKIT:-gtk4}
case $TOOLKIT in
    gtk4) APP=("$TARGET/counter") LIBRARY=$TARGET/libgdkrecord.so MODULE_DIR=4.0.0/media MODULES="" ;;
    gtk3) APP=("$TARGET/counter-gtk3") LIBRARY=$TARGET/libgdkrecord_gtk3.so
          MODULE_DIR=3.0.0/modules MODULES=gdkrecord ;;
    *) echo "run.sh: TOOLKIT is gtk4 or gtk3" >&2; exit 2 ;;
esac

for tool in Xvfb xdotool /usr/bin/time; do
    command -v "$tool" >/dev/null || { echo "run.sh: $tool is missing (apt-get install xvfb xdotool time)" >&2; exit 1; }
done
if [[ -z ${NO_BUILD:-} ]]; then
    (cd "$ROOT" && cargo build --release -q -p gdkrecord-recorder -p gdkrecord-recorder-gtk3 -p gdkrecord-samples)
fi
if [[ $TOOLKIT == gtk3 ]]; then
    # shellcheck disable=SC2046 # pkg-config's flags are words
    cc -O2 -o "$TARGET/counter-gtk3" "$ROOT/samples/gtk3/counter.c" $(pkg-config --cflags --libs gtk+-3.0)
fi
for file in "$LIBRARY" "${APP[0]}"; do
    [[ -e $file ]] || { echo "run.sh: $file is missing" >&2; exit 1; }
done

WORK=$(mktemp -d)
mkdir -p "$WORK/gtk-path/$MODULE_DIR"
ln -s "$LIBRARY" "$WORK/gtk-path/$MODULE_DIR/libgdkrecord.so"
Xvfb ${BENCH_DISPLAY:+":$BENCH_DISPLAY"} -displayfd 3 -screen 0 1280x1024x24 -nolisten tcp 3>"$WORK/display" 2>/dev/null &
XVFB=$!
trap 'kill $XVFB 2>/dev/null; rm -rf "$WORK"' EXIT
for _ in $(seq 100); do [[ -s $WORK/display ]] && break; sleep 0.05; done
export DISPLAY=":$(tr -d '\n' <"$WORK/display")"
export GDK_BACKEND=x11 NO_AT_BRIDGE=1 GSETTINGS_BACKEND=memory

# One xdotool invocation for the whole script; WID is replaced by the window id. (No
# `search` in the chain: after it, key/type would default to XSendEvent to %1 instead
# of real XTEST input.)
INPUT=()
for ((i = 0; i < MOTIONS; i++)); do
    # Over the empty right half of the 400x200 window (no hover changes there).
    INPUT+=(mousemove --window WID $((200 + (i * 7) % 180)) $((60 + (i * 3) % 130)) sleep "$PACE")
done
for ((i = 0; i < CLICKS; i++)); do
    INPUT+=(mousemove --window WID 100 80 click 1 sleep 0.005)
done
# `key`, not `type`: xdotool loses a later `key ctrl+q` after `type` in the same chain.
INPUT+=(mousemove --window WID 120 137 click 1 key --delay 5)
for ((i = 0; i < KEYS; i++)); do INPUT+=(a); done
INPUT+=(key ctrl+q)

# run_once on|off -> prints "cpu_s events event_median event_p99 event_mean frames frame_median frame_p99 frame_mean bytes_per_event warm_event_ns"
run_once() {
    local mode=$1 gtk_path="" modules=""
    [[ $mode == on ]] && gtk_path="$WORK/gtk-path" modules=$MODULES
    rm -f "$WORK/out" "$WORK/err" "$WORK/run.gdkrecord"
    GTK_PATH=$gtk_path GTK_MODULES=$modules GDKRECORD_SYNC=${SYNC:-0} GDKRECORD_SELF_TIME=1 GDKRECORD_FILENAME="$WORK/run.gdkrecord" \
        /usr/bin/time -f "%U %S" -o "$WORK/time" "${APP[@]}" --print-layout >"$WORK/out" 2>"$WORK/err" &
    local timer=$!
    for _ in $(seq 400); do grep -q '^ready$' "$WORK/out" 2>/dev/null && break; sleep 0.05; done
    local app
    app=$(cat /proc/$timer/task/$timer/children 2>/dev/null | tr -d ' ')
    local window
    window=$(timeout 20 xdotool search --sync --onlyvisible --pid "$app" --name counter | tail -n 1)
    if ! timeout 300 xdotool windowfocus --sync "$window" "${INPUT[@]/#WID/$window}" >&2; then
        echo "run.sh: xdotool failed" >&2
    fi
    # Ctrl+Q ends the app; do not hang if it was lost.
    for _ in $(seq 200); do kill -0 "$app" 2>/dev/null || break; sleep 0.1; done
    kill "$app" 2>/dev/null && echo "run.sh: the app did not quit on Ctrl+Q" >&2
    wait $timer || true
    local cpu
    cpu=$(awk 'NR == 1 {printf "%.3f", $1 + $2}' "$WORK/time")
    if [[ $mode == on ]]; then
        local line
        line=$(grep '^gdkrecord self-time:' "$WORK/err") || { echo "run.sh: no self-time line: $(cat "$WORK/err")" >&2; exit 1; }
        field() { sed -n "s/.* $1=\([0-9.>]*\).*/\1/p" <<<"$line"; }
        grep -o 'site_[a-z_]*_median_ns=[0-9>]*' <<<"$line" >>"$WORK/sites"
        echo "$(field pointer_events) $(field pointer_events_median_ns) $(field other_events) $(field other_events_median_ns) $(field writer_wakes) $(field writer_wakes_median_ns)" >>"$WORK/kinds"
        echo "$cpu $(field events) $(field events_median_ns) $(field events_p99_ns) $(field events_mean_ns)" \
            "$(field frames) $(field frames_median_ns) $(field frames_p99_ns) $(field frames_mean_ns) $(field event_bytes_per_event) $(field warm_event_ns) $(field writer_cpu_ms)"
    else
        echo "$cpu - - - - - - - - - - -"
    fi
}

median() { sort -g | awk '{v[NR] = $1} END {print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }

echo "$TOOLKIT counter, $MOTIONS motions ($PACE s apart) + $CLICKS clicks + $KEYS keys per run, $RUNS runs each, display $DISPLAY, load $(cut -d' ' -f1-3 /proc/loadavg)"
FORMAT='%-4s %-3s %6s %6s %9s %9s %9s %6s %9s %9s %9s %7s %7s %9s\n'
printf "$FORMAT" mode run cpu_s events ev_med_ns ev_p99_ns ev_mean fr fr_med_ns fr_p99_ns fr_mean B/event warm_ns writer_ms
: >"$WORK/results"
: >"$WORK/sites"
: >"$WORK/kinds"
for ((run = 1; run <= RUNS; run++)); do
    for mode in off on; do
        read -r -a r < <(run_once $mode)
        printf "$FORMAT" $mode $run "${r[@]}"
        echo "$mode ${r[*]}" >>"$WORK/results"
    done
done
col() { awk -v m="$1" -v c="$2" '$1 == m {print $c}' "$WORK/results" | median; }
off_cpu=$(col off 2) on_cpu=$(col on 2)
echo
echo "medians over runs (ns are the recorder's own time on the main thread):"
echo "  per input event: median $(col on 4) ns, p99 $(col on 5) ns, mean $(col on 6) ns ($(col on 3) events per run)"
kind() { awk -v c="$1" '{print $c}' "$WORK/kinds" | median; }
echo "    of which pointer events (motion, buttons; read from memory): median $(kind 2) ns ($(kind 1) per run);" \
    "other events (keys, crossing, focus; GDK's getters): median $(kind 4) ns ($(kind 3) per run)"
echo "  per frame:       median $(col on 8) ns, p99 $(col on 9) ns, mean $(col on 10) ns ($(col on 7) frames per run)"
echo "  log bytes per input event: $(col on 11)"
echo "  warm event path (same code, 100000 times back to back): $(col on 12) ns per event"
echo "  per frame, by site (median ns per call):$(
    for site in $(sed 's/=.*//' "$WORK/sites" | awk '!seen[$0]++'); do
        printf ' %s=%s' "${site#site_}" "$(grep "^$site=" "$WORK/sites" | sed 's/.*=//' | median)"
    done | sed 's/_median_ns//g')"
echo "  writer thread wake-ups by the main loop (before poll, outside the hooks above): $(kind 5) per run, median $(kind 6) ns each"
echo "  writer thread CPU time (included in the app's): $(col on 13) ms"
echo "  app CPU time: off $off_cpu s, on $on_cpu s, ratio $(awk -v a="$on_cpu" -v b="$off_cpu" 'BEGIN {printf "%.3f", a / b}')"
