#!/usr/bin/env bash
# casebook's benchmark command; see bench/run.py and docs/performance.md.
exec python3 "$(dirname "$0")/run.py" "$@"
