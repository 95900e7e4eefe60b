#!/bin/sh
# make bench: a release casetrackd on a temporary store, driven by the load
# generator over its socket. Usage: run.sh BIN_DIR [ROWS]
#   BIN_DIR  directory with casetrackd, casetrackctl and casetrack-bench
#   ROWS     cases in the import benchmark (default 1000000)
# Environment: BENCH_SECONDS (default 10) per load scenario.
set -eu

bin=$1
rows=${2:-1000000}
seconds=${BENCH_SECONDS:-10}
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d /tmp/casetrack-bench.XXXXXX)
socket=$work/tracker.sock
pid=

cleanup() {
    [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
    rm -rf "$work"
}
trap cleanup EXIT INT TERM

# The daemon logs warnings and worse to stderr: the figures are the store's
# and the protocol's. With every change in the journal (level info, the
# default), journald shares the machine; one scenario below measures that.
start_daemon() {
    "$bin/casetrackd" --socket "$socket" --state-dir "$work/state" --pipelines-dir "$root/Config/pipelines" \
        ${log_arguments:---log-target stderr --log-level warning} 2>>"$work/daemon.log" &
    pid=$!
    t0=$(date +%s%N)
    until "$bin/casetrackctl" --socket "$socket" status >/dev/null 2>&1; do
        kill -0 "$pid" 2>/dev/null || { cat "$work/daemon.log"; exit 1; }
        sleep 0.005
    done
    t1=$(date +%s%N)
    ready_ms=$(( (t1 - t0) / 1000000 ))
}

stop_daemon() {
    kill "$pid"
    wait "$pid" || true
    pid=
}

# The daemon's CPU time (user + system) so far, in milliseconds.
cpu_ms() {
    awk -v hz="$(getconf CLK_TCK)" '{ printf "%d", ($14 + $15) * 1000 / hz }' "/proc/$pid/stat"
}

# Runs the load generator with the given arguments and reports the daemon's CPU time for the run.
bench() {
    before=$(cpu_ms)
    "$bin/casetrack-bench" --socket "$socket" "$@"
    echo "daemon CPU: $(( $(cpu_ms) - before )) ms"
}

rss_mib() {
    awk '/VmRSS/ { printf "%.1f", $2 / 1024 }' "/proc/$pid/status"
}

echo "== casetrack benchmark: $(nproc) cores, $(date -u +%Y-%m-%dT%H:%M:%SZ)"
start_daemon
echo "-- durable transitions, 16 clients, one call in flight each, ${seconds}s"
bench --clients 16 --duration "$seconds" --mix transition=100
echo "-- durable transitions, 16 clients keeping 16 calls in flight each (256 connections)"
bench --clients 16 --depth 16 --duration "$seconds" --mix transition=100
echo "-- the same with random request ids (UUID v4, as a client of its own might send) instead of casetrackctl's time-ordered ones"
bench --clients 16 --depth 16 --duration "$seconds" --mix transition=100 --random-request-ids
if [ -S /run/systemd/journal/socket ]; then
    stop_daemon
    log_arguments="--log-target journal --log-level info"
    start_daemon
    echo "-- the same with time-ordered ids and every change in the journal (log level info, the default)"
    journald=$(pgrep -x systemd-journal | head -n 1)
    journald_before=$(awk '{ print $14 + $15 }' "/proc/$journald/stat" 2>/dev/null || echo 0)
    bench --clients 16 --depth 16 --duration "$seconds" --mix transition=100
    journald_after=$(awk '{ print $14 + $15 }' "/proc/$journald/stat" 2>/dev/null || echo 0)
    echo "journald CPU: $(( (journald_after - journald_before) * 1000 / $(getconf CLK_TCK) )) ms"
    stop_daemon
    log_arguments=
    start_daemon
fi
echo "-- transitions with DescribeCohort reads under load, 16 clients"
bench --clients 16 --duration "$seconds" --mix transition=90,read=10
echo "-- idle DescribeCohort latency, 1 client"
bench --clients 1 --duration "$seconds" --mix read=100 --cases-per-client 1
echo "-- the machine's floor for that: the same client and a server thread that only answers"
"$bin/casetrack-bench" --echo-floor --duration "$seconds"
stop_daemon

echo "-- import of $rows cases from CSV"
rm -rf "$work/state"
start_daemon
awk -v n="$rows" 'BEGIN { print "id,persons,state,province"; for (i = 1; i <= n; i++) printf "AFG-%07d,%d,,P%d\n", i, 1 + i % 7, i % 34 }' >"$work/cases.csv"
"$bin/casetrackctl" --socket "$socket" cohort create imported --pipeline usrap >/dev/null
before=$(cpu_ms)
t0=$(date +%s%N)
"$bin/casetrackctl" --socket "$socket" import imported "$work/cases.csv"
t1=$(date +%s%N)
echo "import: $rows cases in $(( (t1 - t0) / 1000000 )) ms (daemon CPU: $(( $(cpu_ms) - before )) ms)"
echo "rss after import: $(rss_mib) MiB"
stop_daemon
start_daemon
echo "ready with $rows cases: ${ready_ms} ms (start to first answered call)"
"$bin/casetrackctl" --socket "$socket" cohort show imported >/dev/null
"$bin/casetrackctl" --socket "$socket" cases --cohort imported --limit 1000 >/dev/null
echo "rss after restart and reads: $(rss_mib) MiB"
stop_daemon
