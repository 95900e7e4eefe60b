#!/usr/bin/env python3
"""An off-the-shelf Varlink client (the `varlink` package from PyPI) against
a running casetrackd: it fetches and parses the interface description with
its own parser, then calls methods through the generated proxies.

Usage: varlink_conformance.py unix:/path/to/socket
Prints one line per check; exits non-zero on the first failure."""
import sys
import uuid

import varlink


def main(address):
    with varlink.Client(address=address) as client:
        info = client.get_interfaces()
        assert "io.casetrack.Tracker" in info, info
        print("ok: GetInfo lists io.casetrack.Tracker")

        with client.open("io.casetrack.Tracker", namespaced=False) as tracker:
            status = tracker.GetStatus()
            assert status["version"], status
            print("ok: GetStatus", status["version"])

            pipelines = tracker.ListPipelines()["pipelines"]
            names = sorted(p["name"] for p in pipelines)
            assert "usrap" in names and "afghan-siv" in names, names
            print("ok: ListPipelines", names)

            cohort_id = "py-" + uuid.uuid4().hex[:8]
            cohort = tracker.CreateCohort(cohort_id, "afghan-siv", "Python client", {"host": "PK"}, None)["cohort"]
            assert cohort["id"] == cohort_id, cohort
            event = tracker.Intake(cohort_id, None, 250, "first count", None)["event"]
            assert event["persons"] == 250, event
            moved = tracker.Move(cohort_id, "com-application", None, "com-approved", 40, None, None)["event"]
            assert moved["to"] == "com-approved", moved
            added = tracker.AddCase(cohort_id, "SIV-" + cohort_id, 4, "com-approved", None, True, None)["case"]
            assert added["state"] == "com-approved", added
            result = tracker.Transition("SIV-" + cohort_id, "petition-filed", None, "com-approved", None, None)
            assert result["case"]["state"] == "petition", result
            described = tracker.DescribeCohort(cohort_id)["cohort"]
            counts = {c["state"]: c for c in described["counts"]}
            assert counts["com-application"]["persons"] == 210, counts
            assert counts["com-approved"]["unregistered"] == 36, counts
            assert counts["petition"]["cases"] == 1 and counts["petition"]["persons"] == 4, counts
            print("ok: CreateCohort, Intake, Move, AddCase, Transition, DescribeCohort")

            try:
                tracker.DescribeCohort("no-such-cohort")
            except varlink.VarlinkError as error:
                assert error.error() == "io.casetrack.Tracker.NoSuchCohort", error.error()
                print("ok: typed error", error.error())
            else:
                raise AssertionError("expected NoSuchCohort")

            verify = tracker.Verify()
            assert verify["ok"] is True, verify
            print("ok: Verify")


if __name__ == "__main__":
    main(sys.argv[1])
