#!/usr/bin/env bash
# Time a clean build of the course book: rm -rf _build, then the same
# `jupyter-book build . --builder html -W -n` that scripts/book.sh runs (all chapter
# notebooks executed). Prints the wall time and the size of the built site.
#
# Usage: bash benchmarks/bench_build.sh [RUNS]     (default 1 run; setup must have run)
set -euo pipefail
cd "$(dirname "$0")/.."

runs=${1:-1}
export PYTHONHASHSEED=0 TZ=UTC PYDEVD_DISABLE_FILE_VALIDATION=1
SOURCE_DATE_EPOCH=$(git log -1 --format=%ct 2>/dev/null || echo 1735689600)
export SOURCE_DATE_EPOCH
# Kernels must use matplotlib's inline backend: an inherited MPLBACKEND (e.g. Agg from a
# test script) makes plt.show() display nothing, and figures vanish from the book.
unset MPLBACKEND

.venv/bin/python scripts/vendor_js.py >/dev/null
for i in $(seq 1 "$runs"); do
  rm -rf _build
  start=$(date +%s%N)
  .venv/bin/jupyter-book build . --builder html -W -n >/tmp/bench_build.$$.log 2>&1 \
    || { tail -40 /tmp/bench_build.$$.log >&2; rm -f /tmp/bench_build.$$.log; exit 1; }
  end=$(date +%s%N)
  pages=$(find _build/html -name '*.html' -not -path '*/_static/*' | wc -l)
  ms=$(( (end - start) / 1000000 ))
  printf '[bench_build] run %d/%d: clean build %d.%01d s wall (%d pages, %s site)\n' \
    "$i" "$runs" $((ms / 1000)) $((ms % 1000 / 100)) "$pages" "$(du -sh _build/html | cut -f1)"
done
rm -f /tmp/bench_build.$$.log
