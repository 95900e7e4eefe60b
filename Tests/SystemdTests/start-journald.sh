#!/bin/sh
# Starts systemd-journald in the background when no journal socket is served,
# for tests on hosts (containers, CI) where systemd is not PID 1.
# Idempotent: does nothing when journald already runs. Needs root.
set -eu

socket=/run/systemd/journal/socket
journald=/lib/systemd/systemd-journald
[ -x "$journald" ] || journald=/usr/lib/systemd/systemd-journald

running() {
    [ -S "$socket" ] && pgrep -x systemd-journal >/dev/null 2>&1
}

if running; then
    exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
    echo "start-journald: journald is not running and starting it needs root" >&2
    exit 1
fi

mkdir -p /run/systemd/journal /var/log/journal
# Detached from the caller's session and output, so it outlives the caller
# and a caller reading our stdout is not kept waiting.
setsid "$journald" </dev/null >/dev/null 2>&1 &

tries=0
until running; do
    tries=$((tries + 1))
    if [ "$tries" -gt 100 ]; then
        echo "start-journald: $socket did not appear within 10 s" >&2
        exit 1
    fi
    sleep 0.1
done
