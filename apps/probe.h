/* probe: the conformance interface behind `lnfree probe`.
 *
 * Loads a model directory and a batch (int32 x, y [B,T]; targets are used as
 * given). With steps = 0 writes logits [B,T,V], loss [1] and grad.NAME for
 * every parameter (HF names and layout). With steps = N takes N AdamW steps on
 * that batch at constant LR, clipping the global grad norm, and writes losses
 * [N] (before each update), grad_norms [N] (before clipping) and param.NAME. */
#ifndef LNFREE_APPS_PROBE_H
#define LNFREE_APPS_PROBE_H

#include "base/error.h"
#include "model/gpt2.h"
#include "model/optim.h"

typedef struct {
    int steps;
    optim_settings optim;
} probe_options;

/* lr 6e-4, β 0.9/0.95, ε 1e-8, weight decay 0.1, clip 1.0, no steps. */
probe_options probe_defaults(void);

int probe_run(const char *model_dir, const char *batch_path, const char *out_path,
              const probe_options *opt, lnf_error *err);

#endif
