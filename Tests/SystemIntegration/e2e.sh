#!/bin/bash
# casetrack's Debian package under a real systemd, as PID 1 of a
# systemd-nspawn container booting a minimal Debian 12.
#
#   Tests/SystemIntegration/e2e.sh DEB [WORK_DIR]
#
# Needs root, debootstrap and systemd-container. The bookworm root is made
# once with debootstrap (from the mirror this machine's apt sources name, or
# $E2E_MIRROR) and cached as WORK_DIR/rootfs-base; each run boots a fresh
# copy of it (WORK_DIR/root) and installs DEB into the running system.
# Prints each check; exits non-zero at the first failure. Whatever happens,
# the container is powered off (or killed) before the script returns.
set -euo pipefail

deb=$(realpath "$1")
work=$(realpath -m "${2:-.build-e2e}")
base=$work/rootfs-base
root=$work/root
console_log=$work/console.log
started=$(date +%s)

nspawn_pid=""
pid1=""

# Message ids casetrackd logs (Sources/CaseTrackDaemon/MessageID.swift).
MSG_STARTUP=2f7be1d777994d22b50f49e1bf87ff57
MSG_READY=e9cea819491b44c597424116fe05b5a1
MSG_RELOAD=60bd2f8f39484ef2a305013a9041931d
MSG_RELOAD_FAILED=7411109528db476ba5e25ce689734649
MSG_SHUTDOWN=4548c311225947cab49cdce947883108
MSG_INTAKE=b161d940c13a4ead8e4ddaa0504f1aa5
MSG_PERMISSION_DENIED=cef1b2c7717e4e01b3a36fa348e4439e

step() { printf '\n== %s (%ds)\n' "$*" "$(($(date +%s) - started))"; }
ok() { printf '   ok: %s\n' "$*"; }
fail() {
    trap - ERR
    printf 'FAIL: %s\n' "$*" >&2
    if [ -n "$pid1" ] && [ -d "/proc/$pid1" ]; then
        echo "--- systemctl status casetrackd.service casetrackd.socket" >&2
        ctr systemctl --no-pager -l status casetrackd.service casetrackd.socket >&2 || true
        echo "--- journalctl -u casetrackd (last 40)" >&2
        ctr journalctl --no-pager -n 40 -u casetrackd.service >&2 || true
    fi
    exit 1
}

# Runs a command inside the container, as root, with a clean environment.
ctr() {
    nsenter -t "$pid1" -a env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 \
        SYSTEMD_PAGER= SYSTEMD_COLORS=0 "$@"
}
# Runs a command inside the container as another user.
as_user() {
    local user=$1
    shift
    ctr runuser -u "$user" -- "$@"
}
ctl() { ctr casetrackctl "$@"; }

# Waits until "$@" succeeds, up to $timeout seconds (default 30).
until_true() {
    local deadline=$(($(date +%s) + ${timeout:-30}))
    until "$@" >/dev/null 2>&1; do
        [ "$(date +%s)" -lt "$deadline" ] || return 1
        sleep 0.2
    done
}

main_pid() { ctr systemctl show -P MainPID casetrackd.service; }
status_text() { ctr systemctl show -P StatusText casetrackd.service; }
json_field() { python3 -c 'import json,sys; print(json.load(sys.stdin)[sys.argv[1]])' "$1"; }

# The http(s) mirror of the first enabled apt source for bookworm, in the
# one-line or the deb822 format; nothing if there is none.
host_mirror() {
    local f uri
    for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
        [ -f "$f" ] || continue
        uri=$(awk '$1 == "deb" { for (i = 2; i < NF; i++) if ($i ~ /^https?:\/\//) { if ($(i + 1) == "bookworm") { print $i; exit } break } }' "$f")
        [ -z "$uri" ] || { echo "$uri"; return 0; }
    done
    for f in /etc/apt/sources.list.d/*.sources; do
        [ -f "$f" ] || continue
        uri=$(awk 'function flush() { if (!found && deb && on && suite && uri) { print uri; found = 1 } deb = 0; on = 1; suite = 0; uri = "" }
                   BEGIN { on = 1 }
                   /^[[:space:]]*$/ { flush(); next }
                   tolower($1) == "types:" { for (i = 2; i <= NF; i++) if ($i == "deb") deb = 1 }
                   tolower($1) == "enabled:" { on = (tolower($2) != "no") }
                   tolower($1) == "suites:" { for (i = 2; i <= NF; i++) if ($i == "bookworm") suite = 1 }
                   tolower($1) == "uris:" { for (i = 2; i <= NF; i++) if ($i ~ /^https?:\/\//) { uri = $i; break } }
                   END { flush() }' "$f")
        [ -z "$uri" ] || { echo "$uri"; return 0; }
    done
}

make_base() {
    [ -x "$base/lib/systemd/systemd" ] && return 0
    local mirror=${E2E_MIRROR:-$(host_mirror)}
    [ -n "$mirror" ] || fail "no bookworm mirror in /etc/apt/sources*; set E2E_MIRROR"
    step "debootstrap bookworm from $mirror into $base (once; cached)"
    rm -rf "$base.tmp"
    mkdir -p "$work"
    debootstrap --variant=minbase --include=systemd,systemd-sysv,dbus,libsqlite3-0,procps \
        bookworm "$base.tmp" "$mirror" >"$work/debootstrap.log" 2>&1 ||
        { tail -n 20 "$work/debootstrap.log" >&2; fail "debootstrap"; }
    rm -rf "$base.tmp"/var/cache/apt/archives/*.deb "$base.tmp"/var/lib/apt/lists/*
    echo casetrack-e2e >"$base.tmp/etc/hostname"
    # A persistent journal, read from the host with journalctl -D.
    mkdir -p "$base.tmp/var/log/journal"
    : >"$base.tmp/etc/machine-id"
    mv "$base.tmp" "$base"
}

cleanup() {
    local status=$?
    if [ -n "$nspawn_pid" ] && kill -0 "$nspawn_pid" 2>/dev/null; then
        echo "cleanup: powering the container off" >&2
        # SIGTERM makes nspawn ask the container's systemd for a clean poweroff.
        kill -TERM "$nspawn_pid" 2>/dev/null || true
        for _ in $(seq 1 150); do kill -0 "$nspawn_pid" 2>/dev/null || break; sleep 0.2; done
        if kill -0 "$nspawn_pid" 2>/dev/null; then
            echo "cleanup: killing systemd-nspawn $nspawn_pid" >&2
            kill -KILL "$nspawn_pid" 2>/dev/null || true
        fi
        wait "$nspawn_pid" 2>/dev/null || true
    fi
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
set -o errtrace
trap 'fail "line $LINENO: $BASH_COMMAND"' ERR

[ "$(id -u)" -eq 0 ] || fail "run as root"
[ -f "$deb" ] || fail "no package at $deb"
for tool in debootstrap systemd-nspawn nsenter python3; do
    command -v "$tool" >/dev/null || fail "$tool is not installed"
done

make_base

step "boot a fresh copy of the root under systemd-nspawn"
rm -rf "$root"
cp -a --reflink=auto "$base" "$root"
cp "$deb" "$root/root/casetrack.deb"
# The test's own drop-in: a short watchdog so the hang check takes seconds.
mkdir -p "$root/etc/systemd/system/casetrackd.service.d"
printf '[Service]\nWatchdogSec=4s\n' >"$root/etc/systemd/system/casetrackd.service.d/e2e-watchdog.conf"
systemd-nspawn -q -D "$root" -b --register=no --keep-unit --private-network --console=read-only \
    >"$console_log" 2>&1 &
nspawn_pid=$!
for _ in $(seq 1 300); do
    for child in $(pgrep -P "$nspawn_pid" || true); do
        [ "$(cat "/proc/$child/comm" 2>/dev/null)" = systemd ] && pid1=$child
    done
    [ -n "$pid1" ] && break
    kill -0 "$nspawn_pid" 2>/dev/null || { cat "$console_log" >&2; fail "systemd-nspawn exited"; }
    sleep 0.1
done
[ -n "$pid1" ] || fail "no systemd in the container after 30s"
until_true ctr test -S /run/systemd/private || fail "systemd never opened its private socket"
state=$(ctr timeout 120 systemctl is-system-running --wait || true)
case "$state" in
running) ok "systemd $(ctr systemctl --version | head -n 1 | cut -d' ' -f2) is PID 1 (host pid $pid1), system running" ;;
degraded)
    ok "system degraded (failed units below), carrying on"
    ctr systemctl --no-pager --failed || true
    ;;
*) fail "system state '$state'" ;;
esac

step "install the package"
ctr dpkg -i /root/casetrack.deb || fail "dpkg -i"
ctr getent group casetrack >/dev/null || fail "no casetrack group"
[ "$(ctr getent passwd casetrack | cut -d: -f7)" = /usr/sbin/nologin ] || fail "casetrack user's shell"
ok "casetrack user and group made by sysusers"
ctr systemd-analyze verify --man=no casetrackd.service casetrackd.socket || fail "systemd-analyze verify"
ok "systemd-analyze verify: clean"
ctr useradd --create-home --groups casetrack alice
ctr useradd --create-home mallory
ok "users alice (group casetrack) and mallory (no group)"

step "1. the socket listens, the service is not running"
ctr systemctl enable --now casetrackd.socket
[ "$(ctr systemctl is-active casetrackd.socket)" = active ] || fail "socket not active"
[ "$(ctr systemctl is-active casetrackd.service || true)" = inactive ] || fail "service already running"
perm=$(ctr stat -c '%a %U %G' /run/casetrack/io.casetrack.Tracker)
[ "$perm" = "660 root casetrack" ] || fail "socket file is '$perm'"
ok "casetrackd.socket active, /run/casetrack/io.casetrack.Tracker $perm, casetrackd.service inactive"

step "2. the first casetrackctl call starts the daemon and gets an answer"
ctl status || fail "casetrackctl status"
[ "$(ctr systemctl is-active casetrackd.service)" = active ] || fail "service not active after the call"
pid=$(main_pid)
[ "$(ctr ps -o user= -p "$pid")" = casetrack ] || fail "daemon not running as casetrack"
perm=$(ctr stat -c '%a %U %G' /var/lib/casetrack /var/lib/casetrack/casetrack.sqlite | tr '\n' ' ')
[ "$perm" = "750 casetrack casetrack 600 casetrack casetrack " ] || fail "state directory and store are '$perm'"
ok "casetrackd started by its socket, pid $pid, user casetrack; /var/lib/casetrack 0750, store 0600"

step "3. systemctl status shows the daemon's status text"
shows_serving() { ctr systemctl status --no-pager casetrackd.service | grep -q 'Status: "Serving'; }
timeout=10 until_true shows_serving ||
    fail "no 'Status: \"Serving' line in systemctl status"
ok "$(ctr systemctl status --no-pager casetrackd.service | grep 'Status:' | sed 's/^ *//')"

step "4. data survives systemctl restart"
ctl cohort create e2e-pk --pipeline usrap --title "End-to-end cohort" >/dev/null || fail "cohort create"
ctl intake e2e-pk --persons 250 --note "first intake" >/dev/null || fail "intake"
before=$(ctl status --json | json_field lastSeq)
cohort_before=$(ctl cohort show e2e-pk --json)
ctr systemctl restart casetrackd.service
new_pid=$(main_pid)
[ "$new_pid" != "$pid" ] || fail "restart kept pid $pid"
after=$(ctl status --json | json_field lastSeq)
[ "$after" = "$before" ] || fail "lastSeq $before before restart, $after after"
[ "$(ctl cohort show e2e-pk --json)" = "$cohort_before" ] || fail "cohort differs after restart"
ok "pid $pid -> $new_pid, lastSeq $after, cohort e2e-pk unchanged"
pid=$new_pid

step "5. systemctl reload: a changed config takes effect in place, a broken one is refused"
config=/etc/casetrack/casetrackd.yaml
if as_user alice casetrackctl intake e2e-pk --persons 5 >/dev/null 2>&1; then
    fail "alice (reader) could intake before the reload"
fi
ctr sed -i '/^  operator:/,/^  reader:/ s/users: \[\]/users: [alice]/' "$config"
ctr grep -q 'users: \[alice\]' "$config" || fail "could not edit $config"
ctr systemctl reload casetrackd.service
timeout=15 until_true as_user alice casetrackctl intake e2e-pk --persons 5 --note "after reload" ||
    fail "alice still refused after the reload"
[ "$(main_pid)" = "$pid" ] || fail "reload changed the pid"
ok "alice made operator by reload, same pid $pid"
ctr cp "$config" /root/casetrackd.yaml.good
ctr sh -c "echo 'access: [unclosed' >>$config"
ctr systemctl reload casetrackd.service
reload_failed() { status_text | grep -q 'Reload failed'; }
timeout=15 until_true reload_failed ||
    fail "no 'Reload failed' status after a broken config"
ok "status: $(status_text)"
as_user alice casetrackctl intake e2e-pk --persons 5 --note "old config still in force" >/dev/null ||
    fail "the broken config replaced the good one"
[ "$(main_pid)" = "$pid" ] || fail "broken reload changed the pid"
[ "$(ctr systemctl is-active casetrackd.service)" = active ] || fail "service not active after a broken reload"
ok "old config kept in force, same pid $pid, service active"
ctr cp /root/casetrackd.yaml.good "$config"
ctr systemctl reload casetrackd.service
serving() { status_text | grep -q '^Serving'; }
timeout=15 until_true serving ||
    fail "status did not return to Serving after restoring the config"

step "6. the journal: structured fields, MESSAGE_IDs, catalog"
ctr journalctl --sync
journalctl -D "$root/var/log/journal" -u casetrackd.service -o json --no-pager >"$work/casetrackd.json"
python3 - "$work/casetrackd.json" <<EOF || fail "journal fields"
import json, sys
entries = [json.loads(line) for line in open(sys.argv[1]) if line.strip()]
ours = [e for e in entries if e.get("SYSLOG_IDENTIFIER") == "casetrackd" and e.get("_TRANSPORT") == "journal"]
assert ours, "no casetrackd entries sent through sd_journal_sendv"
# Anything else the process wrote (stderr, syslog) means the sandbox denied
# the runtime something, or the daemon did not pick the journal.
# The one exception: libdispatch's syslog line when it may not renice a
# worker thread (the unit's comment on SystemCallFilter= says why).
other = [e.get("MESSAGE") for e in entries
         if e.get("_COMM") == "casetrackd" and e.get("_TRANSPORT") != "journal"
         and not str(e.get("MESSAGE")).startswith("Failed to set thread priority for worker thread")]
assert not other, f"casetrackd wrote outside the journal API: {other[:3]}"
ids = {e.get("MESSAGE_ID") for e in ours}
for name, mid in [("startup", "$MSG_STARTUP"), ("ready", "$MSG_READY"), ("reload", "$MSG_RELOAD"),
                  ("reload failed", "$MSG_RELOAD_FAILED"), ("intake", "$MSG_INTAKE")]:
    assert mid in ids, f"no {name} entry (MESSAGE_ID={mid})"
for e in ours:
    for field in ("MESSAGE", "PRIORITY", "CODE_FILE", "CODE_LINE", "CODE_FUNC"):
        assert field in e, f"{field} missing in {e.get('MESSAGE')!r}"
intakes = [e for e in ours if e.get("MESSAGE_ID") == "$MSG_INTAKE"]
assert any(e.get("COHORT") == "e2e-pk" for e in intakes), "intake entries carry no COHORT=e2e-pk"
print(f"   ok: {len(ours)} casetrackd entries; MESSAGE_IDs {len(ids - {None})} kinds; "
      f"CODE_*/PRIORITY on every entry; intake carries COHORT=" + intakes[0]["COHORT"])
EOF
ctr journalctl -x --no-pager -u casetrackd.service MESSAGE_ID=$MSG_READY | grep -q 'Subject: casetrackd is ready' ||
    fail "journalctl -x shows no catalog text for the ready entry"
ok "journalctl -x explains MESSAGE_ID=$MSG_READY: 'casetrackd is ready'"

step "7. a user outside the casetrack group is refused"
as_user alice casetrackctl status >/dev/null || fail "alice (group casetrack) refused"
code=0
refusal=$(as_user mallory casetrackctl status 2>&1) || code=$?
[ "$code" -eq 69 ] || fail "mallory: exit $code (expected 69, unreachable): $refusal"
ok "alice reads; mallory gets exit 69: $(echo "$refusal" | head -n 1)"

step "8. a hung daemon is killed by the watchdog and restarted, nothing lost"
seq_before=$(ctl status --json | json_field lastSeq)
cohort_before=$(ctl cohort show e2e-pk --json)
restarts_before=$(ctr systemctl show -P NRestarts casetrackd.service)
ctr kill -STOP "$pid"
restarted() {
    local p
    p=$(main_pid)
    [ "$p" != 0 ] && [ "$p" != "$pid" ] && [ "$(ctr systemctl is-active casetrackd.service)" = active ]
}
timeout=40 until_true restarted ||
    fail "no restart within 40s of SIGSTOP"
new_pid=$(main_pid)
ctr journalctl --no-pager -u casetrackd.service | grep -q 'Watchdog timeout' || fail "no watchdog timeout in the journal"
restarts=$(ctr systemctl show -P NRestarts casetrackd.service)
[ "$restarts" -gt "$restarts_before" ] || fail "NRestarts did not grow"
[ "$(ctl status --json | json_field lastSeq)" = "$seq_before" ] || fail "lastSeq changed across the watchdog restart"
[ "$(ctl cohort show e2e-pk --json)" = "$cohort_before" ] || fail "cohort changed across the watchdog restart"
ctl verify >/dev/null || fail "casetrackctl verify after the watchdog restart"
ok "watchdog timeout, pid $pid -> $new_pid, NRestarts $restarts, lastSeq $seq_before, verify ok"
pid=$new_pid

step "9. systemctl stop drains and exits cleanly"
# A Watch stream stays open across the stop: the stop must not wait for it.
ctr sh -c 'casetrackctl watch --cohort e2e-pk >/root/watch.out 2>&1 & echo $! >/root/watch.pid'
sleep 1
watch_pid=$(ctr cat /root/watch.pid)
ctr kill -0 "$watch_pid" || fail "casetrackctl watch ended early: $(ctr cat /root/watch.out)"
invocation=$(ctr systemctl show -P InvocationID casetrackd.service)
stop_started=$(date +%s%N)
ctr systemctl stop casetrackd.service
stop_ms=$((($(date +%s%N) - stop_started) / 1000000))
ctr journalctl --sync
journalctl -D "$root/var/log/journal" --no-pager -o cat UNIT=casetrackd.service INVOCATION_ID="$invocation" |
    grep -q 'Deactivated successfully' || fail "the stopped run did not end with 'Deactivated successfully'"
journalctl -D "$root/var/log/journal" --no-pager -o cat _PID="$pid" MESSAGE_ID=$MSG_SHUTDOWN | grep -q stopped ||
    fail "no 'casetrackd stopped' entry from pid $pid"
[ "$(ctr systemctl is-active casetrackd.socket)" = active ] || fail "socket gone after stopping the service"
# The client sees its stream end (and, being a watcher, may reconnect, which
# the socket answers by starting the daemon again).
stream_closed() { ! ctr kill -0 "$watch_pid" 2>/dev/null || ctr grep -q 'closed' /root/watch.out; }
timeout=10 until_true stream_closed || fail "the Watch stream was left open by the stop"
ctr kill "$watch_pid" 2>/dev/null || true
ok "stopped in ${stop_ms} ms with a Watch stream open: exit 0 ('Deactivated successfully'), stream closed, socket still listening"
ctl status >/dev/null || fail "no answer on the next call after stop"
ok "the next call is answered"
pid=$(main_pid)

step "10. systemd-analyze security"
ctr systemd-analyze security --no-pager casetrackd.service >"$work/security.txt" || true
score=$(sed -n 's/.*Overall exposure level for casetrackd.service: \([0-9.]*\).*/\1/p' "$work/security.txt")
[ -n "$score" ] || { cat "$work/security.txt" >&2; fail "no exposure level"; }
python3 -c "import sys; sys.exit(0 if float('$score') <= 2.0 else 1)" || fail "exposure $score > 2.0"
ok "exposure level $score (target <= 2.0)"

step "11. maintainer scripts: upgrade in place, remove, purge keep the data"
pid=$(main_pid)
ctr dpkg -i /root/casetrack.deb >/dev/null || fail "dpkg -i over the installed package"
new_pid=$(main_pid)
[ "$new_pid" != "$pid" ] && [ "$(ctr systemctl is-active casetrackd.service)" = active ] ||
    fail "upgrade did not restart the running daemon (pid $pid -> $new_pid)"
[ "$(ctl status --json | json_field lastSeq)" = "$seq_before" ] || fail "data changed across the upgrade"
ok "upgrade restarted the daemon (pid $pid -> $new_pid), data kept"
ctr dpkg --remove casetrack >/dev/null || fail "dpkg --remove"
[ "$(ctr systemctl is-active casetrackd.socket casetrackd.service | sort -u)" = inactive ] ||
    fail "socket or service still active after remove"
ctr test ! -e /run/casetrack/io.casetrack.Tracker || fail "socket file left after remove"
ctr test -f /etc/casetrack/casetrackd.yaml || fail "conffile gone after remove (not purge)"
ctr dpkg --purge casetrack >/dev/null || fail "dpkg --purge"
ctr test ! -e /etc/casetrack/casetrackd.yaml || fail "conffile left after purge"
ctr test -s /var/lib/casetrack/casetrack.sqlite || fail "the store was deleted"
ctr getent passwd casetrack >/dev/null || fail "the casetrack user was deleted"
ok "remove stopped socket and service; purge removed the conffiles; store and user kept"

step "poweroff"
ctr systemctl poweroff --no-block
for _ in $(seq 1 300); do kill -0 "$nspawn_pid" 2>/dev/null || break; sleep 0.2; done
kill -0 "$nspawn_pid" 2>/dev/null && fail "container still running 60s after poweroff"
code=0
wait "$nspawn_pid" || code=$?
nspawn_pid=""
[ "$code" -eq 0 ] || fail "systemd-nspawn exited with $code"
left=""
for proc in /proc/[0-9]*; do
    [ "$(readlink "$proc/root" 2>/dev/null)" = "$root" ] && left="$left ${proc#/proc/}"
done
[ -z "$left" ] || fail "processes left in the container root:$left"
ok "container powered off (nspawn exit 0), no process left"

printf '\nE2E PASSED in %ds\n' "$(($(date +%s) - started))"
