# Interim CRM: `make run` opens the app, `make test` runs every check. Both set themselves up.
SHELL := /bin/bash
PYTHON ?= $(shell for p in python3.13 python3.12 python3.11 python3; do \
	$$p -c 'import sys; sys.exit(sys.version_info < (3, 11))' >/dev/null 2>&1 && { echo $$p; break; }; done)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat requirements.lock pyproject.toml | cksum | cut -d' ' -f1)
SIZE ?= 100000
BACKEND ?= all
LINT_PATHS := crm tests packaging $(wildcard bench)

.PHONY: run test lint typecheck pytest bench syslibs venv screenshots resources lock package package-check clean

run: syslibs venv
	$(BIN)/crm

test: syslibs venv lint typecheck pytest

venv: $(STAMP)

$(STAMP): requirements.lock pyproject.toml
	@test -n "$(PYTHON)" || { echo "Python 3.11 or newer is required (python3.11 -m venv ...)."; exit 1; }
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV) || { \
		echo "Could not create a virtual environment; on Debian/Ubuntu: apt-get install python3-venv"; exit 1; }
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet --require-virtualenv -r requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps --no-build-isolation -e . 2>/dev/null || \
		$(BIN)/python -m pip install --quiet --no-deps -e .
	rm -f $(VENV)/.installed-*
	touch $@

syslibs:
	@bash packaging/qt-system-libs.sh

lint: venv
	$(BIN)/ruff check $(LINT_PATHS)
	$(BIN)/ruff format --check $(LINT_PATHS)

typecheck: venv
	$(BIN)/mypy

pytest: venv
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m pytest -q -p no:cacheprovider $(PYTEST_ARGS)

bench: syslibs venv
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m bench.run --size $(SIZE) --backend $(BACKEND)

screenshots: venv
	CRM_DATA_DIR=$$(mktemp -d) bash -c '$(BIN)/crm demo >/dev/null && \
		for v in today people person:230 org:2 placements assignments assignment:60 reports; do \
			$(BIN)/crm screenshot docs/screenshots/$${v%%:*}.png --view $$v; done && \
		$(BIN)/crm screenshot docs/screenshots/today-dark.png --view today --dark && \
		$(BIN)/crm screenshot docs/screenshots/people-dark.png --view people --dark && \
		$(BIN)/crm screenshot docs/screenshots/person-dark.png --view person:230 --dark && \
		$(BIN)/crm screenshot docs/screenshots/assignment-dark.png --view assignment:60 --dark && \
		$(BIN)/crm screenshot docs/screenshots/about.png --view about && \
		$(BIN)/crm screenshot docs/screenshots/league.png --view league && \
		$(BIN)/crm screenshot docs/screenshots/league-dark.png --view league --dark && \
		$(BIN)/crm screenshot docs/screenshots/person-bluesky.png --view person:22 && \
		$(BIN)/crm screenshot docs/screenshots/x-sync-plan.png --view x-sync-plan --size 1100x800'

# The one-folder bundle (PyInstaller) in dist/interim-crm, with share/ (desktop file, metainfo,
# icons, completion, man page) and install.sh, packed as dist/interim-crm-VERSION-linux-ARCH.tar.gz.
VERSION = $(shell sed -n 's/^version = "\(.*\)"/\1/p' pyproject.toml)
ARCHIVE = dist/interim-crm-$(VERSION)-linux-$(shell uname -m).tar.gz
package: syslibs venv
	@started=$$(date +%s); \
	rm -rf dist/interim-crm build/pyinstaller; \
	PYTHONPATH=$(CURDIR) $(BIN)/python -m PyInstaller --noconfirm --clean --log-level WARN --distpath dist \
		--workpath build/pyinstaller packaging/pyinstaller/interim-crm.spec && \
	$(BIN)/python packaging/stage_share.py dist/interim-crm && \
	tar -C dist -czf $(ARCHIVE) interim-crm && \
	echo "bundle: dist/interim-crm, $$(du -sm dist/interim-crm | cut -f1) MB" \
		"($(ARCHIVE): $$(du -m $(ARCHIVE) | cut -f1) MB), built in $$(( $$(date +%s) - started )) s"

# Build the bundle and run its smoke test: a fresh database, the migrations, the main window
# rendered offscreen, the packaged images; then the installed desktop files are validated.
package-check: package
	QT_QPA_PLATFORM=offscreen dist/interim-crm/crm --smoke-test
	dist/interim-crm/crm --version
	CRM_DATA_DIR=$$(mktemp -d) dist/interim-crm/crm db check
	desktop-file-validate dist/interim-crm/share/applications/*.desktop
	appstreamcli validate --no-net dist/interim-crm/share/metainfo/*.metainfo.xml

# Re-resolve requirements.lock after a dependency change in pyproject.toml: every extra, for
# every supported Python and platform, with hashes, and without this machine's index settings.
lock: venv
	$(BIN)/uv pip compile pyproject.toml --all-extras --universal --python-version 3.11 \
		--generate-hashes --no-emit-index-url --no-emit-find-links --quiet -o requirements.lock

# Rebuild crm/resources (PNGs, .ico, .icns) from the SVG sources in resources/.
resources: venv
	QT_QPA_PLATFORM=offscreen $(BIN)/python packaging/build_resources.py

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
