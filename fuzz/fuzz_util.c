/* fuzz_util: byte decoding, findings and temporary files for fuzz/ targets. */
#define _POSIX_C_SOURCE 200809L
#include "fuzz/fuzz_util.h"

#include <float.h>
#include <math.h>
#include <omp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

void fz_init(fz_reader *r, const uint8_t *data, size_t size)
{
    r->p = data;
    r->n = size;
}

size_t fz_left(const fz_reader *r) { return r->n; }

uint8_t fz_u8(fz_reader *r)
{
    if (r->n == 0) {
        return 0;
    }
    r->n--;
    return *r->p++;
}

uint16_t fz_u16(fz_reader *r)
{
    uint16_t lo = fz_u8(r);
    return (uint16_t)(lo | (uint16_t)fz_u8(r) << 8);
}

uint32_t fz_u32(fz_reader *r)
{
    uint32_t lo = fz_u16(r);
    return lo | (uint32_t)fz_u16(r) << 16;
}

uint64_t fz_u64(fz_reader *r)
{
    uint64_t lo = fz_u32(r);
    return lo | (uint64_t)fz_u32(r) << 32;
}

int fz_int(fz_reader *r, int lo, int hi)
{
    uint64_t span = (uint64_t)((int64_t)hi - lo) + 1;
    uint32_t v = span <= 256 ? fz_u8(r) : span <= 65536 ? fz_u16(r) : fz_u32(r);
    return (int)((int64_t)lo + (int64_t)(v % span));
}

int fz_chance(fz_reader *r, int num) { return fz_u8(r) < num; }

float fz_uniform(fz_reader *r, float lo, float hi)
{
    double t = fz_u16(r) / 65535.0;
    float x = (float)(lo + t * ((double)hi - lo));
    return x < lo ? lo : x > hi ? hi : x;
}

float fz_log_uniform(fz_reader *r, float lo, float hi)
{
    double t = fz_u16(r) / 65535.0;
    float x = (float)exp(log(lo) + t * (log(hi) - log(lo)));
    return x < lo ? lo : x > hi ? hi : x; /* exp∘log may round past an end */
}

float fz_raw_float(fz_reader *r)
{
    uint32_t bits = fz_u32(r);
    float x;
    memcpy(&x, &bits, sizeof x);
    return x;
}

float fz_float_within(fz_reader *r, float bound)
{
    uint8_t how = fz_u8(r);
    float sign = (how & 1) ? -1.0f : 1.0f;
    switch ((how >> 1) % 4) {
    case 0: return (how & 8) ? sign * bound : 0.0f; /* an exhausted input gives 0 */
    case 1: return fz_uniform(r, -bound, bound);
    case 2: return sign * fz_log_uniform(r, bound * 1e-30f > 0 ? bound * 1e-30f : FLT_MIN, bound);
    default: return sign * fz_uniform(r, 0.0f, bound) * 1e-3f;
    }
}

float fz_float_near(fz_reader *r, float bound)
{
    uint8_t how = fz_u8(r);
    if (how < 230) {
        return fz_float_within(r, bound);
    }
    float sign = (how & 1) ? -1.0f : 1.0f;
    switch (how % 8) {
    case 0: return sign * nextafterf(bound, INFINITY); /* just outside */
    case 1: return sign * bound;                       /* on the edge */
    case 2: return sign * 2.0f * bound;
    case 3: return NAN;
    case 4: return sign * INFINITY;
    case 5: return sign * FLT_MAX;
    case 6: return sign * FLT_TRUE_MIN * (float)(1 + fz_u8(r));
    default: return fz_raw_float(r);
    }
}

float fz_scale_near(fz_reader *r, float lo, float hi)
{
    uint8_t how = fz_u8(r);
    if (how < 220) {
        return fz_log_uniform(r, lo, hi);
    }
    switch (how % 10) {
    case 0: return lo;
    case 1: return hi;
    case 2: return nextafterf(lo, 0.0f);
    case 3: return nextafterf(hi, INFINITY);
    case 4: return 0.0f;
    case 5: return -fz_log_uniform(r, lo, hi);
    case 6: return NAN;
    case 7: return INFINITY;
    case 8: return FLT_TRUE_MIN;
    default: return fz_raw_float(r);
    }
}

float fz_rng_sym(rng_t *g)
{
    /* 2u − 1 is exact in float: u has 24 random bits */
    return 2.0f * rng_uniform(g) - 1.0f;
}

void fz_finding(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("fuzz finding: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    abort();
}

void fz_require_finite(const float *x, size_t n, const char *what)
{
    for (size_t i = 0; i < n; i++) {
        if (!isfinite(x[i])) {
            fz_finding("%s[%zu] = %g is not finite", what, i, (double)x[i]);
        }
    }
}

void *fz_alloc(size_t bytes)
{
    void *p = malloc(bytes > 0 ? bytes : 1);
    if (p == NULL) {
        fprintf(stderr, "fuzz harness: out of memory for %zu bytes\n", bytes);
        abort();
    }
    return p;
}

float *fz_floats(size_t n) { return fz_alloc(n * sizeof(float)); }

/* The temporary files of this process, removed at exit. */
#define FZ_MAX_TEMPS 8
static char temp_paths[FZ_MAX_TEMPS][256];
static int n_temps;

static void remove_temps(void)
{
    for (int i = 0; i < n_temps; i++) {
        unlink(temp_paths[i]);
    }
}

static const char *temp_dir(void)
{
    struct stat sb;
    if (stat("/dev/shm", &sb) == 0 && S_ISDIR(sb.st_mode) && access("/dev/shm", W_OK) == 0) {
        return "/dev/shm"; /* tmpfs: the writers' fsync costs nothing there */
    }
    const char *t = getenv("TMPDIR");
    return t != NULL && *t != '\0' ? t : "/tmp";
}

const char *fz_temp_path(const char *tag)
{
    char path[256];
    snprintf(path, sizeof path, "%s/lnfree-fuzz-%ld-%s", temp_dir(), (long)getpid(), tag);
    for (int i = 0; i < n_temps; i++) {
        if (strcmp(temp_paths[i], path) == 0) {
            return temp_paths[i];
        }
    }
    if (n_temps == FZ_MAX_TEMPS) {
        fprintf(stderr, "fuzz harness: more than %d temporary files\n", FZ_MAX_TEMPS);
        abort();
    }
    if (n_temps == 0) {
        atexit(remove_temps);
    }
    snprintf(temp_paths[n_temps], sizeof temp_paths[n_temps], "%s", path);
    return temp_paths[n_temps++];
}

const char *fz_write_file(const char *tag, const void *data, size_t size)
{
    const char *path = fz_temp_path(tag);
    FILE *fp = fopen(path, "wb");
    int ok = fp != NULL && (size == 0 || fwrite(data, 1, size, fp) == size);
    if (fp != NULL && fclose(fp) != 0) {
        ok = 0;
    }
    if (!ok) {
        fprintf(stderr, "fuzz harness: cannot write %s\n", path);
        abort();
    }
    return path;
}

void fz_single_thread(void) { omp_set_num_threads(1); }

void fz_ln_domain_violations(int violated[LN_DOMAIN_BAD_WIDTH + 1], const float *inp,
                              const float *weight, const float *bias, const float *scales,
                              int N, int C)
{
    memset(violated, 0, sizeof(int) * (LN_DOMAIN_BAD_WIDTH + 1));
    violated[LN_DOMAIN_BAD_WIDTH] = C > LN_FIXED_MAX_C;
    for (int j = 0; j < LN_SCALE_CLASSES; j++) {
        /* written without comparisons that NaN could slip through */
        if (!(isfinite(scales[j]) && scales[j] >= LN_FIXED_MIN_SCALE &&
              scales[j] <= LN_FIXED_MAX_SCALE)) {
            violated[LN_DOMAIN_BAD_SCALE] = 1;
        }
    }
    for (int c = 0; c < C; c++) {
        if (!isfinite(weight[c]) || fabsf(weight[c]) > LN_FIXED_MAX_ABS_PARAM) {
            violated[LN_DOMAIN_BAD_WEIGHT] = 1;
        }
        if (!isfinite(bias[c]) || fabsf(bias[c]) > LN_FIXED_MAX_ABS_PARAM) {
            violated[LN_DOMAIN_BAD_BIAS] = 1;
        }
    }
    for (long i = 0; i < (long)N * C; i++) {
        if (!isfinite(inp[i]) || fabsf(inp[i]) > LN_FIXED_MAX_ABS_X) {
            violated[LN_DOMAIN_BAD_INPUT] = 1;
        }
    }
}
