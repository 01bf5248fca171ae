#!/bin/bash
# Cost of main-loop timing when nothing stalls: ns per main-loop iteration (poll
# wrapper + per-second loop summary) and per GSource dispatch (patched dispatch), without
# the recorder, with the recorder but GDKRECORD_MAINLOOP=0, and with everything on.
# BEFORE=DIR (a target/release folder of another build holding libgdkrecord.so) adds a
# fourth configuration: that recorder with everything on, side by side.
# The three configurations run in turn, ROUNDS times (so load from other processes hits
# them alike); the table shows the median of the rounds' medians.
# Usage: recorder/bench/mainloop.sh [ITERATIONS] [REPEATS] [ROUNDS]   (prints Markdown)
set -euo pipefail
cd "$(dirname "$0")/../.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$PWD/target}"
cargo build -q --release -p gdkrecord-samples --bin loop_bench
cargo build -q --release -p gdkrecord-recorder -p gdkrecord-tool
bin="$CARGO_TARGET_DIR/release"
module_dir="$("$bin/gdkrecord-tool" module-dir)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
iterations="${1:-100000}"
repeats="${2:-7}"
rounds="${3:-5}"
names=("no recorder" "recorder, GDKRECORD_MAINLOOP=0" "recorder, main-loop timing on")
envs=("GTK_PATH=" "GTK_PATH=$module_dir GDKRECORD_MAINLOOP=0" "GTK_PATH=$module_dir")
if [[ -n ${BEFORE:-} ]]; then
    mkdir -p "$work/before/4.0.0/media"
    ln -s "$BEFORE/libgdkrecord.so" "$work/before/4.0.0/media/libgdkrecord.so"
    names+=("before ($BEFORE), main-loop timing on")
    envs+=("GTK_PATH=$work/before")
fi
median() { sort -g | awk '{v[NR]=$1} END {print v[int((NR+1)/2)]}'; }
for ((round = 0; round < rounds; round++)); do
    for i in "${!names[@]}"; do
        # shellcheck disable=SC2086 # envs[i] holds NAME=value words
        env GDK_BACKEND=x11 GDKRECORD_FILENAME="$work/bench.gdkrecord" ${envs[$i]} \
            xvfb-run -a "$bin/loop_bench" --iterations "$iterations" --repeats "$repeats" 2>/dev/null \
            | sed "s/^/$i /" >>"$work/results"
    done
done
echo "| configuration | ns per iteration (1 idle) | ns per extra dispatch |"
echo "|---|---|---|"
for i in "${!names[@]}"; do
    it=$(grep "^$i " "$work/results" | sed 's/.*iteration_ns=\([^ ]*\).*/\1/' | median)
    di=$(grep "^$i " "$work/results" | sed 's/.*dispatch_ns=\([^ ]*\).*/\1/' | median)
    echo "| ${names[$i]} | $it | $di |"
done
