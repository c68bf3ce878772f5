#!/usr/bin/env bash
# Regenerates every golden tensor into a temporary directory with PyTorch and
# fails unless the committed files are reproduced byte for byte.
set -euo pipefail
cd "$(dirname "$0")"
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
/usr/bin/python3 make_golden.py "$out" > "$out/log" || { cat "$out/log"; exit 1; }
diff -r "$out/kernels" kernels
diff -r "$out/model" model
echo "goldens reproduced byte for byte: $(find kernels model -type f | wc -l) files"
