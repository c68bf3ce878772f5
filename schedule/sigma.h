/* sigma: estimates of each LN site's σ while it is real, frozen into the site
 * when the schedule switches it.
 *
 * Per record, three running means of the per-token σ_t = √(var x_t + eps) at
 * the site's input: over ordinary tokens (s.avg), position-0 tokens (s.bos)
 * and EOT tokens (s.eot), or, pooled, one mean over every token. Each batch's
 * mean is folded into an exponential moving average (momentum 0.9 unless set;
 * the first measurement sets it). ln1qk and
 * ln1v of a layer read the same input and share one record, which stops
 * updating when the first of them is frozen. Records: [l·2] ln1, [l·2+1]
 * ln2, [2L] lnf. */
#ifndef LNFREE_SCHEDULE_SIGMA_H
#define LNFREE_SCHEDULE_SIGMA_H

#include <stddef.h>
#include "model/gpt2.h"

#define SIGMA_MOMENTUM 0.9

typedef struct {
    double value[LN_SCALE_CLASSES]; /* EMA per class; valid when seen[] */
    int seen[LN_SCALE_CLASSES];
    int frozen;                     /* stops updating */
} sigma_record;

typedef struct {
    int n_layer;
    int n_records; /* 2L + 1 */
    sigma_record *rec;
    double *scratch; /* one forward's measurements (sigma_stats_size) */
    double momentum; /* of the EMA, per forward (SIGMA_MOMENTUM unless set) */
    int pooled;      /* one σ over every token: no position-0 or EOT classes */
} sigma_tracker;

int sigma_tracker_init(sigma_tracker *t, int n_layer, lnf_error *err);
void sigma_tracker_free(sigma_tracker *t);

/* The record a site reads. */
int sigma_record_of(const gpt2 *m, int site);

/* One forward's σ measurements: per record and class, the batch mean of σ_t
 * and the number of tokens it is over (0: nothing measured, e.g. a frozen
 * record). SIGMA_STATS_PER_RECORD doubles per record, sigma_stats_size(t) in
 * all; a plain array, so that ranks can pool the measurements of a step's
 * micro-batches (train/dist.h) and fold them in micro-batch order. */
#define SIGMA_STATS_PER_RECORD (2 * LN_SCALE_CLASSES)
size_t sigma_stats_size(const sigma_tracker *t);
void sigma_measure(const sigma_tracker *t, const gpt2 *m, double *stats);

/* Folds measurements into the EMA of each record they cover. */
void sigma_fold(sigma_tracker *t, const double *stats);

/* sigma_measure then sigma_fold: the last forward's measurements folded into
 * every record whose sites are all still real and not yet frozen. */
void sigma_tracker_update(sigma_tracker *t, const gpt2 *m);

/* Freezes `site` of m with its record's values (bos/eot fall back to avg when
 * no such token was seen). Fails if the record has never been measured. */
int sigma_tracker_freeze(sigma_tracker *t, gpt2 *m, int site, lnf_error *err);

#endif
