#include "args.h"
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

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
