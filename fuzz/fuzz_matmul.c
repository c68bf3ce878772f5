/* Fuzz target: matmul_forward/matmul_backward (the BLAS path of this build)
 * against matmul_forward_ref/matmul_backward_ref (the loops Frama-C proves).
 *
 * Shapes N, C, OC 1..40, sometimes up to 160 (OpenBLAS switches kernels and
 * blocking with size), N·C·OC at most 2^18; values sign × 10^e with per-array exponent ranges
 * inside [-6, 6] from the input (all finite, so no sum can overflow), then
 * single values the input places (zeros, equal magnitudes, cancellations).
 * Bias present or NULL. Forward's out is pre-filled with NaN: it is
 * assigns-only, so nothing may read it (sgemm with beta = 0 must not).
 *
 * Tolerance per element, for a sum of K products plus the accumulator a0
 * (bias, or the value += adds to): each side's recursive-summation error is
 * at most K·u·(|a0| + Σ|a·b|) with u = FLT_EPSILON/2, in any order or with
 * FMA, so |ref − blas| <= 2·(K+1)·FLT_EPSILON·(|a0| + Σ|a·b|) + (K+1)·FLT_MIN
 * (the last term for products in the subnormal range). */
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "fuzz/fuzz_util.h"
#include "kernels/matmul.h"

#define FZ_MATMUL_MAX_WORK (1L << 18)

typedef struct {
    int lo_exp, hi_exp;
} magnitudes;

static float *random_array(fz_reader *r, rng_t *g, size_t n)
{
    int a = fz_int(r, -6, 6), b = fz_int(r, -6, 6);
    magnitudes mg = {a < b ? a : b, a < b ? b : a};
    float *x = fz_floats(n);
    for (size_t i = 0; i < n; i++) {
        double e = mg.lo_exp + (mg.hi_exp - mg.lo_exp) * (double)(rng_next(g) >> 11) * 0x1p-53;
        x[i] = fz_rng_sym(g) * (float)pow(10.0, e);
    }
    int pokes = fz_u8(r) % 16;
    for (int i = 0; i < pokes; i++) {
        size_t at = fz_u32(r) % n;
        x[at] = fz_float_within(r, 1e6f);
    }
    return x;
}

static int shape(fz_reader *r, int big)
{
    return big ? fz_int(r, 1, 160) : fz_int(r, 1, 40);
}

static void compare(const float *ref, const float *blas, const double *mag, size_t n, int K,
                    const char *what)
{
    for (size_t i = 0; i < n; i++) {
        double tol = 2.0 * (K + 1) * FLT_EPSILON * mag[i] + (K + 1) * (double)FLT_MIN;
        double d = fabs((double)ref[i] - (double)blas[i]);
        if (!(d <= tol)) {
            fz_finding("%s[%zu]: reference %.9g, %s %.9g, |diff| %g > tolerance %g (K=%d)", what,
                       i, (double)ref[i], matmul_backend(), (double)blas[i], d, tol, K);
        }
    }
}

FZ_SINGLE_THREADED_TARGET

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fz_reader r;
    fz_init(&r, data, size);
    int big = fz_chance(&r, 24);
    int N = shape(&r, big), C = shape(&r, big), OC = shape(&r, big);
    while ((long)N * C * OC > FZ_MATMUL_MAX_WORK) {
        /* the instrumented reference loops cost ~N·C·OC: keep runs fast */
        N = (N + 1) / 2;
        OC = (OC + 1) / 2;
    }
    int has_bias = fz_u8(&r) & 1;
    rng_t g;
    rng_seed(&g, fz_u64(&r));
    size_t NC = (size_t)N * C, OCC = (size_t)OC * C, NOC = (size_t)N * OC;

    float *inp = random_array(&r, &g, NC), *w = random_array(&r, &g, OCC);
    float *bias = random_array(&r, &g, (size_t)OC), *dout = random_array(&r, &g, NOC);
    float *dinp0 = random_array(&r, &g, NC), *dw0 = random_array(&r, &g, OCC);
    float *db0 = random_array(&r, &g, (size_t)OC);
    const float *b = has_bias ? bias : NULL;

    /* forward */
    float *out_ref = fz_floats(NOC), *out_blas = fz_floats(NOC);
    for (size_t i = 0; i < NOC; i++) {
        out_ref[i] = out_blas[i] = NAN;
    }
    matmul_forward_ref(out_ref, inp, w, b, N, C, OC);
    matmul_forward(out_blas, inp, w, b, N, C, OC);
    double *mag = fz_alloc((NC > OCC ? (NC > NOC ? NC : NOC) : (OCC > NOC ? OCC : NOC)) *
                           sizeof(double));
    for (int n = 0; n < N; n++) {
        for (int o = 0; o < OC; o++) {
            double s = b ? fabs(b[o]) : 0.0;
            for (int c = 0; c < C; c++) {
                s += fabs((double)inp[(size_t)n * C + c] * w[(size_t)o * C + c]);
            }
            mag[(size_t)n * OC + o] = s;
        }
    }
    compare(out_ref, out_blas, mag, NOC, C, "forward out");

    /* backward: both accumulate into copies of the same starting values */
    float *dinp_ref = fz_floats(NC), *dinp_blas = fz_floats(NC);
    float *dw_ref = fz_floats(OCC), *dw_blas = fz_floats(OCC);
    float *db_ref = fz_floats((size_t)OC), *db_blas = fz_floats((size_t)OC);
    memcpy(dinp_ref, dinp0, NC * sizeof(float));
    memcpy(dinp_blas, dinp0, NC * sizeof(float));
    memcpy(dw_ref, dw0, OCC * sizeof(float));
    memcpy(dw_blas, dw0, OCC * sizeof(float));
    memcpy(db_ref, db0, (size_t)OC * sizeof(float));
    memcpy(db_blas, db0, (size_t)OC * sizeof(float));
    matmul_backward_ref(dinp_ref, dw_ref, has_bias ? db_ref : NULL, dout, inp, w, N, C, OC);
    matmul_backward(dinp_blas, dw_blas, has_bias ? db_blas : NULL, dout, inp, w, N, C, OC);

    for (int n = 0; n < N; n++) {
        for (int c = 0; c < C; c++) {
            double s = fabs(dinp0[(size_t)n * C + c]);
            for (int o = 0; o < OC; o++) {
                s += fabs((double)dout[(size_t)n * OC + o] * w[(size_t)o * C + c]);
            }
            mag[(size_t)n * C + c] = s;
        }
    }
    compare(dinp_ref, dinp_blas, mag, NC, OC, "backward dinp");
    for (int o = 0; o < OC; o++) {
        for (int c = 0; c < C; c++) {
            double s = fabs(dw0[(size_t)o * C + c]);
            for (int n = 0; n < N; n++) {
                s += fabs((double)dout[(size_t)n * OC + o] * inp[(size_t)n * C + c]);
            }
            mag[(size_t)o * C + c] = s;
        }
    }
    compare(dw_ref, dw_blas, mag, OCC, N, "backward dweight");
    if (has_bias) {
        for (int o = 0; o < OC; o++) {
            double s = fabs(db0[o]);
            for (int n = 0; n < N; n++) {
                s += fabs(dout[(size_t)n * OC + o]);
            }
            mag[o] = s;
        }
        compare(db_ref, db_blas, mag, (size_t)OC, N, "backward dbias");
    }

    float *arrays[] = {inp, w, bias, dout, dinp0, dw0, db0, out_ref, out_blas,
                       dinp_ref, dinp_blas, dw_ref, dw_blas, db_ref, db_blas};
    for (size_t i = 0; i < sizeof arrays / sizeof arrays[0]; i++) {
        free(arrays[i]);
    }
    free(mag);
    return 0;
}
