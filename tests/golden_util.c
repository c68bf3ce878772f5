/* golden_util: see golden_util.h. */
#include "tests/golden_util.h"

#include <check.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void name_of(char *buf, size_t cap, const char *cs, const char *what)
{
    int k = snprintf(buf, cap, "%s.%s", cs, what);
    ck_assert_msg(k > 0 && (size_t)k < cap, "tensor name too long: %s.%s", cs, what);
}

void gu_open(st_file *f, const char *kernel)
{
    char path[512];
    lnf_error err;
    snprintf(path, sizeof path, "golden/kernels/%s.safetensors", kernel);
    memset(&err, 0, sizeof err);
    if (st_open(f, path, &err) != 0) {
        ck_abort_msg("cannot open golden file %s: %s", path, err.msg);
    }
}

static int cmp_name(const void *a, const void *b)
{
    return strcmp((const char *)a, (const char *)b);
}

int gu_cases(const st_file *f, char names[][GU_CASE_LEN], int min_cases)
{
    int n = 0;
    for (int i = 0; i < f->n_tensors; i++) {
        const char *name = f->tensors[i].name;
        size_t len = strlen(name);
        if (len > 5 && strcmp(name + len - 5, ".dims") == 0) {
            ck_assert_msg(n < GU_MAX_CASES, "%s: more than %d cases", f->path, GU_MAX_CASES);
            ck_assert_msg(len - 5 < GU_CASE_LEN, "%s: case name too long: %s", f->path, name);
            memcpy(names[n], name, len - 5);
            names[n][len - 5] = '\0';
            n++;
        }
    }
    qsort(names, (size_t)n, GU_CASE_LEN, cmp_name);
    ck_assert_msg(n >= min_cases, "%s: %d cases, expected at least %d", f->path, n, min_cases);
    return n;
}

int gu_has(const st_file *f, const char *cs, const char *what)
{
    char name[256];
    name_of(name, sizeof name, cs, what);
    return st_find(f, name) != NULL;
}

float *gu_f32(const st_file *f, const char *cs, const char *what, size_t numel)
{
    char name[256];
    lnf_error err;
    name_of(name, sizeof name, cs, what);
    float *x = malloc((numel ? numel : 1) * sizeof *x);
    ck_assert_ptr_nonnull(x);
    memset(&err, 0, sizeof err);
    if (st_read_f32(f, name, x, numel, 1, &err) != 0) {
        ck_abort_msg("golden %s (%zu floats): %s", name, numel, err.msg);
    }
    return x;
}

int32_t *gu_i32(const st_file *f, const char *cs, const char *what, size_t numel)
{
    char name[256];
    lnf_error err;
    name_of(name, sizeof name, cs, what);
    int32_t *x = malloc((numel ? numel : 1) * sizeof *x);
    ck_assert_ptr_nonnull(x);
    memset(&err, 0, sizeof err);
    if (st_read_i32(f, name, x, numel, &err) != 0) {
        ck_abort_msg("golden %s (%zu ints): %s", name, numel, err.msg);
    }
    return x;
}

/* The reader API has no U8 accessor: locate the tensor with st_find and copy
 * its bytes from the mapped file (the reader has validated the byte range). */
uint8_t *gu_u8(const st_file *f, const char *cs, const char *what, size_t numel)
{
    char name[256];
    name_of(name, sizeof name, cs, what);
    const st_tensor *t = st_find(f, name);
    ck_assert_msg(t != NULL, "golden %s: missing", name);
    ck_assert_msg(t->dtype == ST_U8, "golden %s: not U8", name);
    ck_assert_msg(t->numel == numel && t->end - t->begin == numel,
                  "golden %s: %zu elements, expected %zu", name, t->numel, numel);
    uint8_t *x = malloc(numel ? numel : 1);
    ck_assert_ptr_nonnull(x);
    memcpy(x, f->bytes + f->data_start + t->begin, numel);
    return x;
}

void gu_dims(const st_file *f, const char *cs, int *dims, int n)
{
    int32_t *d = gu_i32(f, cs, "dims", (size_t)n);
    for (int i = 0; i < n; i++) {
        ck_assert_msg(d[i] >= 0, "%s.dims[%d] = %d", cs, i, (int)d[i]);
        dims[i] = (int)d[i];
    }
    free(d);
}

double gu_max_abs(const float *x, size_t n)
{
    double m = 0.0;
    for (size_t i = 0; i < n; i++) {
        double a = fabs((double)x[i]);
        if (a > m) {
            m = a;
        }
    }
    return m;
}

int gu_verbose(void)
{
    const char *v = getenv("LNFREE_TEST_VERBOSE");
    return v != NULL && v[0] != '\0' && strcmp(v, "0") != 0;
}

static void report(const char *label, double ratio)
{
    if (gu_verbose()) {
        printf("  %-48s error/allowed = %.3g\n", label, ratio);
        fflush(stdout);
    }
}

static double close_impl(const char *label, const float *got, const float *start,
                         const float *ref, size_t n, double tol, double floor)
{
    double scale = gu_max_abs(ref, n);
    if (scale < floor) {
        scale = floor;
    }
    double worst = 0.0;
    size_t worst_i = 0;
    for (size_t i = 0; i < n; i++) {
        double g = (double)got[i] - (start ? (double)start[i] : 0.0);
        ck_assert_msg(isfinite(g), "%s: element %zu is %g (ref %.9g)", label, i, g,
                      (double)ref[i]);
        double diff = fabs(g - (double)ref[i]);
        if (diff > worst) {
            worst = diff;
            worst_i = i;
        }
    }
    double limit = tol * scale;
    double g = n ? (double)got[worst_i] - (start ? (double)start[worst_i] : 0.0) : 0.0;
    ck_assert_msg(worst <= limit,
                  "%s: max|delta| %.3g > %.3g (tol %.3g x scale %.4g) at element %zu: "
                  "got %.9g ref %.9g",
                  label, worst, limit, tol, scale, worst_i, g, n ? (double)ref[worst_i] : 0.0);
    double ratio = limit > 0.0 ? worst / limit : (worst > 0.0 ? INFINITY : 0.0);
    report(label, ratio);
    return ratio;
}

double gu_assert_close(const char *label, const float *got, const float *ref, size_t n,
                       double tol, double floor)
{
    return close_impl(label, got, NULL, ref, n, tol, floor);
}

double gu_assert_accum(const char *label, const float *got, const float *start,
                       const float *ref, size_t n, double tol, double floor)
{
    return close_impl(label, got, start, ref, n, tol, floor);
}

double gu_assert_close_each(const char *label, const float *got, const float *ref, size_t n,
                            double tol, double floor)
{
    double worst = 0.0;
    for (size_t i = 0; i < n; i++) {
        double g = (double)got[i];
        double r = (double)ref[i];
        double lim = tol * (fabs(r) > floor ? fabs(r) : floor);
        double diff = fabs(g - r);
        ck_assert_msg(isfinite(g) && diff <= lim,
                      "%s: element %zu: got %.9g ref %.9g |delta| %.3g > %.3g "
                      "(tol %.3g x max(%.3g, |ref|))",
                      label, i, g, r, diff, lim, tol, floor);
        double ratio = lim > 0.0 ? diff / lim : 0.0;
        if (ratio > worst) {
            worst = ratio;
        }
    }
    report(label, worst);
    return worst;
}

const char *gu_fmt(const char *fmt, ...)
{
    static char bufs[8][256];
    static int next = 0;
    char *b = bufs[next];
    next = (next + 1) % 8;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(b, sizeof bufs[0], fmt, ap);
    va_end(ap);
    return b;
}

int gu_run(Suite *s)
{
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

double gu_dot(const float *w, const float *out, size_t n)
{
    double s = 0.0;
    for (size_t i = 0; i < n; i++) {
        s += (double)w[i] * (double)out[i];
    }
    return s;
}

double gu_check_fd(const char *label, float *x, size_t n, const float *analytic, double h,
                   double atol, double rtol, gu_loss_fn loss, void *ctx)
{
    double worst = 0.0;
    for (size_t i = 0; i < n; i++) {
        float x0 = x[i];
        float xp = (float)((double)x0 + h);
        float xm = (float)((double)x0 - h);
        x[i] = xp;
        double lp = loss(ctx);
        x[i] = xm;
        double lm = loss(ctx);
        x[i] = x0;
        double fd = (lp - lm) / ((double)xp - (double)xm);
        double an = (double)analytic[i];
        double lim = atol + rtol * fabs(an);
        double err = fabs(fd - an);
        ck_assert_msg(isfinite(fd) && isfinite(an) && err <= lim,
                      "%s: finite difference at element %zu: fd %.9g analytic %.9g "
                      "|diff| %.3g > %.3g (h %g)",
                      label, i, fd, an, err, lim, h);
        if (err / lim > worst) {
            worst = err / lim;
        }
    }
    report(label, worst);
    return worst;
}

void gu_seed(gu_rng *r, uint64_t seed)
{
    r->s = seed;
}

static uint64_t next_u64(gu_rng *r)
{
    uint64_t z = (r->s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

double gu_uniform(gu_rng *r)
{
    return (double)(next_u64(r) >> 11) * (1.0 / 9007199254740992.0);
}

double gu_normal(gu_rng *r)
{
    double u1 = gu_uniform(r);
    double u2 = gu_uniform(r);
    if (u1 < 1e-300) {
        u1 = 1e-300;
    }
    return sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2);
}

float *gu_randn(gu_rng *r, size_t n, double scale, double shift)
{
    float *x = malloc((n ? n : 1) * sizeof *x);
    ck_assert_ptr_nonnull(x);
    for (size_t i = 0; i < n; i++) {
        x[i] = (float)(scale * gu_normal(r) + shift);
    }
    return x;
}

float *gu_filled(size_t n, float value)
{
    float *x = malloc((n ? n : 1) * sizeof *x);
    ck_assert_ptr_nonnull(x);
    for (size_t i = 0; i < n; i++) {
        x[i] = value;
    }
    return x;
}

float *gu_copy(const float *x, size_t n)
{
    float *y = malloc((n ? n : 1) * sizeof *y);
    ck_assert_ptr_nonnull(y);
    memcpy(y, x, n * sizeof *y);
    return y;
}
