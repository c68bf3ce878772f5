/* metrics: OUT/metrics.jsonl, one JSON line per optimizer step. */
#ifndef LNFREE_TRAIN_METRICS_H
#define LNFREE_TRAIN_METRICS_H

#include <jansson.h>
#include <stdio.h>
#include "base/error.h"
#include "base/path.h"

typedef struct {
    FILE *fp;
    lnf_path path;
} metrics_log;

/* A new log in out_dir, or (resume) the existing one without the lines of
 * steps ≥ resume_step, which the resumed run redoes (it may have gone past
 * its last checkpoint before it stopped). */
int metrics_open(metrics_log *l, const char *out_dir, int resume, int resume_step,
                 lnf_error *err);

/* One compact line (7 significant digits), flushed. */
int metrics_append(metrics_log *l, const json_t *rec, lnf_error *err);

void metrics_close(metrics_log *l);

/* Calls visit on each line of the log at path, in order, as a parsed JSON
 * object (lineno from 1), until it returns non-zero; fails naming the file and
 * line when one is not a JSON object. Lines may be of any length. */
typedef int (*metrics_visit)(const json_t *rec, const char *path, int lineno, void *ctx,
                             lnf_error *err);
int metrics_each(const char *path, metrics_visit visit, void *ctx, lnf_error *err);

/* Over every line of the log at path: per kernel, the input that came
 * nearest its proven bound ("domain", dw_margins_fold), or NULL after
 * lnf_fail naming the file. */
json_t *metrics_domain_margins(const char *path, lnf_error *err);

#endif
