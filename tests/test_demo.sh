#!/bin/sh
# test_demo: `lnfree demo` end to end at a small budget (the full defaults are
# the README's main job): every output present, the report's numbers finite
# and consistent, the pretrained model worse than both fine-tunes, and the hf
# and folded exports scoring the LN-free model's cross-entropy.
# Usage: tests/test_demo.sh PATH/TO/lnfree   (after scripts/fetch-data)
set -eu
lnfree="$1"
out="$(mktemp -d /tmp/lnfree_demo_XXXXXX)"
trap 'rm -rf "$out"' EXIT
"$lnfree" demo --out "$out" --batch 2 --seq-len 32 --pretrain-steps 20 --finetune-steps 40 \
  --eval-tokens 2048 >"$out/stdout"
for f in report.json report.md loss.svg ln-free-hf/config.json ln-free-hf/model.safetensors \
         ln-free-folded/config.json ln-free-folded/model.safetensors; do
  [ -s "$out/$f" ] || { echo "test_demo: FAIL: $f missing" >&2; exit 1; }
done
grep -q "LN-free − control" "$out/stdout" || { echo "test_demo: FAIL: no table printed" >&2; exit 1; }
/usr/bin/python3 - "$out/report.json" <<'PY'
import json, math, sys
r = json.load(open(sys.argv[1]))
for k in ["ce_original", "ce_finetuned_with_ln", "ce_ln_free", "tokens_finetune", "seconds"]:
    assert isinstance(r[k], (int, float)) and math.isfinite(r[k]), k
assert r["tokens_finetune"] == 40 * 2 * 32, r["tokens_finetune"]
# both fine-tunes continue training the pretrained model: each must improve on it
assert r["ce_finetuned_with_ln"] < r["ce_original"], r
assert r["ce_ln_free"] < r["ce_original"], r
# the exports are the same function as the frozen model (fp32 round-off)
for k in ["ce_ln_free_hf", "ce_ln_free_folded"]:
    assert abs(r[k] - r["ce_ln_free"]) < 1e-4, (k, r[k], r["ce_ln_free"])
print("test_demo: ok", {k: round(r[k], 4) for k in ["ce_original", "ce_finetuned_with_ln", "ce_ln_free"]})
PY
