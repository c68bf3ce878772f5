#!/usr/bin/env python3
"""Reads the Frama-C logs verify/run wrote and writes PROOFS.md.

usage: report.py LOGDIR OUT.md

The report is deterministic: no times, no prover names, stable ordering, so
the committed verify/PROOFS.md can be compared with a regenerated one. Exits
1 when a WP goal is unproved, a smoke test fails, a log is incomplete, or an
EVA analysis reports an alarm, an invalid property or an unproved
precondition; 0 otherwise.
"""
import os
import re
import sys

# Kernel files, in report order; "file:variant" for the two runs of each BLAS file.
WP_UNITS = [
    ("adamw", "adamw.c"),
    ("attention", "attention.c"),
    ("attention_blas-cblas", "attention_blas.c with LNFREE_HAVE_CBLAS (cblas_sgemm contract assumed)"),
    ("attention_blas-none", "attention_blas.c without BLAS (the heads call attention.c's loops)"),
    ("embedding", "embedding.c"),
    ("flat_index", "flat_index.c (lemma functions)"),
    ("gelu", "gelu.c"),
    ("layernorm", "layernorm.c"),
    ("matmul", "matmul.c"),
    ("matmul_blas-cblas", "matmul_blas.c with LNFREE_HAVE_CBLAS (cblas_sgemm contract assumed)"),
    ("matmul_blas-none", "matmul_blas.c without BLAS (the blocks call matmul.c's loops)"),
    ("residual", "residual.c"),
    ("softmax", "softmax.c"),
]
EVA_UNITS = ["adamw", "attention", "embedding", "gelu", "layernorm", "layernorm_rows",
             "matmul", "residual", "softmax"]

# Helpers whose preconditions WP proves at every call: EVA may leave them unknown.
# Preconditions EVA's non-relational intervals cannot show but WP proves at
# every call (a call precondition is a WP goal): the index helpers' (a row
# index below the row count, a head inside the channels) and the matmul
# blocks' bounds (n0 < n1 <= N, with n1 and N the same value at the call),
# and AdamW's per-element helpers' `one_minus` (the argument is 1 − β over
# the reals, the model of the functional contracts; in floats it is 1 − β
# rounded, which EVA rightly cannot show equal), and the attention forward's
# row helpers' (the row t below T and the rows' strides, relational; the
# scale 1/√hs over the reals, as `one_minus`; the scores and weights in
# att_t, stated with the functional contracts' logic functions).
WP_PROVED_HELPERS = {"lnf_row_offset", "lnf_block_row_offset", "attn_index_of", "key_offset"}
WP_PROVED_PRECONDITIONS = {("attention_scores", "sizes"), ("attention_scores", "rows"),
                           ("attention_scores", "scale"), ("attention_exp_sum", "scores"),
                           ("attention_softmax_row", "sizes"), ("attention_softmax_row", "rows"),
                           ("attention_softmax_row", "scale"),
                           ("attention_weighted_sum", "sizes"), ("attention_weighted_sum", "rows"),
                           ("attention_weighted_sum", "weights"),
                           ("dv_add_query", "sizes"), ("dv_add_query", "rows"),
                           ("dv_index_facts", "sizes"), ("dv_index_facts", "rows"),
                           ("attention_backward_row", "sizes"), ("attention_backward_row", "rows"),
                           ("attention_backward_row", "scale"),
                           ("attn_row_dq_is", "sizes"), ("attn_row_dq_is", "rows"),
                           ("attn_row_dq_is", "scale"),
                           ("matmul_forward_block_ref", "block"),
                           ("matmul_backward_dinp_block_ref", "block"),
                           ("matmul_backward_dweight_block_ref", "block"),
                           ("matmul_backward_dbias_block", "block"),
                           ("adamw_moment1", "one_minus"),
                           ("adamw_moment2", "one_minus"),
                           # the not-unrolled reductions up to 65536: EVA proves
                           # every access of the strided loop (0 alarms) but cannot
                           # relate the last offset a0 + (n-1)·sa of the \valid
                           # range to an n that spans the whole interval
                           ("matmul_accumulate_row", "valid"), ("matmul_dot", "readable"),
                           # LayerNorm's row loop not unrolled (layernorm_rows):
                           # n < N for an N that spans [1, 16384]
                           ("row_inverse_scale", "row")}

GOAL_RE = re.compile(r"^\[wp\] \[([^\]]+)\] Goal (typed_real_\S+)(?: : (\w+))?")
SMOKE_RE = re.compile(r"^\[wp\] \[([^\]]+)\] Smoke-test (typed_real_\S+)")
FUNC_RE = re.compile(r"^\[rte:annot\] annotating function (\w+)")
TOTAL_RE = re.compile(r"^\[wp\] Proved goals:\s+(\d+) / (\d+)")


def parse_wp(path):
    """Returns (functions, per-function rows, total line, problems)."""
    with open(path, encoding="utf-8", errors="replace") as f:
        lines = f.read().splitlines()
    funcs = []
    for line in lines:
        m = FUNC_RE.match(line)
        if m and m.group(1) not in funcs:
            funcs.append(m.group(1))
    by_len = sorted(funcs, key=len, reverse=True)
    rows = {}
    problems = []

    def owner(goal):
        name = goal[len("typed_real_"):]
        if name.startswith("lemma_"):
            return "(lemma) " + name[len("lemma_"):]
        for fn in by_len:
            if name.startswith(fn + "_"):
                return fn
        return "(other)"

    def row(key):
        return rows.setdefault(key, {"proved": 0, "total": 0, "smoke_ok": 0, "smoke": 0,
                                     "unproved": []})

    total = None
    for line in lines:
        m = SMOKE_RE.match(line)
        if m:
            r = row(owner(m.group(2)))
            r["smoke"] += 1
            if m.group(1) == "Passed":
                r["smoke_ok"] += 1
            else:
                r["unproved"].append("smoke test " + m.group(2) + " (" + m.group(1) + ")")
            continue
        m = GOAL_RE.match(line)
        if m:
            r = row(owner(m.group(2)))
            r["total"] += 1
            if m.group(3) == "Valid":
                r["proved"] += 1
            else:
                r["unproved"].append(m.group(2))
            continue
        m = TOTAL_RE.match(line)
        if m:
            total = (int(m.group(1)), int(m.group(2)))
    if total is None:
        problems.append("no 'Proved goals' line: Frama-C did not finish (see the log)")
    else:
        counted = sum(r["proved"] + r["smoke_ok"] for r in rows.values())
        all_goals = sum(r["total"] + r["smoke"] for r in rows.values())
        if (counted, all_goals) != total:
            problems.append("goal lines (%d/%d) disagree with WP's total (%d/%d)"
                            % (counted, all_goals, total[0], total[1]))
    for line in lines:
        if "User Error" in line or "Frama-C aborted" in line:
            problems.append(line.strip())
    return funcs, rows, total, problems


PROP_RE = re.compile(r"^\s+(Assertions|Preconditions|Postconditions|Loop invariants|"
                     r"Invariants|Dead properties|Reachable|Terminates)\s+(\d+) valid\s+"
                     r"(\d+) unknown\s+(\d+) invalid\s+(\d+) total")
ALARMS_RE = re.compile(r"^\s+(\d+) alarms? generated by the analysis")
SHOW_RE = re.compile(r"Frama_C_show_each_(\w+):\s*(.*)")


def parse_eva(path):
    with open(path, encoding="utf-8", errors="replace") as f:
        text = f.read()
    # join continuation lines (Frama-C wraps long messages with indentation)
    joined = re.sub(r"\n(?=[ \t]+[^ \t\n])", " ", text)
    alarms = None
    props = {}
    shows = []
    problems = []
    for line in text.splitlines():
        m = ALARMS_RE.match(line)
        if m:
            alarms = int(m.group(1))
        m = PROP_RE.match(line)
        if m:
            props[m.group(1)] = tuple(int(m.group(i)) for i in range(2, 6))
    if re.search(r"No alarms? generated|\b0 alarms generated", text) and alarms is None:
        alarms = 0
    unknown_pre = {}
    for line in joined.splitlines():
        m = re.search(r"function (\w+): precondition(?: '(\w+)')?.* got status (unknown|invalid)",
                      line)
        if m:
            unknown_pre.setdefault(m.group(1), set()).add((m.group(2), m.group(3)))
        m = SHOW_RE.search(line)
        if m:
            shows.append((m.group(1), " ".join(m.group(2).split())))
    if alarms is None:
        problems.append("no alarm count: EVA did not finish (see the log)")
    if not shows:
        problems.append("no output bounds printed: the harness did not reach its end")
    for line in text.splitlines():
        if "User Error" in line or "Frama-C aborted" in line or "NON TERMINATING" in line:
            problems.append(line.strip())
    return alarms, props, shows, problems, unknown_pre


def harness_kernel(path):
    """The kernel file a harness analyses when it is not its own name
    ('/* eva-kernel: NAME */'), else None."""
    with open(path, encoding="utf-8") as f:
        for line in f:
            m = re.match(r"/\* eva-kernel: (\w+) \*/$", line.strip())
            if m:
                return m.group(1)
    return None


def harness_domain(path):
    """The harness's '/* domain: ... */' comment lines, in order."""
    out = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            m = re.match(r"\s*\*?\s*domain:\s*(.*?)\s*(\*/)?\s*$", line)
            if m:
                out.append(m.group(1))
    return out


def main():
    logdir, out_path = sys.argv[1], sys.argv[2]
    verify_dir = os.path.dirname(os.path.abspath(__file__))
    failed = False
    md = []
    md.append("# Proof summary (generated by verify/run: do not edit)")
    md.append("")
    md.append("WP: `frama-c -wp -wp-rte -wp-model Typed+real -wp-prover z3,cvc4 -wp-smoke-tests`, "
              "one run per kernel file. *goals* counts every proof obligation of the function "
              "(contract, loop invariants/assigns/variants, RTE: memory access, signed overflow, "
              "call preconditions); *smoke* counts smoke tests that found no inconsistency. "
              "The real model proves the functional contracts over the reals: float "
              "rounding, NaN and infinities are EVA's part.")
    md.append("")
    md.append("EVA: one harness per kernel (`verify/eva/`), every input an independent "
              "`Frama_C_float_interval`/`Frama_C_interval` over the domain listed. *alarms* "
              "are EVA's run-time-error alarms (NaN, infinity, overflow, invalid memory "
              "access, division by zero, libm preconditions); the bounds are the intervals "
              "EVA proves for the outputs. Annotations EVA cannot evaluate (the functional "
              "contracts over logic functions) are left to WP and counted as *left to WP*.")
    md.append("")
    md.append("## WP")
    md.append("")
    grand = [0, 0, 0, 0]
    for unit, title in WP_UNITS:
        path = os.path.join(logdir, "wp-%s.log" % unit)
        md.append("### %s" % title)
        md.append("")
        if not os.path.exists(path):
            md.append("**missing log**")
            md.append("")
            failed = True
            continue
        funcs, rows, total, problems = parse_wp(path)
        md.append("| function | goals proved / total | smoke tests passed / total |")
        md.append("|---|---|---|")
        keys = [k for k in sorted(rows) if not k.startswith("(")] + \
               [k for k in sorted(rows) if k.startswith("(")]
        for k in keys:
            r = rows[k]
            md.append("| `%s` | %d / %d | %d / %d |" % (k, r["proved"], r["total"],
                                                     r["smoke_ok"], r["smoke"]))
            grand[0] += r["proved"]
            grand[1] += r["total"]
            grand[2] += r["smoke_ok"]
            grand[3] += r["smoke"]
        unproved = [u for k in keys for u in rows[k]["unproved"]]
        md.append("")
        if unproved or problems:
            failed = True
            md.append("**Not proved:**")
            md.append("")
            for u in unproved + problems:
                md.append("- `%s`" % u)
            md.append("")
    md.append("**All WP units: %d / %d goals proved, %d / %d smoke tests passed.**"
              % tuple(grand))
    md.append("")
    md.append("## EVA")
    md.append("")
    for k in EVA_UNITS:
        path = os.path.join(logdir, "eva-%s.log" % k)
        harness = os.path.join(verify_dir, "eva", "%s_harness.c" % k)
        kernel = harness_kernel(harness) or k
        md.append("### %s.c%s (`verify/eva/%s_harness.c`)"
                  % (kernel, "" if kernel == k else ", " + k.replace("_", " "), k))
        md.append("")
        if not os.path.exists(path):
            md.append("**missing log**")
            md.append("")
            failed = True
            continue
        alarms, props, shows, problems, unknown_pre = parse_eva(path)
        # Relational preconditions (WP_PROVED_*) are WP's part; any other
        # precondition EVA cannot show (a kernel's, or libm's) is a failure.
        for fn in sorted(unknown_pre):
            for name, status in sorted(unknown_pre[fn], key=str):
                if status == "invalid" or (fn not in WP_PROVED_HELPERS and
                                           (fn, name) not in WP_PROVED_PRECONDITIONS):
                    problems.append("precondition %s of %s not shown by EVA" % (name, fn))
        md.append("Domain:")
        md.append("")
        for d in harness_domain(harness):
            md.append("- " + d)
        md.append("")
        md.append("Alarms: **%s**" % ("?" if alarms is None else alarms))
        md.append("")
        left = 0
        for name in sorted(props):
            valid, unknown, invalid, total = props[name]
            if invalid:
                problems.append("%s: %d invalid" % (name, invalid))
            if unknown:
                left += unknown
        md.append("Properties: " + "; ".join(
            "%s %d/%d valid" % (n.lower(), props[n][0], props[n][3]) for n in sorted(props))
            + ("; %d left to WP" % left if left else ""))
        md.append("")
        md.append("| output | proven bounds |")
        md.append("|---|---|")
        for name, val in shows:
            md.append("| `%s` | `%s` |" % (name, val))
        md.append("")
        if alarms != 0 or problems:
            failed = True
            md.append("**Problems:**")
            md.append("")
            for p in problems:
                md.append("- " + p)
            if alarms:
                md.append("- %d alarm(s): see the log" % alarms)
            md.append("")
    failed |= contracts_section(md, verify_dir)
    failed |= mutation_section(md, verify_dir)
    failed |= coverage_section(md, verify_dir)
    md.append("## Assumed, not proved")
    md.append("")
    md.append("- `cblas_sgemm` (OpenBLAS / reference BLAS): its contract in "
              "`verify/stubs/cblas.h` is assumed: for the row-major calls `matmul_blas.c` "
              "and `attention_blas.c` make, strided ones included, it reads A and B, writes "
              "only the M × N block of C, and (for `matmul_blas.c`) each element of the "
              "block is beta·C + alpha·Σ_k op(A)[i][k]·op(B)[k][j] over the reals, the rest "
              "of the block's rows kept. Ghost parameters name the arrays the blocks are cut "
              "from. OpenBLAS's code is not verified here; the reference loops are, and the "
              "C tests and `fuzz/` compare the two.")
    md.append("- libm (`expf`, `logf`, `log`, `sqrtf`, `sqrt`): the contracts of Frama-C's "
              "libc `math.h` are assumed, and, for the functional contracts, the values in "
              "`kernels/libm_spec.h`: `expf(x)` is `lnf_exp(x)` (e^x, an uninterpreted "
              "positive function declared there: z3 and cvc4 give up on ACSL's `\\exp`) "
              "for x in libc's normal range [-103.97, 88.72] (0 below it, as libc says), and `sqrtf(x)` is `\\sqrt(x)` for x >= 0 (libc already "
              "states it for `sqrt`).")
    md.append("- `lnf_dot_frame` (`kernels/dot_spec.h`): the dot product depends only on its "
              "terms, between any two memory states. It follows from `lnf_dot_sum`'s first- "
              "and next-term axioms by induction on the length, which z3 and cvc4 do not do.")
    md.append("- `lnf_sum_frame` (`kernels/dot_spec.h`): the same for the strided sum "
              "`lnf_sum` (dbias, the LayerNorm mean), from `lnf_sum_terms`' axioms, and for "
              "`layernorm_sqdev` (`kernels/layernorm.h`, the variance's sum of squared "
              "deviations), from `layernorm_sqdev_terms`' axioms, and for `layernorm_gx` "
              "(the real LayerNorm backward's Σ g·x̂), from `layernorm_gx_terms`' axioms.")
    md.append("- `softmax_sum_exp_frame` (`kernels/softmax.h`): the same for Σ exp(x − m) over a "
              "row of logits, from `softmax_lane`'s and `softmax_tail`'s axioms. `log`'s value, "
              "`lnf_log(x)` for x > 0 (`kernels/libm_spec.h`), as `expf`'s.")
    md.append("- Attention's frame axioms (`kernels/attention.h`), of the same kind: "
              "`attn_dot_frame` (the lane-ordered dot product of `dot()`, from `attn_lanes`' "
              "axioms and `lnf_dot_frame`), `attn_score_frame` (a score q_t·k_s/√hs depends on "
              "q_t and key s only: it follows from `attn_dot_frame` and the lemma "
              "`attn_row_in`, but the provers do not match the key's shifted pointer with the "
              "flat rows of `attn_same_inputs`), `attn_sum_exp_frame` (Σ exp(score − m), from "
              "`attn_sum_terms`' axioms) and `attn_out_frame` (Σ weight·v, from "
              "`attn_out_terms`' axioms); for the backward's dq, `attn_datt_frame` (datt(s) = "
              "dout_t·v_s depends on dout_t and value row s only, as `attn_score_frame`) and "
              "`attn_row_dq_frame` (dq of a query row depends on the head's weights, dout, v "
              "and k only, from `attn_dq_terms`' axioms). The frames of the max and of the "
              "weights are lemmas WP proves (`attn_max_frame`, `attn_weight_frame`). Not "
              "assumptions: `attn_mul` (a·b under a name of its own, so that the provers "
              "match the backward's terms by their factors) and `attn_datt` (a dot product "
              "under a name of its own) are each given by one defining axiom.")
    md.append("- WP's memory-model hypotheses (errno separated from the kernels' arrays).")
    md.append("")
    with open(out_path, "w", encoding="utf-8") as f:
        f.write("\n".join(md))
    return 1 if failed else 0


PROTOTYPE_RE = re.compile(r"^(?:const\s+)?[a-z_][a-z_0-9]*\s+\**([a-z_][a-z_0-9]*)\(", re.M)


def contracts_section(md, verify_dir):
    """What each exported kernel function's contract states (verify/contracts.tsv),
    by header. Returns True when a function declared in a kernels/*.h header is
    missing from the table, or the table names one no header declares."""
    kernels = os.path.join(os.path.dirname(verify_dir), "kernels")
    declared = set()
    for name in sorted(os.listdir(kernels)):
        # the kernels' headers; parallel.h's OpenMP drivers are not analysed
        # (verify/README.md) and libm_spec.h declares libc's functions
        if name.endswith(".h") and name not in ("parallel.h", "libm_spec.h"):
            with open(os.path.join(kernels, name), encoding="utf-8") as f:
                text = f.read()
            # declarations only: a static inline helper has a body, not a ';'
            for m in PROTOTYPE_RE.finditer(text):
                end = text.find(")", m.end())
                rest = text[end + 1:end + 3].strip()
                if rest.startswith(";"):
                    declared.add((name, m.group(1)))
    rows = []
    with open(os.path.join(verify_dir, "contracts.tsv"), encoding="utf-8") as f:
        for line in f:
            if line.strip() and not line.startswith("#"):
                rows.append(line.rstrip("\n").split("\t"))
    listed = {(r[0], r[1]) for r in rows}
    md.append("## Contracts")
    md.append("")
    md.append("What each exported kernel function's contract states, in words "
              "(`verify/contracts.tsv`; the ACSL is on the prototype in the header). "
              "*functional*: every output is stated as a function of the inputs, over the "
              "reals; *partial*: some outputs; *memory*: only what the function reads and "
              "writes and the absence of run-time errors. Rounding is never covered here: "
              "that is EVA's part (bounds, no NaN or overflow).")
    md.append("")
    kinds = {}
    for r in rows:
        kinds[r[2]] = kinds.get(r[2], 0) + 1
    md.append("**%s of %d exported functions.**" % (
        ", ".join("%d %s" % (kinds[k], k) for k in ("functional", "partial", "memory") if k in kinds),
        len(rows)))
    md.append("")
    md.append("| header | function | contract | states | not covered |")
    md.append("|---|---|---|---|---|")
    for r in rows:
        md.append("| `%s` | `%s` | %s | %s | %s |" % (r[0], r[1], r[2], r[3], r[4]))
    md.append("")
    missing = sorted(declared - listed)
    extra = sorted(listed - declared)
    if missing or extra:
        md.append("**Problems:**")
        md.append("")
        for h, fn in missing:
            md.append("- `%s` declared in `%s` is missing from verify/contracts.tsv" % (fn, h))
        for h, fn in extra:
            md.append("- verify/contracts.tsv lists `%s` in `%s`, which no header declares" % (fn, h))
        md.append("")
        return True
    return False


PRESET_RE = re.compile(r'\{"(gpt2(?:-xl)?)", (\d+), (\d+), (\d+), (\d+)\}')
VOCAB_RE = re.compile(r"#define GPT2_VOCAB (\d+)")
COVERAGE_ROWS = 16384  # N = B·T, the recipes' micro-batch anchor (issue 15)


def gpt2_shapes(repo):
    """GPT-2 small and XL at their context length, from model/config.c's presets."""
    with open(os.path.join(repo, "model", "config.c"), encoding="utf-8") as f:
        text = f.read()
    V = int(VOCAB_RE.search(text).group(1))
    shapes = {}
    for m in PRESET_RE.finditer(text):
        L, NH, C, T = (int(g) for g in m.groups()[1:])
        # wte, wpe, L blocks (12 C² + 13 C: two LayerNorms, qkv, proj, MLP), ln_f
        params = V * C + T * C + L * (12 * C * C + 13 * C) + 2 * C
        shapes[m.group(1)] = {"L": L, "NH": NH, "C": C, "T": T, "V": V, "N": COVERAGE_ROWS,
                              "params": params}
    return shapes


def in_proved(value, proved, shape):
    """proved: comma-separated ranges lo..hi or single values; a range may hold
    only at some values of another shape parameter ("1..16384@C=768|1600")."""
    for part in proved.split(","):
        part, _, cond = part.partition("@")
        if cond:
            name, _, allowed = cond.partition("=")
            if shape[name] not in [int(a) for a in allowed.split("|")]:
                continue
        lo, _, hi = part.partition("..")
        if int(lo) <= value <= int(hi or lo):
            return True
    return False


def shown_range(proved):
    """coverage.tsv's proved column for a reader."""
    out = []
    for part in proved.split(","):
        part, _, cond = part.partition("@")
        text = part.replace("..", " .. ")
        if cond:
            name, _, allowed = cond.partition("=")
            text += " at %s ∈ {%s}" % (name, ", ".join(allowed.split("|")))
        out.append(text)
    return "; ".join(out) if any("@" in p for p in proved.split(",")) else ", ".join(out)


def coverage_section(md, verify_dir):
    """Per kernel and shape parameter: the range the EVA harness covers, and
    whether GPT-2 small and XL at T = 1024 lie inside (verify/coverage.tsv).
    Returns True when the table cannot be built."""
    try:
        shapes = gpt2_shapes(os.path.dirname(verify_dir))
        small, xl = shapes["gpt2"], shapes["gpt2-xl"]
    except (OSError, AttributeError, KeyError) as e:
        md.append("**coverage: cannot read the GPT-2 presets from model/config.c: %s**" % e)
        return True
    md.append("## Coverage")
    md.append("")
    md.append("Per kernel and shape parameter, the range over which EVA proves the kernel free of "
              "run-time errors (`verify/coverage.tsv`, from the harnesses' domains), and whether "
              "GPT-2 small (C = %d, NH = %d) and XL (C = %d, NH = %d) at T = %d, V = %d and "
              "N = B·T = %d rows lie inside: *yes* (value inside) or *no (value)*. WP's "
              "contracts hold for every size."
              % (small["C"], small["NH"], xl["C"], xl["NH"], small["T"], small["V"],
                 COVERAGE_ROWS))
    md.append("")
    md.append("| kernel | parameter | proved range | gpt2 | gpt2-xl |")
    md.append("|---|---|---|---|---|")
    inside = total = 0
    with open(os.path.join(verify_dir, "coverage.tsv"), encoding="utf-8") as f:
        for line in f:
            if not line.strip() or line.startswith("#"):
                continue
            kernel, param, proved, quantity = line.rstrip("\n").split("\t")
            cells = []
            for shape in (small, xl):
                value = eval(quantity, {"__builtins__": {}}, dict(shape))  # noqa: S307 (our file)
                ok = in_proved(value, proved, shape)
                inside += ok
                total += 1
                cells.append("yes" if ok else "no (%d)" % value)
            shown = shown_range(proved)
            md.append("| `%s` | %s | %s | %s | %s |" % (kernel, param, shown, cells[0], cells[1]))
    md.append("")
    md.append("**%d of %d (parameter, model) pairs inside the proven domain.**" % (inside, total))
    md.append("")
    return False


def mutation_section(md, verify_dir):
    """The mutation check (verify/mutate): per kernel file, how many of its
    mutants the contracts kill, then every mutant. Returns True when the
    results file is missing or lists a mutant verify/mutants.tsv does not."""
    results = os.path.join(verify_dir, "mutation.tsv")
    mutants = os.path.join(verify_dir, "mutants.tsv")
    md.append("## Mutation check")
    md.append("")
    md.append("`verify/mutate` applies each mutant of `verify/mutants.tsv` (a sign flipped, a "
              "factor dropped, an operand changed) to a copy of the kernels and runs WP on the "
              "mutated function alone, with the settings above. A mutant is *killed* when a goal "
              "of that function is left unproved; a mutant that *survives* shows a contract that "
              "says too little. The CTest `verify_mutants` reruns the mutants marked `sample` "
              "(one or more per kernel file) and fails when a result differs from this table.")
    md.append("")
    if not os.path.exists(results):
        md.append("**missing verify/mutation.tsv: run verify/mutate**")
        md.append("")
        return True
    listed = []
    with open(mutants, encoding="utf-8") as f:
        for line in f:
            if line.strip() and not line.startswith("#"):
                cols = line.rstrip("\n").split("\t")
                listed.append((cols[0], cols[2], cols[3], cols[4]))
    rows = {}
    with open(results, encoding="utf-8") as f:
        for line in f:
            if line.strip() and not line.startswith("#"):
                cols = line.rstrip("\n").split("\t")
                rows[cols[0]] = cols
    per_unit = {}
    for r in rows.values():
        k = per_unit.setdefault(r[1], [0, 0])
        k[0] += r[3] == "killed"
        k[1] += 1
    md.append("| kernel file | mutants killed / total |")
    md.append("|---|---|")
    for unit in sorted(per_unit):
        md.append("| `%s` | %d / %d |" % (unit, per_unit[unit][0], per_unit[unit][1]))
    md.append("")
    md.append("| mutant | function | change | result | goals proved |")
    md.append("|---|---|---|---|---|")
    missing = []
    for mid, fn, old, new in listed:
        r = rows.get(mid)
        if r is None:
            missing.append(mid)
            continue
        md.append("| `%s` | `%s` | `%s` → `%s` | %s | %s |"
                  % (mid, fn, old.replace("|", "\\|"), new.replace("|", "\\|"), r[3], r[4]))
    md.append("")
    killed = sum(1 for r in rows.values() if r[3] == "killed")
    md.append("**%d of %d mutants killed.**" % (killed, len(rows)))
    md.append("")
    stale = sorted(set(rows) - {m[0] for m in listed})
    if missing or stale:
        md.append("**verify/mutation.tsv is out of date** (run verify/mutate): " +
                  ", ".join(missing + stale))
        md.append("")
        return True
    return False


if __name__ == "__main__":
    sys.exit(main())
