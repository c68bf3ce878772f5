#!/usr/bin/python3
"""PyTorch reference for the whole lnfree GPT-2 model (forward, backward, AdamW).

Run with Debian's /usr/bin/python3 (torch 1.13 + numpy):

    /usr/bin/python3 golden/gpt2_reference.py [OUTDIR]      # default: golden/model

What it is
----------
* A plain-torch transcription of Hugging Face's GPT2LMHeadModel (transformers is
  not imported): x = wte[tok] + wpe[t]; per block x += attn(ln_1(x)),
  x += mlp(ln_2(x)); logits = ln_f(x) @ wte.T (tied, no bias). Conv1D layout
  (weight [in, out], y = addmm(b, x, W) exactly as HF's Conv1D), heads split as
  HF does, causal softmax(q k^T / sqrt(hs)) with HF's torch.where(mask, w,
  finfo.min), tanh GELU, LayerNorm eps from config, loss = mean cross-entropy of
  the logits against the given targets y (NOT shifted).
* The lnfree LayerNorm sites: h.{l}.ln1qk and h.{l}.ln1v (both with ln_1's
  parameters; ln1qk feeds the q,k columns of c_attn, ln1v the v columns),
  h.{l}.ln2 (= ln_2) and lnf (= ln_f). A site is "real" (F.layer_norm) or
  "frozen": y_t = (x_t - mean(x_t)) / s_t * gamma + beta with a constant s_t
  (no gradient to it): sigma_bos at position 0 while special.bos is on, else
  sigma_eot for tokens == eos_token_id while special.eot is on and the site's
  kind is in special.eot_sites, else sigma. The state is `lnfree.json` in the
  model directory (absent = every site real), see `load_ln_state`.
* `make_model_goldens(outdir)`: a tiny model, a batch and three LN states
  ("real", "mixed", "frozen") with logits, loss, gradients and a 3-step AdamW
  trajectory for each. See the docstring there for the exact file contents.

Machine independence
--------------------
The bytes written do not depend on the CPU, the thread count or the BLAS
kernels PyTorch's matmuls pick (golden/check_reproducible.sh regenerates them
under several OPENBLAS_CORETYPE and thread settings and compares):
* Stored inputs (parameters, batch) are float32 draws from torch's CPU
  generator with ATen's scalar kernels (ATEN_CPU_CAPABILITY=default), whose
  normal sampler is the same on every x86-64.
* Every reference (sigma, logits, loss, gradients, the AdamW trajectory) is
  computed in float64 from those float32 inputs and rounded to float32 once,
  at the end. BLAS and thread count change only the order of float64 sums,
  i.e. the last bits of a float64 result, far below the float32 rounding.

Notes for whoever compares against these files
----------------------------------------------
* Trajectory clip is 1.6, not 1.0 (see PROBE_ARGS): it makes the "real" state
  clip at steps 0 and 1 but not at step 2, so both branches are exercised.
  clip_grad_norm_ scales by min(1, clip / (norm + 1e-6)).
* The key-bias slice h.{l}.attn.c_attn.bias[C:2C] has a mathematically zero
  gradient; the goldens store that exact 0 (zero_key_bias_grads), and the
  trajectory never moves it except by weight decay (none: it is a bias). A
  float32 implementation's gradient there is round-off noise (~1e-11) that
  AdamW turns into moves of ~1e-7 per step, so param.* agrees there only to
  ~1e-6.
* wpe rows >= T (12..15) get an exactly zero gradient (only weight decay moves
  them in the trajectory).
"""

import hashlib
import json
import math
import os
import sys

# ATen's scalar kernels, whatever vector extensions this CPU has (see
# "Machine independence" above), when this script makes the goldens;
# make_golden.py sets the same before importing torch. Importers such as
# bench/torch_train.py keep PyTorch's fast kernels.
if __name__ == "__main__":
    os.environ["ATEN_CPU_CAPABILITY"] = "default"

import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from safetensors_io import read_safetensors, write_safetensors  # noqa: E402

SITE_KINDS = ("ln1qk", "ln1v", "ln2", "lnf")

TINY_CONFIG = {
    "model_type": "gpt2",
    "n_layer": 2,
    "n_head": 2,
    "n_embd": 24,
    "n_positions": 16,
    "vocab_size": 97,
    "eos_token_id": 96,
    "bos_token_id": 96,
    "layer_norm_epsilon": 1e-5,
    "activation_function": "gelu_new",
    "n_inner": None,
    "tie_word_embeddings": True,
    "architectures": ["GPT2LMHeadModel"],
    # Not part of the model's maths: they make a transformers GPT2LMHeadModel
    # built from this config dropout-free even in train() mode (HF's default is 0.1).
    "attn_pdrop": 0.0,
    "embd_pdrop": 0.0,
    "resid_pdrop": 0.0,
}

# clip 1.6 (not 1.0): with 1.0 every step of every state clips, so the
# "no clipping" branch (coefficient clamped to 1) would never be exercised. The
# global grad norms (stored as `grad_norms`) are, per state:
#   real   1.968 1.767 1.494  -> clip, clip, NO clip (margins 23 %, 10 %, 7 %)
#   mixed  1.972 1.953 2.034  -> clip, clip, clip
#   frozen 2.177 2.174 2.453  -> clip, clip, clip
# make_model_goldens asserts both branches occur with >= 3 % margin.
PROBE_ARGS = {"steps": 3, "lr": 1e-3, "weight_decay": 0.1, "beta1": 0.9,
              "beta2": 0.95, "eps": 1e-8, "clip": 1.6}

INIT_SEED = 1234
BATCH_SEED = 4321
B, T = 2, 12
# Outlier rows at init so that position 0 and EOT tokens have a clearly larger
# residual scale than ordinary tokens (as in trained GPT-2), which makes the
# measured sigma_bos / sigma_eot clearly distinct from sigma.
WPE0_SCALE = 5.0
WTE_EOT_SCALE = 3.0


# --------------------------------------------------------------------------
# parameters

def param_names(n_layer):
    """HF GPT-2 parameter names (no `transformer.` prefix), in HF order."""
    names = ["wte.weight", "wpe.weight"]
    for l in range(n_layer):
        p = "h.%d." % l
        names += [p + "ln_1.weight", p + "ln_1.bias",
                  p + "attn.c_attn.weight", p + "attn.c_attn.bias",
                  p + "attn.c_proj.weight", p + "attn.c_proj.bias",
                  p + "ln_2.weight", p + "ln_2.bias",
                  p + "mlp.c_fc.weight", p + "mlp.c_fc.bias",
                  p + "mlp.c_proj.weight", p + "mlp.c_proj.bias"]
    names += ["ln_f.weight", "ln_f.bias"]
    return names


def param_shapes(cfg):
    C, V, P = cfg["n_embd"], cfg["vocab_size"], cfg["n_positions"]
    H = cfg["n_inner"] or 4 * C
    shapes = {"wte.weight": (V, C), "wpe.weight": (P, C),
              "ln_f.weight": (C,), "ln_f.bias": (C,)}
    for l in range(cfg["n_layer"]):
        p = "h.%d." % l
        shapes.update({
            p + "ln_1.weight": (C,), p + "ln_1.bias": (C,),
            p + "attn.c_attn.weight": (C, 3 * C), p + "attn.c_attn.bias": (3 * C,),
            p + "attn.c_proj.weight": (C, C), p + "attn.c_proj.bias": (C,),
            p + "ln_2.weight": (C,), p + "ln_2.bias": (C,),
            p + "mlp.c_fc.weight": (C, H), p + "mlp.c_fc.bias": (H,),
            p + "mlp.c_proj.weight": (H, C), p + "mlp.c_proj.bias": (C,),
        })
    return shapes


def init_params(cfg, seed=INIT_SEED):
    """Random, non-trivial init (float32, HF Conv1D layout).

    Matrices and embeddings N(0, 0.02); linear biases 0.02 N(0,1); LN weights
    1 + 0.2 N(0,1), LN biases 0.1 N(0,1); then wpe[0] *= WPE0_SCALE and
    wte[eos] *= WTE_EOT_SCALE.
    """
    g = torch.Generator().manual_seed(seed)
    shapes = param_shapes(cfg)
    params = {}
    for name in param_names(cfg["n_layer"]):
        z = torch.randn(shapes[name], generator=g, dtype=torch.float32)
        if name.endswith(("ln_1.weight", "ln_2.weight", "ln_f.weight")):
            t = 1.0 + 0.2 * z
        elif name.endswith(("ln_1.bias", "ln_2.bias", "ln_f.bias")):
            t = 0.1 * z
        else:  # matrices, embeddings and linear biases
            t = 0.02 * z
        params[name] = t.contiguous()
    params["wpe.weight"][0] *= WPE0_SCALE
    params["wte.weight"][cfg["eos_token_id"]] *= WTE_EOT_SCALE
    return params


# --------------------------------------------------------------------------
# LN state

def all_site_names(n_layer):
    names = []
    for l in range(n_layer):
        names += ["h.%d.%s" % (l, k) for k in ("ln1qk", "ln1v", "ln2")]
    return names + ["lnf"]


def site_kind(name):
    return name.rsplit(".", 1)[-1]


def real_ln_state():
    return {"format": "lnfree-ln-state", "version": 1,
            "special": {"bos": True, "eot": True, "eot_sites": ["ln1v"]},
            "sites": {}}


def validate_ln_state(state, n_layer):
    assert state["format"] == "lnfree-ln-state" and state["version"] == 1, state
    sp = state["special"]
    assert isinstance(sp["bos"], bool) and isinstance(sp["eot"], bool)
    assert all(k in SITE_KINDS for k in sp["eot_sites"]), sp
    valid = set(all_site_names(n_layer))
    for name, site in state["sites"].items():
        assert name in valid, "unknown site %r" % name
        assert site["mode"] in ("real", "frozen"), site
        if site["mode"] == "frozen":
            for key in ("sigma", "sigma_bos", "sigma_eot"):
                v = site[key]
                assert isinstance(v, float) and math.isfinite(v) and v > 0, (name, key, v)


def load_ln_state(model_dir, n_layer):
    path = os.path.join(model_dir, "lnfree.json")
    if not os.path.exists(path):
        return real_ln_state()
    with open(path) as f:
        state = json.load(f)
    validate_ln_state(state, n_layer)
    return state


def frozen_scale(state, name, tokens, eos, dtype=torch.float32):
    """Per-token constant s_t, shape [B, T, 1], for frozen site `name`."""
    site = state["sites"][name]
    sp = state["special"]
    s = torch.full(tokens.shape, site["sigma"], dtype=dtype)
    if sp["eot"] and site_kind(name) in sp["eot_sites"]:
        s[tokens == eos] = site["sigma_eot"]
    if sp["bos"]:
        s[:, 0] = site["sigma_bos"]  # position 0 takes precedence over EOT
    return s.unsqueeze(-1)


def ln_site(h, name, w, b, tokens, cfg, state, exact_sigma=False):
    """One LN site. exact_sigma (tests only): frozen form with s_t set to the
    exact per-token sqrt(var + eps), detached."""
    eps = cfg["layer_norm_epsilon"]
    site = state["sites"].get(name)
    if not exact_sigma and (site is None or site["mode"] == "real"):
        return F.layer_norm(h, (h.shape[-1],), w, b, eps)
    if exact_sigma:
        s = torch.sqrt(h.var(-1, unbiased=False, keepdim=True) + eps).detach()
    else:
        s = frozen_scale(state, name, tokens, cfg["eos_token_id"], h.dtype)
    return (h - h.mean(-1, keepdim=True)) / s * w + b


# --------------------------------------------------------------------------
# model

def conv1d(x, w, b):
    """HF Conv1D: addmm(bias, x.view(-1, nx), weight)."""
    out = torch.addmm(b, x.reshape(-1, x.shape[-1]), w)
    return out.view(x.shape[:-1] + (w.shape[-1],))


def causal_attention(q, k, v, n_head):
    """q, k, v [B, T, C] -> [B, T, C], HF GPT2Attention semantics."""
    Bq, Tq, C = q.shape
    hs = C // n_head

    def split(t):
        return t.view(Bq, Tq, n_head, hs).transpose(1, 2)

    q, k, v = split(q), split(k), split(v)
    w = torch.matmul(q, k.transpose(-1, -2))
    w = w / torch.full([], hs ** 0.5, dtype=w.dtype)
    mask = torch.tril(torch.ones(Tq, Tq, dtype=torch.bool)).view(1, 1, Tq, Tq)
    w = torch.where(mask, w, torch.full([], torch.finfo(w.dtype).min, dtype=w.dtype))
    w = F.softmax(w, dim=-1)
    y = torch.matmul(w, v)
    return y.transpose(1, 2).contiguous().view(Bq, Tq, C)


def forward(params, cfg, x, y=None, state=None, record=None, exact_sigma=False):
    """lnfree GPT-2 forward. x, y: int64 [B, T]. Returns (logits, loss or None).

    record: optional dict, filled with the (detached) inputs of the LN sites:
    "h.{l}.ln1" (shared by ln1qk and ln1v), "h.{l}.ln2", "lnf"."""
    if state is None:
        state = real_ln_state()
    C, NH = cfg["n_embd"], cfg["n_head"]
    Bx, Tx = x.shape
    assert Tx <= cfg["n_positions"]
    pos = torch.arange(Tx)
    h = F.embedding(x, params["wte.weight"]) + F.embedding(pos, params["wpe.weight"])
    for l in range(cfg["n_layer"]):
        p = "h.%d." % l
        if record is not None:
            record[p + "ln1"] = h.detach().clone()
        g1, b1 = params[p + "ln_1.weight"], params[p + "ln_1.bias"]
        W, bW = params[p + "attn.c_attn.weight"], params[p + "attn.c_attn.bias"]
        a_qk = ln_site(h, p + "ln1qk", g1, b1, x, cfg, state, exact_sigma)
        a_v = ln_site(h, p + "ln1v", g1, b1, x, cfg, state, exact_sigma)
        qk = conv1d(a_qk, W[:, : 2 * C], bW[: 2 * C])
        v = conv1d(a_v, W[:, 2 * C:], bW[2 * C:])
        q, k = qk.split(C, dim=2)
        att = causal_attention(q, k, v, NH)
        h = h + conv1d(att, params[p + "attn.c_proj.weight"], params[p + "attn.c_proj.bias"])
        if record is not None:
            record[p + "ln2"] = h.detach().clone()
        a2 = ln_site(h, p + "ln2", params[p + "ln_2.weight"], params[p + "ln_2.bias"],
                     x, cfg, state, exact_sigma)
        m = conv1d(a2, params[p + "mlp.c_fc.weight"], params[p + "mlp.c_fc.bias"])
        m = F.gelu(m, approximate="tanh")
        h = h + conv1d(m, params[p + "mlp.c_proj.weight"], params[p + "mlp.c_proj.bias"])
    if record is not None:
        record["lnf"] = h.detach().clone()
    hf = ln_site(h, "lnf", params["ln_f.weight"], params["ln_f.bias"], x, cfg, state, exact_sigma)
    logits = F.linear(hf, params["wte.weight"])
    loss = None
    if y is not None:
        loss = F.cross_entropy(logits.view(-1, logits.shape[-1]), y.reshape(-1))
    return logits, loss


def plain_gpt2_forward(params, cfg, x):
    """Independent, straightforward transcription of HF GPT2LMHeadModel's
    forward (single ln_1, fused c_attn, HF's _split_heads/_attn/_merge_heads,
    NewGELUActivation written out). Used only to check `forward`."""
    C, NH = cfg["n_embd"], cfg["n_head"]
    hs = C // NH
    eps = cfg["layer_norm_epsilon"]
    Bx, Tx = x.shape
    P = cfg["n_positions"]
    bias = torch.tril(torch.ones((P, P), dtype=torch.bool)).view(1, 1, P, P)
    position_ids = torch.arange(0, Tx, dtype=torch.long).unsqueeze(0).view(-1, Tx)
    hidden = F.embedding(x, params["wte.weight"]) + F.embedding(position_ids, params["wpe.weight"])

    def lin(t, name):
        size_out = t.size()[:-1] + (params[name + ".weight"].shape[1],)
        t = torch.addmm(params[name + ".bias"], t.view(-1, t.size(-1)), params[name + ".weight"])
        return t.view(size_out)

    def split_heads(t):
        return t.view(t.size()[:-1] + (NH, hs)).permute(0, 2, 1, 3)

    def merge_heads(t):
        t = t.permute(0, 2, 1, 3).contiguous()
        return t.view(t.size()[:-2] + (NH * hs,))

    for l in range(cfg["n_layer"]):
        p = "h.%d." % l
        residual = hidden
        hidden = F.layer_norm(hidden, (C,), params[p + "ln_1.weight"], params[p + "ln_1.bias"], eps)
        query, key, value = lin(hidden, p + "attn.c_attn").split(C, dim=2)
        query, key, value = split_heads(query), split_heads(key), split_heads(value)
        w = torch.matmul(query, key.transpose(-1, -2))
        w = w / torch.full([], value.size(-1) ** 0.5, dtype=w.dtype)
        ql, kl = query.size(-2), key.size(-2)
        causal_mask = bias[:, :, kl - ql: kl, :kl]
        mask_value = torch.full([], torch.finfo(w.dtype).min, dtype=w.dtype)
        w = torch.where(causal_mask, w, mask_value)
        w = torch.nn.functional.softmax(w, dim=-1)
        a = merge_heads(torch.matmul(w, value))
        a = lin(a, p + "attn.c_proj")
        hidden = a + residual
        residual = hidden
        hidden = F.layer_norm(hidden, (C,), params[p + "ln_2.weight"], params[p + "ln_2.bias"], eps)
        hidden = lin(hidden, p + "mlp.c_fc")
        hidden = 0.5 * hidden * (1.0 + torch.tanh(
            math.sqrt(2.0 / math.pi) * (hidden + 0.044715 * torch.pow(hidden, 3.0))))
        hidden = lin(hidden, p + "mlp.c_proj")
        hidden = residual + hidden
    hidden = F.layer_norm(hidden, (C,), params["ln_f.weight"], params["ln_f.bias"], eps)
    return F.linear(hidden, params["wte.weight"])


# --------------------------------------------------------------------------
# sigma measurement

def per_token_sigma(h, eps):
    return torch.sqrt(h.var(-1, unbiased=False) + eps)


def measure_sigmas(params, cfg, x):
    """Run the all-real model on x; for every site the mean per-token
    sqrt(var + eps) of its input over ordinary tokens (t > 0, not EOT),
    position-0 tokens, and EOT tokens at t > 0. Rounded to 6 significant
    digits (so the JSON text, float64 and float32 agree on one fp32 value)."""
    eps = cfg["layer_norm_epsilon"]
    rec = {}
    with torch.no_grad():
        forward(to64(params), cfg, x, record=rec)
    pos0 = torch.zeros(x.shape, dtype=torch.bool)
    pos0[:, 0] = True
    eot = (x == cfg["eos_token_id"]) & ~pos0
    ordinary = ~pos0 & ~eot
    assert ordinary.any() and eot.any()

    def r6(v):
        return float("%.6g" % v)

    out = {}
    for name in all_site_names(cfg["n_layer"]):
        key = "lnf" if name == "lnf" else name.rsplit(".", 1)[0] + "." + (
            "ln2" if site_kind(name) == "ln2" else "ln1")
        s = per_token_sigma(rec[key], eps)
        out[name] = {"sigma": r6(s[ordinary].mean().item()),
                     "sigma_bos": r6(s[pos0].mean().item()),
                     "sigma_eot": r6(s[eot].mean().item())}
    return out


# --------------------------------------------------------------------------
# trajectory

def zero_key_bias_grads(params, cfg):
    """Sets the key-bias gradient slices h.{l}.attn.c_attn.bias[C:2C] to their
    exact value, 0 (softmax ignores q.b_k added to every score of a row),
    after checking that what autograd left there is float64 round-off. That
    noise (~1e-20) is the only part of a float64 result whose float32 rounding
    depends on the BLAS kernels; the exact answer does not."""
    C = cfg["n_embd"]
    for l in range(cfg["n_layer"]):
        g = params["h.%d.attn.c_attn.bias" % l].grad
        assert g[C:2 * C].abs().max().item() <= 1e-15, g[C:2 * C].abs().max().item()
        g[C:2 * C] = 0.0


def to64(params):
    """float64 copies of float32 parameters (the references' arithmetic)."""
    return {n: t.detach().to(torch.float64) for n, t in params.items()}


def run_trajectory(params0, cfg, x, y, state, args):
    """`steps` AdamW steps on the same batch, in float64 from the float32
    params0. Returns (losses, grad_norms, params), float64."""
    params = {n: t.clone().requires_grad_(True) for n, t in to64(params0).items()}
    names = sorted(params)
    decay = [params[n] for n in names if params[n].dim() >= 2]
    no_decay = [params[n] for n in names if params[n].dim() < 2]
    opt = torch.optim.AdamW(
        [{"params": decay, "weight_decay": args["weight_decay"]},
         {"params": no_decay, "weight_decay": 0.0}],
        lr=args["lr"], betas=(args["beta1"], args["beta2"]), eps=args["eps"],
        foreach=False)
    losses, norms = [], []
    for _ in range(args["steps"]):
        opt.zero_grad(set_to_none=True)
        _, loss = forward(params, cfg, x, y, state)
        loss.backward()
        zero_key_bias_grads(params, cfg)
        gn = torch.nn.utils.clip_grad_norm_([params[n] for n in names], args["clip"])
        opt.step()
        losses.append(loss.detach().reshape(()))
        norms.append(gn.detach().reshape(()))
    final = {n: t.detach().clone() for n, t in params.items()}
    return torch.stack(losses), torch.stack(norms), final


def manual_trajectory(params0, cfg, x, y, state, args):
    """The same trajectory with the optimizer written out (the maths the C side
    implements), in float64, used only to cross-check run_trajectory:
      n = sqrt(sum of squares of all grads); g *= min(1, clip / (n + 1e-6))
      p *= 1 - lr * wd   (wd only for tensors with >= 2 dims)
      m = b1 m + (1 - b1) g;  v = b2 v + (1 - b2) g^2
      p -= lr / (1 - b1^t) * m / (sqrt(v) / sqrt(1 - b2^t) + eps)"""
    params = {n: t.clone().requires_grad_(True) for n, t in to64(params0).items()}
    m = {n: torch.zeros_like(t) for n, t in params.items()}
    v = {n: torch.zeros_like(t) for n, t in params.items()}
    b1, b2, lr, eps = args["beta1"], args["beta2"], args["lr"], args["eps"]
    losses, norms = [], []
    for step in range(1, args["steps"] + 1):
        for t in params.values():
            t.grad = None
        _, loss = forward(params, cfg, x, y, state)
        loss.backward()
        zero_key_bias_grads(params, cfg)
        norm = math.sqrt(sum(float((p.grad ** 2).sum()) for p in params.values()))
        coef = min(1.0, args["clip"] / (norm + 1e-6))
        with torch.no_grad():
            for n, p in params.items():
                g = p.grad * coef
                wd = args["weight_decay"] if p.dim() >= 2 else 0.0
                p.mul_(1 - lr * wd)
                m[n] = b1 * m[n] + (1 - b1) * g
                v[n] = b2 * v[n] + (1 - b2) * g * g
                denom = v[n].sqrt() / math.sqrt(1 - b2 ** step) + eps
                p.sub_(lr / (1 - b1 ** step) * m[n] / denom)
        losses.append(loss.item())
        norms.append(norm)
    return losses, norms, {n: t.detach() for n, t in params.items()}


def loss_and_grads(params0, cfg, x, y, state):
    """Logits, loss and gradients in float64 from the float32 params0."""
    params = {n: t.clone().requires_grad_(True) for n, t in to64(params0).items()}
    logits, loss = forward(params, cfg, x, y, state)
    loss.backward()
    zero_key_bias_grads(params, cfg)
    grads = {n: p.grad.detach().clone() for n, p in params.items()}
    return logits.detach(), loss.detach(), grads


# --------------------------------------------------------------------------
# batch and states

def make_batch(cfg, seed=BATCH_SEED):
    """x, y int64 [B, T]. EOT at x[0,0] (position 0), x[0,6], x[1,4], x[1,9];
    y is x shifted left by one with a random last target (so y holds EOTs too)."""
    g = torch.Generator().manual_seed(seed)
    eos = cfg["eos_token_id"]
    x = torch.randint(0, eos, (B, T + 1), generator=g, dtype=torch.int64)
    for b, t in ((0, 0), (0, 6), (1, 4), (1, 9)):
        x[b, t] = eos
    y = x[:, 1:].clone()
    x = x[:, :T].clone()
    return x, y


def make_states(sig):
    def frozen(name):
        return dict(mode="frozen", **sig[name])

    mixed_sites = ["h.0.ln2", "h.1.ln1qk", "h.0.ln1v", "lnf"]
    mixed = {"format": "lnfree-ln-state", "version": 1,
             "special": {"bos": True, "eot": True, "eot_sites": ["ln1v", "lnf"]},
             "sites": {n: frozen(n) for n in mixed_sites}}
    all_frozen = {"format": "lnfree-ln-state", "version": 1,
                  "special": {"bos": False, "eot": False, "eot_sites": ["ln1v"]},
                  "sites": {n: frozen(n) for n in sig}}
    return {"real": None, "mixed": mixed, "frozen": all_frozen}


# --------------------------------------------------------------------------
# checks

def _maxdiff(a, b):
    return (a.double() - b.double()).abs().max().item()


def sanity_checks(params, cfg, x, y, report):
    real = real_ln_state()
    with torch.no_grad():
        logits, loss = forward(params, cfg, x, y, real)
        plain = plain_gpt2_forward(params, cfg, x)
        d = _maxdiff(logits, plain)
        report["split_vs_plain_logits_maxdiff"] = d
        assert d <= 1e-6, d
        assert math.isfinite(loss.item())

        # Frozen form with the exact per-token sigma == real LN, every site at once.
        ex_logits, ex_loss = forward(params, cfg, x, y, real, exact_sigma=True)
        d = _maxdiff(ex_logits, logits)
        report["exact_sigma_vs_real_logits_maxdiff"] = d
        assert d <= 1e-6, d
        # ... and site by site through the state machinery: a state whose sigma,
        # sigma_bos, sigma_eot are all one constant c equals the frozen form with c.
        g = torch.Generator().manual_seed(7)
        h = torch.randn(B, T, cfg["n_embd"], generator=g) * 3 + 1
        w = 1 + 0.2 * torch.randn(cfg["n_embd"], generator=g)
        b = 0.1 * torch.randn(cfg["n_embd"], generator=g)
        s_exact = per_token_sigma(h, cfg["layer_norm_epsilon"])
        real_out = F.layer_norm(h, (cfg["n_embd"],), w, b, cfg["layer_norm_epsilon"])
        for bb in range(B):
            for tt in range(T):
                c = float(s_exact[bb, tt])
                st = {"format": "lnfree-ln-state", "version": 1,
                      "special": {"bos": True, "eot": True, "eot_sites": list(SITE_KINDS)},
                      "sites": {"h.0.ln2": {"mode": "frozen", "sigma": c, "sigma_bos": c,
                                            "sigma_eot": c}}}
                out = ln_site(h, "h.0.ln2", w, b, x, cfg, st)
                assert _maxdiff(out[bb, tt], real_out[bb, tt]) <= 1e-6

        # Token classes of frozen_scale on this batch.
        st = {"format": "lnfree-ln-state", "version": 1,
              "special": {"bos": True, "eot": True, "eot_sites": ["ln1v"]},
              "sites": {"h.0.ln1v": {"mode": "frozen", "sigma": 1.0, "sigma_bos": 2.0,
                                     "sigma_eot": 3.0},
                        "h.0.ln1qk": {"mode": "frozen", "sigma": 1.0, "sigma_bos": 2.0,
                                      "sigma_eot": 3.0}}}
        eos = cfg["eos_token_id"]
        want_v = torch.ones(B, T)
        want_v[x == eos] = 3.0
        want_v[:, 0] = 2.0
        want_qk = torch.ones(B, T)
        want_qk[:, 0] = 2.0
        assert torch.equal(frozen_scale(st, "h.0.ln1v", x, eos)[..., 0], want_v)
        assert torch.equal(frozen_scale(st, "h.0.ln1qk", x, eos)[..., 0], want_qk)
        st["special"]["bos"] = False
        want_v = torch.ones(B, T)
        want_v[x == eos] = 3.0
        assert torch.equal(frozen_scale(st, "h.0.ln1v", x, eos)[..., 0], want_v)
        assert want_v[0, 0] == 3.0  # EOT at position 0 of row 0

        # F.gelu(tanh) vs HF NewGELUActivation written out.
        z = torch.linspace(-8, 8, 2001)
        hf_gelu = 0.5 * z * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (z + 0.044715 * torch.pow(z, 3.0))))
        d = _maxdiff(F.gelu(z, approximate="tanh"), hf_gelu)
        report["gelu_tanh_vs_hf_newgelu_maxdiff"] = d
        assert d <= 1e-5, d

    # Every parameter gets a gradient in the real state.
    _, _, grads = loss_and_grads(params, cfg, x, y, real)
    for n, gr in grads.items():
        assert torch.isfinite(gr).all() and gr.abs().max() > 0, n


def float64_drift(params, cfg, x, y, state):
    """Max |logit_fp32 - logit_fp64| (informative: the round-off scale)."""
    with torch.no_grad():
        l32, _ = forward(params, cfg, x, y, state)
        p64 = {n: t.double() for n, t in params.items()}
        l64, _ = forward(p64, cfg, x, y, state)
    return _maxdiff(l32, l64)


# --------------------------------------------------------------------------
# files

def _dumps(obj):
    return json.dumps(obj, indent=2, sort_keys=True) + "\n"


def _write_text(path, text):
    with open(path, "w") as f:
        f.write(text)


def load_model_dir(model_dir):
    """(cfg, params, state) from an HF-style directory written here (keys with
    or without `transformer.`; attn.bias / attn.masked_bias buffers ignored)."""
    with open(os.path.join(model_dir, "config.json")) as f:
        cfg = json.load(f)
    raw = read_safetensors(os.path.join(model_dir, "model.safetensors"))
    params = {}
    for k, v in raw.items():
        k = k[len("transformer."):] if k.startswith("transformer.") else k
        if k.endswith((".attn.bias", ".attn.masked_bias")) or k == "lm_head.weight":
            continue
        params[k] = torch.from_numpy(v.astype(np.float32))
    return cfg, params, load_ln_state(model_dir, cfg["n_layer"])


def _param_diffs(a, b, cfg):
    """(max |a - b| over all parameters except the key-bias slices, max |a - b|
    over the key-bias slices h.{l}.attn.c_attn.bias[C:2C]).

    The key bias has a mathematically zero gradient (softmax is invariant to
    adding q.b_k to every key of a query), so in a float32 implementation its
    gradient is pure round-off noise and AdamW turns it into moves of up to
    ~lr * g / eps per step; two such implementations agree there only to that
    scale."""
    C = cfg["n_embd"]
    dmax, dkb = 0.0, 0.0
    for n in a:
        d = (a[n].double() - b[n].double()).abs()
        if n.endswith("attn.c_attn.bias"):
            dkb = max(dkb, d[C:2 * C].max().item())
            d = torch.cat([d[:C], d[2 * C:]])
        dmax = max(dmax, d.max().item())
    return dmax, dkb


def make_model_goldens(outdir):
    """Write the whole-model goldens into outdir:

    outdir/batch.safetensors            x, y  int32 [2, 12]
    outdir/<state>/model/config.json
    outdir/<state>/model/model.safetensors   HF names without `transformer.`, F32
    outdir/<state>/model/lnfree.json         (states mixed, frozen)
    outdir/<state>/probe_args.json           trajectory hyper-parameters
    outdir/<state>/expected.safetensors      logits [B,T,V], loss [1], grad.NAME,
                                             losses [3], grad_norms [3], param.NAME
    for <state> in real, mixed, frozen. Returns a report dict."""
    torch.manual_seed(0)
    cfg = dict(TINY_CONFIG)
    params = init_params(cfg)
    x, y = make_batch(cfg)
    report = {}
    sanity_checks(params, cfg, x, y, report)
    sig = measure_sigmas(params, cfg, x)
    report["sigmas"] = sig
    states = make_states(sig)

    os.makedirs(outdir, exist_ok=True)
    write_safetensors(os.path.join(outdir, "batch.safetensors"),
                      {"x": x.to(torch.int32).numpy(), "y": y.to(torch.int32).numpy()})
    report["states"] = {}
    for sname, state in states.items():
        sdir = os.path.join(outdir, sname)
        mdir = os.path.join(sdir, "model")
        os.makedirs(mdir, exist_ok=True)
        _write_text(os.path.join(mdir, "config.json"), _dumps(cfg))
        write_safetensors(os.path.join(mdir, "model.safetensors"),
                          {n: t.numpy() for n, t in params.items()})
        lnpath = os.path.join(mdir, "lnfree.json")
        if state is not None:
            validate_ln_state(state, cfg["n_layer"])
            _write_text(lnpath, _dumps(state))
        elif os.path.exists(lnpath):
            os.remove(lnpath)
        _write_text(os.path.join(sdir, "probe_args.json"), _dumps(PROBE_ARGS))

        # Everything below is computed from what was just written.
        cfg2, params2, state2 = load_model_dir(mdir)
        assert cfg2 == cfg and all(torch.equal(params2[n], params[n]) for n in params)
        logits, loss, grads = loss_and_grads(params2, cfg2, x, y, state2)
        assert math.isfinite(loss.item()), (sname, loss)
        losses, norms, final = run_trajectory(params2, cfg2, x, y, state2, PROBE_ARGS)
        assert torch.isfinite(losses).all() and torch.isfinite(norms).all()
        assert losses[0].item() == loss.item(), (losses[0].item(), loss.item())
        mlosses, mnorms, mfinal = manual_trajectory(params2, cfg2, x, y, state2, PROBE_ARGS)
        # float64 both: they agree to float64 round-off, key bias included
        assert np.allclose(mlosses, losses.tolist(), rtol=0, atol=1e-12), (mlosses, losses)
        assert np.allclose(mnorms, norms.tolist(), rtol=1e-12, atol=0), (mnorms, norms)
        dmax, dkb = _param_diffs(mfinal, final, cfg2)
        assert dmax <= 1e-12 and dkb <= 1e-12, (dmax, dkb)

        def f32(t):  # the one rounding of a float64 reference
            return t.detach().to(torch.float32).numpy()

        exp = {"logits": f32(logits), "loss": f32(loss.reshape(1)),
               "losses": f32(losses), "grad_norms": f32(norms)}
        for n in params:
            exp["grad." + n] = f32(grads[n])
            exp["param." + n] = f32(final[n])
        assert all(np.isfinite(v).all() for v in exp.values())
        write_safetensors(os.path.join(sdir, "expected.safetensors"), exp)
        report["states"][sname] = {
            "loss": loss.item(), "losses": losses.tolist(), "grad_norms": norms.tolist(),
            "clipped": [n > PROBE_ARGS["clip"] for n in norms.tolist()],
            "fp32_vs_fp64_logits_maxdiff": float64_drift(params2, cfg2, x, y, state2),
            "manual_adamw_vs_torch_params_maxdiff": dmax,
            "manual_adamw_vs_torch_kbias_maxdiff": dkb,
        }
    clip = PROBE_ARGS["clip"]
    all_norms = [n for r in report["states"].values() for n in r["grad_norms"]]
    assert any(n > clip for n in all_norms) and any(n < clip for n in all_norms), all_norms
    assert all(abs(n - clip) > 0.03 * clip for n in all_norms), all_norms
    return report


def _tree_digest(root):
    out = []
    for dp, _, fns in sorted(os.walk(root)):
        for fn in sorted(fns):
            p = os.path.join(dp, fn)
            with open(p, "rb") as f:
                data = f.read()
            out.append((os.path.relpath(p, root), len(data), hashlib.sha256(data).hexdigest()))
    return out


def main(argv):
    here = os.path.dirname(os.path.abspath(__file__))
    outdir = argv[1] if len(argv) > 1 else os.path.join(here, "model")
    torch.manual_seed(0)
    np.random.seed(0)
    report = make_model_goldens(outdir)
    print(json.dumps(report, indent=2, sort_keys=True))
    total = 0
    for rel, size, digest in _tree_digest(outdir):
        print("%8d  %s  %s" % (size, digest[:16], rel))
        total += size
    print("total %d bytes" % total)


if __name__ == "__main__":
    main(sys.argv)
