#include "train/settings.h"
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef enum { F_INT, F_FLOAT, F_DOUBLE, F_LLONG } field_type;

/* The numeric settings: one list, read and written alike. */
static const struct {
    const char *name;
    field_type type;
    size_t offset;
} fields[] = {
    {"batch", F_INT, offsetof(train_options, B)},
    {"seq_len", F_INT, offsetof(train_options, T)},
    {"grad_accum", F_INT, offsetof(train_options, grad_accum)},
    {"steps", F_INT, offsetof(train_options, steps)},
    {"lr", F_FLOAT, offsetof(train_options, optim.adam.lr)},
    {"min_lr", F_FLOAT, offsetof(train_options, min_lr)},
    {"warmup", F_INT, offsetof(train_options, warmup)},
    {"weight_decay", F_FLOAT, offsetof(train_options, optim.adam.weight_decay)},
    {"beta1", F_FLOAT, offsetof(train_options, optim.adam.beta1)},
    {"beta2", F_FLOAT, offsetof(train_options, optim.adam.beta2)},
    {"eps", F_FLOAT, offsetof(train_options, optim.adam.eps)},
    {"clip", F_FLOAT, offsetof(train_options, optim.clip)},
    {"val_every", F_INT, offsetof(train_options, val_every)},
    {"val_batches", F_INT, offsetof(train_options, val_batches)},
    {"ckpt_every", F_INT, offsetof(train_options, ckpt_every)},
    {"data_start", F_LLONG, offsetof(train_options, data_start)},
    {"schedule_span", F_INT, offsetof(train_options, schedule_span)},
    {"sigma_momentum", F_DOUBLE, offsetof(train_options, sigma_momentum)},
    {"sigma_pooled", F_INT, offsetof(train_options, sigma_pooled)},
    {"calib_batches", F_INT, offsetof(train_options, calib_batches)},
    {"aux_weight", F_FLOAT, offsetof(train_options, aux_weight)},
};

/* The string settings (NULL is JSON null). */
static const struct {
    const char *name;
    size_t offset;
} strings[] = {
    {"model", offsetof(train_options, model_dir)},
    {"data", offsetof(train_options, data_dir)},
    {"val", offsetof(train_options, val_path)},
    {"schedule", offsetof(train_options, schedule)},
    {"title", offsetof(train_options, title)},
};

#define N_FIELDS (sizeof fields / sizeof fields[0])
#define N_STRINGS (sizeof strings / sizeof strings[0])

json_t *train_settings_json(const train_options *o)
{
    json_t *j = json_object();
    const char *base = (const char *)o;
    for (size_t i = 0; i < N_FIELDS; i++) {
        const void *p = base + fields[i].offset;
        json_t *v = fields[i].type == F_INT     ? json_integer(*(const int *)p)
                    : fields[i].type == F_FLOAT ? json_real(*(const float *)p)
                    : fields[i].type == F_DOUBLE
                        ? json_real(*(const double *)p)
                        : json_integer(*(const long long *)p);
        json_object_set_new(j, fields[i].name, v);
    }
    for (size_t i = 0; i < N_STRINGS; i++) {
        const char *s = *(const char *const *)(base + strings[i].offset);
        json_object_set_new(j, strings[i].name, s != NULL ? json_string(s) : json_null());
    }
    char seed[24];
    snprintf(seed, sizeof seed, "%" PRIu64, o->seed); /* exact: not a double */
    json_object_set_new(j, "seed", json_string(seed));
    json_object_set_new(j, "data_order",
                        json_string(o->order == TRAIN_SEQUENTIAL ? "sequential" : "random"));
    json_object_set_new(j, "init", o->init != NULL ? config_to_json(o->init) : json_null());
    json_t *eot = json_null();
    if (o->eot_kind != NULL) {
        eot = json_array();
        for (int k = 0; k < SITE_KINDS; k++) {
            if (o->eot_kind[k]) {
                json_array_append_new(eot, json_string(ln_site_kind_name((site_kind)k)));
            }
        }
    }
    json_object_set_new(j, "eot_sites", eot);
    const schedule_plan *pl = o->schedule_plan;
    json_object_set_new(
        j, "schedule_plan",
        pl == NULL ? json_null()
                   : json_pack("{s:[i,i,i], s:[i,i,i], s:i, s:i, s:i, s:i}", "start",
                               pl->start[0], pl->start[1], pl->start[2], "gap", pl->gap[0],
                               pl->gap[1], pl->gap[2], "lnf", pl->lnf, "end_eot", pl->end_eot,
                               "end_bos", pl->end_bos, "steps", pl->steps));
    return j;
}

static int parse_plan(const json_t *j, schedule_plan *p, const char *where, lnf_error *err)
{
    json_t *start = json_object_get(j, "start"), *gap = json_object_get(j, "gap");
    if (json_array_size(start) != 3 || json_array_size(gap) != 3) {
        return lnf_fail(err, "%s: schedule_plan needs start and gap of 3 phases", where);
    }
    for (int k = 0; k < 3; k++) {
        p->start[k] = (int)json_integer_value(json_array_get(start, (size_t)k));
        p->gap[k] = (int)json_integer_value(json_array_get(gap, (size_t)k));
    }
    p->lnf = (int)json_integer_value(json_object_get(j, "lnf"));
    p->end_eot = (int)json_integer_value(json_object_get(j, "end_eot"));
    p->end_bos = (int)json_integer_value(json_object_get(j, "end_bos"));
    p->steps = (int)json_integer_value(json_object_get(j, "steps"));
    return 0;
}

static int parse_eot(const json_t *arr, int *kinds, const char *where, lnf_error *err)
{
    memset(kinds, 0, SITE_KINDS * sizeof *kinds);
    size_t i;
    json_t *v;
    json_array_foreach(arr, i, v) {
        int found = 0;
        for (int k = 0; k < SITE_KINDS; k++) {
            if (json_is_string(v) &&
                strcmp(json_string_value(v), ln_site_kind_name((site_kind)k)) == 0) {
                kinds[k] = found = 1;
            }
        }
        if (!found) {
            return lnf_fail(err, "%s: eot_sites lists an unknown site kind", where);
        }
    }
    return 0;
}

int train_settings_parse(const json_t *j, train_options *o, train_settings_store *st,
                         const char *where, lnf_error *err)
{
    memset(st, 0, sizeof *st);
    *o = train_defaults();
    if (!json_is_object(j)) {
        return lnf_fail(err, "%s: the settings are not a JSON object", where);
    }
    st->root = json_incref((json_t *)j);
    char *base = (char *)o;
    for (size_t i = 0; i < N_FIELDS; i++) {
        json_t *v = json_object_get(j, fields[i].name);
        int integral = fields[i].type == F_INT || fields[i].type == F_LLONG;
        if (integral ? !json_is_integer(v) : !json_is_number(v)) {
            return lnf_fail(err, "%s: setting '%s' is missing or not %s", where, fields[i].name,
                            integral ? "an integer" : "a number");
        }
        void *p = base + fields[i].offset;
        switch (fields[i].type) {
        case F_INT: *(int *)p = (int)json_integer_value(v); break;
        case F_FLOAT: *(float *)p = (float)json_number_value(v); break;
        case F_DOUBLE: *(double *)p = json_number_value(v); break;
        case F_LLONG: *(long long *)p = (long long)json_integer_value(v); break;
        }
    }
    for (size_t i = 0; i < N_STRINGS; i++) {
        json_t *v = json_object_get(j, strings[i].name);
        if (!json_is_string(v) && !json_is_null(v)) {
            return lnf_fail(err, "%s: setting '%s' is missing or not a string", where,
                            strings[i].name);
        }
        *(const char **)(base + strings[i].offset) = json_string_value(v);
    }
    const char *seed = json_string_value(json_object_get(j, "seed"));
    char *end = NULL;
    if (seed == NULL || !(seed[0] >= '0' && seed[0] <= '9') ||
        (o->seed = strtoull(seed, &end, 10), *end != '\0')) {
        return lnf_fail(err, "%s: setting 'seed' is missing or not a decimal string", where);
    }
    const char *order = json_string_value(json_object_get(j, "data_order"));
    if (order == NULL || (strcmp(order, "random") != 0 && strcmp(order, "sequential") != 0)) {
        return lnf_fail(err, "%s: setting 'data_order' must be random or sequential", where);
    }
    o->order = strcmp(order, "random") == 0 ? TRAIN_RANDOM : TRAIN_SEQUENTIAL;
    json_t *init = json_object_get(j, "init");
    if (json_is_object(init)) {
        if (config_from_json(&st->init, init, where, err) != 0) {
            return -1;
        }
        o->init = &st->init;
    }
    json_t *eot = json_object_get(j, "eot_sites");
    if (json_is_array(eot)) {
        if (parse_eot(eot, st->eot_kind, where, err) != 0) {
            return -1;
        }
        o->eot_kind = st->eot_kind;
    }
    json_t *plan = json_object_get(j, "schedule_plan");
    if (json_is_object(plan)) {
        if (parse_plan(plan, &st->plan, where, err) != 0) {
            return -1;
        }
        o->schedule_plan = &st->plan;
    }
    return 0;
}

void train_settings_free(train_settings_store *st)
{
    json_decref(st->root);
    st->root = NULL;
}
