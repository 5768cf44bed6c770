#!/usr/bin/env bash
# Open the course labs locally: JupyterLab on 127.0.0.1, the course environment (.venv) as the
# kernel, opened on the chapter notebooks.
#   bash scripts/lab.sh                   # opens notebooks/ (the chapters)
#   bash scripts/lab.sh exercises         # opens another folder of the repository
#   bash scripts/lab.sh notebooks --port 9999 --no-browser   # further options go to JupyterLab
# Sets up the environment first (scripts/setup.sh: nothing to do when it is up to date). The
# server serves the whole repository (chapters, exercises, solutions) and keeps JupyterLab's login
# token: your browser opens by itself, or open the http://127.0.0.1:<port>/lab?token=... URL it
# prints. Stop it with Ctrl-C (twice).
set -euo pipefail
cd "$(dirname "$0")/.."
folder=notebooks
if [ $# -gt 0 ] && [ "${1#-}" = "$1" ]; then folder=${1%/}; shift; fi
[ -d "$folder" ] || { echo "[lab] no folder '$folder' in $(pwd)" >&2; exit 1; }

bash scripts/setup.sh
root_flag=()
[ "$(id -u)" = 0 ] && root_flag=(--allow-root)  # containers, CI machines
echo "[lab] JupyterLab on 127.0.0.1, kernel: $(.venv/bin/python --version) from .venv, opening $folder/"
exec .venv/bin/python -m jupyterlab \
  --ip=127.0.0.1 \
  --ServerApp.root_dir="$PWD" \
  --LabApp.default_url="/lab/tree/$folder" \
  ${root_flag[@]+"${root_flag[@]}"} "$@"
