# casetrack: `make run` and `make test` set up everything they need on a
# Debian 12 machine with Swift (installing missing Debian and Python
# packages, starting systemd-journald), then build and run or test.

SWIFT        ?= swift
# Everything `make test` needs, installed with one `apt-get update`: the build,
# the tests (journald, setpriv, the sqlite3 shell, mkfs.ext4 and loop devices for the fault
# tests) and the package's end-to-end test (dpkg-deb, lintian, debootstrap,
# systemd-nspawn).
DEB_PACKAGES := libsystemd-dev libsqlite3-dev sqlite3 pkg-config systemd python3 python3-pip procps util-linux \
                e2fsprogs passwd dpkg-dev binutils lintian debootstrap systemd-container
PYTHON       ?= python3
RUN_DIR      ?= $(CURDIR)/.run
BENCH_ARGS   ?=

ifeq ($(shell id -u),0)
RUN_SOCKET   ?= /run/casetrack/io.casetrack.Tracker
else
RUN_SOCKET   ?= $(RUN_DIR)/io.casetrack.Tracker
endif

.PHONY: all deps debs python-deps journald build build-release run test bench crash clean deb e2e e2e-run fuzz

# The Debian package: release binaries with the Swift runtime linked in,
# their own scratch path so they never disturb the debug build.
DEB_SCRATCH     ?= $(CURDIR)/.build-deb
DEB_TOOLS       := dpkg-dev binutils lintian
E2E_TOOLS       := debootstrap systemd-container util-linux
E2E_DIR         ?= $(CURDIR)/.build-e2e
CASETRACK_VERSION = $(shell sed -n 's/.*static let version = "\(.*\)".*/\1/p' Sources/CaseTrackDaemon/Tracker.swift)
DEB_FILE         = $(DEB_SCRATCH)/casetrack_$(CASETRACK_VERSION)_$(shell dpkg --print-architecture).deb
GENERATE_MANUAL := $(DEB_SCRATCH)/tools/debug/generate-manual

# $(call apt_install,PACKAGES): installs those of PACKAGES not yet installed.
define apt_install
	@missing=""; \
	for p in $(1); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "Installing Debian packages:$$missing"; \
	  if [ "$$(id -u)" -ne 0 ]; then SUDO=sudo; else SUDO=; fi; \
	  $$SUDO apt-get update && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y $$missing; \
	fi
endef

all: build

## deps: install the Debian packages and Python modules the build and tests need.
deps: debs python-deps

debs:
	@missing=""; \
	for p in $(DEB_PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "Installing Debian packages:$$missing"; \
	  if [ "$$(id -u)" -ne 0 ]; then SUDO=sudo; else SUDO=; fi; \
	  $$SUDO apt-get update && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y $$missing; \
	fi

python-deps:
	@$(PYTHON) -c "import varlink" 2>/dev/null || \
	  $(PYTHON) -m pip install --quiet --disable-pip-version-check "varlink>=31" || \
	  $(PYTHON) -m pip install --quiet --disable-pip-version-check --break-system-packages "varlink>=31"

## journald: start systemd-journald when no journal runs (root; for the journal tests).
journald: debs
	@sh Tests/SystemdTests/start-journald.sh

build: debs
	$(SWIFT) build

build-release: debs
	$(SWIFT) build -c release

## run: the daemon in the foreground on the sample config, store under .run/.
run: build
	@mkdir -p $(RUN_DIR) $$(dirname $(RUN_SOCKET))
	@echo "casetrackd on $(RUN_SOCKET); in another shell: export CASETRACK_SOCKET=$(RUN_SOCKET) PATH=$(CURDIR)/.build/debug:\$$PATH"
	exec $(CURDIR)/.build/debug/casetrackd --config $(CURDIR)/Config/casetrackd.yaml \
	  --socket $(RUN_SOCKET) --state-dir $(RUN_DIR)/state --log-target stderr

## test: every test — unit, store, Varlink, journal, integration against the real binaries.
test: deps journald
	$(SWIFT) build --build-tests
	@# One test at a time: many tests start daemons and measure behaviour in time
	@# (watchdog pings, idle and message timeouts); on two cores, running them all
	@# at once starves them. Serial takes about 75 s instead of 35 s.
	CASETRACK_BIN_DIR=$(CURDIR)/.build/debug $(SWIFT) test --skip-build --no-parallel
	$(MAKE) fuzz
	$(MAKE) e2e

# Fuzz targets built for libFuzzer: every module they reach is instrumented,
# in a scratch path of their own.
FUZZ_SCRATCH ?= $(CURDIR)/.build-fuzz
FUZZ_SECONDS ?= 60
FUZZ_FLAGS   := -Xswiftc -sanitize=fuzzer -Xswiftc -DCASETRACK_FUZZING

## fuzz: the Varlink, CSV and plain-JSON-reader fuzz targets, FUZZ_SECONDS each from the seed corpus (Tests/Fuzz).
fuzz: debs
	$(SWIFT) build --scratch-path $(FUZZ_SCRATCH) $(FUZZ_FLAGS) --product casetrack-fuzz-varlink
	$(SWIFT) build --scratch-path $(FUZZ_SCRATCH) $(FUZZ_FLAGS) --product casetrack-fuzz-csv
	$(SWIFT) build --scratch-path $(FUZZ_SCRATCH) $(FUZZ_FLAGS) --product casetrack-fuzz-plain
	sh Tests/Fuzz/run.sh $(FUZZ_SCRATCH)/debug $(FUZZ_SECONDS)

## bench: release build, a daemon on a temporary store, the load generator against it; then `make crash`.
bench: build-release
	@sh Benchmarks/run.sh $(CURDIR)/.build/release $(BENCH_ARGS)
	$(MAKE) crash

## crash: kill -9 the release daemon under load CRASH_ROUNDS times (make test does 20 with the debug
## build), checking after every restart that every acknowledged change is there, with no gaps.
CRASH_ROUNDS ?= 100
crash: build-release
	$(SWIFT) build --build-tests
	CASETRACK_BIN_DIR=$(CURDIR)/.build/release CASETRACK_CRASH_ROUNDS=$(CRASH_ROUNDS) \
	  $(SWIFT) test --skip-build --filter DurabilityTests/crashUnderLoad

## deb: casetrack_<version>_<arch>.deb in $(DEB_SCRATCH), checked by lintian.
deb: debs
	$(call apt_install,$(DEB_TOOLS))
	$(SWIFT) build -c release --static-swift-stdlib --scratch-path $(DEB_SCRATCH) --product casetrackd
	$(SWIFT) build -c release --static-swift-stdlib --scratch-path $(DEB_SCRATCH) --product casetrackctl
	@# casetrackctl(1) comes from swift-argument-parser's generate-manual,
	@# built from the checkout the package already resolved.
	test -x $(GENERATE_MANUAL) || $(SWIFT) build --package-path $(DEB_SCRATCH)/checkouts/swift-argument-parser \
	  --scratch-path $(DEB_SCRATCH)/tools --product generate-manual
	sh Packaging/build-deb.sh $(DEB_SCRATCH)/release $(DEB_SCRATCH) $(GENERATE_MANUAL)
	lintian --fail-on error $(DEB_FILE)
	@ls -l $(DEB_FILE)

## e2e: the package under a real systemd (PID 1 in systemd-nspawn); root only.
e2e:
	@if [ "$$(id -u)" -ne 0 ]; then echo "e2e: needs root (systemd-nspawn); skipped"; else $(MAKE) e2e-run; fi

e2e-run: deb
	$(call apt_install,$(E2E_TOOLS))
	bash Tests/SystemIntegration/e2e.sh $(DEB_FILE) $(E2E_DIR)

clean:
	rm -rf .build $(RUN_DIR)
