#!/usr/bin/env bash
# Set up everything and run every test of the course, in this order:
#   1. environment (scripts/setup.sh: pinned .venv + vendored JavaScript)
#   2. lint (ruff) and generated files in step with their sources (exercises from solutions)
#   3. library, grader and exercise tests (pytest; both directions of the exercise format)
#   4. notebooks validated with nbval: stored outputs of chapter, solution and exercise notebooks
#      are compared with a fresh seeded run (a silent change in a checked number fails)
#   5. the book built offline with execution and warnings as errors, then checked in headless
#      Chromium (math rendered, plotly slider moves the plan, no external requests, no errors)
#   6. the labs: every chapter notebook with a live widget run in a real JupyterLab and every
#      control operated in headless Chromium (tests/lab; screenshots in artifacts/lab/)
# Any failure stops the run with a non-zero exit code; pytest's "no tests ran" (exit 5) is a failure.
set -euo pipefail
cd "$(dirname "$0")/.."
export PYTHONHASHSEED=0  # (no MPLBACKEND: kernels must keep their inline backend)
# One torch/OpenMP thread per process: pytest and nbval run two workers on two cores, and
# oversubscribed OpenMP threads spin and slow small-tensor training tenfold.
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-1}
PY=.venv/bin/python
JUNIT=artifacts/junit
rm -rf "$JUNIT" && mkdir -p "$JUNIT"
stage() { echo "== $1  (t=${SECONDS}s)"; }

bash scripts/setup.sh

stage "lint"
.venv/bin/ruff check .

stage "generated exercises are in step with the solutions"
$PY -m course_grader generate --check

stage "unit, grader and exercise tests"
$PY -m pytest -p no:cacheprovider -q -n 2 --dist loadfile -m "not browser" --junitxml=$JUNIT/unit.xml tests

stage "notebooks (nbval, stored outputs compared)"
$PY -m pytest -p no:cacheprovider -q -n 2 --dist loadfile \
  --nbval --nbval-sanitize-with tests/nbval_sanitize.cfg --nbval-cell-timeout=600 \
  --junitxml=$JUNIT/nbval.xml notebooks solutions exercises

stage "book (offline build, warnings are errors) and browser check"
bash scripts/book.sh --no-serve
if [ ! -x /usr/bin/chromium ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "[test] installing Debian's chromium for the browser test"
  (apt-get update -qq && apt-get install -y -qq chromium >/dev/null) || echo "[test] could not install chromium"
fi
$PY -m pytest -p no:cacheprovider -q -m browser --junitxml=$JUNIT/browser.xml tests/browser

stage "labs: live widgets operated in JupyterLab (headless Chromium)"
$PY -m pytest -p no:cacheprovider -q -m browser --junitxml=$JUNIT/lab.xml tests/lab
echo "== done in ${SECONDS}s"
# one closing line for the whole run, summed over every pytest stage above
$PY - "$JUNIT" <<'PYEOF'
import pathlib, sys, xml.etree.ElementTree as ET
tot = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
for f in sorted(pathlib.Path(sys.argv[1]).glob("*.xml")):
    for suite in ET.parse(f).getroot().iter("testsuite"):
        for k in tot:
            tot[k] += int(suite.get(k, 0))
failed = tot["failures"] + tot["errors"]
passed = tot["tests"] - failed - tot["skipped"]
if passed == 0:
    sys.exit("no test ran: that is a failure")
print(f"{passed} passed, {failed} failed, {tot['skipped']} skipped")
sys.exit(1 if failed else 0)
PYEOF
