/* settings: a run's train_options as JSON and back, for provenance.json and
 * `lnfree reproduce`. Every setting that decides the run's numbers is
 * written, resolved (defaults, recipe and flags applied); floats as the
 * doubles they convert to exactly, so that reading them back gives the same
 * bits. Output, progress and the rank context are not settings. */
#ifndef LNFREE_TRAIN_SETTINGS_H
#define LNFREE_TRAIN_SETTINGS_H

#include <jansson.h>
#include "model/config.h"
#include "model/ln_state.h"
#include "schedule/schedule.h"
#include "train/train.h"

/* A new JSON object. */
json_t *train_settings_json(const train_options *o);

/* What a train_options read back points into: keep it until the run is over. */
typedef struct {
    json_t *root;       /* the strings point into it */
    gpt2_config init;
    int eot_kind[SITE_KINDS];
    schedule_plan plan;
} train_settings_store;

/* o from j (train_defaults() first, then every recorded setting); fails
 * naming the first missing or malformed setting. */
int train_settings_parse(const json_t *j, train_options *o, train_settings_store *st,
                         const char *where, lnf_error *err);
void train_settings_free(train_settings_store *st);

#endif
