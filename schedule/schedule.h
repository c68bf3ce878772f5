/* schedule: the LN-removal schedule, a list of events "STEP ACTION [LAYER]".
 *
 * Actions: freeze ln2 L, freeze ln1qk L, freeze ln1v L, freeze lnf,
 * end eot-special, end bos-special. An event at step s applies before the
 * optimizer step s is computed (steps count from 0). Presets:
 *   paper — Heimersheim 2024's GPT-2 small run (12 layers, 1200 steps): ln2
 *           from 200 every 20, ln1qk from 440 every 20, ln1v from 680 every
 *           30, lnf at 1040, EOT special off at 1060, BOS off at 1160; each
 *           phase's span is kept and divided among L layers, and the whole
 *           timeline scaled to a span of steps (by default the run's budget);
 *   fast  — Baroni et al. 2025: from step 20, gaps of 2 (ln2), 2 (ln1qk) and
 *           3 (ln1v) steps per layer, then lnf, EOT off and BOS off 2 steps
 *           apart; independent of the span;
 *   none  — no events: the control fine-tune that keeps every LN. */
#ifndef LNFREE_SCHEDULE_SCHEDULE_H
#define LNFREE_SCHEDULE_SCHEDULE_H

#include "base/error.h"
#include "model/ln_state.h"

typedef enum { ACTION_FREEZE, ACTION_END_EOT, ACTION_END_BOS } schedule_action;

typedef struct {
    int step;
    schedule_action action;
    site_kind kind; /* ACTION_FREEZE only */
    int layer;      /* ACTION_FREEZE of ln2/ln1qk/ln1v only */
} schedule_event;

typedef struct {
    int n;
    schedule_event *events; /* sorted by step, stable */
} schedule;

/* name: "paper", "fast", "none", or a path to a schedule file. span: the
 * steps the paper's timeline is scaled to (the run's budget, or less to leave
 * steps for recovery after the last removal); fast and files ignore it. */
int schedule_load(schedule *s, const char *name, int n_layer, int span, lnf_error *err);
int schedule_parse_file(schedule *s, const char *path, int n_layer, lnf_error *err);
int schedule_preset(schedule *s, const char *name, int n_layer, int span, lnf_error *err);
void schedule_free(schedule *s);

/* A schedule by phases: layer l of phase k (0 ln2, 1 ln1qk, 2 ln1v) freezes
 * at start[k] + l·gap[k]; then lnf, the end of the EOT and of the BOS special
 * cases at their steps; all written for a run of `steps` steps. The recipes
 * (recipe.h) are these. */
typedef struct {
    int start[3], gap[3];
    int lnf, end_eot, end_bos;
    int steps;
} schedule_plan;

/* p's events for n_layer layers, every step scaled by span/p->steps (and
 * rounded): a shorter or longer run keeps the plan's proportions. */
int schedule_from_plan(schedule *s, const schedule_plan *p, int n_layer, int span,
                       const char *where, lnf_error *err);

/* "freeze ln1v 3", "end eot-special": into buf. */
void schedule_event_text(const schedule_event *e, char *buf, int buflen);

/* The step after which the model is LN-free (last event), or -1 for none. */
int schedule_last_step(const schedule *s);

/* Does the schedule leave every site frozen and both special phases ended? */
int schedule_is_complete(const schedule *s, int n_layer);

#endif
