#!/usr/bin/env bash
# Build the course book (Jupyter Book 1) and serve it locally.
#
#   1. scripts/setup.sh        pinned .venv + `npm ci` (no-op when already up to date)
#   2. scripts/vendor_js.py    node_modules/ -> book/_vendor/ (MathJax, require.js,
#                              widget manager, plotly.js), served as _build/html/_static/
#   3. jupyter-book build      executes every chapter notebook; warnings are errors (-W -n)
#   4. scripts/check_book.py   no page loads anything from another host; page sizes
#   5. python -m http.server   http://127.0.0.1:8000 (skipped with --no-serve)
#
# Works without a network once setup has run (e.g. `unshare -n bash scripts/book.sh
# --no-serve`). Options: --no-serve, --clean (rm -rf _build first), --port N.
set -euo pipefail
cd "$(dirname "$0")/.."

serve=1
clean=0
port=${BOOK_PORT:-8000}
while [ $# -gt 0 ]; do
  case "$1" in
    --no-serve) serve=0 ;;
    --clean) clean=1 ;;
    --port) port="$2"; shift ;;
    -h|--help) sed -n '2,13p' "$0"; exit 0 ;;
    *) echo "usage: bash scripts/book.sh [--no-serve] [--clean] [--port N]" >&2; exit 2 ;;
  esac
  shift
done

# Determinism: stable hashing in the kernels, dates from the last commit, UTC.
export PYTHONHASHSEED=0
export TZ=UTC
SOURCE_DATE_EPOCH=$(git log -1 --format=%ct 2>/dev/null || echo 1735689600)
export SOURCE_DATE_EPOCH
export PYDEVD_DISABLE_FILE_VALIDATION=1   # quiet debugger notice from ipykernel
# Kernels must use matplotlib's inline backend: an inherited MPLBACKEND (e.g. Agg from a
# test script) makes plt.show() display nothing, and figures vanish from the book.
unset MPLBACKEND

bash scripts/setup.sh
.venv/bin/python scripts/vendor_js.py

# Notebook kernels talk to the executor over TCP on 127.0.0.1. In a network namespace
# without networking (`unshare -n`) loopback starts DOWN; bring it up there (it only
# affects that namespace).
loopback_ok() {
  .venv/bin/python - <<'EOF'
import socket, sys
s = socket.socket()
try:
    s.bind(("127.0.0.1", 0)); s.listen(1)
    socket.create_connection(s.getsockname(), timeout=2).close()
except OSError:
    sys.exit(1)
EOF
}
if ! loopback_ok; then
  echo "[book] loopback interface is down (isolated network namespace?): ip link set lo up"
  ip link set lo up || { echo "[book] cannot bring up loopback: notebook kernels need 127.0.0.1" >&2; exit 1; }
fi

if [ "$clean" = 1 ]; then rm -rf _build; fi
start=$(date +%s)
# -W: warnings are errors (a failing cell, an unknown reference, a dropped output...)
# -n: nitpicky cross-references; --keep-going is off, so the first warning stops the build.
.venv/bin/jupyter-book build . --builder html -W -n
echo "[book] built in $(( $(date +%s) - start )) s"

.venv/bin/python scripts/check_book.py --site _build/html

index="$(pwd)/_build/html/index.html"
echo "[book] $index"
if [ "$serve" = 1 ]; then
  echo "[book] serving _build/html at http://127.0.0.1:${port}/ (Ctrl-C to stop)"
  exec .venv/bin/python -m http.server "$port" --bind 127.0.0.1 --directory _build/html
fi
