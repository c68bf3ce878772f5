#include "cli/args.h"
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int arg_int(const char *cmd, const char *opt, const char *text, int min, int *out)
{
    char *end;
    errno = 0;
    long v = strtol(text, &end, 10);
    if (errno != 0 || end == text || *end != '\0' || v < min || v > 0x7fffffff) {
        fprintf(stderr, "lnfree %s: --%s: '%s' is not an integer ≥ %d\n", cmd, opt, text, min);
        return -1;
    }
    *out = (int)v;
    return 0;
}

int arg_float(const char *cmd, const char *opt, const char *text, float *out)
{
    char *end;
    errno = 0;
    float v = strtof(text, &end);
    if (errno != 0 || end == text || *end != '\0' || !isfinite(v)) {
        fprintf(stderr, "lnfree %s: --%s: '%s' is not a finite number\n", cmd, opt, text);
        return -1;
    }
    *out = v;
    return 0;
}

int arg_u64(const char *cmd, const char *opt, const char *text, uint64_t *out)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(text, &end, 10);
    if (errno != 0 || end == text || *end != '\0' || text[0] == '-') {
        fprintf(stderr, "lnfree %s: --%s: '%s' is not a non-negative integer\n", cmd, opt, text);
        return -1;
    }
    *out = v;
    return 0;
}

int arg_model_config(const char *cmd, const char *opt, const char *text, gpt2_config *out)
{
    lnf_error err;
    size_t n = strlen(text);
    int is_file = strchr(text, '/') != NULL || (n > 5 && strcmp(text + n - 5, ".json") == 0);
    if ((is_file ? config_load(out, text, &err) : config_preset(out, text, &err)) != 0) {
        fprintf(stderr, "lnfree %s: --%s: %s\n", cmd, opt, err.msg);
        return -1;
    }
    return 0;
}

int arg_site_kinds(const char *cmd, const char *opt, const char *text, int kinds[SITE_KINDS])
{
    memset(kinds, 0, SITE_KINDS * sizeof *kinds);
    const char *p = text;
    for (;;) {
        size_t len = strcspn(p, ",");
        int found = 0;
        for (int k = 0; k < SITE_KINDS; k++) {
            const char *name = ln_site_kind_name((site_kind)k);
            if (strlen(name) == len && strncmp(p, name, len) == 0) {
                kinds[k] = found = 1;
            }
        }
        if (!found) {
            fprintf(stderr, "lnfree %s: --%s: '%.*s' is not one of ln1qk, ln1v, ln2, lnf\n", cmd,
                    opt, (int)len, p);
            return -1;
        }
        if (p[len] == '\0') {
            return 0;
        }
        p += len + 1;
    }
}

int print_json(const char *cmd, json_t *o)
{
    char *text = o != NULL ? json_dumps(o, JSON_SORT_KEYS | JSON_REAL_PRECISION(10)) : NULL;
    json_decref(o);
    int ok = text != NULL && printf("%s\n", text) > 0 && fflush(stdout) == 0;
    free(text);
    if (!ok) {
        fprintf(stderr, "lnfree %s: cannot write the JSON result to stdout\n", cmd);
        return -1;
    }
    return 0;
}
