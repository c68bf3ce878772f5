#include "model/gpt2.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "kernels/attention.h"
#include "kernels/embedding.h"
#include "kernels/layernorm.h"
#include "kernels/matmul.h"
#include "kernels/parallel.h"
#include "base/rng.h"
#include "model/domain_watch.h"

/* ---------------------------------------------------------------- layout */

/* Walks the parameter layout once; with base it hands out pointers, with
 * record it fills m->tensors. The order here is the buffer's order. */
typedef struct {
    gpt2 *m;
    float *base;
    int record;
    int count;
    size_t offset;
} layout_walk;

static float *place(layout_walk *w, const char *hf_name, int hf_ndim, int rows, int cols,
                    int hf_rows, int row_offset, int transposed)
{
    if (w->m->cfg.folded && strstr(hf_name, "ln_") != NULL) {
        return NULL; /* the folded form has no LayerNorm parameters */
    }
    if (w->record) {
        gpt2_tensor *t = &w->m->tensors[w->count];
        snprintf(t->hf_name, sizeof t->hf_name, "%s", hf_name);
        t->hf_ndim = hf_ndim;
        t->rows = rows;
        t->cols = cols;
        t->hf_rows = hf_rows;
        t->row_offset = row_offset;
        t->transposed = transposed;
        t->offset = w->offset;
    }
    float *p = w->base != NULL ? w->base + w->offset : NULL;
    w->count++;
    w->offset += (size_t)rows * (size_t)cols;
    return p;
}

static void walk_layout(layout_walk *w, gpt2_view *v)
{
    const gpt2_config *c = &w->m->cfg;
    int C = c->n_embd, V = c->vocab_size, P = c->n_positions;
    char name[64];
    v->wte = place(w, "wte.weight", 2, V, C, V, 0, 0);
    v->wpe = place(w, "wpe.weight", 2, P, C, P, 0, 0);
    for (int l = 0; l < c->n_layer; l++) {
        gpt2_layer_view *lv = v->layer != NULL ? &v->layer[l] : &(gpt2_layer_view){0};
#define HF(suffix) (snprintf(name, sizeof name, "h.%d.%s", l, suffix), name)
        lv->ln1w = place(w, HF("ln_1.weight"), 1, C, 1, C, 0, 0);
        lv->ln1b = place(w, HF("ln_1.bias"), 1, C, 1, C, 0, 0);
        /* c_attn [C,3C] on disk: q, k, v are its column blocks */
        lv->qw = place(w, HF("attn.c_attn.weight"), 2, C, C, 3 * C, 0, 1);
        lv->kw = place(w, HF("attn.c_attn.weight"), 2, C, C, 3 * C, C, 1);
        lv->vw = place(w, HF("attn.c_attn.weight"), 2, C, C, 3 * C, 2 * C, 1);
        lv->qb = place(w, HF("attn.c_attn.bias"), 1, C, 1, 3 * C, 0, 0);
        lv->kb = place(w, HF("attn.c_attn.bias"), 1, C, 1, 3 * C, C, 0);
        lv->vb = place(w, HF("attn.c_attn.bias"), 1, C, 1, 3 * C, 2 * C, 0);
        lv->attprojw = place(w, HF("attn.c_proj.weight"), 2, C, C, C, 0, 1);
        lv->attprojb = place(w, HF("attn.c_proj.bias"), 1, C, 1, C, 0, 0);
        lv->ln2w = place(w, HF("ln_2.weight"), 1, C, 1, C, 0, 0);
        lv->ln2b = place(w, HF("ln_2.bias"), 1, C, 1, C, 0, 0);
        lv->fcw = place(w, HF("mlp.c_fc.weight"), 2, 4 * C, C, 4 * C, 0, 1);
        lv->fcb = place(w, HF("mlp.c_fc.bias"), 1, 4 * C, 1, 4 * C, 0, 0);
        lv->fcprojw = place(w, HF("mlp.c_proj.weight"), 2, C, 4 * C, C, 0, 1);
        lv->fcprojb = place(w, HF("mlp.c_proj.bias"), 1, C, 1, C, 0, 0);
#undef HF
    }
    v->lnfw = place(w, "ln_f.weight", 1, C, 1, C, 0, 0);
    v->lnfb = place(w, "ln_f.bias", 1, C, 1, C, 0, 0);
    if (c->folded) {
        v->lm_head_w = place(w, "lm_head.weight", 2, V, C, V, 0, 0);
        v->lm_head_b = place(w, "lm_head.bias", 1, V, 1, V, 0, 0);
    }
}

size_t gpt2_param_count(const gpt2_config *cfg)
{
    gpt2 m = {.cfg = *cfg};
    layout_walk count = {.m = &m};
    gpt2_view unused = {0};
    walk_layout(&count, &unused);
    return count.offset;
}

int gpt2_create(gpt2 *m, const gpt2_config *cfg, lnf_error *err)
{
    memset(m, 0, sizeof *m);
    m->cfg = *cfg;
    layout_walk count = {.m = m};
    gpt2_view unused = {0};
    walk_layout(&count, &unused);
    m->n_tensors = count.count;
    m->n_params = count.offset;
    if (m->n_params > 0x7fffffff) {
        return lnf_fail(err, "model has %zu parameters; lnfree indexes them with int (max %d)",
                        m->n_params, 0x7fffffff);
    }
    m->tensors = calloc((size_t)m->n_tensors, sizeof *m->tensors);
    m->params = calloc(m->n_params, sizeof(float));
    m->grads = calloc(m->n_params, sizeof(float));
    m->p.layer = calloc((size_t)cfg->n_layer, sizeof *m->p.layer);
    m->g.layer = calloc((size_t)cfg->n_layer, sizeof *m->g.layer);
    if (!m->tensors || !m->params || !m->grads || !m->p.layer || !m->g.layer ||
        ln_state_init(&m->ln, cfg->n_layer, err) != 0) {
        gpt2_free(m);
        return lnf_fail(err, "out of memory for %zu parameters", count.offset);
    }
    m->adam_n = m->n_params; /* every parameter, unless optim_set_shard says otherwise */
    layout_walk params = {.m = m, .base = m->params, .record = 1};
    walk_layout(&params, &m->p);
    layout_walk grads = {.m = m, .base = m->grads};
    walk_layout(&grads, &m->g);
    return 0;
}

static void free_acts(gpt2 *m)
{
    free(m->act_mem);
    free(m->acts);
    free(m->inputs);
    free(m->targets);
    free(m->scale_class);
    m->act_mem = NULL;
    m->acts = NULL;
    m->inputs = m->targets = NULL;
    m->scale_class = NULL;
    m->B = m->T = 0;
}

void gpt2_free(gpt2 *m)
{
    free_acts(m);
    free(m->tensors);
    free(m->params);
    free(m->grads);
    free(m->adam_m);
    free(m->adam_v);
    free(m->p.layer);
    free(m->g.layer);
    ln_state_free(&m->ln);
    memset(m, 0, sizeof *m);
}

void gpt2_init_random(gpt2 *m, uint64_t seed)
{
    rng_t rng;
    rng_seed(&rng, seed);
    float resid_std = 0.02f / sqrtf(2.0f * (float)m->cfg.n_layer);
    for (int i = 0; i < m->n_tensors; i++) {
        const gpt2_tensor *t = &m->tensors[i];
        float *p = m->params + t->offset;
        size_t n = (size_t)t->rows * (size_t)t->cols;
        const char *leaf = strrchr(t->hf_name, '.') + 1;
        int is_ln = strstr(t->hf_name, "ln_") != NULL;
        for (size_t j = 0; j < n; j++) {
            if (is_ln) {
                p[j] = strcmp(leaf, "weight") == 0 ? 1.0f : 0.0f;
            } else if (strcmp(leaf, "bias") == 0) {
                p[j] = 0.0f;
            } else {
                float std = strstr(t->hf_name, "c_proj.weight") ? resid_std : 0.02f;
                p[j] = std * rng_normal(&rng);
            }
        }
    }
}

/* ------------------------------------------------------------ activations */

/* The activation layout, one list: walk_acts hands out consecutive pieces of
 * one buffer (with base NULL it only counts them, for the allocation; with
 * m->acts NULL it writes no layer's pointers). */
typedef struct {
    float *base;
    size_t used; /* floats */
} act_walk;

static float *take(act_walk *w, size_t n)
{
    float *p = w->base != NULL ? w->base + w->used : NULL;
    w->used += n;
    return p;
}

static void walk_acts(gpt2 *m, act_walk *w, size_t B, size_t T)
{
    const gpt2_config *c = &m->cfg;
    size_t BT = B * T, C = (size_t)c->n_embd, V = (size_t)c->vocab_size, NH = (size_t)c->n_head;
    gpt2_layer_acts unused;
    for (int l = 0; l < c->n_layer; l++) {
        gpt2_layer_acts *a = m->acts != NULL ? &m->acts[l] : &unused;
        a->ln1qk = take(w, BT * C);
        a->ln1qk_mean = take(w, BT);
        a->ln1qk_rstd = take(w, BT);
        a->ln1v = take(w, BT * C);
        a->ln1v_mean = take(w, BT);
        a->ln1v_rstd = take(w, BT);
        a->q = take(w, BT * C);
        a->k = take(w, BT * C);
        a->v = take(w, BT * C);
        a->att = take(w, NH * BT * T);
        a->atty = take(w, BT * C);
        a->res2 = take(w, BT * C);
        a->ln2 = take(w, BT * C);
        a->ln2_mean = take(w, BT);
        a->ln2_rstd = take(w, BT);
        a->fch = take(w, 4 * BT * C);
        a->fch_gelu = take(w, 4 * BT * C);
        a->res3 = take(w, BT * C);
    }
    m->encoded = take(w, BT * C);
    m->lnf = take(w, BT * C);
    m->lnf_mean = take(w, BT);
    m->lnf_rstd = take(w, BT);
    m->logits = take(w, BT * V);
    m->dlogits = take(w, BT * V);
    m->losses = take(w, BT);
    m->lse = take(w, BT);
    m->dres = take(w, BT * C);
    m->dc = take(w, BT * C);
    m->dq = take(w, BT * C);
    m->dk = take(w, BT * C);
    m->dv = take(w, BT * C);
    m->dln1v = take(w, BT * C);
    m->proj = take(w, BT * C);
    m->dfch = take(w, 4 * BT * C);
    m->dfch_gelu = take(w, 4 * BT * C);
    m->datt_row = take(w, NH * BT * ATT_BLOCK);
    m->ln_partial = take(w, PAR_MAX_PIECES * 2 * C);
}

size_t gpt2_activation_bytes(const gpt2_config *cfg, int B, int T)
{
    gpt2 m = {.cfg = *cfg}; /* acts NULL: walk_acts only counts */
    act_walk count = {0};
    walk_acts(&m, &count, (size_t)B, (size_t)T);
    size_t BT = (size_t)B * T;
    return count.used * sizeof(float) + 2 * BT * sizeof(int) + SITE_KINDS * BT;
}

static int ensure_acts(gpt2 *m, int B, int T, lnf_error *err)
{
    if (m->B == B && m->T == T) {
        return 0;
    }
    free_acts(m);
    size_t BT = (size_t)B * T, L = (size_t)m->cfg.n_layer;
    m->acts = calloc(L > 0 ? L : 1, sizeof *m->acts);
    act_walk count = {0};
    if (m->acts != NULL) {
        walk_acts(m, &count, (size_t)B, (size_t)T);
    }
    m->act_mem = malloc(count.used * sizeof(float));
    m->inputs = malloc(BT * sizeof(int));
    m->targets = malloc(BT * sizeof(int));
    m->scale_class = malloc(SITE_KINDS * BT);
    if (!m->act_mem || !m->acts || !m->inputs || !m->targets || !m->scale_class) {
        free_acts(m);
        return lnf_fail(err, "out of memory for activations at B=%d T=%d (%zu MiB)", B, T,
                        count.used * sizeof(float) >> 20);
    }
    act_walk place = {.base = m->act_mem};
    walk_acts(m, &place, (size_t)B, (size_t)T);
    m->B = B;
    m->T = T;
    return 0;
}

/* ------------------------------------------------- watched kernel calls */

/* The kernel calls whose inputs the domain watch records (domain_watch.h);
 * with no watch attached they are the plain calls. A backward reads the same
 * inp and weight as its forward, recorded there. layer: -1 outside the blocks. */
static void watch(const gpt2 *m, dw_input in, int layer, const float *x, size_t n)
{
    if (m->watch != NULL && x != NULL) {
        dw_observe(m->watch, in, layer, x, n);
    }
}

/* out [N,OC] = inp [N,C] · w [OC,C]ᵀ + b [OC] */
static void matmul_fwd(const gpt2 *m, int layer, float *out, const float *inp, const float *w,
                       const float *b, int N, int C, int OC)
{
    watch(m, DW_MATMUL_INP, layer, inp, (size_t)N * C);
    watch(m, DW_MATMUL_WEIGHT, layer, w, (size_t)OC * C);
    watch(m, DW_MATMUL_BIAS, layer, b, (size_t)OC);
    par_matmul_forward(out, inp, w, b, N, C, OC);
}

static void matmul_bwd(const gpt2 *m, int layer, float *dinp, float *dw, float *db,
                       const float *dout, const float *inp, const float *w, int N, int C, int OC)
{
    watch(m, DW_MATMUL_DOUT, layer, dout, (size_t)N * OC);
    watch(m, DW_MATMUL_ACC, layer, dinp, (size_t)N * C);
    watch(m, DW_MATMUL_ACC, layer, dw, (size_t)OC * C);
    watch(m, DW_MATMUL_ACC, layer, db, (size_t)OC);
    par_matmul_backward(dinp, dw, db, dout, inp, w, N, C, OC);
}

/* ---------------------------------------------------------------- forward */

static const uint8_t *classes_of(const gpt2 *m, site_kind kind)
{
    return m->scale_class + (size_t)kind * m->B * m->T;
}

/* One LN site, real or frozen: out, mean, rstd [BT,C]/[BT]/[BT]. */
static int site_forward(gpt2 *m, int site, const float *x, const float *w, const float *b,
                        float *out, float *mean, float *rstd, lnf_error *err)
{
    int N = m->B * m->T, C = m->cfg.n_embd;
    const ln_site *s = &m->ln.sites[site];
    if (m->cfg.folded) {
        memcpy(out, x, (size_t)N * C * sizeof(float));
        return 0;
    }
    int layer = ln_site_layer(&m->ln, site);
    watch(m, DW_LN_INP, layer, x, (size_t)N * C);
    watch(m, DW_LN_WEIGHT, layer, w, (size_t)C);
    watch(m, DW_LN_BIAS, layer, b, (size_t)C);
    if (!s->frozen) {
        par_layernorm_forward(out, mean, rstd, x, w, b, m->cfg.layer_norm_epsilon, N, C);
        return 0;
    }
    int bad = layernorm_fixed_domain_check(x, w, b, s->sigma, N, C);
    if (bad != 0) {
        char name[32];
        ln_site_name(&m->ln, site, name, sizeof name);
        return lnf_fail(err, "LN site %s: %s (outside the domain where the fixed-scale "
                        "LayerNorm is proven finite)", name, layernorm_fixed_domain_message(bad));
    }
    par_layernorm_fixed_forward(out, mean, x, w, b, s->sigma,
                                classes_of(m, ln_site_kind_of(&m->ln, site)), N, C);
    return 0;
}

/* The tied wte, or the folded form's own lm_head. */
static float *unembedding(const gpt2_view *v, const gpt2_config *c)
{
    return c->folded ? v->lm_head_w : v->wte;
}

/* ln1v computes the same as ln1qk while both are real: then q, k and v share one output. */
static int ln1_shared(const gpt2 *m, int l)
{
    return m->cfg.folded || (!m->ln.sites[ln_site_index(&m->ln, l, SITE_LN1QK)].frozen &&
                             !m->ln.sites[ln_site_index(&m->ln, l, SITE_LN1V)].frozen);
}

/* ---------------------------------------------------- auxiliary σ loss */

/* The residual stream entering lnf. */
static const float *final_residual(const gpt2 *m)
{
    return m->cfg.n_layer > 0 ? m->acts[m->cfg.n_layer - 1].res3 : m->encoded;
}

static int aux_active(const gpt2 *m)
{
    return m->aux_weight > 0.0f && !m->cfg.folded &&
           !m->ln.sites[ln_site_index(&m->ln, 0, SITE_LNF)].frozen;
}

/* Not position 0, not the EOT token (by identity, whatever the phases say). */
static int aux_ordinary(const gpt2 *m, int i)
{
    return ln_token_class(i % m->T, m->inputs[i], m->cfg.eos_token_id, 1, 1) == LN_SCALE_AVG;
}

/* The auxiliary loss, from the lnf rstd of the last forward; with dx, also
 * accumulates scale·d(aux)/dx into dx [BT,C]:
 *   d/dx_t (σ_t − σ̄)² = 2(σ_t − σ̄)·(x_t − μ_t)/(C·σ_t), σ̄ detached. */
static float aux_loss(const gpt2 *m, float *dx, float scale)
{
    int N = m->B * m->T, C = m->cfg.n_embd, count = 0;
    double mean = 0.0, sq = 0.0;
    for (int i = 0; i < N; i++) {
        if (aux_ordinary(m, i)) {
            mean += 1.0 / m->lnf_rstd[i];
            count++;
        }
    }
    if (count == 0) {
        return 0.0f;
    }
    mean /= count;
    const float *x = final_residual(m);
    for (int i = 0; i < N; i++) {
        if (!aux_ordinary(m, i)) {
            continue;
        }
        double sigma = 1.0 / m->lnf_rstd[i], d = sigma - mean;
        sq += d * d;
        if (dx != NULL) {
            float g = (float)(scale * m->aux_weight * 2.0 * d / (count * C * sigma));
            for (int c = 0; c < C; c++) {
                dx[(size_t)i * C + c] += g * (x[(size_t)i * C + c] - m->lnf_mean[i]);
            }
        }
    }
    return (float)(m->aux_weight * sq / count);
}

static int check_tokens(const int *ids, int n, int V, const char *what, lnf_error *err)
{
    for (int i = 0; i < n; i++) {
        if (ids[i] < 0 || ids[i] >= V) {
            return lnf_fail(err, "%s[%d] = %d is not a token id of this model (vocab size %d)",
                            what, i, ids[i], V);
        }
    }
    return 0;
}

int gpt2_forward(gpt2 *m, const int *inputs, const int *targets, int B, int T, lnf_error *err)
{
    const gpt2_config *c = &m->cfg;
    int C = c->n_embd, V = c->vocab_size, NH = c->n_head, L = c->n_layer;
    if (B <= 0 || T <= 0) {
        return lnf_fail(err, "batch shape [%d, %d] is empty", B, T);
    }
    if (T > c->n_positions) {
        return lnf_fail(err, "sequence length T=%d exceeds the model's n_positions=%d", T,
                        c->n_positions);
    }
    if ((long long)B * T * (V > 4 * C ? V : 4 * C) > 0x7fffffff ||
        (long long)B * NH * T * T > 0x7fffffff) {
        return lnf_fail(err, "batch [%d, %d] too large for int indexing at this model size", B, T);
    }
    if (check_tokens(inputs, B * T, V, "inputs", err) != 0 ||
        (targets != NULL && check_tokens(targets, B * T, V, "targets", err) != 0) ||
        ensure_acts(m, B, T, err) != 0) {
        return -1;
    }
    int N = B * T;
    memcpy(m->inputs, inputs, (size_t)N * sizeof(int));
    for (int k = 0; k < SITE_KINDS; k++) {
        ln_state_scale_classes(&m->ln, (site_kind)k, inputs, B, T, c->eos_token_id,
                               m->scale_class + (size_t)k * N);
    }
    watch(m, DW_EMBED_WTE, -1, m->p.wte, (size_t)V * C);
    watch(m, DW_EMBED_WPE, -1, m->p.wpe, (size_t)T * C);
    embedding_forward(m->encoded, inputs, m->p.wte, m->p.wpe, B, T, C, V, c->n_positions);
    const float *x = m->encoded;
    for (int l = 0; l < L; l++) {
        gpt2_layer_acts *a = &m->acts[l];
        const gpt2_layer_view *w = &m->p.layer[l];
        if (site_forward(m, ln_site_index(&m->ln, l, SITE_LN1QK), x, w->ln1w, w->ln1b,
                         a->ln1qk, a->ln1qk_mean, a->ln1qk_rstd, err) != 0) {
            return -1;
        }
        const float *v_in = a->ln1qk;
        if (!ln1_shared(m, l)) {
            if (site_forward(m, ln_site_index(&m->ln, l, SITE_LN1V), x, w->ln1w, w->ln1b,
                             a->ln1v, a->ln1v_mean, a->ln1v_rstd, err) != 0) {
                return -1;
            }
            v_in = a->ln1v;
        }
        matmul_fwd(m, l, a->q, a->ln1qk, w->qw, w->qb, N, C, C);
        matmul_fwd(m, l, a->k, a->ln1qk, w->kw, w->kb, N, C, C);
        matmul_fwd(m, l, a->v, v_in, w->vw, w->vb, N, C, C);
        watch(m, DW_ATT_Q, l, a->q, (size_t)N * C);
        watch(m, DW_ATT_K, l, a->k, (size_t)N * C);
        watch(m, DW_ATT_V, l, a->v, (size_t)N * C);
        par_attention_forward(a->atty, a->att, a->q, a->k, a->v, B, T, C, NH);
        matmul_fwd(m, l, m->proj, a->atty, w->attprojw, w->attprojb, N, C, C);
        watch(m, DW_RESIDUAL_OPERANDS, l, x, (size_t)N * C);
        watch(m, DW_RESIDUAL_OPERANDS, l, m->proj, (size_t)N * C);
        par_residual_forward(a->res2, x, m->proj, N * C);
        if (site_forward(m, ln_site_index(&m->ln, l, SITE_LN2), a->res2, w->ln2w, w->ln2b,
                         a->ln2, a->ln2_mean, a->ln2_rstd, err) != 0) {
            return -1;
        }
        matmul_fwd(m, l, a->fch, a->ln2, w->fcw, w->fcb, N, C, 4 * C);
        watch(m, DW_GELU_INP, l, a->fch, (size_t)N * 4 * C);
        par_gelu_forward(a->fch_gelu, a->fch, N * 4 * C);
        matmul_fwd(m, l, m->proj, a->fch_gelu, w->fcprojw, w->fcprojb, N, 4 * C, C);
        watch(m, DW_RESIDUAL_OPERANDS, l, a->res2, (size_t)N * C);
        watch(m, DW_RESIDUAL_OPERANDS, l, m->proj, (size_t)N * C);
        par_residual_forward(a->res3, a->res2, m->proj, N * C);
        x = a->res3;
    }
    if (site_forward(m, ln_site_index(&m->ln, 0, SITE_LNF), x, m->p.lnfw, m->p.lnfb, m->lnf,
                     m->lnf_mean, m->lnf_rstd, err) != 0) {
        return -1;
    }
    matmul_fwd(m, -1, m->logits, m->lnf, unembedding(&m->p, c), m->p.lm_head_b, N, C, V);
    if (targets == NULL) {
        m->mean_loss = NAN;
        return 0;
    }
    memcpy(m->targets, targets, (size_t)N * sizeof(int));
    watch(m, DW_CE_LOGITS, -1, m->logits, (size_t)N * V);
    par_crossentropy_forward(m->losses, m->lse, m->logits, targets, N, V);
    double sum = 0.0;
    for (int i = 0; i < N; i++) {
        sum += m->losses[i];
    }
    m->mean_loss = (float)(sum / N);
    m->aux_loss = aux_active(m) ? aux_loss(m, NULL, 0.0f) : 0.0f;
    return 0;
}

const float *gpt2_site_rstd(const gpt2 *m, int site)
{
    if (m->ln.sites[site].frozen) {
        return NULL;
    }
    site_kind kind = ln_site_kind_of(&m->ln, site);
    int layer = ln_site_layer(&m->ln, site);
    const gpt2_layer_acts *a = kind == SITE_LNF ? NULL : &m->acts[layer];
    switch (kind) {
    case SITE_LN1QK: return a->ln1qk_rstd;
    case SITE_LN1V: return ln1_shared(m, layer) ? a->ln1qk_rstd : a->ln1v_rstd;
    case SITE_LN2: return a->ln2_rstd;
    default: return m->lnf_rstd;
    }
}

/* --------------------------------------------------------------- backward */

void gpt2_zero_grad(gpt2 *m)
{
    memset(m->grads, 0, m->n_params * sizeof(float));
}

/* dx += dout: the backward of a folded model's identity site. */
static void add_in_place(float *dx, const float *dout, int n)
{
    for (int i = 0; i < n; i++) {
        dx[i] += dout[i];
    }
}

/* Backward of one LN site: dx += d(site)/dx · dout, and its γ, β gradients. */
static void site_backward(gpt2 *m, int site, float *dx, float *dw, float *db, const float *dout,
                          const float *x, const float *w, const float *mean, const float *rstd)
{
    int N = m->B * m->T, C = m->cfg.n_embd;
    const ln_site *s = &m->ln.sites[site];
    if (m->cfg.folded) {
        add_in_place(dx, dout, N * C);
        return;
    }
    int layer = ln_site_layer(&m->ln, site);
    watch(m, DW_LN_DOUT, layer, dout, (size_t)N * C);
    watch(m, DW_LN_ACC, layer, dx, (size_t)N * C);
    watch(m, DW_LN_ACC, layer, dw, (size_t)C);
    watch(m, DW_LN_ACC, layer, db, (size_t)C);
    if (s->frozen) {
        par_layernorm_fixed_backward(dx, dw, db, dout, x, w, mean, s->sigma,
                                     classes_of(m, ln_site_kind_of(&m->ln, site)), N, C,
                                     m->ln_partial);
    } else {
        par_layernorm_backward(dx, dw, db, dout, x, w, mean, rstd, N, C, m->ln_partial);
    }
}

static void zero(float *x, size_t n) { memset(x, 0, n * sizeof(float)); }

void gpt2_backward(gpt2 *m, float loss_scale)
{
    const gpt2_config *c = &m->cfg;
    int B = m->B, T = m->T, C = c->n_embd, V = c->vocab_size, NH = c->n_head, L = c->n_layer;
    int N = B * T;
    size_t NC = (size_t)N * C;

    if (m->watch != NULL) {
        dw_observe_value(m->watch, DW_CE_DLOSS, -1, loss_scale);
    }
    par_crossentropy_backward(m->dlogits, m->logits, m->lse, m->targets, loss_scale, N, V);
    zero(m->dc, NC);
    matmul_bwd(m, -1, m->dc, unembedding(&m->g, c), m->g.lm_head_b, m->dlogits, m->lnf,
                    unembedding(&m->p, c), N, C, V);
    /* dres: gradient of the loss w.r.t. the residual stream, walked backward */
    zero(m->dres, NC);
    site_backward(m, ln_site_index(&m->ln, 0, SITE_LNF), m->dres, m->g.lnfw, m->g.lnfb, m->dc,
                  final_residual(m), m->p.lnfw, m->lnf_mean, m->lnf_rstd);
    if (aux_active(m)) {
        aux_loss(m, m->dres, loss_scale * (float)N);
    }

    for (int l = L - 1; l >= 0; l--) {
        gpt2_layer_acts *a = &m->acts[l];
        const gpt2_layer_view *w = &m->p.layer[l];
        gpt2_layer_view *g = &m->g.layer[l];
        const float *x = l > 0 ? m->acts[l - 1].res3 : m->encoded;

        /* MLP: res3 = res2 + c_proj(gelu(c_fc(ln2(res2)))); dres holds d res3 */
        zero(m->dfch_gelu, 4 * NC);
        matmul_bwd(m, l, m->dfch_gelu, g->fcprojw, g->fcprojb, m->dres, a->fch_gelu, w->fcprojw,
                        N, 4 * C, C);
        zero(m->dfch, 4 * NC);
        watch(m, DW_GELU_DOUT, l, m->dfch_gelu, 4 * NC);
        watch(m, DW_GELU_ACC, l, m->dfch, 4 * NC);
        par_gelu_backward(m->dfch, a->fch, m->dfch_gelu, N * 4 * C);
        zero(m->dc, NC);
        matmul_bwd(m, l, m->dc, g->fcw, g->fcb, m->dfch, a->ln2, w->fcw, N, C, 4 * C);
        site_backward(m, ln_site_index(&m->ln, l, SITE_LN2), m->dres, g->ln2w, g->ln2b, m->dc,
                      a->res2, w->ln2w, a->ln2_mean, a->ln2_rstd);

        /* attention: res2 = x + c_proj(attn(q, k, v)); dres now holds d res2 */
        zero(m->dc, NC);
        matmul_bwd(m, l, m->dc, g->attprojw, g->attprojb, m->dres, a->atty, w->attprojw, N, C, C);
        zero(m->dq, NC);
        zero(m->dk, NC);
        zero(m->dv, NC);
        watch(m, DW_ATT_DOUT, l, m->dc, NC);
        watch(m, DW_ATT_ACC, l, m->dq, NC);
        watch(m, DW_ATT_ACC, l, m->dk, NC);
        watch(m, DW_ATT_ACC, l, m->dv, NC);
        par_attention_backward(m->dq, m->dk, m->dv, m->datt_row, m->dc, a->att, a->q, a->k,
                               a->v, B, T, C, NH);
        int shared = ln1_shared(m, l);
        float *dln1qk = m->dc;
        float *dln1v = shared ? m->dc : m->dln1v;
        zero(dln1qk, NC);
        if (!shared) {
            zero(dln1v, NC);
        }
        matmul_bwd(m, l, dln1qk, g->qw, g->qb, m->dq, a->ln1qk, w->qw, N, C, C);
        matmul_bwd(m, l, dln1qk, g->kw, g->kb, m->dk, a->ln1qk, w->kw, N, C, C);
        matmul_bwd(m, l, dln1v, g->vw, g->vb, m->dv, shared ? a->ln1qk : a->ln1v, w->vw, N, C, C);
        site_backward(m, ln_site_index(&m->ln, l, SITE_LN1QK), m->dres, g->ln1w, g->ln1b, dln1qk,
                      x, w->ln1w, a->ln1qk_mean, a->ln1qk_rstd);
        if (!shared) {
            site_backward(m, ln_site_index(&m->ln, l, SITE_LN1V), m->dres, g->ln1w, g->ln1b,
                          dln1v, x, w->ln1w, a->ln1v_mean, a->ln1v_rstd);
        }
    }
    watch(m, DW_EMBED_DOUT, -1, m->dres, NC);
    watch(m, DW_EMBED_ACC, -1, m->g.wte, (size_t)V * C);
    watch(m, DW_EMBED_ACC, -1, m->g.wpe, (size_t)T * C);
    embedding_backward(m->g.wte, m->g.wpe, m->dres, m->inputs, B, T, C, V, c->n_positions);
}
