#!/usr/bin/env bash
# Throughput and peak memory of gdkrecord-tool's readers on synthetic recordings:
# dump to JSONL and CSV, and export to a Chrome trace, on 1 M and 10 M records.
#
#   scripts/bench-tool.sh [WORK_DIR] [RUNS]
#
# The recordings (about 30 B a record: 1 M = 29 MB, 10 M = 300 MB) are generated once into
# WORK_DIR (default $TMPDIR/gdkrecord-bench) by the gen-recording example, with the mix of
# a real session (pointer motion, 60 Hz frames with phases, frame timings, damage of 1-4
# rectangles, main-loop iterations, clicks, keys, scrolls, resizes, popups). Output goes to
# /dev/null so the figures are the tool's, not the disk's. Each command runs RUNS times
# (default 3) pinned to one core; the best wall time is reported, with the CPU time (user
# + system) and the peak resident memory of that run. On a machine shared with other work,
# records per CPU-second is the figure that measures the tool; records per wall-second is
# what you waited.
set -euo pipefail
cd "$(dirname "$0")/.."

work=${1:-${TMPDIR:-/tmp}/gdkrecord-bench}
runs=${2:-3}
mkdir -p "$work"
cargo build --quiet --release -p gdkrecord-tool --bin gdkrecord-tool --example gen-recording
release=${CARGO_TARGET_DIR:-target}/release
tool=$release/gdkrecord-tool
pin=()
if command -v taskset >/dev/null; then pin=(taskset -c 0); fi

printf '%-9s %-13s %9s %9s %14s %14s %10s\n' records command wall_s cpu_s records/wall_s records/cpu_s max_rss_MB
for n in 1000000 10000000; do
    file=$work/synthetic-$n.gdkrecord
    [[ -s $file ]] || "$release/examples/gen-recording" "$n" "$file"
    # The real record count (the generator adds the closing records).
    records=$("$tool" stats "$file" --json | sed -n 's/^  "records": \([0-9]*\),$/\1/p')
    for command in "dump --format jsonl" "dump --format csv" "export"; do
        best=""
        for _ in $(seq "$runs"); do
            # shellcheck disable=SC2086 # $command is meant to split into arguments
            line=$( { /usr/bin/time -f '%e %U %S %M' "${pin[@]}" "$tool" $command "$file" -o /dev/null; } 2>&1 | tail -n 1)
            read -r wall user sys rss <<<"$line"
            if [[ -z $best ]] || awk "BEGIN { exit !($wall < ${best%% *}) }"; then
                best="$wall $user $sys $rss"
            fi
        done
        read -r wall user sys rss <<<"$best"
        awk -v n="$records" -v c="$command" -v w="$wall" -v u="$user" -v s="$sys" -v r="$rss" 'BEGIN {
            printf "%-9s %-13s %9.2f %9.2f %14.0f %14.0f %10.1f\n", n, (c == "export" ? c : substr(c, 15)), w, u + s, n / w, n / (u + s), r / 1024
        }'
    done
done
