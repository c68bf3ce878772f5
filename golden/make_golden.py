#!/usr/bin/python3
"""Reference tensors for the kernel tests (tests/test_kernel_*.c).

Run with Debian's interpreter, which has PyTorch:

    /usr/bin/python3 golden/make_golden.py

It writes golden/kernels/<kernel>.safetensors, one file per kernel. Tensor
names are "<case>.<what>"; every case has a "<case>.dims" I32 tensor holding
the integer shape parameters the C test needs (documented per kernel below),
and the C suites enumerate cases by those ".dims" tensors.

Every reference comes from PyTorch's own operators (F.linear, F.layer_norm,
F.gelu(approximate="tanh"), F.cross_entropy, torch.optim.AdamW,
torch.nn.utils.clip_grad_norm_, autograd for every gradient), not from a
re-implementation of the C loops. Inputs are drawn in float32; every
reference, the optimizer's included, is computed in float64 from those
float32 inputs and rounded once to float32, so it is the exact answer up to
one rounding and the C kernels' float32 error is measured against the truth.

Machine independence: the files are the same bytes on every x86-64 CPU, for
any thread count and whichever BLAS kernels PyTorch's matmuls use
(golden/check_reproducible.sh checks it under several OPENBLAS_CORETYPE and
thread settings):
* inputs come from fixed seeds through torch's CPU generator with ATen's
  scalar kernels (ATEN_CPU_CAPABILITY=default, set below before torch is
  imported), whose samplers do not depend on the CPU's vector extensions;
* the BLAS kernels and the thread count only change the order of float64
  sums, i.e. the last bits of a float64 result, and the single rounding to
  float32 at the end does not see them.
"""
import math
import os
import sys

os.environ["ATEN_CPU_CAPABILITY"] = "default"  # see "Machine independence"

import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from safetensors_io import write_safetensors  # noqa: E402
import gpt2_reference  # noqa: E402
import make_analysis  # noqa: E402

torch.use_deterministic_algorithms(True)

HERE = os.path.dirname(os.path.abspath(__file__))

# --------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------
class Store:
    def __init__(self):
        self.t = {}

    # np.array(copy=True): a tensor's .numpy() shares its memory, and the
    # optimizer state (and parameters) keep changing in place after we store them.
    def f32(self, case, what, x):
        if isinstance(x, torch.Tensor):
            x = x.detach().to(torch.float32).contiguous().numpy()
        self._put(case, what, np.array(x, dtype=np.float32, copy=True))

    def i32(self, case, what, x):
        if isinstance(x, torch.Tensor):
            x = x.detach().numpy()
        self._put(case, what, np.array(x, dtype=np.int32, copy=True))

    def u8(self, case, what, x):
        if isinstance(x, torch.Tensor):
            x = x.detach().numpy()
        self._put(case, what, np.array(x, dtype=np.uint8, copy=True))

    def _put(self, case, what, arr):
        name = case + "." + what
        assert name not in self.t, name
        self.t[name] = arr


def rng(seed):
    g = torch.Generator()
    g.manual_seed(seed)
    return g


def randn(g, *shape, scale=1.0, shift=0.0):
    """float32 normal samples (the stored inputs)."""
    return (torch.randn(*shape, generator=g, dtype=torch.float32) * scale + shift).to(torch.float32)


def d(x):
    """float64 leaf copy of a float32 input, with grad."""
    return x.detach().to(torch.float64).requires_grad_(True)


def grads(out, dout, inputs):
    return torch.autograd.grad(out, inputs, grad_outputs=dout.to(torch.float64))


# --------------------------------------------------------------------------
# kernels
# --------------------------------------------------------------------------
def make_matmul():
    """dims = [N, C, OC, has_bias]; weight [OC,C] (out x in, torch.nn.Linear
    layout, as kernels/matmul.h), bias [OC]; out = F.linear(inp, weight, bias)."""
    s = Store()
    g = rng(1001)
    for (N, C, OC, has_bias) in [(1, 13, 5, 1), (7, 37, 67, 1), (4, 8, 3, 0), (16, 64, 48, 1), (3, 1, 1, 1)]:
        case = "n%d_c%d_oc%d%s" % (N, C, OC, "" if has_bias else "_nobias")
        inp = randn(g, N, C)
        w = randn(g, OC, C, scale=1.0 / math.sqrt(C))
        b = randn(g, OC, scale=0.5)
        dout = randn(g, N, OC)
        inp_, w_, b_ = d(inp), d(w), d(b)
        out = F.linear(inp_, w_, b_ if has_bias else None)
        if has_bias:
            dinp, dw, db = grads(out, dout, [inp_, w_, b_])
        else:
            dinp, dw = grads(out, dout, [inp_, w_])
        s.i32(case, "dims", [N, C, OC, has_bias])
        s.f32(case, "inp", inp)
        s.f32(case, "weight", w)
        s.f32(case, "dout", dout)
        s.f32(case, "out", out)
        s.f32(case, "dinp", dinp)
        s.f32(case, "dweight", dw)
        if has_bias:
            s.f32(case, "bias", b)
            s.f32(case, "dbias", db)
    return s


def torch_attention(q, k, v, NH):
    B, T, C = q.shape
    hs = C // NH
    qh = q.view(B, T, NH, hs).transpose(1, 2)
    kh = k.view(B, T, NH, hs).transpose(1, 2)
    vh = v.view(B, T, NH, hs).transpose(1, 2)
    scores = (qh @ kh.transpose(-2, -1)) / math.sqrt(hs)
    mask = torch.ones(T, T, dtype=torch.bool).tril()
    scores = scores.masked_fill(~mask, float("-inf"))
    att = F.softmax(scores, dim=-1)
    y = (att @ vh).transpose(1, 2).reshape(B, T, C)
    return y, att


def make_attention():
    """dims = [B, T, C, NH]; q, k, v, out [B,T,C]; att [B,NH,T,T]."""
    s = Store()
    g = rng(1002)
    for (B, T, C, NH) in [(1, 1, 8, 2), (2, 5, 13, 1), (2, 7, 12, 3), (1, 9, 32, 4), (3, 4, 6, 6)]:
        case = "b%d_t%d_c%d_nh%d" % (B, T, C, NH)
        q = randn(g, B, T, C, scale=1.5)
        k = randn(g, B, T, C, scale=1.5)
        v = randn(g, B, T, C)
        dout = randn(g, B, T, C)
        q_, k_, v_ = d(q), d(k), d(v)
        y, att = torch_attention(q_, k_, v_, NH)
        dq, dk, dv = grads(y, dout, [q_, k_, v_])
        s.i32(case, "dims", [B, T, C, NH])
        for name, x in [("q", q), ("k", k), ("v", v), ("dout", dout), ("out", y), ("att", att),
                        ("dq", dq), ("dk", dk), ("dv", dv)]:
            s.f32(case, name, x)
    return s


def make_gelu():
    """dims = [N]; inp, dout, out, dinp [N]."""
    s = Store()
    g = rng(1003)
    special = torch.tensor([0.0, 1e-4, -1e-4, 1.0, -1.0, 3.0, -3.0, 5.5, -5.5, 10.0, -10.0,
                            20.0, -20.0, 100.0, -100.0, 1e4, -1e4], dtype=torch.float32)
    for (case, N) in [("n1", 1), ("n37", 37), ("n1000", 1000), ("special", special.numel())]:
        if case == "special":
            inp = special.clone()
        elif case == "n1":
            inp = torch.tensor([-0.7], dtype=torch.float32)
        else:
            inp = randn(g, N, scale=2.5)
        dout = randn(g, N)
        x_ = d(inp)
        out = F.gelu(x_, approximate="tanh")
        (dinp,) = grads(out, dout, [x_])
        s.i32(case, "dims", [N])
        s.f32(case, "inp", inp)
        s.f32(case, "dout", dout)
        s.f32(case, "out", out)
        s.f32(case, "dinp", dinp)
    return s


LN_EPS = 1e-5


def make_layernorm():
    """Real LN cases "real_*": dims = [N, C]; inp [N,C], weight, bias [C],
    eps [1], dout [N,C]; out, mean, rstd, dinp, dweight, dbias.
    Fixed-scale cases "fixed_*": dims = [N, C]; scales [3] = {avg, bos, eot},
    class U8 [N] (0 avg, 1 bos = position 0, 2 eot = EOT tokens), plus the same
    tensors except rstd. Reference: (x - mean x)/s[:,None]*w + b with s a
    detached per-row tensor picked by class; no gradient to s."""
    s = Store()
    g = rng(1004)
    for (N, C, shift) in [(1, 13, 0.0), (6, 37, 2.0), (4, 64, -1.0), (5, 8, 0.0)]:
        case = "real_n%d_c%d" % (N, C)
        inp = randn(g, N, C, scale=1.7, shift=shift)
        w = randn(g, C, scale=0.3, shift=1.0)
        b = randn(g, C, scale=0.2)
        dout = randn(g, N, C)
        x_, w_, b_ = d(inp), d(w), d(b)
        out = F.layer_norm(x_, (C,), w_, b_, eps=LN_EPS)
        dx, dw, db = grads(out, dout, [x_, w_, b_])
        with torch.no_grad():
            var, mean = torch.var_mean(x_, dim=-1, unbiased=False)
            rstd = torch.rsqrt(var + LN_EPS)
        s.i32(case, "dims", [N, C])
        s.f32(case, "eps", [LN_EPS])
        for name, x in [("inp", inp), ("weight", w), ("bias", b), ("dout", dout), ("out", out),
                        ("mean", mean), ("rstd", rstd), ("dinp", dx), ("dweight", dw),
                        ("dbias", db)]:
            s.f32(case, name, x)

    # Fixed-scale: rows are B sequences of T tokens; position 0 is BOS class,
    # other tokens equal to EOT are EOT class (a position-0 EOT token is given
    # the BOS class here; the kernel only reads the class array either way).
    EOT = 7
    fixed_cases = [
        # name, B, T, C, scales {avg, bos, eot}
        ("fixed_b2_t4_c13", 2, 4, 13, [1.7, 3.1, 0.9]),
        ("fixed_b3_t4_c37", 3, 4, 37, [2.2, 2.2 * 1.5, 2.2 * 0.75]),
        ("fixed_b1_t8_c8", 1, 8, 8, [0.8, 0.5, 1.25]),
        # wildly different class scales: a row with the wrong class is far off
        ("fixed_wild_b2_t6_c16", 2, 6, 16, [1.3, 40.0, 0.02]),
    ]
    for (case, B, T, C, scales) in fixed_cases:
        N = B * T
        tokens = torch.randint(0, 10, (B, T), generator=g)
        tokens[:, 1] = EOT  # every sequence has an EOT row after position 0
        tokens[0, 0] = EOT  # a position-0 EOT stays BOS class
        cls = torch.zeros(B, T, dtype=torch.uint8)
        cls[tokens == EOT] = 2
        cls[:, 0] = 1
        cls = cls.reshape(N)
        assert (cls == 0).any() and (cls == 1).any() and (cls == 2).any()
        inp = randn(g, N, C, scale=1.5, shift=0.5)
        w = randn(g, C, scale=0.3, shift=1.0)
        b = randn(g, C, scale=0.2)
        dout = randn(g, N, C)
        sc = torch.tensor(scales, dtype=torch.float32)
        x_, w_, b_ = d(inp), d(w), d(b)
        s_row = sc.to(torch.float64)[cls.long()].detach()
        mean = x_.mean(-1, keepdim=True)
        out = (x_ - mean) / s_row[:, None] * w_ + b_
        dx, dw, db = grads(out, dout, [x_, w_, b_])
        s.i32(case, "dims", [N, C])
        s.u8(case, "class", cls)
        for name, x in [("scales", sc), ("inp", inp), ("weight", w), ("bias", b), ("dout", dout),
                        ("out", out), ("mean", mean.reshape(N)), ("dinp", dx), ("dweight", dw),
                        ("dbias", db)]:
            s.f32(case, name, x)
    return s


def make_adamw():
    """AdamW cases: dims = [n, steps]; hyper [5] = {lr, beta1, beta2, eps, wd};
    param0 (before), grad1..3, and after step t: param<t>, m<t> (exp_avg),
    v<t> (exp_avg_sq); m and v start at 0 (torch's initial state).
    Clip cases "clip_*": dims = [n0, n1, n2]; g0..g2 before, clipped0..2 after
    clip_grad_norm_(max_norm=1.0), total_norm [1] (its return value),
    coef [1] = clamp(max_norm/(total_norm+1e-6), max=1), max_norm [1]."""
    s = Store()
    g = rng(1005)
    lr, betas, eps = 1e-2, (0.9, 0.95), 1e-8
    for (case, shape, wd) in [("mat_6x7_wd", (6, 7), 0.1), ("vec_13_nowd", (13,), 0.0)]:
        p0 = randn(g, *shape)
        gs = [randn(g, *shape, scale=0.1) for _ in range(3)]
        p = torch.nn.Parameter(p0.to(torch.float64))
        # the hyper-parameters as the C kernel receives them: float32 values
        h32 = [float(np.float32(v)) for v in (lr, betas[0], betas[1], eps, wd)]
        opt = torch.optim.AdamW([p], lr=h32[0], betas=(h32[1], h32[2]), eps=h32[3],
                                weight_decay=h32[4])
        n = p0.numel()
        s.i32(case, "dims", [n, 3])
        s.f32(case, "hyper", [lr, betas[0], betas[1], eps, wd])
        s.f32(case, "param0", p0.reshape(n))
        for t in range(1, 4):
            p.grad = gs[t - 1].to(torch.float64)
            opt.step()
            st = opt.state[p]
            s.f32(case, "grad%d" % t, gs[t - 1].reshape(n))
            s.f32(case, "param%d" % t, p.detach().reshape(n))
            s.f32(case, "m%d" % t, st["exp_avg"].reshape(n))
            s.f32(case, "v%d" % t, st["exp_avg_sq"].reshape(n))

    max_norm = 1.0
    for (case, scale) in [("clip_above", 1.0), ("clip_below", 0.05)]:
        shapes = [(4, 5), (7,), (3, 3, 2)]
        gs = [randn(g, *sh, scale=scale) for sh in shapes]
        params = [torch.nn.Parameter(torch.zeros(sh, dtype=torch.float64)) for sh in shapes]
        for p, gg in zip(params, gs):
            p.grad = gg.to(torch.float64)
        total = torch.nn.utils.clip_grad_norm_(params, max_norm=max_norm)
        coef = torch.clamp(max_norm / (total + 1e-6), max=1.0)
        s.i32(case, "dims", [gg.numel() for gg in gs])
        s.f32(case, "max_norm", [max_norm])
        s.f32(case, "total_norm", total.reshape(1))
        s.f32(case, "coef", coef.reshape(1))
        for i, (p, gg) in enumerate(zip(params, gs)):
            s.f32(case, "g%d" % i, gg.reshape(-1))
            s.f32(case, "clipped%d" % i, p.grad.reshape(-1))
        assert (total.item() > max_norm) == (scale == 1.0), total
    return s


def make_softmax():
    """dims = [N, V]; logits [N,V], targets I32 [N], dloss [1]; probs [N,V]
    (softmax), losses [N] (cross_entropy, reduction none), lse [N]
    (logsumexp), dlogits [N,V] = d(dloss * sum(losses))/dlogits."""
    s = Store()
    g = rng(1006)
    cases = [("n1_v67", 1, 67, None), ("n4_v67", 4, 67, None), ("n3_v1000", 3, 1000, 0.37),
             ("n5_v2", 5, 2, None), ("extreme_n4_v67", 4, 67, None)]
    for (case, N, V, dloss) in cases:
        logits = randn(g, N, V, scale=2.0)
        targets = torch.randint(0, V, (N,), generator=g, dtype=torch.int64)
        if case.startswith("extreme"):
            # +-80: exp(80) = 5.5e34 and a sum of them (or exp(100)) overflows a
            # naive float softmax; row 2 is all around +100, row 3 all around -100.
            sign = torch.where(randn(g, N, V) > 0, 80.0, -80.0)
            logits = (sign + 0.5 * logits).to(torch.float32)
            logits[2] = 100.0 + logits[2] * 0.01
            logits[3] = -100.0 + logits[3] * 0.01
            # row 0's target sits on a -80 logit: loss ~ 160
            neg = (logits[0] < 0).nonzero()[0, 0]
            targets[0] = neg
        if dloss is None:
            dloss = 1.0 / N
        dloss = float(np.float32(dloss))
        x_ = d(logits)
        losses = F.cross_entropy(x_, targets, reduction="none")
        (dlogits,) = torch.autograd.grad(losses.sum() * dloss, [x_])
        with torch.no_grad():
            probs = F.softmax(x_, dim=-1)
            lse = torch.logsumexp(x_, dim=-1)
        s.i32(case, "dims", [N, V])
        s.i32(case, "targets", targets.to(torch.int32))
        s.f32(case, "dloss", [dloss])
        for name, x in [("logits", logits), ("probs", probs), ("losses", losses), ("lse", lse),
                        ("dlogits", dlogits)]:
            s.f32(case, name, x)
    return s


def make_embedding():
    """dims = [B, T, C, V, maxT]; tokens I32 [B,T], wte [V,C], wpe [maxT,C],
    dout [B,T,C]; out [B,T,C], dwte [V,C], dwpe [maxT,C]."""
    s = Store()
    g = rng(1007)
    for (B, T, C, V, maxT) in [(1, 1, 13, 67, 4), (2, 5, 8, 67, 7), (3, 4, 37, 11, 4), (4, 6, 5, 3, 9)]:
        case = "b%d_t%d_c%d_v%d" % (B, T, C, V)
        tokens = torch.randint(0, V, (B, T), generator=g, dtype=torch.int64)
        wte = randn(g, V, C)
        wpe = randn(g, maxT, C, scale=0.5)
        dout = randn(g, B, T, C)
        wte_, wpe_ = d(wte), d(wpe)
        out = F.embedding(tokens, wte_) + wpe_[:T].unsqueeze(0)
        dwte, dwpe = grads(out, dout, [wte_, wpe_])
        s.i32(case, "dims", [B, T, C, V, maxT])
        s.i32(case, "tokens", tokens.to(torch.int32))
        for name, x in [("wte", wte), ("wpe", wpe), ("dout", dout), ("out", out), ("dwte", dwte),
                        ("dwpe", dwpe)]:
            s.f32(case, name, x)
    return s


def make_residual():
    """dims = [N]; a, b, dout, out, da, db [N]."""
    s = Store()
    g = rng(1008)
    for N in [1, 37, 1000]:
        case = "n%d" % N
        a = randn(g, N, scale=3.0)
        b = randn(g, N)
        dout = randn(g, N)
        a_, b_ = d(a), d(b)
        out = torch.add(a_, b_)
        da, db = grads(out, dout, [a_, b_])
        s.i32(case, "dims", [N])
        for name, x in [("a", a), ("b", b), ("dout", dout), ("out", out), ("da", da), ("db", db)]:
            s.f32(case, name, x)
    return s


KERNELS = [
    ("matmul", make_matmul),
    ("attention", make_attention),
    ("gelu", make_gelu),
    ("layernorm", make_layernorm),
    ("adamw", make_adamw),
    ("softmax", make_softmax),
    ("embedding", make_embedding),
    ("residual", make_residual),
]


def main(argv):
    """make_golden.py [OUTDIR]: kernel goldens into OUTDIR/kernels, the
    GPT-2 model goldens (gpt2_reference.py) into OUTDIR/model and the
    evaluation and attribution goldens (make_analysis.py) into
    OUTDIR/analysis; OUTDIR
    defaults to this directory, so a bare run rewrites the committed files."""
    outdir = argv[1] if len(argv) > 1 else HERE
    kernel_dir = os.path.join(outdir, "kernels")
    os.makedirs(kernel_dir, exist_ok=True)
    total = 0
    for name, fn in KERNELS:
        store = fn()
        path = os.path.join(kernel_dir, name + ".safetensors")
        write_safetensors(path, store.t)
        size = os.path.getsize(path)
        total += size
        ncases = sum(1 for k in store.t if k.endswith(".dims"))
        print("%-10s %2d cases %3d tensors %7d bytes  %s" %
              (name, ncases, len(store.t), size, os.path.relpath(path)))
    print("kernels total %d bytes" % total)
    gpt2_reference.main([argv[0], os.path.join(outdir, "model")])
    analysis = make_analysis.make_analysis_goldens(os.path.join(outdir, "model"),
                                                   os.path.join(outdir, "analysis"))
    print("analysis: eval over %d tokens, %d hellaswag examples, %d attributions" %
          (analysis["eval"]["tokens"], analysis["hellaswag"]["n"], len(analysis["attribute"])))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
