/* Fuzz target: LN-removal schedule files (schedule_parse_file).
 *
 * The fuzz bytes are the file, parsed for a 2-layer and a 12-layer model.
 * schedule_parse_file must fail with a message naming the file, or give
 * events that are sorted by step, with steps in [0, 1e8], layers inside the
 * model, and no site frozen or phase ended twice; and writing the events back
 * as text ("STEP " + schedule_event_text) must parse to the same events.
 * An independent line grammar (below) decides which files are well formed:
 * the parser must accept no malformed line and reject well-formed files only
 * for their order or repeats. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "fuzz/fuzz_util.h"
#include "schedule/schedule.h"

static void check_events(const schedule *s, int n_layer)
{
    int n_sites = 3 * n_layer + 1;
    char seen[3 * 12 + 1 + 2] = {0};
    for (int i = 0; i < s->n; i++) {
        const schedule_event *e = &s->events[i];
        int slot;
        if (e->step < 0 || e->step > 100000000 || (i > 0 && e->step < s->events[i - 1].step)) {
            fz_finding("event %d: step %d out of range or order", i, e->step);
        }
        if (e->action == ACTION_END_EOT || e->action == ACTION_END_BOS) {
            slot = n_sites + (e->action == ACTION_END_BOS);
        } else if (e->action == ACTION_FREEZE && e->kind == SITE_LNF) {
            slot = 3 * n_layer;
        } else if (e->action == ACTION_FREEZE && (e->kind == SITE_LN1QK || e->kind == SITE_LN1V ||
                                                 e->kind == SITE_LN2) &&
                   e->layer >= 0 && e->layer < n_layer) {
            slot = 3 * e->layer + (int)e->kind;
        } else {
            fz_finding("event %d: action %d kind %d layer %d is not a valid event", i,
                       (int)e->action, (int)e->kind, e->layer);
        }
        if (seen[slot]++) {
            fz_finding("event %d repeats an earlier one", i);
        }
    }
}

static void round_trip(const schedule *s, int n_layer)
{
    const char *path = fz_temp_path("rewritten.schedule");
    FILE *fp = fopen(path, "w");
    if (fp == NULL) {
        fz_finding("cannot write %s", path); /* harness problem, reported loudly */
    }
    for (int i = 0; i < s->n; i++) {
        char text[64];
        schedule_event_text(&s->events[i], text, sizeof text);
        fprintf(fp, "%d %s\n", s->events[i].step, text);
    }
    fclose(fp);
    schedule back;
    lnf_error err;
    if (schedule_parse_file(&back, path, n_layer, &err) != 0) {
        fz_finding("the schedule written back does not parse: %s", err.msg);
    }
    if (back.n != s->n) {
        fz_finding("round trip: %d events became %d", s->n, back.n);
    }
    for (int i = 0; i < s->n; i++) {
        const schedule_event *a = &s->events[i], *b = &back.events[i];
        if (a->step != b->step || a->action != b->action ||
            (a->action == ACTION_FREEZE && (a->kind != b->kind || a->layer != b->layer))) {
            fz_finding("round trip changed event %d", i);
        }
    }
    schedule_free(&back);
}

/* An independent reading of the grammar in schedule.h, one line at a time:
 * blank, or a # comment, or whitespace-separated words "STEP freeze
 * ln2|ln1qk|ln1v LAYER", "STEP freeze lnf", "STEP end eot-special|bos-special"
 * with STEP in [0, 1e8] and LAYER in [0, n_layer), each word whole (no
 * trailing characters). 1 if every line is one of those, 0 if not. Lines the
 * reader's buffer cannot hold (≥ 255 bytes) or NUL bytes: -1 (undecided). */
static int is_number(const char *w, long lo, long hi, long *out)
{
    char *end;
    errno = 0;
    long v = strtol(w, &end, 10);
    if (end == w || *end != '\0' || errno != 0 || v < lo || v > hi) {
        return 0;
    }
    *out = v;
    return 1;
}

static int line_ok(char *line, int n_layer)
{
    char *hash = strchr(line, '#');
    if (hash != NULL) {
        *hash = '\0';
    }
    char *w[6];
    int n = 0;
    for (char *tok = strtok(line, " \t\n\v\f\r"); tok != NULL && n < 6;
         tok = strtok(NULL, " \t\n\v\f\r")) {
        w[n++] = tok;
    }
    long step, layer;
    if (n == 0) {
        return 1;
    }
    if (n < 3 || !is_number(w[0], 0, 100000000, &step)) {
        return 0;
    }
    if (strcmp(w[1], "end") == 0) {
        return n == 3 && (strcmp(w[2], "eot-special") == 0 || strcmp(w[2], "bos-special") == 0);
    }
    if (strcmp(w[1], "freeze") != 0) {
        return 0;
    }
    if (strcmp(w[2], "lnf") == 0) {
        return n == 3;
    }
    return n == 4 && (strcmp(w[2], "ln2") == 0 || strcmp(w[2], "ln1qk") == 0 ||
                      strcmp(w[2], "ln1v") == 0) &&
           is_number(w[3], 0, n_layer - 1, &layer);
}

static int grammar_ok(const uint8_t *data, size_t size, int n_layer)
{
    if (memchr(data, '\0', size) != NULL) {
        return -1;
    }
    size_t start = 0;
    while (start < size) {
        const uint8_t *nl = memchr(data + start, '\n', size - start);
        size_t len = nl != NULL ? (size_t)(nl - (data + start)) : size - start;
        if (len >= 255) {
            return -1;
        }
        char line[256];
        memcpy(line, data + start, len);
        line[len] = '\0';
        if (!line_ok(line, n_layer)) {
            return 0;
        }
        start += len + 1;
    }
    return 1;
}

static void parse_for(const char *path, const uint8_t *data, size_t size, int n_layer)
{
    schedule s;
    lnf_error err;
    err.msg[0] = '\0';
    int grammar = grammar_ok(data, size, n_layer);
    if (schedule_parse_file(&s, path, n_layer, &err) != 0) {
        if (strstr(err.msg, path) == NULL) {
            fz_finding("schedule_parse_file failed without a message naming the file: '%s'",
                       err.msg);
        }
        /* a rejection of well-formed lines must be about order or repeats */
        if (grammar == 1 && strstr(err.msg, "comes before") == NULL &&
            strstr(err.msg, "repeats") == NULL) {
            fz_finding("schedule_parse_file rejected well-formed lines: %s", err.msg);
        }
        return;
    }
    if (grammar == 0) {
        fz_finding("schedule_parse_file accepted a line outside the grammar (n_layer %d)",
                   n_layer);
    }
    check_events(&s, n_layer);
    round_trip(&s, n_layer);
    (void)schedule_is_complete(&s, n_layer);
    schedule_free(&s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *path = fz_write_file("input.schedule", data, size);
    parse_for(path, data, size, 2);
    parse_for(path, data, size, 12);
    return 0;
}
