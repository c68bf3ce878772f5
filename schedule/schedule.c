#include "schedule/schedule.h"
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void schedule_free(schedule *s)
{
    free(s->events);
    s->events = NULL;
    s->n = 0;
}

static int push(schedule *s, int *cap, schedule_event e, lnf_error *err)
{
    if (s->n == *cap) {
        int ncap = *cap ? 2 * *cap : 64;
        schedule_event *ev = realloc(s->events, (size_t)ncap * sizeof *ev);
        if (ev == NULL) {
            return lnf_fail(err, "out of memory for the schedule");
        }
        s->events = ev;
        *cap = ncap;
    }
    s->events[s->n++] = e;
    return 0;
}

void schedule_event_text(const schedule_event *e, char *buf, int buflen)
{
    if (e->action == ACTION_END_EOT) {
        snprintf(buf, (size_t)buflen, "end eot-special");
    } else if (e->action == ACTION_END_BOS) {
        snprintf(buf, (size_t)buflen, "end bos-special");
    } else if (e->kind == SITE_LNF) {
        snprintf(buf, (size_t)buflen, "freeze lnf");
    } else {
        snprintf(buf, (size_t)buflen, "freeze %s %d", ln_site_kind_name(e->kind), e->layer);
    }
}

/* Rejects a schedule that is out of order, freezes a site twice, or ends a
 * special phase twice; `where` prefixes messages (a file name or a preset). */
static int validate(const schedule *s, int n_layer, const char *where, lnf_error *err)
{
    int n_sites = 3 * n_layer + 1;
    char *seen = calloc((size_t)n_sites + 2, 1);
    if (seen == NULL) {
        return lnf_fail(err, "out of memory");
    }
    int rc = 0;
    for (int i = 0; i < s->n && rc == 0; i++) {
        const schedule_event *e = &s->events[i];
        int slot = e->action == ACTION_END_EOT   ? n_sites
                   : e->action == ACTION_END_BOS ? n_sites + 1
                   : e->kind == SITE_LNF         ? 3 * n_layer
                                                 : 3 * e->layer + (int)e->kind;
        char text[48];
        schedule_event_text(e, text, sizeof text);
        if (i > 0 && e->step < s->events[i - 1].step) {
            rc = lnf_fail(err, "%s: event %d (%s at step %d) comes before the previous event's "
                          "step %d", where, i + 1, text, e->step, s->events[i - 1].step);
        } else if (seen[slot]) {
            rc = lnf_fail(err, "%s: event %d repeats '%s'", where, i + 1, text);
        }
        seen[slot] = 1;
    }
    free(seen);
    return rc;
}

/* Only white space (as sscanf skips it) from s to the end. */
static int blank(const char *s)
{
    while (isspace((unsigned char)*s)) {
        s++;
    }
    return *s == '\0';
}

int schedule_parse_file(schedule *s, const char *path, int n_layer, lnf_error *err)
{
    memset(s, 0, sizeof *s);
    FILE *fp = fopen(path, "r");
    if (fp == NULL) {
        return lnf_fail(err, "%s: cannot open schedule: %s", path, strerror(errno));
    }
    char line[256];
    int lineno = 0, cap = 0, rc = 0;
    while (rc == 0 && fgets(line, sizeof line, fp) != NULL) {
        lineno++;
        if (strchr(line, '\n') == NULL && !feof(fp)) {
            rc = lnf_fail(err, "%s:%d: line too long", path, lineno);
            break;
        }
        char *hash = strchr(line, '#');
        if (hash != NULL) {
            *hash = '\0';
        }
        char verb[16], what[16];
        long step = -1, layer = -1;
        int after_step = 0, after_what = 0, after_layer = 0;
        int got = sscanf(line, "%ld%n %15s %15s%n %ld%n", &step, &after_step, verb, what,
                         &after_what, &layer, &after_layer);
        if (blank(line)) {
            continue; /* blank or comment; a line whose step does not parse is an error */
        }
        schedule_event e = {.step = (int)step, .layer = -1};
        /* exactly the words STEP VERB WHAT [LAYER], each whole: "10freeze lnf" and
         * "10 end eot-special junk" are no events */
        int end = got >= 4 ? after_layer : after_what;
        int ok = got >= 3 && isspace((unsigned char)line[after_step]) && blank(line + end) &&
                 step >= 0 && step <= 100000000;
        if (ok && strcmp(verb, "end") == 0 && got == 3) {
            ok = strcmp(what, "eot-special") == 0 || strcmp(what, "bos-special") == 0;
            e.action = what[0] == 'e' ? ACTION_END_EOT : ACTION_END_BOS;
        } else if (ok && strcmp(verb, "freeze") == 0) {
            e.action = ACTION_FREEZE;
            ok = 0;
            for (int k = 0; k < SITE_KINDS; k++) {
                if (strcmp(what, ln_site_kind_name((site_kind)k)) == 0) {
                    e.kind = (site_kind)k;
                    ok = k == SITE_LNF ? got == 3 : got == 4 && layer >= 0 && layer < n_layer;
                    e.layer = (int)layer;
                }
            }
        } else {
            ok = 0;
        }
        if (!ok) {
            line[strcspn(line, "\r\n")] = '\0';
            rc = lnf_fail(err, "%s:%d: '%s' is not 'STEP freeze ln2|ln1qk|ln1v LAYER', "
                          "'STEP freeze lnf' or 'STEP end eot-special|bos-special' "
                          "(layers 0..%d, steps 0..1e8)", path, lineno, line, n_layer - 1);
        } else {
            rc = push(s, &cap, e, err);
        }
    }
    if (rc == 0 && ferror(fp)) {
        rc = lnf_fail(err, "%s: read error", path);
    }
    fclose(fp);
    if (rc == 0) {
        rc = validate(s, n_layer, path, err);
    }
    if (rc != 0) {
        schedule_free(s);
    }
    return rc;
}

/* Appends the events of one per-layer phase: layer l at start + l·gap. */
static int push_phase(schedule *s, int *cap, site_kind kind, int n_layer, double start, double gap,
                      double scale, lnf_error *err)
{
    for (int l = 0; l < n_layer; l++) {
        schedule_event e = {.step = (int)((start + l * gap) * scale + 0.5), .action = ACTION_FREEZE,
                            .kind = kind, .layer = l};
        if (push(s, cap, e, err) != 0) {
            return -1;
        }
    }
    return 0;
}

static int push_tail(schedule *s, int *cap, double lnf, double eot, double bos, double scale,
                     lnf_error *err)
{
    schedule_event tail[3] = {
        {.step = (int)(lnf * scale + 0.5), .action = ACTION_FREEZE, .kind = SITE_LNF, .layer = -1},
        {.step = (int)(eot * scale + 0.5), .action = ACTION_END_EOT, .layer = -1},
        {.step = (int)(bos * scale + 0.5), .action = ACTION_END_BOS, .layer = -1},
    };
    for (int i = 0; i < 3; i++) {
        if (push(s, cap, tail[i], err) != 0) {
            return -1;
        }
    }
    return 0;
}

int schedule_preset(schedule *s, const char *name, int n_layer, int span, lnf_error *err)
{
    memset(s, 0, sizeof *s);
    int cap = 0, rc;
    if (strcmp(name, "none") == 0) {
        return 0;
    }
    if (strcmp(name, "paper") == 0) {
        /* the paper's 12-layer timeline in its own 1200 steps, phases kept */
        double L = n_layer, scale = span / 1200.0;
        rc = push_phase(s, &cap, SITE_LN2, n_layer, 200, 240.0 / L, scale, err) ||
                     push_phase(s, &cap, SITE_LN1QK, n_layer, 440, 240.0 / L, scale, err) ||
                     push_phase(s, &cap, SITE_LN1V, n_layer, 680, 360.0 / L, scale, err) ||
                     push_tail(s, &cap, 1040, 1060, 1160, scale, err)
                 ? -1
                 : 0;
    } else if (strcmp(name, "fast") == 0) {
        int ln1qk = 20 + 2 * n_layer, ln1v = ln1qk + 2 * n_layer, lnf = ln1v + 3 * n_layer;
        rc = push_phase(s, &cap, SITE_LN2, n_layer, 20, 2, 1.0, err) ||
                     push_phase(s, &cap, SITE_LN1QK, n_layer, ln1qk, 2, 1.0, err) ||
                     push_phase(s, &cap, SITE_LN1V, n_layer, ln1v, 3, 1.0, err) ||
                     push_tail(s, &cap, lnf, lnf + 2, lnf + 4, 1.0, err)
                 ? -1
                 : 0;
    } else {
        return lnf_fail(err, "unknown schedule preset '%s' (paper, fast, none, or a file)", name);
    }
    if (rc == 0) {
        rc = validate(s, n_layer, name, err);
    }
    if (rc != 0) {
        schedule_free(s);
    }
    return rc;
}

int schedule_from_plan(schedule *s, const schedule_plan *p, int n_layer, int span,
                       const char *where, lnf_error *err)
{
    memset(s, 0, sizeof *s);
    if (p->steps <= 0 || span <= 0) {
        return lnf_fail(err, "%s: a schedule plan needs its run length and a span > 0", where);
    }
    double scale = (double)span / p->steps;
    static const site_kind phases[3] = {SITE_LN2, SITE_LN1QK, SITE_LN1V};
    int cap = 0, rc = 0;
    for (int k = 0; k < 3 && rc == 0; k++) {
        rc = push_phase(s, &cap, phases[k], n_layer, p->start[k], p->gap[k], scale, err);
    }
    if (rc == 0) {
        rc = push_tail(s, &cap, p->lnf, p->end_eot, p->end_bos, scale, err);
    }
    if (rc == 0) {
        rc = validate(s, n_layer, where, err);
    }
    if (rc != 0) {
        schedule_free(s);
    }
    return rc;
}

int schedule_load(schedule *s, const char *name, int n_layer, int span, lnf_error *err)
{
    if (strcmp(name, "paper") == 0 || strcmp(name, "fast") == 0 || strcmp(name, "none") == 0) {
        return schedule_preset(s, name, n_layer, span, err);
    }
    return schedule_parse_file(s, name, n_layer, err);
}

int schedule_last_step(const schedule *s)
{
    return s->n > 0 ? s->events[s->n - 1].step : -1;
}

int schedule_is_complete(const schedule *s, int n_layer)
{
    int freezes = 0, eot = 0, bos = 0;
    for (int i = 0; i < s->n; i++) {
        freezes += s->events[i].action == ACTION_FREEZE;
        eot |= s->events[i].action == ACTION_END_EOT;
        bos |= s->events[i].action == ACTION_END_BOS;
    }
    return freezes == 3 * n_layer + 1 && eot && bos;
}
