/* lossplot: loss.svg from a metrics log (JSON lines of the training loop):
 * training and validation loss against step, each schedule event marked by a
 * vertical line and labelled, so each removal's spike and recovery shows. */
#ifndef LNFREE_TRAIN_LOSSPLOT_H
#define LNFREE_TRAIN_LOSSPLOT_H

#include "base/error.h"

/* Reads metrics_path (lines with "step", "loss", optional "val_loss" and
 * "events": ["freeze ln2 0", ...]) and writes the SVG to svg_path atomically. */
int lossplot_write(const char *metrics_path, const char *svg_path, const char *title,
                   lnf_error *err);

/* Several runs on one plot (at most 3; e.g. the control and the LN-free
 * fine-tune, as the paper's figure shows them), each in its colour with its
 * label, every run's events marked. */
typedef struct {
    const char *metrics_path;
    const char *label;
} lossplot_run;

int lossplot_write_runs(const lossplot_run *runs, int n_runs, const char *svg_path,
                        const char *title, lnf_error *err);

#endif
