#include "model/checkpoint.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "base/fs.h"
#include "base/path.h"

/* Copies one in-memory tensor to (to_hf) or from its block of the HF tensor. */
static void hf_block_copy(const gpt2_tensor *t, float *mem, float *hf, int to_hf)
{
    for (int i = 0; i < t->rows; i++) {
        for (int j = 0; j < t->cols; j++) {
            size_t r = (size_t)(t->row_offset + i);
            size_t h = t->transposed ? (size_t)j * t->hf_rows + r : r * t->cols + j;
            float *dst = to_hf ? &hf[h] : &mem[(size_t)i * t->cols + j];
            *dst = to_hf ? mem[(size_t)i * t->cols + j] : hf[h];
        }
    }
}

/* Tensors sharing an HF name are adjacent in the layout; returns the end of the run at i. */
static int run_end(const gpt2 *m, int i)
{
    int j = i + 1;
    while (j < m->n_tensors && strcmp(m->tensors[j].hf_name, m->tensors[i].hf_name) == 0) {
        j++;
    }
    return j;
}

/* The HF shape of the tensor run starting at i. */
static int hf_shape(const gpt2_tensor *t, int64_t shape[2])
{
    if (t->hf_ndim == 1) {
        shape[0] = t->hf_rows;
        return 1;
    }
    shape[0] = t->transposed ? t->cols : t->hf_rows;
    shape[1] = t->transposed ? t->hf_rows : t->cols;
    return 2;
}

static size_t hf_numel(const gpt2_tensor *t) { return (size_t)t->hf_rows * (size_t)t->cols; }

static int is_ignored_key(const char *name)
{
    size_t n = strlen(name);
    return strcmp(name, "lm_head.weight") == 0 ||
           (n > 10 && strcmp(name + n - 10, ".attn.bias") == 0) ||
           (n > 17 && strcmp(name + n - 17, ".attn.masked_bias") == 0);
}

static const char *strip_prefix(const char *name)
{
    return strncmp(name, "transformer.", 12) == 0 ? name + 12 : name;
}

static int load_tensors(gpt2 *m, const st_file *f, lnf_error *err)
{
    /* every tensor in the file must be one lnfree knows */
    for (int k = 0; k < f->n_tensors; k++) {
        const char *name = strip_prefix(f->tensors[k].name);
        int known = is_ignored_key(name);
        for (int i = 0; i < m->n_tensors && !known; i++) {
            known = strcmp(m->tensors[i].hf_name, name) == 0;
        }
        if (!known) {
            return lnf_fail(err, "%s: unexpected tensor '%s' (not part of a GPT-2 with this "
                            "config)", f->path, f->tensors[k].name);
        }
    }
    float *hf = NULL;
    int rc = 0;
    for (int i = 0; i < m->n_tensors && rc == 0; i = run_end(m, i)) {
        const gpt2_tensor *t = &m->tensors[i];
        char key[80];
        snprintf(key, sizeof key, "transformer.%s", t->hf_name);
        const st_tensor *st = st_find(f, t->hf_name);
        const char *found = t->hf_name;
        if (st == NULL && (st = st_find(f, key)) != NULL) {
            found = key;
        }
        if (st == NULL) {
            rc = lnf_fail(err, "%s: tensor '%s' is missing", f->path, t->hf_name);
            break;
        }
        int64_t want[2];
        int nd = hf_shape(t, want);
        if (st->ndim != nd || st->shape[0] != want[0] || (nd == 2 && st->shape[1] != want[1])) {
            char got[64] = "", exp[64];
            for (int d = 0; d < st->ndim && d < 4; d++) {
                snprintf(got + strlen(got), sizeof got - strlen(got), "%s%lld", d ? ", " : "",
                         (long long)st->shape[d]);
            }
            if (nd == 1) {
                snprintf(exp, sizeof exp, "%lld", (long long)want[0]);
            } else {
                snprintf(exp, sizeof exp, "%lld, %lld", (long long)want[0], (long long)want[1]);
            }
            rc = lnf_fail(err, "%s: tensor '%s' has shape [%s] but config.json implies [%s]",
                          f->path, found, got, exp);
            break;
        }
        free(hf);
        hf = malloc(hf_numel(t) * sizeof(float));
        if (hf == NULL) {
            rc = lnf_fail(err, "%s: out of memory reading '%s'", f->path, found);
            break;
        }
        rc = st_read_f32(f, found, hf, hf_numel(t), 1, err);
        for (int j = i; j < run_end(m, i) && rc == 0; j++) {
            hf_block_copy(&m->tensors[j], m->params + m->tensors[j].offset, hf, 0);
        }
    }
    free(hf);
    return rc;
}

int checkpoint_load(gpt2 *m, const char *dir, lnf_error *err)
{
    lnf_path config, weights, ln_state;
    gpt2_config cfg;
    if (path_join(&config, dir, "config.json", err) != 0 ||
        path_join(&weights, dir, "model.safetensors", err) != 0 ||
        path_join(&ln_state, dir, "lnfree.json", err) != 0 ||
        config_load(&cfg, config.s, err) != 0 || gpt2_create(m, &cfg, err) != 0) {
        return -1;
    }
    st_file f;
    if (st_open(&f, weights.s, err) != 0) {
        gpt2_free(m);
        return -1;
    }
    int rc = load_tensors(m, &f, err);
    st_close(&f);
    if (rc == 0) {
        ln_state_free(&m->ln);
        rc = ln_state_load(&m->ln, cfg.n_layer, ln_state.s, err);
    }
    if (rc != 0) {
        gpt2_free(m);
    }
    return rc;
}

int hf_tensor_set_build(hf_tensor_set *set, const gpt2 *m, const float *buf, const char *prefix,
                        lnf_error *err)
{
    memset(set, 0, sizeof *set);
    size_t name_len = strlen(prefix) + sizeof m->tensors[0].hf_name;
    for (int i = 0; i < m->n_tensors; i = run_end(m, i)) {
        set->n++;
    }
    set->entries = calloc((size_t)set->n, sizeof *set->entries);
    set->names = calloc((size_t)set->n, name_len);
    set->data = malloc(m->n_params * sizeof(float)); /* the HF layout holds the same floats */
    if (!set->entries || !set->names || !set->data) {
        hf_tensor_set_free(set);
        return lnf_fail(err, "out of memory packing %zu parameters", m->n_params);
    }
    float *out = set->data;
    int e = 0;
    for (int i = 0; i < m->n_tensors; i = run_end(m, i), e++) {
        const gpt2_tensor *t = &m->tensors[i];
        char *name = set->names + (size_t)e * name_len;
        snprintf(name, name_len, "%s%s", prefix, t->hf_name);
        st_entry *en = &set->entries[e];
        en->name = name;
        en->dtype = ST_F32;
        en->ndim = hf_shape(t, en->shape);
        en->data = out;
        for (int j = i; j < run_end(m, i); j++) {
            hf_block_copy(&m->tensors[j], (float *)buf + m->tensors[j].offset, out, 1);
        }
        out += hf_numel(t);
    }
    return 0;
}

void hf_tensor_set_free(hf_tensor_set *set)
{
    free(set->entries);
    free(set->names);
    free(set->data);
    memset(set, 0, sizeof *set);
}

int checkpoint_save(const gpt2 *m, const char *dir, lnf_error *err)
{
    lnf_path config, weights, ln_state;
    if (path_join(&config, dir, "config.json", err) != 0 ||
        path_join(&weights, dir, "model.safetensors", err) != 0 ||
        path_join(&ln_state, dir, "lnfree.json", err) != 0 || fs_ensure_dir(dir, err) != 0) {
        return -1;
    }
    hf_tensor_set set;
    if (hf_tensor_set_build(&set, m, m->params, "", err) != 0) {
        return -1;
    }
    int rc = st_write(weights.s, set.entries, set.n, err);
    hf_tensor_set_free(&set);
    if (rc == 0) {
        rc = config_save(&m->cfg, config.s, err);
    }
    if (rc == 0) {
        rc = ln_state_save(&m->ln, ln_state.s, err);
    }
    return rc;
}
