#include "schedule/sigma.h"
#include <stdlib.h>
#include <string.h>

int sigma_tracker_init(sigma_tracker *t, int n_layer, lnf_error *err)
{
    t->n_layer = n_layer;
    t->n_records = 2 * n_layer + 1;
    t->momentum = SIGMA_MOMENTUM;
    t->pooled = 0;
    t->rec = calloc((size_t)t->n_records, sizeof *t->rec);
    t->scratch = calloc(sigma_stats_size(t), sizeof *t->scratch);
    if (t->rec == NULL || t->scratch == NULL) {
        sigma_tracker_free(t);
        return lnf_fail(err, "out of memory for σ records");
    }
    return 0;
}

void sigma_tracker_free(sigma_tracker *t)
{
    free(t->rec);
    free(t->scratch);
    t->rec = NULL;
    t->scratch = NULL;
}

int sigma_record_of(const gpt2 *m, int site)
{
    site_kind kind = ln_site_kind_of(&m->ln, site);
    int layer = ln_site_layer(&m->ln, site);
    return kind == SITE_LNF ? 2 * m->cfg.n_layer : 2 * layer + (kind == SITE_LN2);
}

/* Batch means of σ_t = 1/rstd_t per token class (by token identity, whatever
 * the special phases say). */
static void measure(const gpt2 *m, const float *rstd, int pooled, double mean[LN_SCALE_CLASSES],
                    int count[LN_SCALE_CLASSES])
{
    double sum[LN_SCALE_CLASSES] = {0};
    memset(count, 0, LN_SCALE_CLASSES * sizeof(int));
    for (int i = 0; i < m->B * m->T; i++) {
        int cls = pooled ? LN_SCALE_AVG
                         : ln_token_class(i % m->T, m->inputs[i], m->cfg.eos_token_id, 1, 1);
        sum[cls] += 1.0 / (double)rstd[i];
        count[cls]++;
    }
    for (int c = 0; c < LN_SCALE_CLASSES; c++) {
        mean[c] = count[c] > 0 ? sum[c] / count[c] : 0.0;
    }
}

size_t sigma_stats_size(const sigma_tracker *t)
{
    return (size_t)t->n_records * SIGMA_STATS_PER_RECORD;
}

void sigma_measure(const sigma_tracker *t, const gpt2 *m, double *stats)
{
    memset(stats, 0, sigma_stats_size(t) * sizeof *stats);
    for (int site = 0; site < m->ln.n_sites; site++) {
        int rec = sigma_record_of(m, site);
        const float *rstd = gpt2_site_rstd(m, site);
        /* ln1v shares ln1qk's record: measure it once, at ln1qk */
        if (t->rec[rec].frozen || rstd == NULL || ln_site_kind_of(&m->ln, site) == SITE_LN1V) {
            continue;
        }
        double *s = stats + (size_t)rec * SIGMA_STATS_PER_RECORD;
        int count[LN_SCALE_CLASSES];
        measure(m, rstd, t->pooled, s, count);
        for (int c = 0; c < LN_SCALE_CLASSES; c++) {
            s[LN_SCALE_CLASSES + c] = count[c];
        }
    }
}

void sigma_fold(sigma_tracker *t, const double *stats)
{
    for (int i = 0; i < t->n_records; i++) {
        sigma_record *r = &t->rec[i];
        const double *s = stats + (size_t)i * SIGMA_STATS_PER_RECORD;
        for (int c = 0; c < LN_SCALE_CLASSES; c++) {
            if (s[LN_SCALE_CLASSES + c] == 0 || r->frozen) {
                continue;
            }
            r->value[c] = r->seen[c] ? t->momentum * r->value[c] + (1.0 - t->momentum) * s[c]
                                     : s[c];
            r->seen[c] = 1;
        }
    }
}

void sigma_tracker_update(sigma_tracker *t, const gpt2 *m)
{
    sigma_measure(t, m, t->scratch);
    sigma_fold(t, t->scratch);
}

int sigma_tracker_freeze(sigma_tracker *t, gpt2 *m, int site, lnf_error *err)
{
    sigma_record *r = &t->rec[sigma_record_of(m, site)];
    if (!r->seen[LN_SCALE_AVG]) {
        char name[32];
        ln_site_name(&m->ln, site, name, sizeof name);
        return lnf_fail(err, "LN site %s: no σ measured before freezing it", name);
    }
    float sigma[LN_SCALE_CLASSES];
    for (int c = 0; c < LN_SCALE_CLASSES; c++) {
        sigma[c] = (float)(r->seen[c] ? r->value[c] : r->value[LN_SCALE_AVG]);
    }
    if (ln_state_freeze(&m->ln, site, sigma, err) != 0) {
        return -1;
    }
    r->frozen = 1;
    return 0;
}
