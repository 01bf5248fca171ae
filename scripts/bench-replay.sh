#!/usr/bin/env bash
# How close `replay` lands a recording's input to the recorded times: replays the session
# of samples/recordings/counter.gdkrecord (3 clicks, a click in the entry, 9 keys typed,
# Return, a resize, Ctrl+Q) into the release `counter` RUNS times (default 10) under a
# private Xvfb, and prints each run's summary line: the button, key and scroll events the
# new recording received, in REC's order, and how far each arrived from REC's time (both
# timed from the end of the first window's first frame), as median, p95 and max; then the
# median over the runs of each.
#
#   scripts/bench-replay.sh [RUNS] [-- EXTRA REPLAY FLAGS]
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-10}
shift || true
[ "${1:-}" = "--" ] && shift
cargo build --quiet --release -p gdkrecord-tool -p gdkrecord-recorder -p gdkrecord-samples
bin=${CARGO_TARGET_DIR:-target}/release
work=$(mktemp -d)
xvfb_pid=""
cleanup() { [ -n "$xvfb_pid" ] && kill "$xvfb_pid" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
Xvfb -displayfd 3 -screen 0 1280x1024x24 -nolisten tcp 3>"$work/display" 2>/dev/null &
xvfb_pid=$!
for _ in $(seq 100); do [ -s "$work/display" ] && break; sleep 0.1; done
export DISPLAY=":$(head -n 1 "$work/display")" GDK_BACKEND=x11 NO_AT_BRIDGE=1
unset WAYLAND_DISPLAY
"$bin/gdkrecord-tool" replay samples/recordings/counter.gdkrecord --repeat "$runs" \
    -o "$work/run.gdkrecord" "$@" -- "$bin/counter" --exit-after 60 2>&1 |
  grep 'arrived' | sed 's/.*recording: [^;]*; //' | tee "$work/lines"
# "... 2.3 ms from REC's times at the median (p95 10.6 ms, max 16.9 ms)"
awk '{
    for (i = 1; i <= NF; i++) {
      if ($(i+1) == "ms" && $(i+2) == "from") med[NR] = $i
      if ($i == "(p95") p95[NR] = $(i+1)
      if ($i == "max") max[NR] = $(i+1)
    }
  }
  function median(a, n,   i, j, t, s) {
    for (i = 1; i <= n; i++) s[i] = a[i]
    for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (s[j] + 0 < s[i] + 0) { t = s[i]; s[i] = s[j]; s[j] = t }
    return n % 2 ? s[(n + 1) / 2] : (s[n / 2] + s[n / 2 + 1]) / 2
  }
  END { printf "over %d runs, median of: median %.1f ms, p95 %.1f ms, max %.1f ms\n", NR, median(med, NR), median(p95, NR), median(max, NR) }' "$work/lines"
