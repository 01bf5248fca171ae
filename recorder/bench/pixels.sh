#!/usr/bin/env bash
# What recording pixels costs (docs/benchmarks.md, "Pixels").
#
# Runs gtk4-widget-factory under a private Xvfb with the recorder, PAIRS times with
# pixels off and on, side by side (off, on, off, on, ...), each time feeding it the same
# xdotool script: MOTIONS pointer motions PACE seconds apart sweeping the first page
# (hover effects repaint), CLICKS clicks over it, KEYS typed keys; then Ctrl+Q. With
# GDKRECORD_SELF_TIME=1 the recorder times its own main-thread work: per frame (phase
# hooks, damage, painted) and, with pixels on, the drawing of each rendered frame's
# pixels. Reports per run and as medians over the pairs:
# - the recorder's main-thread time per frame, median: pixels off; pixels on (frame work
#   + pixel drawing per rendered frame, medians of each);
# - the app's CPU time (user + sys, all threads: the writer thread's LZ4 packing included)
#   and the on/off ratio of each pair;
# - the log's bytes per minute, and with pixels on the pixel data's share;
# - the app's own frame time (the recording's frames, first phase to cycle end), median:
#   what pixels add to a frame, whatever the recorder's timers say;
# - GL with a CPU rasterizer (llvmpipe under Xvfb): the wait for the rasterizer before the
#   back buffer is read, which the swap would otherwise make (not in the pixels' time).
#
# RENDERER=cairo|gl picks GSK's renderer (default cairo; gl is llvmpipe under Xvfb).
# TOOLKIT=gtk3 runs gtk3-widget-factory instead, recorded by libgdkrecord_gtk3.so through
# GTK_MODULES, whose pixels are read back from the painted window (RENDERER is GTK 4's).
# FULL=1 measures whole pictures instead: the window resized RESIZES times between
# WIDTHxHEIGHT (1400x1000) and one pixel less, 0.3 s apart, each size change repainting
# (and picturing) the whole window; the pixel budget is lifted so that none is skipped.
# (GSK_DEBUG=full-redraw does not make GTK 4.8's renderer clip the whole window.)
#
# Usage: recorder/bench/pixels.sh   (env: PAIRS=5 MOTIONS=600 PACE=0.01 CLICKS=20 KEYS=30
#        RENDERER=cairo TOOLKIT=gtk4 FULL= RESIZES=30 WIDTH=1400 HEIGHT=1000 NO_BUILD=1)
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
PAIRS=${PAIRS:-5}
MOTIONS=${MOTIONS:-600}
PACE=${PACE:-0.01}
CLICKS=${CLICKS:-20}
KEYS=${KEYS:-30}
RENDERER=${RENDERER:-cairo}
WIDTH=${WIDTH:-1400}
HEIGHT=${HEIGHT:-1000}
TARGET=${CARGO_TARGET_DIR:-$ROOT/target}/release
TOOLKIT=${TOOLKIT:-gtk4}
case $TOOLKIT in
    gtk4) APP=${APP:-/usr/bin/gtk4-widget-factory} LIBRARY=$TARGET/libgdkrecord.so
          MODULE_DIR=4.0.0/media MODULES="" ;;
    gtk3) APP=${APP:-/usr/bin/gtk3-widget-factory} LIBRARY=$TARGET/libgdkrecord_gtk3.so
          MODULE_DIR=3.0.0/modules MODULES=gdkrecord RENDERER=- ;;
    *) echo "pixels.sh: TOOLKIT is gtk4 or gtk3" >&2; exit 1 ;;
esac

for tool in Xvfb xdotool /usr/bin/time python3 "$APP"; do
    command -v "$tool" >/dev/null || { echo "pixels.sh: $tool is missing (scripts/setup installs it)" >&2; exit 1; }
done
if [[ -z ${NO_BUILD:-} ]]; then
    (cd "$ROOT" && cargo build --release -q -p gdkrecord-recorder -p gdkrecord-recorder-gtk3 -p gdkrecord-tool)
fi
for file in "$LIBRARY" "$TARGET/gdkrecord-tool"; do
    [[ -e $file ]] || { echo "pixels.sh: $file is missing" >&2; exit 1; }
done

WORK=$(mktemp -d)
mkdir -p "$WORK/gtk-path/$MODULE_DIR"
ln -s "$LIBRARY" "$WORK/gtk-path/$MODULE_DIR/libgdkrecord.so"
Xvfb -displayfd 3 -screen 0 1600x1200x24 -nolisten tcp 3>"$WORK/display" 2>/dev/null &
XVFB=$!
trap 'kill $XVFB 2>/dev/null; rm -rf "$WORK"' EXIT
for _ in $(seq 100); do [[ -s $WORK/display ]] && break; sleep 0.05; done
export DISPLAY=":$(tr -d '\n' <"$WORK/display")"
export GDK_BACKEND=x11 NO_AT_BRIDGE=1 GSETTINGS_BACKEND=memory GTK_PATH="$WORK/gtk-path"
export GTK_MODULES=$MODULES
case $RENDERER in
    cairo) export GSK_RENDERER=cairo ;;
    gl) export GSK_RENDERER=gl ;;
    -) ;;
    *) echo "pixels.sh: RENDERER is cairo or gl" >&2; exit 1 ;;
esac
[[ -n ${FULL:-} ]] && export GDKRECORD_PIXELS_MB_PER_S=100000

INPUT=()
if [[ -n ${FULL:-} ]]; then
    # Resizing while the damage proof checks its first 16 calls can refuse it (a clip
    # of the old size against the new one): let it finish first.
    INPUT+=(sleep 2)
    for ((i = 0; i < ${RESIZES:-30}; i++)); do
        INPUT+=(windowsize --sync WID "$WIDTH" $((HEIGHT - i % 2)) sleep 0.3)
    done
    MOTIONS=0 CLICKS=0 KEYS=0
fi
for ((i = 0; i < MOTIONS; i++)); do
    INPUT+=(mousemove --window WID $((20 + (i * 13) % 1300)) $((20 + (i * 7) % 790)) sleep "$PACE")
done
for ((i = 0; i < CLICKS; i++)); do
    INPUT+=(mousemove --window WID $((40 + (i * 131) % 1260)) $((60 + (i * 89) % 740)) click 1 sleep 0.05)
done
INPUT+=(key --delay 10)
for ((i = 0; i < KEYS; i++)); do INPUT+=(a); done
# Ctrl+Q quits (app.quit): a normal exit, where the recorder prints its self-time line.
# gtk3-widget-factory may have a menu or popover open from the clicks, which takes the
# keys: Escape closes it first.
[[ $TOOLKIT == gtk3 ]] && INPUT+=(key Escape Escape)
INPUT+=(sleep 0.5 key ctrl+q)

# run_once off|on -> "cpu_s frames frame_median_ns patch_frames patch_median_ns patch_mean_ns
#                     whole_frames whole_median_ns bytes pixel_bytes seconds skipped
#                     frame_p50_ms renderer_wait_median_ns"
run_once() {
    local pixels=0
    [[ $1 == on ]] && pixels=1
    rm -f "$WORK/run.gdkrecord"
    GDKRECORD_PIXELS=$pixels GDKRECORD_SELF_TIME=1 GDKRECORD_FILENAME="$WORK/run.gdkrecord" \
        /usr/bin/time -f "%U %S" -o "$WORK/time" "$APP" >/dev/null 2>"$WORK/err" &
    local timer=$! app=""
    for _ in $(seq 200); do
        app=$(cat /proc/$timer/task/$timer/children 2>/dev/null | tr -d ' ')
        [[ -n $app ]] && break
        sleep 0.05
    done
    local window
    window=$(timeout 60 xdotool search --sync --onlyvisible --pid "$app" | tail -n 1)
    if ! timeout 600 xdotool windowfocus --sync "$window" "${INPUT[@]/#WID/$window}" >&2; then
        echo "pixels.sh: xdotool failed" >&2
    fi
    # A slow app (full repaints) handles its input late: wait up to 2 minutes.
    for _ in $(seq 1200); do kill -0 "$app" 2>/dev/null || break; sleep 0.1; done
    kill -TERM "$app" 2>/dev/null && echo "pixels.sh: the app did not quit on Ctrl+Q" >&2
    wait $timer 2>/dev/null || true
    local cpu line
    cpu=$(awk 'END {printf "%.3f", $1 + $2}' "$WORK/time")
    line=$(grep '^gdkrecord self-time:' "$WORK/err" || true)
    field() {
        local value
        value=$(sed -n "s/.* $1=\([0-9.>]*\).*/\1/p" <<<"$line")
        echo "${value:--}"
    }
    "$TARGET/gdkrecord-tool" stats --json "$WORK/run.gdkrecord" >"$WORK/stats.json" 2>/dev/null
    local bytes
    bytes=$(python3 -c 'import sys; d = open(sys.argv[1], "rb").read(); print(len(d.rstrip(b"\0")))' "$WORK/run.gdkrecord")
    python3 - "$WORK/stats.json" <<EOF
import json, sys
stats = json.load(open(sys.argv[1]))
pixels = stats.get("pixels") or {}
print("$cpu", "$(field frames)", "$(field frames_median_ns)", "$(field pixels)",
      "$(field pixels_median_ns)", "$(field pixels_mean_ns)", "$(field pixels_whole)",
      "$(field pixels_whole_median_ns)", "$bytes",
      pixels.get("stored_bytes", 0), f'{stats.get("duration_ms", 0) / 1000:.1f}',
      pixels.get("skipped_over_budget", 0) + pixels.get("skipped_failed", 0),
      (stats.get("frames") or {}).get("duration", {}).get("p50_ms", "-"),
      "$(field renderer_wait_median_ns)")
EOF
}

median() { sort -g | awk '{v[NR] = $1} END {print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }

echo "$(basename "$APP"), ${RENDERER/#-/pixels read back}${FULL:+, ${RESIZES:-30} resizes to ${WIDTH}x$HEIGHT}: $MOTIONS motions ($PACE s apart), $CLICKS clicks, $KEYS keys per run; $PAIRS pairs; load $(cut -d' ' -f1-3 /proc/loadavg)"
FORMAT='%-4s %-6s %7s %7s %10s %8s %10s %10s %6s %10s %10s %10s %6s %7s %9s %10s\n'
printf "$FORMAT" pair pixels cpu_s frames fr_med_ns patches patch_med patch_mean wholes whole_med bytes px_bytes secs skipped frame_ms gl_wait_ns
: >"$WORK/off"
: >"$WORK/on"
for ((pair = 1; pair <= PAIRS; pair++)); do
    for mode in off on; do
        read -r -a r < <(run_once $mode)
        printf "$FORMAT" "$pair" $mode "${r[@]}"
        echo "${r[*]}" >>"$WORK/$mode"
    done
done
col() { awk -v c="$2" '{print $c}' "$WORK/$1" | median; }
ratios=$(paste -d' ' "$WORK/off" "$WORK/on" | awk '{printf "%.3f\n", $(NF / 2 + 1) / $1}')
per_minute() { awk '$11 > 0 {printf "%.0f\n", $9 / $11 * 60}' "$WORK/$1" | median; }
echo
echo "medians over $PAIRS pairs (recorder's main-thread time; ns):"
echo "  per frame, pixels off: $(col off 3) ns ($(col off 2) frames per run)"
echo "  per frame, pixels on: $(col on 3) ns of frame work + drawing the pixels: patches $(col on 5) ns (mean $(col on 6) ns; $(col on 4) frames per run), whole pictures $(col on 8) ns ($(col on 7) per run)"
echo "  app CPU time: off $(col off 1) s, on $(col on 1) s; on/off ratio per pair: median $(median <<<"$ratios"), min $(sort -g <<<"$ratios" | head -n 1), max $(sort -g <<<"$ratios" | tail -n 1)"
echo "  log bytes per minute: off $(per_minute off), on $(per_minute on) (pixel data $(awk '$11 > 0 {printf "%.0f\n", $10 / $11 * 60}' "$WORK/on" | median) of it)"
echo "  frames without pixels (budget or failure), per run: $(col on 12)"
echo "  the app's frames (first phase to cycle end), median duration: off $(col off 13) ms, on $(col on 13) ms"
[[ $(col on 14) != - ]] && echo "  waiting for the CPU rasterizer before reading its frame back (the swap's wait, moved; not in the pixels' time): median $(col on 14) ns"
true
