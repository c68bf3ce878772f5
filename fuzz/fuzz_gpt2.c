/* Fuzz target: a whole GPT-2 forward and backward with every LN site frozen.
 *
 * The fuzz bytes choose a small config (L 1..2, NH 1..2, C 16/24/32, V 64,
 * n_positions 16), a magnitude per parameter tensor (values from a PRNG the
 * input seeds, then single values the input places), σ for every site and
 * class, the special phases and EOT sites, and a batch (B 1..2, T 1..16).
 * A structure byte sometimes builds the adversarial cases random values never
 * reach: weights as sign outer products (gradients add up instead of
 * cancelling), embedding rows constant across channels (LN outputs exactly β,
 * the centring Jacobian at full gain), every σ at its minimum.
 *
 * Domain (what a loaded checkpoint can hold, plus the guard's own bound):
 * every parameter finite; non-LN parameters |w| <= FZ_GPT2_MAX_ABS_WEIGHT;
 * LN γ, β and σ anything (the guard decides). Properties:
 *   - gpt2_forward fails, with a message, exactly when T > n_positions or a
 *     token id is out of range, or else when a frozen site's inputs leave the
 *     proven domain — and then that site's inputs really are outside it;
 *   - otherwise the loss, every per-token loss and every logit are finite;
 *   - then gpt2_backward gives finite gradients whenever backward_bound()
 *     proves no overflow is possible for this model and batch. The forward's
 *     domain alone does not bound the backward (a frozen site's Jacobian has
 *     gain up to 2·|γ|/σ = 2e6 whatever its output): see fuzz/README.md. */
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "fuzz/fuzz_util.h"
#include "model/gpt2.h"

#define FZ_GPT2_MAX_ABS_WEIGHT 1.0f
#define FZ_GPT2_V 64
#define FZ_GPT2_P 16
#define FZ_GPT2_MAX_B 2

static int is_ln_tensor(const gpt2_tensor *t) { return strstr(t->hf_name, "ln_") != NULL; }

enum { FZ_SIGN_WEIGHTS = 1, FZ_CONSTANT_ROWS = 2, FZ_MIN_SIGMA = 4 };

/* Parameters: each tensor gets magnitude × uniform[-1, 1] (or, with
 * FZ_SIGN_WEIGHTS, magnitude × ±1 alternating by row and column); then up to
 * 31 single values the input places. LN tensors may leave the guard's bound.
 * FZ_CONSTANT_ROWS: even token ids embed as a constant row, wpe is zero. */
static void fill_params(gpt2 *m, fz_reader *r, int structure)
{
    rng_t g;
    rng_seed(&g, fz_u64(r));
    for (int i = 0; i < m->n_tensors; i++) {
        const gpt2_tensor *t = &m->tensors[i];
        float *p = m->params + t->offset;
        size_t n = (size_t)t->rows * t->cols;
        uint8_t k = fz_u8(r);
        /* LN: 2^-14 .. 2^11 (past 1e3); other tensors: 2^-15 .. 1 */
        float mag = is_ln_tensor(t) ? ldexpf(1.0f, k % 26 - 14)
                                    : FZ_GPT2_MAX_ABS_WEIGHT * ldexpf(1.0f, -(k % 16));
        float offset = is_ln_tensor(t) && (k & 0x80) ? 1.0f : 0.0f; /* γ around 1 */
        int signs = (structure & FZ_SIGN_WEIGHTS) && !is_ln_tensor(t) && t->cols > 1;
        for (size_t j = 0; j < n; j++) {
            float u = signs ? (((j / t->cols) + (j % t->cols)) % 2 ? -1.0f : 1.0f)
                            : fz_rng_sym(&g);
            float v = offset + mag * u;
            if (!is_ln_tensor(t) && fabsf(v) > FZ_GPT2_MAX_ABS_WEIGHT) {
                v = copysignf(FZ_GPT2_MAX_ABS_WEIGHT, v);
            }
            p[j] = v;
        }
    }
    if (structure & FZ_CONSTANT_ROWS) {
        int C = m->cfg.n_embd;
        for (int v = 0; v < m->cfg.vocab_size; v += 2) {
            for (int c = 1; c < C; c++) {
                m->p.wte[(size_t)v * C + c] = m->p.wte[(size_t)v * C];
            }
        }
        memset(m->p.wpe, 0, (size_t)m->cfg.n_positions * C * sizeof(float));
    }
    int pokes = fz_u8(r) % 32;
    for (int i = 0; i < pokes; i++) {
        size_t at = fz_u32(r) % m->n_params;
        int ln = 0;
        for (int j = 0; j < m->n_tensors; j++) {
            const gpt2_tensor *t = &m->tensors[j];
            if (at >= t->offset && at < t->offset + (size_t)t->rows * t->cols) {
                ln = is_ln_tensor(t);
            }
        }
        m->params[at] = ln ? fz_float_near(r, LN_FIXED_MAX_ABS_PARAM)
                           : fz_float_within(r, FZ_GPT2_MAX_ABS_WEIGHT);
    }
}

/* Every site frozen, σ per class near the guard's range; special phases and
 * EOT sites as the input says. */
static void fill_ln_state(ln_state *ln, fz_reader *r, int structure)
{
    uint8_t flags = fz_u8(r);
    ln->special_bos = flags & 1;
    ln->special_eot = (flags >> 1) & 1;
    for (int k = 0; k < SITE_KINDS; k++) {
        ln->eot_kind[k] = (flags >> (2 + k)) & 1;
    }
    for (int i = 0; i < ln->n_sites; i++) {
        ln->sites[i].frozen = 1;
        for (int j = 0; j < LN_SCALE_CLASSES; j++) {
            ln->sites[i].sigma[j] = (structure & FZ_MIN_SIGMA)
                                        ? LN_FIXED_MIN_SCALE
                                        : fz_scale_near(r, LN_FIXED_MIN_SCALE, LN_FIXED_MAX_SCALE);
        }
    }
}

/* A token: often EOT (V−1), which the EOT phase treats specially. */
static int token(fz_reader *r, int V)
{
    uint8_t b = fz_u8(r);
    return b >= 224 ? V - 1 : b % V;
}

/* The input, γ and β of a site, as the forward saw them. */
static void site_inputs(const gpt2 *m, int site, const float **x, const float **w, const float **b)
{
    int L = m->cfg.n_layer;
    site_kind kind = ln_site_kind_of(&m->ln, site);
    int l = site / 3;
    if (kind == SITE_LNF) {
        *x = L > 0 ? m->acts[L - 1].res3 : m->encoded;
        *w = m->p.lnfw;
        *b = m->p.lnfb;
    } else if (kind == SITE_LN2) {
        *x = m->acts[l].res2;
        *w = m->p.layer[l].ln2w;
        *b = m->p.layer[l].ln2b;
    } else {
        *x = l > 0 ? m->acts[l - 1].res3 : m->encoded;
        *w = m->p.layer[l].ln1w;
        *b = m->p.layer[l].ln1b;
    }
}

/* A domain failure must name a site whose inputs are outside the domain. */
static void check_domain_failure(const gpt2 *m, const char *msg)
{
    for (int i = 0; i < m->ln.n_sites; i++) {
        char name[32], prefix[48];
        ln_site_name(&m->ln, i, name, sizeof name);
        snprintf(prefix, sizeof prefix, "LN site %s:", name);
        if (strstr(msg, prefix) == NULL) {
            continue;
        }
        const float *x, *w, *b;
        site_inputs(m, i, &x, &w, &b);
        int violated[LN_DOMAIN_BAD_WIDTH + 1], any = 0;
        fz_ln_domain_violations(violated, x, w, b, m->ln.sites[i].sigma, m->B * m->T,
                                m->cfg.n_embd);
        for (int k = LN_DOMAIN_BAD_SCALE; k <= LN_DOMAIN_BAD_WIDTH; k++) {
            any |= violated[k];
        }
        if (!any) {
            fz_finding("gpt2_forward failed (%s) but site %s's inputs are inside the domain",
                       msg, name);
        }
        return;
    }
    fz_finding("gpt2_forward failed with a message naming no LN site: %s", msg);
}

static double amax(const float *x, size_t n)
{
    double a = 0.0;
    for (size_t i = 0; i < n; i++) {
        a = fmax(a, fabs((double)x[i]));
    }
    return a;
}

/* An upper bound on |every gradient| gpt2_backward can produce for this
 * model and the batch of the last forward, by ∞-norms walked backward (in
 * double, so the bound itself cannot overflow before 1e308):
 *   matmul dinp ≤ OC·Wmax·|dout|, dW ≤ N·|dout|·|inp|, dbias ≤ N·|dout|;
 *   frozen LN dx ≤ 2·Γ/σmin·|dy| (Γ = max |γ|), dγ ≤ N·(2·Xmax/σmin)·|dy|;
 *   gelu' ≤ 1.2; attention dq, dk, dv ≤ max(T, 2·T·hs·Amax²/√hs)·|dout|
 *   (att ≤ 1, rows sum to 1; Amax = max |q|, |k|, |v|); residuals add. */
static double backward_bound(const gpt2 *m, int N, float loss_scale)
{
    const gpt2_config *c = &m->cfg;
    double C = c->n_embd, T = m->T, hs = C / c->n_head, wmax = 0.0, gamma = 0.0;
    double sigma = INFINITY, amax_all = 0.0, xmax = 0.0, qkv = 0.0;
    for (int i = 0; i < m->n_tensors; i++) {
        const gpt2_tensor *t = &m->tensors[i];
        double a = amax(m->params + t->offset, (size_t)t->rows * t->cols);
        if (!is_ln_tensor(t)) {
            wmax = fmax(wmax, a);
        } else if (strstr(t->hf_name, "weight") != NULL) {
            gamma = fmax(gamma, a);
        }
    }
    for (int i = 0; i < m->ln.n_sites; i++) {
        for (int j = 0; j < LN_SCALE_CLASSES; j++) {
            sigma = fmin(sigma, m->ln.sites[i].sigma[j]);
        }
    }
    size_t NC = (size_t)N * c->n_embd;
    xmax = amax(m->encoded, NC);
    amax_all = fmax(amax(m->lnf, NC), xmax);
    for (int l = 0; l < c->n_layer; l++) {
        const gpt2_layer_acts *a = &m->acts[l];
        qkv = fmax(qkv, fmax(amax(a->q, NC), fmax(amax(a->k, NC), amax(a->v, NC))));
        xmax = fmax(xmax, fmax(amax(a->res2, NC), amax(a->res3, NC)));
        amax_all = fmax(amax_all, fmax(amax(a->ln1qk, NC), amax(a->ln2, NC)));
        amax_all = fmax(amax_all, fmax(amax(a->fch_gelu, 4 * NC), amax(a->atty, NC)));
        if (m->ln.sites[ln_site_index(&m->ln, l, SITE_LN1V)].frozen) {
            amax_all = fmax(amax_all, amax(a->ln1v, NC));
        }
    }
    amax_all = fmax(amax_all, fmax(qkv, xmax));
    double G = 2.0 * gamma / sigma;                   /* one site's gain */
    double d = c->vocab_size * wmax * loss_scale;      /* d loss / d lnf output */
    double dmax = fmax(d, loss_scale);
    double R = G * d;                                  /* d loss / d residual */
    dmax = fmax(dmax, R);
    double att = fmax(T, 2.0 * T * hs * qkv * qkv / sqrt(hs));
    for (int l = c->n_layer - 1; l >= 0; l--) {
        double dfch = 1.2 * C * wmax * R;              /* c_proj, gelu */
        double dln2 = 4.0 * C * wmax * dfch;            /* c_fc */
        dmax = fmax(dmax, fmax(dfch, dln2));
        R += G * dln2;
        double datty = C * wmax * R;                    /* attention c_proj */
        double dqkv = att * datty;
        double dln1 = 3.0 * C * wmax * dqkv;            /* q, k, v projections */
        dmax = fmax(dmax, fmax(datty, fmax(dqkv, dln1)));
        R += 2.0 * G * dln1;                            /* ln1qk and ln1v */
        dmax = fmax(dmax, R);
    }
    double inputs = fmax(1.0, fmax(amax_all, 2.0 * xmax / sigma));
    return 2.0 * N * dmax * inputs; /* 2: float rounding of the accumulations */
}

FZ_SINGLE_THREADED_TARGET

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fz_reader r;
    fz_init(&r, data, size);
    gpt2_config cfg = {.n_layer = fz_int(&r, 1, 2), .n_head = fz_int(&r, 1, 2),
                       .n_embd = 8 * fz_int(&r, 2, 4), .n_positions = FZ_GPT2_P,
                       .vocab_size = FZ_GPT2_V, .eos_token_id = FZ_GPT2_V - 1,
                       .layer_norm_epsilon = 1e-5f, .folded = 0};
    gpt2 m;
    lnf_error err;
    if (gpt2_create(&m, &cfg, &err) != 0) {
        fz_finding("gpt2_create failed on a small config: %s", err.msg);
    }
    int structure = fz_chance(&r, 48) ? fz_u8(&r) : 0;
    fill_params(&m, &r, structure);
    fill_ln_state(&m.ln, &r, structure);
    m.aux_weight = fz_chance(&r, 64) ? 0.1f : 0.0f; /* inert while lnf is frozen */

    int B = fz_int(&r, 1, FZ_GPT2_MAX_B), T = fz_int(&r, 1, FZ_GPT2_P);
    int too_long = fz_chance(&r, 4);
    if (too_long) {
        T = FZ_GPT2_P + 1;
    }
    int N = B * T, bad_token = -1;
    int *inputs = fz_alloc((size_t)N * sizeof(int)), *targets = fz_alloc((size_t)N * sizeof(int));
    for (int i = 0; i < N; i++) {
        inputs[i] = token(&r, cfg.vocab_size);
        targets[i] = token(&r, cfg.vocab_size);
    }
    if (fz_chance(&r, 4)) {
        bad_token = fz_int(&r, 0, N - 1);
        int *where = fz_chance(&r, 128) ? inputs : targets;
        where[bad_token] = fz_chance(&r, 128) ? -1 - fz_u8(&r) : cfg.vocab_size + fz_u8(&r);
    }

    err.msg[0] = '\0';
    int rc = gpt2_forward(&m, inputs, targets, B, T, &err);
    if (getenv("FZ_VERBOSE") != NULL) { /* for judging what a corpus reaches */
        fprintf(stderr, "fuzz_gpt2: L%d NH%d C%d B%d T%d bos%d eot%d: %s\n", cfg.n_layer,
                cfg.n_head, cfg.n_embd, B, T, m.ln.special_bos, m.ln.special_eot,
                rc == 0 ? "forward ok, backward run" : err.msg);
    }
    if (too_long || bad_token >= 0) {
        if (rc == 0) {
            fz_finding("gpt2_forward accepted %s", too_long ? "T > n_positions" : "a bad token id");
        }
        if (err.msg[0] == '\0') {
            fz_finding("gpt2_forward failed without a message");
        }
    } else if (rc != 0) {
        check_domain_failure(&m, err.msg);
    } else {
        if (!isfinite(m.mean_loss)) {
            fz_finding("finite-domain forward gave loss %g", (double)m.mean_loss);
        }
        fz_require_finite(m.losses, (size_t)N, "losses");
        fz_require_finite(m.logits, (size_t)N * cfg.vocab_size, "logits");
        gpt2_zero_grad(&m);
        gpt2_backward(&m, 1.0f / (float)N);
        double bound = backward_bound(&m, N, 1.0f / (float)N), gmax = 0.0;
        for (int i = 0; i < m.n_tensors && bound < FLT_MAX; i++) {
            const gpt2_tensor *t = &m.tensors[i];
            char what[96];
            snprintf(what, sizeof what, "gradient of %s (rows %d..)", t->hf_name, t->row_offset);
            fz_require_finite(m.grads + t->offset, (size_t)t->rows * t->cols, what);
        }
        for (size_t i = 0; i < m.n_params; i++) {
            if (isfinite(m.grads[i])) {
                gmax = fmax(gmax, fabs((double)m.grads[i]));
            }
        }
        if (gmax > bound) { /* the bound is the harness's own claim: check it too */
            fz_finding("a gradient %g exceeds backward_bound %g", gmax, bound);
        }
        if (getenv("FZ_VERBOSE") != NULL) {
            fprintf(stderr, "fuzz_gpt2: loss %g, max |finite grad| %g, bound %g%s\n",
                    (double)m.mean_loss, gmax, bound, bound < FLT_MAX ? "" : " (not checked)");
        }
    }
    free(inputs);
    free(targets);
    gpt2_free(&m);
    return 0;
}
