#include "train/train_state.h"
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include "base/jsonio.h"
#include "base/path.h"
#include "base/safetensors.h"

json_t *train_state_run_shape(int B, int T, int grad_accum, const char *schedule,
                              double sigma_momentum, int sigma_pooled)
{
    return json_pack("{s:i, s:i, s:i, s:s?, s:f, s:b}", "B", B, "T", T, "grad_accum", grad_accum,
                     "schedule", schedule, "sigma_momentum", sigma_momentum, "sigma_pooled",
                     sigma_pooled);
}

static json_t *sigma_to_json(const sigma_tracker *t)
{
    json_t *arr = json_array();
    for (int i = 0; i < t->n_records; i++) {
        const sigma_record *s = &t->rec[i];
        json_array_append_new(arr, json_pack("{s:[f,f,f], s:[b,b,b], s:b}", "value", s->value[0],
                                             s->value[1], s->value[2], "seen", s->seen[0],
                                             s->seen[1], s->seen[2], "frozen", s->frozen));
    }
    return arr;
}

static int sigma_from_json(sigma_tracker *t, json_t *arr, const char *path, lnf_error *err)
{
    if (!json_is_array(arr) || (int)json_array_size(arr) != t->n_records) {
        return lnf_fail(err, "%s: \"sigma\" must list %d records", path, t->n_records);
    }
    for (int i = 0; i < t->n_records; i++) {
        json_t *rec = json_array_get(arr, (size_t)i);
        json_t *v = json_object_get(rec, "value"), *s = json_object_get(rec, "seen");
        if (json_array_size(v) != 3 || json_array_size(s) != 3) {
            return lnf_fail(err, "%s: sigma record %d is malformed", path, i);
        }
        for (int c = 0; c < 3; c++) {
            t->rec[i].value[c] = json_number_value(json_array_get(v, (size_t)c));
            t->rec[i].seen[c] = json_is_true(json_array_get(s, (size_t)c));
        }
        t->rec[i].frozen = json_is_true(json_object_get(rec, "frozen"));
    }
    return 0;
}

int train_state_save(const char *dir, const train_state *s, const gpt2 *m, const float *adam_m,
                     const float *adam_v, const sigma_tracker *sigma, const json_t *run_shape,
                     lnf_error *err)
{
    lnf_path path;
    if (adam_m != NULL) {
        int64_t n = (int64_t)m->n_params;
        st_entry adam[2] = {
            {.name = "adam.m", .dtype = ST_F32, .ndim = 1, .shape = {n}, .data = adam_m},
            {.name = "adam.v", .dtype = ST_F32, .ndim = 1, .shape = {n}, .data = adam_v},
        };
        if (path_join(&path, dir, "optimizer.safetensors", err) != 0 ||
            st_write(path.s, adam, 2, err) != 0) {
            return -1;
        }
    }
    json_t *exponents = json_array();
    for (int i = 0; i < s->n_exponents; i++) {
        json_array_append_new(exponents, json_integer(s->exponents[i]));
    }
    char seed[24];
    snprintf(seed, sizeof seed, "%llu", (unsigned long long)s->seed); /* exact, not a double */
    json_t *state = json_pack("{s:s, s:i, s:i, s:i, s:{s:s, s:s, s:I, s:I}, s:i, s:o, s:o, s:O}",
                              "format", "lnfree-train-state", "version", 1, "step", s->step,
                              "adam_step", m->adam_step, "data", "order",
                              s->order == 0 ? "random" : "sequential", "seed", seed, "start",
                              (json_int_t)s->data_start, "position",
                              (json_int_t)s->data_position, "next_event", s->next_event, "sigma",
                              sigma_to_json(sigma), "grad_exponents", exponents, "run",
                              run_shape);
    int rc = path_join(&path, dir, "train_state.json", err) != 0
                 ? -1
                 : jsonio_write(path.s, state,
                                JSON_INDENT(2) | JSON_SORT_KEYS | JSON_REAL_PRECISION(17), err);
    json_decref(state);
    return rc;
}

/* The moments of m's optimizer shard, from the file's whole arrays. */
static int load_moments(const char *dir, gpt2 *m, lnf_error *err)
{
    lnf_path path;
    size_t n = m->n_params;
    if (path_join(&path, dir, "optimizer.safetensors", err) != 0) {
        return -1;
    }
    float *full = malloc(n * sizeof(float));
    m->adam_m = malloc((m->adam_n > 0 ? m->adam_n : 1) * sizeof(float));
    m->adam_v = malloc((m->adam_n > 0 ? m->adam_n : 1) * sizeof(float));
    st_file f;
    int rc = full != NULL && m->adam_m != NULL && m->adam_v != NULL
                 ? 0
                 : lnf_fail(err, "out of memory for the AdamW state");
    if (rc == 0 && st_open(&f, path.s, err) != 0) {
        rc = -1;
    } else if (rc == 0) {
        rc = st_read_f32(&f, "adam.m", full, n, 1, err);
        if (rc == 0) {
            memcpy(m->adam_m, full + m->adam_lo, m->adam_n * sizeof(float));
            rc = st_read_f32(&f, "adam.v", full, n, 1, err);
        }
        if (rc == 0) {
            memcpy(m->adam_v, full + m->adam_lo, m->adam_n * sizeof(float));
        }
        st_close(&f);
    }
    free(full);
    return rc;
}

static int exponents_from_json(train_state *s, json_t *arr, const char *path, lnf_error *err)
{
    s->n_exponents = (int)json_array_size(arr);
    if (s->n_exponents == 0) {
        return 0;
    }
    s->exponents = malloc((size_t)s->n_exponents * sizeof *s->exponents);
    if (s->exponents == NULL) {
        return lnf_fail(err, "%s: out of memory", path);
    }
    for (int i = 0; i < s->n_exponents; i++) {
        json_t *v = json_array_get(arr, (size_t)i);
        if (!json_is_integer(v)) {
            return lnf_fail(err, "%s: grad_exponents[%d] is not an integer", path, i);
        }
        s->exponents[i] = (int)json_integer_value(v);
    }
    return 0;
}

int train_state_load(const char *dir, train_state *s, gpt2 *m, sigma_tracker *sigma,
                     const json_t *run_shape, lnf_error *err)
{
    lnf_path path;
    memset(s, 0, sizeof *s);
    if (path_join(&path, dir, "train_state.json", err) != 0) {
        return -1;
    }
    json_t *st = jsonio_read(path.s, err);
    if (st == NULL) {
        lnf_error inner = *err;
        return lnf_fail(err, "cannot resume: %s", inner.msg);
    }
    int rc = 0;
    if (!json_equal(json_object_get(st, "run"), (json_t *)run_shape)) {
        rc = lnf_fail(err, "%s: cannot resume with a different B, T, grad_accum, schedule or σ "
                      "setting", path.s);
    } else if (sigma_tracker_init(sigma, m->cfg.n_layer, err) != 0 ||
               sigma_from_json(sigma, json_object_get(st, "sigma"), path.s, err) != 0 ||
               exponents_from_json(s, json_object_get(st, "grad_exponents"), path.s, err) != 0) {
        rc = -1;
    } else {
        s->step = (int)json_integer_value(json_object_get(st, "step"));
        s->next_event = (int)json_integer_value(json_object_get(st, "next_event"));
        json_t *data = json_object_get(st, "data");
        const char *order = json_string_value(json_object_get(data, "order"));
        const char *seed = json_string_value(json_object_get(data, "seed"));
        if (order == NULL || seed == NULL ||
            (strcmp(order, "random") != 0 && strcmp(order, "sequential") != 0)) {
            rc = lnf_fail(err, "%s: \"data\" must give the order (random or sequential) and "
                          "the seed", path.s);
        } else {
            s->order = strcmp(order, "random") == 0 ? 0 : 1;
            s->seed = strtoull(seed, NULL, 10);
            s->data_start = (long long)json_integer_value(json_object_get(data, "start"));
            s->data_position = (long long)json_integer_value(json_object_get(data, "position"));
        }
        m->adam_step = (int)json_integer_value(json_object_get(st, "adam_step"));
    }
    json_decref(st);
    if (rc == 0 && m->adam_step > 0) {
        rc = load_moments(dir, m, err);
    }
    return rc;
}

void train_state_free(train_state *s)
{
    free(s->exponents);
    s->exponents = NULL;
    s->n_exponents = 0;
}
