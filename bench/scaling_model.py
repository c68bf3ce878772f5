#!/usr/bin/env python3
"""The data-parallel model on paper (bench/README.md), from figures measured
by bench/scaling on this machine.

usage: python3 bench/scaling_model.py MEASURED.jsonl   (bench/scaling's output)

Assumptions, each stated where it is used:
- compute: the FLOP rate per core measured for GPT-2 124M at N = 1 holds on
  every node (per-core rate × cores; no loss to memory bandwidth or to more
  threads), and a model's training FLOPs per token are 6·(matrix parameters)
  + 12·L·C·T at T = 1024;
- a step is 2^19 tokens (Heimersheim 2024's batch), G = 128 micro-batches of
  4 × 1024 tokens;
- communication is a ring: the int64 gradient all-reduce moves 2(N−1)/N·8·P
  bytes per rank and the parameter all-gather (N−1)/N·4·P, at the link's
  rate, with no overlap with compute (lnfree reduces after the micro-batches);
- the optimizer's update costs what it measured per parameter, on P/N
  parameters per rank;
- memory per rank: parameters 4P, gradients 4P, the int64 accumulator 8P when
  a rank has more than one micro-batch per step (none with one), AdamW moments
  8P/N, and one micro-batch's activations (lnfree's layout, model/gpt2.c).
"""
import json
import math
import sys

SIZES = {  # name: (L, NH, C)
    "gpt2": (12, 12, 768),
    "gpt2-medium": (24, 16, 1024),
    "gpt2-large": (36, 20, 1280),
    "gpt2-xl": (48, 25, 1600),
}
V, T_RECIPE, B_MICRO = 50257, 1024, 4
TOKENS_PER_STEP = 2 ** 19
G = TOKENS_PER_STEP // (B_MICRO * T_RECIPE)
BUDGETS = {"157M": 157e6, "500M": 500e6}
NODES = [1, 2, 4, 8, 16, 32, 64]
CORES = [2, 32, 64]
LINKS_GBPS = [10, 25, 100]
GIB = 2 ** 30


def params(L, C, P=1024):
    return V * C + P * C + L * (12 * C * C + 13 * C) + 2 * C


def matrix_params(L, C):
    return V * C + L * 12 * C * C


def flops_per_token(L, C, T):
    return 6 * matrix_params(L, C) + 12 * L * C * T


def activation_bytes(L, NH, C, B, T):
    """lnfree's activation buffer (model/gpt2.c walk_acts), in bytes."""
    BT = B * T
    per_layer = 16 * BT * C + 6 * BT + NH * BT * T
    rest = (BT * C * 2 + 2 * BT + 2 * BT * V + 2 * BT + 6 * BT * C + BT * C + 8 * BT * C
            + NH * BT * 64 + 256 * 2 * C)  # 64: ATT_BLOCK rows of attention scratch
    return 4 * (L * per_layer + rest)


def memory_per_rank(L, NH, C, N, B):
    """G = 2^19 tokens / (B·1024) micro-batches per step, G/N of them per rank."""
    P = params(L, C)
    g = TOKENS_PER_STEP // (B * T_RECIPE)
    acc = 8 * P if g // N > 1 else 8 * (1 << 22)
    return 4 * P + 4 * P + acc + 8 * P / N + activation_bytes(L, NH, C, B, T_RECIPE)


def main(argv):
    rows = [json.loads(l) for l in open(argv[1]) if l.strip()]
    base = next(r for r in rows if r["shape"] == "gpt2-124M" and r["ranks"] == 1)
    cores_here = 2
    L, NH, C = SIZES["gpt2"]
    tokens = base["B"] * base["T"] * base["G"]
    # FLOP rate per core of the forward/backward, as measured
    rate_core = flops_per_token(L, C, base["T"]) * tokens / base["compute_s"] / cores_here
    # AdamW (+ clip) seconds per parameter per core
    update_core = base["update_s"] * cores_here / params(L, C)
    print("Measured at N = 1 (GPT-2 124M, B=%d T=%d G=%d, %d cores): %.1f GFLOP/s per core for "
          "forward + backward, %.2f ns per parameter-core for the update."
          % (base["B"], base["T"], base["G"], cores_here, rate_core / 1e9, update_core * 1e9))
    print()
    for name, (L, NH, C) in SIZES.items():
        P = params(L, C)
        print("#### %s (%.0fM parameters, %.1f GFLOP per token at T = 1024)"
              % (name, P / 1e6, flops_per_token(L, C, T_RECIPE) / 1e9))
        print()
        print("| cores/node | link | " + " | ".join("N=%d" % n for n in NODES) + " |")
        print("|---|---|" + "---|" * len(NODES))
        for cores in CORES:
            for gbps in LINKS_GBPS:
                cells = []
                for n in NODES:
                    compute = TOKENS_PER_STEP / n * flops_per_token(L, C, T_RECIPE) / (
                        rate_core * cores)
                    comm = 0.0 if n == 1 else (2 * (n - 1) / n * 8 * P + (n - 1) / n * 4 * P) / (
                        gbps * 1e9 / 8)
                    update = P / n * update_core / cores
                    step = compute + comm + update
                    tok_s = TOKENS_PER_STEP / step
                    hours = {b: v / tok_s / 3600 for b, v in BUDGETS.items()}
                    cells.append("%.0f tok/s, %.0f h / %.0f h%s" % (
                        tok_s, hours["157M"], hours["500M"], " *" if comm > compute else ""))
                print("| %d | %d Gb/s | %s |" % (cores, gbps, " | ".join(cells)))
        print()
        for B in (4, 1):
            ns = NODES + [128, 512] if B == 1 else NODES
            fits = [n for n in ns if memory_per_rank(L, NH, C, n, B) <= 24 * GIB]
            print("Memory per rank, micro-batch B = %d × T = 1024: " % B + ", ".join(
                "N=%d: %.1f GiB" % (n, memory_per_rank(L, NH, C, n, B) / GIB) for n in ns) +
                ". Fits in 24 GiB: %s." % ("from N = %d" % fits[0] if fits else "at no N"))
            print()
    print("(tok/s for the whole job; hours for 157M / 500M tokens; * = communication takes "
          "longer than compute.)")


if __name__ == "__main__":
    main(sys.argv)
