#include "model/attribute.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ε over the variance beyond which a real LayerNorm's scale is a constant
 * to float32 precision: s = √(var + ε) moves by var/(2ε) ≤ 5e-9 relative. */
#define EPS_DOMINATES 1e8

/* The final map's coefficients: value(u) = Σ_c u_c·g_c − centre·mean(u)·Σ_c g_c. */
typedef struct {
    double *g;
    double g_sum;
    int centre;
    double bias;
} final_map;

static double project(const final_map *f, const double *u, int C)
{
    double dot = 0.0, mean = 0.0;
    for (int c = 0; c < C; c++) {
        dot += u[c] * f->g[c];
        mean += u[c];
    }
    return f->centre ? dot - mean / C * f->g_sum : dot;
}

/* lnf's scale at the position and whether it is a constant there. */
static void final_scale(const gpt2 *m, int position, attribution *a)
{
    const gpt2_config *c = &m->cfg;
    int C = c->n_embd, site = ln_site_index(&m->ln, 0, SITE_LNF);
    const float *x = m->acts[c->n_layer - 1].res3 + (size_t)position * C;
    if (m->ln.sites[site].frozen) {
        int eot_on = m->ln.special_eot && m->ln.eot_kind[SITE_LNF];
        int k = ln_token_class(position, a->token, c->eos_token_id, m->ln.special_bos, eot_on);
        a->scale = m->ln.sites[site].sigma[k];
        a->exact = 1;
        a->final_scale = "lnf frozen: the constant sigma of this position's class";
        return;
    }
    double mean = 0.0, var = 0.0;
    for (int i = 0; i < C; i++) {
        mean += x[i];
    }
    mean /= C;
    for (int i = 0; i < C; i++) {
        var += (x[i] - mean) * (x[i] - mean);
    }
    var /= C;
    double eps = c->layer_norm_epsilon;
    a->scale = sqrt(var + eps);
    a->exact = eps >= EPS_DOMINATES * var;
    a->final_scale = a->exact ? "lnf real with epsilon >= 1e8 x the variance: a constant scale"
                              : "lnf real: approximate, each component divided by this "
                                "forward's cached scale (TransformerLens)";
}

static int build_map(const gpt2 *m, int target, attribution *a, final_map *f, lnf_error *err)
{
    const gpt2_config *c = &m->cfg;
    int C = c->n_embd;
    f->g = malloc((size_t)C * sizeof(double));
    if (f->g == NULL) {
        return lnf_fail(err, "out of memory");
    }
    f->g_sum = 0.0;
    if (c->folded) {
        const float *w = m->p.lm_head_w + (size_t)target * C;
        for (int i = 0; i < C; i++) {
            f->g[i] = w[i];
        }
        f->centre = 0;
        f->bias = m->p.lm_head_b[target];
        a->scale = 1.0;
        a->exact = 1;
        a->final_scale = "folded: no lnf, lm_head is the final linear map";
        return 0;
    }
    const float *w = m->p.wte + (size_t)target * C;
    f->centre = 1;
    f->bias = 0.0;
    for (int i = 0; i < C; i++) {
        f->g[i] = (double)m->p.lnfw[i] * w[i] / a->scale;
        f->g_sum += f->g[i];
        f->bias += (double)m->p.lnfb[i] * w[i];
    }
    return 0;
}

static void add_part(attribution *a, const char *name, double value)
{
    attr_component *p = &a->parts[a->n++];
    snprintf(p->name, sizeof p->name, "%s", name);
    p->value = value;
}

/* u = W·x (+ b): W [C, K] row-major (out × in), in double. */
static void linear(double *u, const float *W, const float *x, const float *b, int C, int K,
                   int k0, int k1)
{
    for (int o = 0; o < C; o++) {
        const float *row = W + (size_t)o * K;
        double s = b != NULL ? b[o] : 0.0;
        for (int k = k0; k < k1; k++) {
            s += (double)row[k] * x[k];
        }
        u[o] = s;
    }
}

static void layer_parts(const gpt2 *m, int l, int position, const final_map *f, double *u,
                        float *head_in, attribution *a)
{
    const gpt2_config *c = &m->cfg;
    int C = c->n_embd, NH = c->n_head, hs = C / NH;
    const gpt2_layer_view *w = &m->p.layer[l];
    const gpt2_layer_acts *act = &m->acts[l];
    const float *atty = act->atty + (size_t)position * C;
    char name[32];
    /* b_v = vb + W_v·β₁ (attribute.h); the rows of att sum to one, so b_v
     * goes to attn_bias */
    float *bv = head_in + C;
    for (int o = 0; o < C; o++) {
        double s = w->vb[o];
        for (int i = 0; w->ln1b != NULL && i < C; i++) {
            s += (double)w->vw[(size_t)o * C + i] * w->ln1b[i];
        }
        bv[o] = (float)s;
        head_in[o] = atty[o] - bv[o];
    }
    for (int h = 0; h < NH; h++) {
        linear(u, w->attprojw, head_in, NULL, C, C, h * hs, (h + 1) * hs);
        snprintf(name, sizeof name, "L%d.H%d", l, h);
        add_part(a, name, project(f, u, C));
    }
    linear(u, w->attprojw, bv, w->attprojb, C, C, 0, C);
    snprintf(name, sizeof name, "L%d.attn_bias", l);
    add_part(a, name, project(f, u, C));
    linear(u, w->fcprojw, act->fch_gelu + (size_t)position * 4 * C, w->fcprojb, C, 4 * C, 0,
           4 * C);
    snprintf(name, sizeof name, "L%d.mlp", l);
    add_part(a, name, project(f, u, C));
}

int attribute_logit(gpt2 *m, const int *tokens, int T, int position, int target,
                    attribution *a, lnf_error *err)
{
    const gpt2_config *c = &m->cfg;
    int C = c->n_embd, L = c->n_layer;
    memset(a, 0, sizeof *a);
    if (position < 0 || position >= T) {
        return lnf_fail(err, "position %d is outside the %d tokens", position, T);
    }
    if (target < 0 || target >= c->vocab_size) {
        return lnf_fail(err, "target %d is not a token id of this model (vocab size %d)", target,
                        c->vocab_size);
    }
    if (gpt2_forward(m, tokens, NULL, 1, T, err) != 0) {
        return -1;
    }
    a->position = position;
    a->target = target;
    a->token = tokens[position];
    a->logit = m->logits[(size_t)position * c->vocab_size + target];
    if (!c->folded) {
        final_scale(m, position, a);
    }
    final_map f = {0};
    a->parts = malloc((size_t)(3 + L * (c->n_head + 2)) * sizeof(attr_component));
    double *u = malloc((size_t)C * sizeof(double));
    float *head_in = malloc((size_t)2 * C * sizeof(float)); /* and b_v */
    int rc = a->parts != NULL && u != NULL && head_in != NULL ? build_map(m, target, a, &f, err)
                                                               : lnf_fail(err, "out of memory");
    if (rc != 0) {
        free(u);
        free(head_in);
        attribution_free(a);
        return -1;
    }
    const float *wte = m->p.wte + (size_t)a->token * C, *wpe = m->p.wpe + (size_t)position * C;
    for (int i = 0; i < C; i++) {
        u[i] = wte[i];
    }
    add_part(a, "embed", project(&f, u, C));
    for (int i = 0; i < C; i++) {
        u[i] = wpe[i];
    }
    add_part(a, "pos_embed", project(&f, u, C));
    for (int l = 0; l < L; l++) {
        layer_parts(m, l, position, &f, u, head_in, a);
    }
    add_part(a, "lnf_bias", f.bias);
    double sum = 0.0;
    for (int i = 0; i < a->n; i++) {
        sum += a->parts[i].value;
    }
    a->residual = a->logit - sum;
    free(f.g);
    free(u);
    free(head_in);
    return 0;
}

void attribution_free(attribution *a)
{
    free(a->parts);
    a->parts = NULL;
    a->n = 0;
}

json_t *attribution_json(const attribution *a)
{
    json_t *parts = json_array();
    double sum = 0.0;
    for (int i = 0; i < a->n; i++) {
        json_array_append_new(parts, json_pack("{s:s, s:f}", "name", a->parts[i].name, "value",
                                               a->parts[i].value));
        sum += a->parts[i].value;
    }
    return json_pack("{s:i, s:i, s:i, s:f, s:o, s:b, s:s, s:f, s:f, s:f}", "position",
                     a->position, "target", a->target, "token", a->token, "logit", a->logit,
                     "components", parts, "exact", a->exact, "final_scale", a->final_scale,
                     "scale", a->scale, "sum", sum, "residual", a->residual);
}
