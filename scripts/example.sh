#!/usr/bin/env bash
# README command 1: set up, then scan the bundled example shop and write its lineage and diagram.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
.venv/bin/datatrail scan fixtures/example_shop -o datatrail-out/lineage.json --diagram datatrail-out/lineage.svg
