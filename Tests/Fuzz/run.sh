#!/bin/sh
# make fuzz: runs each libFuzzer target for a bounded time, starting from the
# committed seed corpus. Usage: run.sh BIN_DIR [SECONDS]
#   BIN_DIR  where casetrack-fuzz-varlink, -csv and -plain were built
#            with -sanitize=fuzzer -DCASETRACK_FUZZING
#   SECONDS  per target (default 60)
# New inputs and any crashing input go to a scratch directory (writable by
# the unprivileged user the Varlink target drops to); a finding is printed
# with the input that caused it and fails the run.
set -eu

bin=$1
seconds=${2:-60}
root=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d /tmp/casetrack-fuzz.XXXXXX)
trap 'rm -rf "$work"' EXIT INT TERM
chmod 0777 "$work"

status=0
# libFuzzer, not the Swift runtime, handles a crash: it saves the input.
export SWIFT_BACKTRACE=enable=no
for target in varlink csv plain; do
    out=$work/$target
    mkdir -p "$out/new" "$out/artifacts"
    chmod -R 0777 "$out"
    echo "== casetrack-fuzz-$target for ${seconds}s from $(ls "$root/Tests/Fuzz/Corpus/$target" | wc -l) seeds"
    if "$bin/casetrack-fuzz-$target" -max_total_time="$seconds" -max_len=4096 -timeout=60 \
        -print_final_stats=1 -artifact_prefix="$out/artifacts/" \
        "$out/new" "$root/Tests/Fuzz/Corpus/$target" >"$out/log" 2>&1; then
        grep -E "^stat::(number_of_executed_units|average_exec_per_sec|new_units_added|peak_rss_mb)" "$out/log"
        grep -E "^Done [0-9]+ runs" "$out/log" || true
    else
        status=1
        echo "casetrack-fuzz-$target found a problem:"
        grep -E -A3 "Fatal error|FINDING|ERROR: libFuzzer" "$out/log" | cut -c1-4000 | head -n 40
        tail -n 30 "$out/log" | cut -c1-4000
        for artifact in "$out"/artifacts/*; do
            [ -e "$artifact" ] || continue
            echo "-- input $(basename "$artifact") (base64; save it, then replay it with casetrack-fuzz-$target FILE):"
            base64 "$artifact"
        done
    fi
done
exit $status
