#include "model/export.h"
#include <stdlib.h>
#include <string.h>
#include "model/checkpoint.h"

/* The one σ of each site once both special phases are over. ln1qk and ln1v
 * share ln_1's γ and β, so both exports also need them to share σ. */
int export_check(const gpt2 *m, lnf_error *err)
{
    if (m->cfg.folded) {
        return lnf_fail(err, "the model is already in the folded LN-free form");
    }
    for (int i = 0; i < m->ln.n_sites; i++) {
        if (!m->ln.sites[i].frozen) {
            char name[32];
            ln_site_name(&m->ln, i, name, sizeof name);
            return lnf_fail(err, "LN site %s is still real: export needs every site frozen "
                            "(run lnfree remove-ln to the end of its schedule)", name);
        }
    }
    for (int i = 0; i < m->ln.n_sites; i++) {
        float s = m->ln.sites[i].sigma[LN_SCALE_AVG];
        if (!(s >= LN_FIXED_MIN_SCALE && s <= LN_FIXED_MAX_SCALE)) {
            char name[32];
            ln_site_name(&m->ln, i, name, sizeof name);
            return lnf_fail(err, "LN site %s: sigma %g is outside [%g, %g], the domain where the "
                            "fixed-scale LayerNorm is proven finite", name, (double)s,
                            (double)LN_FIXED_MIN_SCALE, (double)LN_FIXED_MAX_SCALE);
        }
    }
    if (m->ln.special_bos || m->ln.special_eot) {
        return lnf_fail(err, "the %s special phase has not ended: export needs one σ per site",
                        m->ln.special_bos ? "BOS" : "EOT");
    }
    for (int l = 0; l < m->cfg.n_layer; l++) {
        float qk = m->ln.sites[ln_site_index(&m->ln, l, SITE_LN1QK)].sigma[LN_SCALE_AVG];
        float v = m->ln.sites[ln_site_index(&m->ln, l, SITE_LN1V)].sigma[LN_SCALE_AVG];
        if (qk != v) {
            return lnf_fail(err, "layer %d: ln1qk and ln1v have different σ (%g, %g) but share "
                            "ln_1's parameters", l, (double)qk, (double)v);
        }
    }
    return 0;
}

static float site_sigma(const gpt2 *m, int layer, site_kind kind)
{
    return m->ln.sites[ln_site_index(&m->ln, layer, kind)].sigma[LN_SCALE_AVG];
}

int export_hf(const gpt2 *m, const char *out_dir, lnf_error *err)
{
    if (export_check(m, err) != 0) {
        return -1;
    }
    gpt2 h;
    gpt2_config cfg = m->cfg;
    cfg.layer_norm_epsilon = 1e12f;
    if (gpt2_create(&h, &cfg, err) != 0) {
        return -1;
    }
    memcpy(h.params, m->params, m->n_params * sizeof(float));
    int C = cfg.n_embd;
    for (int l = 0; l <= cfg.n_layer; l++) {
        /* layer L stands for lnf */
        float *w[2] = {l < cfg.n_layer ? h.p.layer[l].ln1w : h.p.lnfw,
                       l < cfg.n_layer ? h.p.layer[l].ln2w : NULL};
        float s[2] = {l < cfg.n_layer ? site_sigma(m, l, SITE_LN1QK) : site_sigma(m, 0, SITE_LNF),
                      l < cfg.n_layer ? site_sigma(m, l, SITE_LN2) : 0.0f};
        for (int k = 0; k < 2 && w[k] != NULL; k++) {
            for (int c = 0; c < C; c++) {
                w[k][c] *= 1e6f / s[k];
            }
        }
    }
    int rc = checkpoint_save(&h, out_dir, err); /* every site real: an all-real lnfree.json */
    gpt2_free(&h);
    return rc;
}

/* W [OC,C] and b [OC] read a site (γ, β, s): W ← W·diag(γ/s)·P, b ← W·β + b,
 * both from the original W. P centres the input: (W·diag(γ/s)·P)[o,c] =
 * a[o,c] − mean_c' a[o,c'] with a = W·diag(γ/s). b may be NULL (b' written to
 * out_b). */
static void fold_linear(float *out_w, float *out_b, const float *w, const float *b,
                        const float *gamma, const float *beta, float s, int OC, int C)
{
    for (int o = 0; o < OC; o++) {
        const float *row = w + (size_t)o * C;
        float *out = out_w + (size_t)o * C;
        double mean = 0.0, shift = b != NULL ? b[o] : 0.0;
        for (int c = 0; c < C; c++) {
            out[c] = row[c] * (gamma[c] / s);
            mean += out[c];
            shift += (double)row[c] * beta[c];
        }
        mean /= C;
        for (int c = 0; c < C; c++) {
            out[c] = (float)(out[c] - mean);
        }
        out_b[o] = (float)shift;
    }
}

int export_folded(const gpt2 *m, const char *out_dir, lnf_error *err)
{
    if (export_check(m, err) != 0) {
        return -1;
    }
    gpt2 f;
    gpt2_config cfg = m->cfg;
    cfg.folded = 1;
    if (gpt2_create(&f, &cfg, err) != 0) {
        return -1;
    }
    int C = cfg.n_embd, V = cfg.vocab_size;
    memcpy(f.p.wte, m->p.wte, (size_t)V * C * sizeof(float));
    memcpy(f.p.wpe, m->p.wpe, (size_t)cfg.n_positions * C * sizeof(float));
    for (int l = 0; l < cfg.n_layer; l++) {
        const gpt2_layer_view *a = &m->p.layer[l];
        gpt2_layer_view *b = &f.p.layer[l];
        float s1 = site_sigma(m, l, SITE_LN1QK), s2 = site_sigma(m, l, SITE_LN2);
        fold_linear(b->qw, b->qb, a->qw, a->qb, a->ln1w, a->ln1b, s1, C, C);
        fold_linear(b->kw, b->kb, a->kw, a->kb, a->ln1w, a->ln1b, s1, C, C);
        fold_linear(b->vw, b->vb, a->vw, a->vb, a->ln1w, a->ln1b, s1, C, C);
        fold_linear(b->fcw, b->fcb, a->fcw, a->fcb, a->ln2w, a->ln2b, s2, 4 * C, C);
        memcpy(b->attprojw, a->attprojw, (size_t)C * C * sizeof(float));
        memcpy(b->attprojb, a->attprojb, (size_t)C * sizeof(float));
        memcpy(b->fcprojw, a->fcprojw, (size_t)4 * C * C * sizeof(float));
        memcpy(b->fcprojb, a->fcprojb, (size_t)C * sizeof(float));
    }
    fold_linear(f.p.lm_head_w, f.p.lm_head_b, m->p.wte, NULL, m->p.lnfw, m->p.lnfb,
                site_sigma(m, 0, SITE_LNF), V, C);
    int rc = checkpoint_save(&f, out_dir, err);
    gpt2_free(&f);
    return rc;
}
