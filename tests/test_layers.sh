#!/bin/sh
# test_layers: the layering rule holds. Each folder's library compiles with an
# include path that holds only its own folder and the folders below it that it
# uses (CMakeLists.txt, lnfree_layer), so including a header of a folder above
# must fail to compile, and one of a folder below must work. Every project
# include names its folder.
# Usage: tests/test_layers.sh CC BUILD_DIR   (from the repository root)
set -eu
cc="$1"
layers="$2/layers"
tmp="$(mktemp -d /tmp/lnfree_layers_XXXXXX)"
trap 'rm -rf "$tmp"' EXIT
fail=0

# folder: the folders it may include, besides itself
uses() {
  case "$1" in
    kernels|base) echo "" ;;
    data) echo "base" ;;
    model) echo "kernels base data" ;;
    schedule) echo "model kernels base data" ;;
    train) echo "schedule model kernels base data" ;;
    apps) echo "train schedule model kernels base data" ;;
    cli) echo "apps train schedule model kernels base data" ;;
  esac
}
header_of() { ls "$1"/*.h | head -n 1; }

for f in kernels base data model schedule train apps cli; do
  [ -d "$layers/$f" ] || { echo "test_layers: FAIL: no include root $layers/$f" >&2; exit 1; }
  for g in kernels base data model schedule train apps cli; do
    h="$(header_of "$g")"
    printf '#include "%s"\nint lnfree_layer_probe;\n' "$h" >"$tmp/probe.c"
    if [ "$g" = "$f" ] || echo " $(uses "$f") " | grep -q " $g "; then want=ok; else want=fail; fi
    if "$cc" -std=c11 -fsyntax-only -I"$layers/$f" "$tmp/probe.c" 2>/dev/null; then got=ok; else got=fail; fi
    if [ "$got" != "$want" ]; then
      echo "test_layers: FAIL: $f including $h: expected $want, got $got" >&2
      fail=1
    fi
  done
done

# Every include of a project header names its folder.
bad="$(grep -n '#include "[a-z_0-9]*\.h"' kernels/*.[ch] base/*.[ch] data/*.[ch] model/*.[ch] \
       schedule/*.[ch] train/*.[ch] apps/*.[ch] cli/*.[ch] || true)"
if [ -n "$bad" ]; then
  echo "test_layers: FAIL: includes without their folder:" >&2
  echo "$bad" >&2
  fail=1
fi
[ "$fail" = 0 ] && echo "test_layers: ok (8 folders, every include names its folder)"
exit "$fail"
