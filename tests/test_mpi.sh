#!/usr/bin/env bash
# test_mpi: data-parallel training under mpirun (train/dist.h, grad_reduce.h).
#   - train and remove-ln (fast schedule, aux loss) give the same checkpoint,
#     optimizer state and σ byte for byte with N = 1 (no mpirun), 2 and 3,
#     with several micro-batches per rank and with one (G = N);
#     and every step's domain margins (metrics.jsonl "domain") are identical;
#   - 2 steps at N = 2 resumed to 4 at N = 3 equal 4 steps at N = 1;
#   - the same over the TCP transport on loopback (--mca btl self,tcp);
#   - --grad-accum not a multiple of N is refused;
#   - a rank that fails ends the job at once with its message; a rank killed
#     with SIGKILL ends the job within seconds, and the last checkpoint loads;
#   - a second run into a directory in use fails at once, naming the holder.
# Usage: tests/test_mpi.sh PATH/TO/lnfree   (from the repository root)
set -euo pipefail
lnfree="$1"
tmp="$(mktemp -d /tmp/lnfree_mpi_XXXXXX)"
trap 'rm -rf "$tmp"' EXIT
export OMP_NUM_THREADS=1
mpirun=(mpirun --allow-run-as-root --oversubscribe)
model=golden/model/real/model # C = 24, V = 97: quick
fail() { echo "test_mpi: FAIL: $*" >&2; exit 1; }

# token files for the golden tiny model: ids below 97, EOT (96) every ~20 tokens
/usr/bin/python3 - "$tmp/data" <<'PY'
import os, random, struct, sys
d = sys.argv[1]
os.makedirs(d)
r = random.Random(7)
ids = [96 if r.random() < 0.05 else r.randrange(96) for _ in range(20000)]
for name, part in (("train.bin", ids), ("val.bin", ids[:4000])):
    with open(os.path.join(d, name), "wb") as f:
        f.write(struct.pack("<%dH" % len(part), *part))
PY

common=(--data "$tmp/data" --batch 2 --seq-len 8 --grad-accum 6 --val-every 10 --ckpt-every 2)

same_checkpoints() { # DIR_A DIR_B WHAT
  for f in model.safetensors optimizer.safetensors lnfree.json train_state.json; do
    [ -f "$1/model/$f" ] || continue
    cmp -s "$1/model/$f" "$2/model/$f" || fail "$3: $f differs between $1 and $2"
  done
}

same_margins() { # DIR_A DIR_B WHAT: each step's per-kernel largest |x| (domain_watch.h)
  python3 - "$1/metrics.jsonl" "$2/metrics.jsonl" "$3" <<'PY' || fail "$3: the margins differ"
import json, sys
a, b = ([json.loads(l)["domain"] for l in open(p)] for p in sys.argv[1:3])
assert a and len(a) == len(b), (len(a), len(b))
assert all("matmul_forward" in d and "adamw_update" in d for d in a), a[0]
for step, (x, y) in enumerate(zip(a, b)):
    assert x == y, (sys.argv[3], step, x, y)
PY
}

# 1. train at N = 1, 2, 3
"$lnfree" train --model "$model" --out "$tmp/t1" --steps 4 "${common[@]}" >/dev/null
for n in 2 3; do
  "${mpirun[@]}" -np "$n" "$lnfree" train --model "$model" --out "$tmp/t$n" --steps 4 \
    "${common[@]}" >/dev/null
  same_checkpoints "$tmp/t1" "$tmp/t$n" "train N=$n"
  same_margins "$tmp/t1" "$tmp/t$n" "train N=$n"
done

# 1b. one micro-batch per rank (G = N: no accumulator, the reduction converts
#     in place) gives the bits of one process accumulating all G
for n in 2 3; do
  g=(--data "$tmp/data" --batch 2 --seq-len 8 --grad-accum "$n" --val-every 10 --ckpt-every 2)
  "$lnfree" train --model "$model" --out "$tmp/d1-$n" --steps 4 "${g[@]}" >/dev/null
  "${mpirun[@]}" -np "$n" "$lnfree" train --model "$model" --out "$tmp/d$n" --steps 4 "${g[@]}" \
    >/dev/null
  same_checkpoints "$tmp/d1-$n" "$tmp/d$n" "train G=N=$n"
done

# 2. remove-ln, fast schedule (2 layers: ends at step 38) with the aux loss
rl=(remove-ln --model "$model" --steps 40 --schedule fast --aux-weight 0.1 "${common[@]}")
"$lnfree" "${rl[@]}" --out "$tmp/r1" >/dev/null
for n in 2 3; do
  "${mpirun[@]}" -np "$n" "$lnfree" "${rl[@]}" --out "$tmp/r$n" >/dev/null
  same_checkpoints "$tmp/r1" "$tmp/r$n" "remove-ln N=$n"
  same_margins "$tmp/r1" "$tmp/r$n" "remove-ln N=$n"
done
grep -q '"mode": "frozen"' "$tmp/r3/model/lnfree.json" || fail "remove-ln froze no site"

# 3. resume with another N: 2 steps at N = 2, then to 4 at N = 3
"${mpirun[@]}" -np 2 "$lnfree" train --model "$model" --out "$tmp/s" --steps 4 --stop-at 2 \
  "${common[@]}" >/dev/null
"${mpirun[@]}" -np 3 "$lnfree" train --resume --out "$tmp/s" --steps 4 "${common[@]}" >/dev/null
same_checkpoints "$tmp/t1" "$tmp/s" "resume N=2 -> N=3"

# 4. over TCP on loopback
"${mpirun[@]}" --mca btl self,tcp -np 2 "$lnfree" train --model "$model" --out "$tmp/tcp" \
  --steps 4 "${common[@]}" >/dev/null
same_checkpoints "$tmp/t1" "$tmp/tcp" "train N=2 over TCP"

# 5. G not a multiple of N
if "${mpirun[@]}" -np 4 "$lnfree" train --model "$model" --out "$tmp/g" --steps 1 \
     "${common[@]}" >"$tmp/g.log" 2>&1; then
  fail "grad-accum 6 on 4 ranks was accepted"
fi
grep -q "not a multiple of the 4 ranks" "$tmp/g.log" || fail "no clear message for G % N: $(cat "$tmp/g.log")"

# 6. a rank that fails (rank 1 reads a data directory that does not exist)
start=$(date +%s)
if "${mpirun[@]}" -np 1 "$lnfree" train --model "$model" --out "$tmp/f" --steps 4 "${common[@]}" : \
     -np 1 "$lnfree" train --model "$model" --out "$tmp/f" --steps 4 "${common[@]}" \
     --data "$tmp/missing" >"$tmp/f.log" 2>&1; then
  fail "a job with a failing rank succeeded"
fi
grep -q "rank 1 of 2: $tmp/missing: cannot open" "$tmp/f.log" ||
  fail "the failing rank's message is missing: $(cat "$tmp/f.log")"
[ $(( $(date +%s) - start )) -lt 30 ] || fail "the job took more than 30 s to stop"

# 7. a rank killed with SIGKILL mid-run: the job ends, the last checkpoint loads
"${mpirun[@]}" -np 2 "$lnfree" train --model "$model" --out "$tmp/k" --steps 100000 \
  "${common[@]}" --ckpt-every 1 >"$tmp/k.log" 2>&1 &
job=$!
for _ in $(seq 100); do [ -f "$tmp/k/model/train_state.json" ] && break; sleep 0.1; done
sleep 0.5
victim=""
for p in $(pgrep -f -- "--out $tmp/k " || true); do
  if tr '\0' '\n' <"/proc/$p/environ" 2>/dev/null | grep -qx "OMPI_COMM_WORLD_RANK=1"; then
    victim=$p
  fi
done
[ -n "$victim" ] || fail "rank 1 of the run to kill not found"
kill -9 "$victim"
killed=$(date +%s)
if wait "$job"; then fail "the job survived the loss of a rank"; fi
[ $(( $(date +%s) - killed )) -lt 15 ] || fail "the job took more than 15 s to stop after a kill"
"$lnfree" eval --model "$tmp/k/model" --data "$tmp/data/val.bin" --seq-len 8 --max-tokens 64 \
  >/dev/null || fail "the last checkpoint does not load after the kill"

# 8. one run per output directory
"$lnfree" train --model "$model" --out "$tmp/lock" --steps 100000 "${common[@]}" >/dev/null 2>&1 &
holder=$!
for _ in $(seq 100); do [ -s "$tmp/lock/.lock" ] && break; sleep 0.1; done
if "$lnfree" train --model "$model" --out "$tmp/lock" --steps 2 "${common[@]}" >"$tmp/lock.log" 2>&1; then
  kill "$holder"; fail "a second run into a directory in use was accepted"
fi
kill "$holder"; wait "$holder" 2>/dev/null || true
grep -q "$tmp/lock: another lnfree run (pid $holder) is using this output directory" "$tmp/lock.log" ||
  fail "no clear message for a locked directory: $(cat "$tmp/lock.log")"

echo "test_mpi: ok (N = 1, 2, 3 identical for train and remove-ln; resume N=2 -> 3; TCP; faults; lock)"
