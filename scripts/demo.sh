#!/usr/bin/env bash
# The main job on a fresh machine: venv, install, sample export when the lake is empty, every asset, a summary.
set -euo pipefail
. "$(dirname "$0")/bootstrap.sh"
exec mission-platform demo "$@"
