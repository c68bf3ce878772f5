"""PyTorch side of the training-step benchmark: the same GPT-2 step (forward,
backward, clip, AdamW with decay on >=2-dim tensors) at the same shapes, with
the HF GPT-2 architecture from golden/gpt2_reference.py (plain_gpt2_forward,
a transcription of GPT2LMHeadModel). Prints one JSON line like bench_train.

usage: /usr/bin/python3 bench/torch_train.py L NH C V B T [STEPS] [WARMUP]"""
import json
import os
import resource
import sys
import time

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "golden"))
import gpt2_reference as ref  # noqa: E402


def main(argv):
    L, NH, C, V, B, T = (int(a) for a in argv[1:7])
    steps = int(argv[7]) if len(argv) > 7 else 5
    warmup = int(argv[8]) if len(argv) > 8 else 1
    torch.set_num_threads(int(os.environ.get("BENCH_THREADS", "2")))
    cfg = {"n_layer": L, "n_head": NH, "n_embd": C, "n_positions": T, "vocab_size": V,
           "eos_token_id": V - 1, "layer_norm_epsilon": 1e-5, "n_inner": None}
    params = ref.init_params(cfg, seed=1337)
    for p in params.values():
        p.requires_grad_(True)
    decay = [p for p in params.values() if p.dim() >= 2]
    no_decay = [p for p in params.values() if p.dim() < 2]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": 0.1},
                             {"params": no_decay, "weight_decay": 0.0}],
                            lr=6e-4, betas=(0.9, 0.95), eps=1e-8)
    g = torch.Generator().manual_seed(42)
    x = torch.randint(0, V, (B, T), generator=g)
    y = torch.randint(0, V, (B, T), generator=g)
    times = []
    loss = None
    for s in range(warmup + steps):
        t0 = time.perf_counter()
        logits = ref.plain_gpt2_forward(params, cfg, x)
        loss = F.cross_entropy(logits.view(-1, V), y.view(-1))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(list(params.values()), 1.0)
        opt.step()
        if s >= warmup:
            times.append(time.perf_counter() - t0)
    times.sort()
    median = times[len(times) // 2]
    matrix_params = V * C + L * 12 * C * C
    flops = B * T * (6 * matrix_params + 12 * L * C * T)
    print(json.dumps({"impl": "pytorch " + torch.__version__, "seconds_per_step": median,
                      "tokens_per_s": B * T / median, "gflops": flops / median * 1e-9,
                      "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0,
                      "loss": float(loss)}))


if __name__ == "__main__":
    main(sys.argv)
