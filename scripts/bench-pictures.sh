#!/usr/bin/env bash
# Time and peak memory of gdkrecord-tool's pictures on synthetic recordings of 1 M and
# 10 M records: `graph` to PNG and SVG, `exposures --heatmap`, and `exposures` (an
# animated GIF of the first 3,000 frames, the default --max-frames).
#
#   scripts/bench-pictures.sh [WORK_DIR] [RUNS]
#
# The recordings are generated once into WORK_DIR (default $TMPDIR/gdkrecord-bench) by
# the gen-recording example (the same files scripts/bench-tool.sh uses). Pictures go to
# WORK_DIR. Each command runs RUNS times (default 3); the best wall time is reported with
# the CPU time (user + system) and the peak resident memory of that run.
set -euo pipefail
cd "$(dirname "$0")/.."

work=${1:-${TMPDIR:-/tmp}/gdkrecord-bench}
runs=${2:-3}
mkdir -p "$work"
cargo build --quiet --release -p gdkrecord-tool --bin gdkrecord-tool --example gen-recording
release=${CARGO_TARGET_DIR:-target}/release
tool=$release/gdkrecord-tool

printf '%-9s %-30s %9s %9s %10s %10s\n' records command wall_s cpu_s max_rss_MB output_KB
for n in 1000000 10000000; do
    file=$work/synthetic-$n.gdkrecord
    [[ -s $file ]] || "$release/examples/gen-recording" "$n" "$file"
    for spec in "graph:png" "graph:svg" "exposures --heatmap:heatmap.png" "exposures:gif"; do
        command=${spec%%:*}
        out=$work/picture-$n.${spec##*:}
        best=""
        for _ in $(seq "$runs"); do
            # shellcheck disable=SC2086 # $command is meant to split into arguments
            line=$( { /usr/bin/time -f '%e %U %S %M' "$tool" $command "$file" -o "$out"; } 2>&1 | tail -n 1)
            read -r wall user sys rss <<<"$line"
            if [[ -z $best ]] || awk "BEGIN { exit !($wall < ${best%% *}) }"; then
                best="$wall $user $sys $rss"
            fi
        done
        read -r wall user sys rss <<<"$best"
        size=$(( $(stat -c %s "$out") / 1024 ))
        printf '%-9s %-30s %9.2f %9.2f %10.1f %10d\n' "$n" "$command -o x.${spec##*:}" "$wall" \
            "$(awk "BEGIN { print $user + $sys }")" "$(awk "BEGIN { print $rss / 1024 }")" "$size"
    done
done
