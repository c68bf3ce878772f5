#include "sigma.h"
#include <stdlib.h>
#include <string.h>

int sigma_tracker_init(sigma_tracker *t, int n_layer, lnf_error *err)
{
    t->n_layer = n_layer;
    t->n_records = 2 * n_layer + 1;
    t->rec = calloc((size_t)t->n_records, sizeof *t->rec);
    return t->rec != NULL ? 0 : lnf_fail(err, "out of memory for σ records");
}

void sigma_tracker_free(sigma_tracker *t)
{
    free(t->rec);
    t->rec = NULL;
}

int sigma_record_of(const gpt2 *m, int site)
{
    site_kind kind = ln_site_kind_of(&m->ln, site);
    int layer = site / 3;
    return kind == SITE_LNF ? 2 * m->cfg.n_layer : 2 * layer + (kind == SITE_LN2);
}

/* Batch means of σ_t = 1/rstd_t per token class (by token identity, whatever
 * the special phases say). */
static void measure(const gpt2 *m, const float *rstd, double mean[LN_SCALE_CLASSES],
                    int count[LN_SCALE_CLASSES])
{
    double sum[LN_SCALE_CLASSES] = {0};
    memset(count, 0, LN_SCALE_CLASSES * sizeof(int));
    for (int i = 0; i < m->B * m->T; i++) {
        int cls = i % m->T == 0                           ? LN_SCALE_BOS
                  : m->inputs[i] == m->cfg.eos_token_id ? LN_SCALE_EOT
                                                          : LN_SCALE_AVG;
        sum[cls] += 1.0 / (double)rstd[i];
        count[cls]++;
    }
    for (int c = 0; c < LN_SCALE_CLASSES; c++) {
        mean[c] = count[c] > 0 ? sum[c] / count[c] : 0.0;
    }
}

void sigma_tracker_update(sigma_tracker *t, const gpt2 *m)
{
    for (int site = 0; site < m->ln.n_sites; site++) {
        sigma_record *r = &t->rec[sigma_record_of(m, site)];
        const float *rstd = gpt2_site_rstd(m, site);
        /* ln1v shares ln1qk's record: measure it once, at ln1qk */
        if (r->frozen || rstd == NULL || ln_site_kind_of(&m->ln, site) == SITE_LN1V) {
            continue;
        }
        double mean[LN_SCALE_CLASSES];
        int count[LN_SCALE_CLASSES];
        measure(m, rstd, mean, count);
        for (int c = 0; c < LN_SCALE_CLASSES; c++) {
            if (count[c] == 0) {
                continue;
            }
            r->value[c] = r->seen[c] ? SIGMA_MOMENTUM * r->value[c] + (1.0 - SIGMA_MOMENTUM) * mean[c]
                                     : mean[c];
            r->seen[c] = 1;
        }
    }
}

int sigma_tracker_freeze(sigma_tracker *t, gpt2 *m, int site, lnf_error *err)
{
    sigma_record *r = &t->rec[sigma_record_of(m, site)];
    char name[32];
    ln_site_name(&m->ln, site, name, sizeof name);
    if (!r->seen[LN_SCALE_AVG]) {
        return lnf_fail(err, "LN site %s: no σ measured before freezing it", name);
    }
    ln_site *s = &m->ln.sites[site];
    for (int c = 0; c < LN_SCALE_CLASSES; c++) {
        s->sigma[c] = (float)(r->seen[c] ? r->value[c] : r->value[LN_SCALE_AVG]);
    }
    s->frozen = 1;
    r->frozen = 1;
    return 0;
}
