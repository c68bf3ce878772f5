/* Fuzz target: the fixed-scale ("frozen σ") LayerNorm and its domain guard.
 *
 * The fuzz bytes decode to one call: N rows of C channels, three scales, a
 * scale class per row, γ, β, inputs, and for backward dout and the initial
 * accumulators. Values are drawn around the LN_FIXED_* domain, so some lie
 * outside it. Properties:
 *   - layernorm_fixed_domain_check accepts exactly the inputs inside the
 *     domain, and a rejection names a check that really fails (never a
 *     rejection of an in-domain case, never an acceptance of an outside one);
 *   - on accepted inputs, forward (out, mean) and backward (dinp, dweight,
 *     dbias) are finite.
 * Backward has no guard of its own; its inputs here are the forward's plus
 * |dout| <= FZ_LN_MAX_ABS_DOUT and accumulators |acc| <= FZ_LN_MAX_ABS_ACC.
 *
 * Built twice: fuzz_ln_fixed, and with FZ_TRAP_FPE fuzz_ln_fixed_fpe, which
 * also runs the accepted calls with FE_INVALID, FE_OVERFLOW and FE_DIVBYZERO
 * trapping, so an intermediate NaN, overflow or division by zero raises
 * SIGFPE (a libFuzzer crash) even where the final output would be finite. */
#define _GNU_SOURCE /* feenableexcept */
#include <fenv.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "fuzz/fuzz_util.h"
#include "kernels/layernorm.h"

/* The backward's own inputs: dout (GPT-2's gradients w.r.t. activations are
 * far smaller) and whatever the += accumulators already hold. */
#define FZ_LN_MAX_ABS_DOUT 1e4f
#define FZ_LN_MAX_ABS_ACC 1e4f
#define FZ_LN_MAX_N 8
#define FZ_LN_MAX_C_SMALL 64

static void check_guard(int code, const int violated[LN_DOMAIN_BAD_WIDTH + 1])
{
    if (code < LN_DOMAIN_OK || code > LN_DOMAIN_BAD_WIDTH) {
        fz_finding("domain check returned %d, not an LN_DOMAIN_* code", code);
    }
    if (layernorm_fixed_domain_message(code) == NULL) {
        fz_finding("no message for domain check result %d", code);
    }
    int any = 0;
    for (int k = LN_DOMAIN_BAD_SCALE; k <= LN_DOMAIN_BAD_WIDTH; k++) {
        any |= violated[k];
    }
    if (code == LN_DOMAIN_OK && any) {
        for (int k = LN_DOMAIN_BAD_SCALE; k <= LN_DOMAIN_BAD_WIDTH; k++) {
            if (violated[k]) {
                fz_finding("domain check accepted inputs outside the domain (%s)",
                           layernorm_fixed_domain_message(k));
            }
        }
    }
    if (code != LN_DOMAIN_OK && !violated[code]) {
        fz_finding("domain check rejected with \"%s\", but that check holds%s", 
                   layernorm_fixed_domain_message(code),
                   any ? "" : " (every input is inside the domain)");
    }
}

FZ_SINGLE_THREADED_TARGET

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fz_reader r;
    fz_init(&r, data, size);
    int N, C;
    if (fz_chance(&r, 8)) {
        /* one row at the width limit, to test the width check on both sides */
        N = 1;
        C = fz_int(&r, LN_FIXED_MAX_C - 1, LN_FIXED_MAX_C + 1);
    } else {
        N = fz_int(&r, 1, FZ_LN_MAX_N);
        C = fz_int(&r, 1, FZ_LN_MAX_C_SMALL);
    }
    size_t NC = (size_t)N * C;
    /* a quarter of the cases probe the domain's edges value by value; the
     * rest stay inside it, so that forward and backward run often */
    int edgy = fz_chance(&r, 64);
    float scales[LN_SCALE_CLASSES];
    for (int j = 0; j < LN_SCALE_CLASSES; j++) {
        scales[j] = edgy ? fz_scale_near(&r, LN_FIXED_MIN_SCALE, LN_FIXED_MAX_SCALE)
                         : fz_log_uniform(&r, LN_FIXED_MIN_SCALE, LN_FIXED_MAX_SCALE);
    }
    uint8_t *cls = fz_alloc((size_t)N);
    float *weight = fz_floats((size_t)C), *bias = fz_floats((size_t)C);
    float *inp = fz_floats(NC), *dout = fz_floats(NC);
    float *out = fz_floats(NC), *mean = fz_floats((size_t)N);
    float *dinp = fz_floats(NC), *dweight = fz_floats((size_t)C), *dbias = fz_floats((size_t)C);
    for (int n = 0; n < N; n++) {
        cls[n] = (uint8_t)(fz_u8(&r) % LN_SCALE_CLASSES);
    }
    float (*value)(fz_reader *, float) = edgy ? fz_float_near : fz_float_within;
    for (int c = 0; c < C; c++) {
        weight[c] = value(&r, LN_FIXED_MAX_ABS_PARAM);
        bias[c] = value(&r, LN_FIXED_MAX_ABS_PARAM);
    }
    for (size_t i = 0; i < NC; i++) {
        inp[i] = value(&r, LN_FIXED_MAX_ABS_X);
    }
    for (size_t i = 0; i < NC; i++) {
        dout[i] = fz_float_within(&r, FZ_LN_MAX_ABS_DOUT);
        dinp[i] = fz_float_within(&r, FZ_LN_MAX_ABS_ACC);
    }
    for (int c = 0; c < C; c++) {
        dweight[c] = fz_float_within(&r, FZ_LN_MAX_ABS_ACC);
        dbias[c] = fz_float_within(&r, FZ_LN_MAX_ABS_ACC);
    }

    int violated[LN_DOMAIN_BAD_WIDTH + 1];
    fz_ln_domain_violations(violated, inp, weight, bias, scales, N, C);
    int code = layernorm_fixed_domain_check(inp, weight, bias, scales, N, C);
    check_guard(code, violated);

    if (code == LN_DOMAIN_OK) {
#ifdef FZ_TRAP_FPE
        feclearexcept(FE_ALL_EXCEPT);
        feenableexcept(FE_INVALID | FE_OVERFLOW | FE_DIVBYZERO);
#endif
        layernorm_fixed_forward(out, mean, inp, weight, bias, scales, cls, N, C);
        layernorm_fixed_backward(dinp, dweight, dbias, dout, inp, weight, mean, scales, cls,
                                 N, C);
#ifdef FZ_TRAP_FPE
        fedisableexcept(FE_ALL_EXCEPT);
#endif
        fz_require_finite(out, NC, "forward out");
        fz_require_finite(mean, (size_t)N, "forward mean");
        fz_require_finite(dinp, NC, "backward dinp");
        fz_require_finite(dweight, (size_t)C, "backward dweight");
        fz_require_finite(dbias, (size_t)C, "backward dbias");
    }
    free(cls);
    free(weight);
    free(bias);
    free(inp);
    free(dout);
    free(out);
    free(mean);
    free(dinp);
    free(dweight);
    free(dbias);
    return 0;
}
