#!/usr/bin/env bash
# Build the wheel, install it into a fresh virtual environment outside the tree (what pipx
# does), and run it there: `crm --version`, `crm demo` and `crm db check` on a fresh data
# folder. Dependencies come from the index at the versions pinned in requirements.lock.
# Usage: packaging/check-wheel.sh [PYTHON]   (default: .venv/bin/python)
set -euo pipefail
cd "$(dirname "$0")/.."
python=${1:-.venv/bin/python}
started=$SECONDS
work=$(mktemp -d "${TMPDIR:-/tmp}/crm-wheel-check.XXXXXX")
trap 'rm -rf "$work"' EXIT

# No build isolation: setuptools comes pinned from the lock, and nothing is fetched to build.
"$python" -m build --wheel --no-isolation --outdir "$work/dist" . >"$work/build.log" 2>&1 ||
    { cat "$work/build.log"; exit 1; }
wheel=$(ls "$work"/dist/*.whl)
echo "wheel: $(basename "$wheel") ($(du -k "$wheel" | cut -f1) kB, built in $((SECONDS - started)) s)"

# The lock as constraints: same versions, without the hashes (a constraint cannot carry them).
"$python" - "$work/constraints.txt" <<'PY'
import re, sys
pins = [line.split(" \\")[0] for line in open("requirements.lock", encoding="utf-8")
        if re.match(r"[A-Za-z0-9]", line)]
open(sys.argv[1], "w", encoding="utf-8").write("\n".join(pins) + "\n")
PY
"$python" -m venv "$work/venv"
# (This machine's pip configuration may name local indexes that do not exist: not our noise.)
"$work/venv/bin/python" -m pip install --quiet -c "$work/constraints.txt" "$wheel" \
    2> >(grep -v "is ignored: it is neither a file nor a directory" >&2)
echo "installed into a fresh venv in $((SECONDS - started)) s"

# Run from outside the tree, on a fresh data folder, so nothing of the checkout is used.
cd "$work"
export CRM_DATA_DIR="$work/data" CRM_CONFIG_DIR="$work/config" CRM_LOG_DIR="$work/logs"
unset CRM_DATABASE_URL
crm="$work/venv/bin/crm"
version=$("$crm" --version)
expected=$("$work/venv/bin/python" -c 'import importlib.metadata as m; print(m.version("interim-crm"))')
[ "$version" = "crm $expected" ] || { echo "crm --version said '$version'"; exit 1; }
echo "$version"
"$crm" demo
"$crm" db check
"$work/venv/bin/python" - <<'PY'
import crm, sys
assert "/venv/" in crm.__file__, crm.__file__  # the installed copy, not the checkout
from crm import resources
assert all(p.is_file() for p in resources.icon_pngs())
assert (resources.path("check.svg")).is_file()
PY
echo "wheel check passed in $((SECONDS - started)) s"
