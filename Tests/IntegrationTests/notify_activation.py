#!/usr/bin/env python3
"""casetrackd under a stand-in service manager: a NOTIFY_SOCKET of our own,
a listening socket passed as fd 3 with LISTEN_FDS/LISTEN_PID/LISTEN_FDNAMES,
WATCHDOG_USEC, then SIGHUP, the Reload method, a broken pipeline, a wedged
store writer and SIGTERM. Checks the exact notification sequence.

Usage: notify_activation.py CASETRACKD PIPELINES_DIR
Prints what it checked; exits non-zero on the first failure."""
import json
import os
import shutil
import signal
import socket
import sqlite3
import sys
import tempfile
import threading
import time


class Manager:
    """Collects sd_notify datagrams with their arrival times."""

    def __init__(self, path):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(path)
        self.messages = []
        self.lock = threading.Lock()
        threading.Thread(target=self.receive, daemon=True).start()

    def receive(self):
        while True:
            data = self.sock.recv(65536)
            with self.lock:
                self.messages.append((time.monotonic(), data.decode()))

    def snapshot(self):
        with self.lock:
            return list(self.messages)

    def wait_for(self, predicate, timeout, after=0):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for index, (_, text) in enumerate(self.snapshot()):
                if index >= after and predicate(text):
                    return index
            time.sleep(0.02)
        raise AssertionError("timed out; notifications so far: %r" % [m for _, m in self.snapshot()])


def call(path, method, parameters=None):
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as client:
        client.connect(path)
        client.sendall(json.dumps({"method": method, "parameters": parameters or {}}).encode() + b"\0")
        data = b""
        while not data.endswith(b"\0"):
            chunk = client.recv(65536)
            if not chunk:
                break
            data += chunk
        return json.loads(data[:-1])


def check(condition, what):
    if not condition:
        raise AssertionError(what)
    print("ok:", what)


def main(daemon, pipelines):
    work = tempfile.mkdtemp(prefix="casetrack-notify-")
    try:
        run(daemon, pipelines, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def run(daemon, pipelines, work):
    shutil.copytree(pipelines, os.path.join(work, "pipelines"))
    manager = Manager(os.path.join(work, "notify"))
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    tracker = os.path.join(work, "tracker.sock")
    listener.bind(tracker)
    listener.listen(64)
    unused = os.path.join(work, "configured.sock")

    pid = os.fork()
    if pid == 0:
        os.dup2(listener.fileno(), 3)
        os.set_inheritable(3, True)
        env = dict(os.environ)
        for key in ("INVOCATION_ID", "JOURNAL_STREAM"):
            env.pop(key, None)
        env.update({
            "LISTEN_FDS": "1", "LISTEN_PID": str(os.getpid()), "LISTEN_FDNAMES": "varlink",
            "NOTIFY_SOCKET": os.path.join(work, "notify"), "WATCHDOG_USEC": "2000000",
        })
        os.execve(daemon, [daemon, "--socket", unused, "--state-dir", os.path.join(work, "state"),
                           "--pipelines-dir", os.path.join(work, "pipelines"), "--log-target", "stderr",
                           "--log-level", "notice"], env)
    listener.close()
    try:
        ready = manager.wait_for(lambda m: "READY=1" in m, 30)
        check(not os.path.exists(unused), "socket-activated: the configured path was not bound")
        status = call(tracker, "io.casetrack.Tracker.GetStatus")
        check("version" in status.get("parameters", {}), "answers on the passed socket")
        status_index = manager.wait_for(lambda m: m.startswith("STATUS=Serving"), 10, after=ready)
        status_text = manager.snapshot()[status_index][1]
        check("cohorts" in status_text and "events/s" in status_text and "digest" in status_text,
              "STATUS= says cohorts, cases, events/s and the last digest: %s" % status_text)
        first_dog = manager.wait_for(lambda m: m == "WATCHDOG=1", 5, after=ready)
        time.sleep(2.2)
        dogs = [t for t, m in manager.snapshot() if m == "WATCHDOG=1"]
        check(len(dogs) >= 3, "WATCHDOG=1 about every second for WATCHDOG_USEC=2s (%d pings)" % len(dogs))

        mark = len(manager.snapshot())
        os.kill(pid, signal.SIGHUP)
        reloading = manager.wait_for(lambda m: "RELOADING=1" in m, 10, after=mark)
        text = manager.snapshot()[reloading][1]
        usec = int([line for line in text.split("\n") if line.startswith("MONOTONIC_USEC=")][0].split("=")[1])
        now = time.clock_gettime(time.CLOCK_MONOTONIC) * 1e6
        check(0 < now - usec < 10e6, "SIGHUP: RELOADING=1 with a current MONOTONIC_USEC")
        manager.wait_for(lambda m: "READY=1" in m, 10, after=reloading)
        print("ok: READY=1 after the reload")

        mark = len(manager.snapshot())
        reply = call(tracker, "io.casetrack.Tracker.Reload")
        check("error" not in reply, "the Reload method answers")
        reloading = manager.wait_for(lambda m: "RELOADING=1" in m, 10, after=mark)
        manager.wait_for(lambda m: "READY=1" in m, 10, after=reloading)
        print("ok: Reload method: RELOADING=1 then READY=1")

        broken = os.path.join(work, "pipelines", "broken.yaml")
        with open(broken, "w") as handle:
            handle.write("name: broken\nversion: 1\nstates: [{name: a}]\ntransitions: []\n")
        mark = len(manager.snapshot())
        reply = call(tracker, "io.casetrack.Tracker.Reload")
        check("error" in reply and "broken.yaml" in json.dumps(reply), "a bad pipeline fails the reload, naming the file")
        reloading = manager.wait_for(lambda m: "RELOADING=1" in m, 10, after=mark)
        manager.wait_for(lambda m: "READY=1" in m, 10, after=reloading)
        manager.wait_for(lambda m: m.startswith("STATUS=Reload failed"), 10, after=reloading)
        print("ok: failed reload: READY=1 anyway, the error in STATUS=")
        pipelines_now = call(tracker, "io.casetrack.Tracker.ListPipelines")["parameters"]["pipelines"]
        check(sorted(p["name"] for p in pipelines_now) == ["afghan-siv", "usrap"], "the old pipelines stay in force")
        os.remove(broken)

        store = sqlite3.connect(os.path.join(work, "state", "casetrack.sqlite"), timeout=30, isolation_level=None)
        store.execute("BEGIN IMMEDIATE")
        wedged_at = time.monotonic()
        time.sleep(4.5)
        dogs = [t for t, m in manager.snapshot() if m == "WATCHDOG=1" and t > wedged_at + 1.2]
        check(not dogs, "a wedged store writer stops the watchdog pings")
        store.execute("ROLLBACK")
        store.close()
        released = time.monotonic()
        manager.wait_for(lambda m: m == "WATCHDOG=1", 15,
                         after=len([1 for t, _ in manager.snapshot() if t <= released]))
        print("ok: pings resume once the writer is free")

        mark = len(manager.snapshot())
        os.kill(pid, signal.SIGTERM)
        manager.wait_for(lambda m: "STOPPING=1" in m, 10, after=mark)
        _, code = os.waitpid(pid, 0)
        check(os.WIFEXITED(code) and os.WEXITSTATUS(code) == 0, "SIGTERM: STOPPING=1, then a clean exit")
        pid = None

        sequence = []
        for _, text in manager.snapshot():
            for key in ("READY=1", "RELOADING=1", "STOPPING=1", "WATCHDOG=1"):
                if key in text.split("\n") and (not sequence or sequence[-1] != key):
                    sequence.append(key)
            if text.startswith("STATUS=") and (not sequence or sequence[-1] != "STATUS"):
                sequence.append("STATUS")
        order = [k for k in sequence if k != "STATUS" and k != "WATCHDOG=1"]
        check(order[0] == "READY=1" and order[-1] == "STOPPING=1", "starts with READY=1 and ends with STOPPING=1")
        check(order[1:7] == ["RELOADING=1", "READY=1"] * 3, "each reload is RELOADING=1 then READY=1")
    finally:
        if pid:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
