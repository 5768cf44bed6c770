#!/usr/bin/env bash
# Set up everything the course needs, from the repository's own files:
#   .venv/          pinned Python environment (requirements.txt) + this repo's packages (editable)
#   node_modules/   pinned JavaScript the offline book serves (package-lock.json)
# Safe to re-run: it only installs what is missing or changed.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  echo "[setup] creating .venv with $($PYTHON --version)"
  "$PYTHON" -m venv .venv
fi
stamp=.venv/.requirements.sha
want=$(cat requirements.txt pyproject.toml | sha256sum | cut -d' ' -f1)
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  echo "[setup] pip install -r requirements.txt (torch pinned: CPU wheel)"
  .venv/bin/python -m pip install --quiet --disable-pip-version-check -r requirements.txt
  .venv/bin/python -m pip install --quiet --disable-pip-version-check --no-deps -e .
  .venv/bin/python -m pip check
  echo "$want" > "$stamp"
else
  echo "[setup] Python environment up to date"
fi

if [ -f package-lock.json ]; then
  lockstamp=node_modules/.lock.sha
  wantjs=$(sha256sum package-lock.json | cut -d' ' -f1)
  if [ "$(cat "$lockstamp" 2>/dev/null)" != "$wantjs" ]; then
    command -v npm >/dev/null || { echo "[setup] npm is required to install the book's offline JavaScript (apt-get install -y nodejs npm)" >&2; exit 1; }
    echo "[setup] npm ci (MathJax, require.js, widget manager, plotly.js for the offline book)"
    npm ci --no-audit --no-fund --ignore-scripts --loglevel=error
    echo "$wantjs" > "$lockstamp"
  else
    echo "[setup] JavaScript vendor packages up to date"
  fi
fi
