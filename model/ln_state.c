#include "model/ln_state.h"
#include "base/jsonio.h"
#include <errno.h>
#include <float.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const kind_names[SITE_KINDS] = {"ln1qk", "ln1v", "ln2", "lnf"};

const char *ln_site_kind_name(site_kind kind) { return kind_names[kind]; }

int ln_state_init(ln_state *st, int n_layer, lnf_error *err)
{
    memset(st, 0, sizeof *st);
    st->n_layer = n_layer;
    st->n_sites = 3 * n_layer + 1;
    st->sites = calloc((size_t)st->n_sites, sizeof *st->sites);
    if (st->sites == NULL) {
        return lnf_fail(err, "out of memory for %d LN sites", st->n_sites);
    }
    st->special_bos = 1;
    st->special_eot = 1;
    st->eot_kind[SITE_LN1V] = 1;
    return 0;
}

void ln_state_free(ln_state *st)
{
    free(st->sites);
    st->sites = NULL;
}

int ln_site_index(const ln_state *st, int layer, site_kind kind)
{
    return kind == SITE_LNF ? 3 * st->n_layer : 3 * layer + (int)kind;
}

site_kind ln_site_kind_of(const ln_state *st, int index)
{
    return index == 3 * st->n_layer ? SITE_LNF : (site_kind)(index % 3);
}

int ln_site_layer(const ln_state *st, int index)
{
    return index == 3 * st->n_layer ? -1 : index / 3;
}

void ln_site_name(const ln_state *st, int index, char *buf, int buflen)
{
    site_kind kind = ln_site_kind_of(st, index);
    if (kind == SITE_LNF) {
        snprintf(buf, (size_t)buflen, "lnf");
    } else {
        snprintf(buf, (size_t)buflen, "h.%d.%s", ln_site_layer(st, index), kind_names[kind]);
    }
}

int ln_state_all_real(const ln_state *st)
{
    for (int i = 0; i < st->n_sites; i++) {
        if (st->sites[i].frozen) {
            return 0;
        }
    }
    return 1;
}

/* Site name → index, or -1. */
static int parse_site_name(const ln_state *st, const char *name)
{
    if (strcmp(name, "lnf") == 0) {
        return 3 * st->n_layer;
    }
    int layer, used = 0;
    char kind[8];
    if (sscanf(name, "h.%d.%7[a-z0-9]%n", &layer, kind, &used) != 2 || name[used] != '\0' ||
        layer < 0 || layer >= st->n_layer) {
        return -1;
    }
    for (int k = 0; k < SITE_LNF; k++) {
        if (strcmp(kind, kind_names[k]) == 0) {
            return 3 * layer + k;
        }
    }
    return -1;
}

static int parse_sigma(json_t *site, const char *key, float fallback, float *out,
                       const char *path, const char *name, lnf_error *err)
{
    json_t *v = json_object_get(site, key);
    if (v == NULL) {
        *out = fallback;
        return 0;
    }
    double x = json_is_number(v) ? json_number_value(v) : NAN;
    if (!isfinite(x) || x <= 0.0 || x > 3.4e38) {
        return lnf_fail(err, "%s: site '%s': %s must be a finite positive number", path, name, key);
    }
    /* below FLT_MIN the float is 0 or subnormal, and dividing by it overflows */
    if ((float)x < FLT_MIN) {
        return lnf_fail(err, "%s: site '%s': %s = %g is below float32's smallest normal "
                        "number %g", path, name, key, x, (double)FLT_MIN);
    }
    *out = (float)x;
    return 0;
}

static int parse_special(ln_state *st, json_t *special, const char *path, lnf_error *err)
{
    if (special == NULL) {
        return 0;
    }
    if (!json_is_object(special)) {
        return lnf_fail(err, "%s: 'special' must be an object", path);
    }
    json_t *bos = json_object_get(special, "bos");
    json_t *eot = json_object_get(special, "eot");
    json_t *sites = json_object_get(special, "eot_sites");
    if ((bos != NULL && !json_is_boolean(bos)) || (eot != NULL && !json_is_boolean(eot))) {
        return lnf_fail(err, "%s: special.bos and special.eot must be true or false", path);
    }
    if (bos != NULL) {
        st->special_bos = json_is_true(bos);
    }
    if (eot != NULL) {
        st->special_eot = json_is_true(eot);
    }
    if (sites != NULL) {
        if (!json_is_array(sites)) {
            return lnf_fail(err, "%s: special.eot_sites must be an array of site kinds", path);
        }
        memset(st->eot_kind, 0, sizeof st->eot_kind);
        size_t i;
        json_t *v;
        json_array_foreach(sites, i, v) {
            int found = 0;
            for (int k = 0; k < SITE_KINDS && json_is_string(v); k++) {
                if (strcmp(json_string_value(v), kind_names[k]) == 0) {
                    st->eot_kind[k] = 1;
                    found = 1;
                }
            }
            if (!found) {
                return lnf_fail(err, "%s: special.eot_sites[%zu] is not one of ln1qk, ln1v, "
                                "ln2, lnf", path, i);
            }
        }
    }
    return 0;
}

static int parse_sites(ln_state *st, json_t *sites, const char *path, lnf_error *err)
{
    if (sites == NULL) {
        return 0;
    }
    if (!json_is_object(sites)) {
        return lnf_fail(err, "%s: 'sites' must be an object", path);
    }
    const char *name;
    json_t *site;
    json_object_foreach(sites, name, site) {
        int idx = parse_site_name(st, name);
        if (idx < 0) {
            return lnf_fail(err, "%s: unknown LN site '%s' for a %d-layer model", path, name,
                            st->n_layer);
        }
        json_t *mode = json_object_get(site, "mode");
        if (!json_is_object(site) || !json_is_string(mode)) {
            return lnf_fail(err, "%s: site '%s' needs a \"mode\" string", path, name);
        }
        ln_site *s = &st->sites[idx];
        if (strcmp(json_string_value(mode), "real") == 0) {
            s->frozen = 0;
            continue;
        }
        if (strcmp(json_string_value(mode), "frozen") != 0) {
            return lnf_fail(err, "%s: site '%s': mode must be \"real\" or \"frozen\"", path, name);
        }
        s->frozen = 1;
        if (json_object_get(site, "sigma") == NULL) {
            return lnf_fail(err, "%s: frozen site '%s' has no sigma", path, name);
        }
        if (parse_sigma(site, "sigma", 0.0f, &s->sigma[LN_SCALE_AVG], path, name, err) ||
            parse_sigma(site, "sigma_bos", s->sigma[LN_SCALE_AVG], &s->sigma[LN_SCALE_BOS],
                        path, name, err) ||
            parse_sigma(site, "sigma_eot", s->sigma[LN_SCALE_AVG], &s->sigma[LN_SCALE_EOT],
                        path, name, err)) {
            return -1;
        }
    }
    return 0;
}

int ln_state_load(ln_state *st, int n_layer, const char *path, lnf_error *err)
{
    if (ln_state_init(st, n_layer, err) != 0) {
        return -1;
    }
    FILE *probe = fopen(path, "rb");
    if (probe == NULL) {
        if (errno == ENOENT) {
            return 0;
        }
        lnf_fail(err, "%s: cannot open: %s", path, strerror(errno));
        ln_state_free(st);
        return -1;
    }
    fclose(probe);
    json_t *root = jsonio_read(path, err);
    int rc = -1;
    if (root == NULL) {
        /* jsonio_read named the file and the line */
    } else if (!json_is_object(root)) {
        lnf_fail(err, "%s: not a JSON object", path);
    } else if (!json_is_string(json_object_get(root, "format")) ||
               strcmp(json_string_value(json_object_get(root, "format")), "lnfree-ln-state") != 0) {
        lnf_fail(err, "%s: \"format\" must be \"lnfree-ln-state\"", path);
    } else if (json_integer_value(json_object_get(root, "version")) != 1 ||
               !json_is_integer(json_object_get(root, "version"))) {
        lnf_fail(err, "%s: unsupported \"version\" (this lnfree reads version 1)", path);
    } else if (parse_special(st, json_object_get(root, "special"), path, err) == 0 &&
               parse_sites(st, json_object_get(root, "sites"), path, err) == 0) {
        rc = 0;
    }
    json_decref(root);
    if (rc != 0) {
        ln_state_free(st);
    }
    return rc;
}

int ln_state_save(const ln_state *st, const char *path, lnf_error *err)
{
    json_t *eot_sites = json_array();
    for (int k = 0; k < SITE_KINDS; k++) {
        if (st->eot_kind[k]) {
            json_array_append_new(eot_sites, json_string(kind_names[k]));
        }
    }
    json_t *sites = json_object();
    for (int i = 0; i < st->n_sites; i++) {
        const ln_site *s = &st->sites[i];
        if (!s->frozen) {
            continue;
        }
        char name[32];
        ln_site_name(st, i, name, sizeof name);
        json_object_set_new(sites, name,
                            json_pack("{s:s, s:f, s:f, s:f}", "mode", "frozen",
                                      "sigma", (double)s->sigma[LN_SCALE_AVG],
                                      "sigma_bos", (double)s->sigma[LN_SCALE_BOS],
                                      "sigma_eot", (double)s->sigma[LN_SCALE_EOT]));
    }
    json_t *root = json_pack("{s:s, s:i, s:{s:b, s:b, s:o}, s:o}", "format", "lnfree-ln-state",
                             "version", 1, "special", "bos", st->special_bos, "eot",
                             st->special_eot, "eot_sites", eot_sites, "sites", sites);
    /* 9 significant digits round-trip every float σ exactly */
    int rc = jsonio_write(path, root, JSON_INDENT(2) | JSON_SORT_KEYS | JSON_REAL_PRECISION(9), err);
    json_decref(root);
    return rc;
}

int ln_token_class(int position, int token, int eot_token, int bos_on, int eot_on)
{
    if (position == 0 && bos_on) {
        return LN_SCALE_BOS;
    }
    return eot_on && token == eot_token ? LN_SCALE_EOT : LN_SCALE_AVG;
}

void ln_state_scale_classes(const ln_state *st, site_kind kind, const int *tokens,
                            int B, int T, int eot_token, uint8_t *classes)
{
    int eot_on = st->special_eot && st->eot_kind[kind];
    for (int b = 0; b < B; b++) {
        for (int t = 0; t < T; t++) {
            classes[b * T + t] =
                (uint8_t)ln_token_class(t, tokens[b * T + t], eot_token, st->special_bos, eot_on);
        }
    }
}

int ln_state_freeze(ln_state *st, int site, const float sigma[LN_SCALE_CLASSES], lnf_error *err)
{
    static const char *const class_names[LN_SCALE_CLASSES] = {"sigma", "sigma_bos", "sigma_eot"};
    for (int c = 0; c < LN_SCALE_CLASSES; c++) {
        if (!(sigma[c] >= LN_FIXED_MIN_SCALE && sigma[c] <= LN_FIXED_MAX_SCALE)) {
            char name[32];
            ln_site_name(st, site, name, sizeof name);
            return lnf_fail(err, "LN site %s: %s = %g is outside [%g, %g], the domain where the "
                            "fixed-scale LayerNorm is proven finite", name, class_names[c],
                            (double)sigma[c], (double)LN_FIXED_MIN_SCALE,
                            (double)LN_FIXED_MAX_SCALE);
        }
    }
    ln_site *s = &st->sites[site];
    memcpy(s->sigma, sigma, sizeof s->sigma);
    s->frozen = 1;
    return 0;
}

void ln_state_end_special(ln_state *st, ln_special which)
{
    if (which == LN_SPECIAL_BOS) {
        st->special_bos = 0;
    } else {
        st->special_eot = 0;
    }
}

void ln_state_set_eot_kinds(ln_state *st, const int eot_kind[SITE_KINDS])
{
    memcpy(st->eot_kind, eot_kind, sizeof st->eot_kind);
}
