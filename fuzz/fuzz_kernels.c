/* Fuzz target: gelu, attention, softmax + cross-entropy and AdamW on
 * arbitrary finite inputs inside the domains below; the first byte picks the
 * kernel. Every output must be finite, plus cheap properties each kernel
 * promises (bounds, causal zeros, sums). The domains are generous versions of
 * what GPT-2 training produces; each is small enough that no intermediate
 * can overflow in float:
 *   gelu       |x| <= 1e4 (x³ ≤ 1e12), |dout| <= 1e4, |dinp| <= 1e4 before +=;
 *   attention  |q|, |k| <= 1e2 (scores ≤ √hs·1e4), |v|, |dout| <= 1e4,
 *              accumulators <= 1e4, B ≤ 2, T ≤ 16, NH ≤ 4, hs ≤ 16;
 *   softmax/CE |logits| <= 1e4, |dloss| <= 1, V ≤ 300, N ≤ 8;
 *   adamw      |p| <= 1e4, |g| <= 1e6, |m| <= 1e6, 0 <= v <= 1e12,
 *              lr ∈ [0, 1], β1, β2 ∈ [0, 1), ε ∈ [1e-12, 1], wd ∈ [0, 1],
 *              step ∈ [1, 1e6]; clip: max_norm ∈ [1e-6, 1e6]. */
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include "kernels/adamw.h"
#include "kernels/attention.h"
#include "fuzz/fuzz_util.h"
#include "kernels/gelu.h"
#include "kernels/softmax.h"

#define GELU_MAX_ABS_X 1e4f
#define GELU_MAX_ABS_DOUT 1e4f
#define ATT_MAX_ABS_QK 1e2f
#define ATT_MAX_ABS_V 1e4f
#define CE_MAX_ABS_LOGIT 1e4f
#define CE_MAX_ABS_DLOSS 1.0f
#define ADAM_MAX_ABS_P 1e4f
#define ADAM_MAX_ABS_G 1e6f
#define ADAM_MAX_V 1e12f

static float *within_array(fz_reader *r, size_t n, float bound)
{
    float *x = fz_floats(n);
    for (size_t i = 0; i < n; i++) {
        x[i] = fz_float_within(r, bound);
    }
    return x;
}

static void fuzz_gelu(fz_reader *r)
{
    int N = fz_int(r, 1, 256);
    float *x = within_array(r, (size_t)N, GELU_MAX_ABS_X);
    float *dout = within_array(r, (size_t)N, GELU_MAX_ABS_DOUT);
    float *dinp = within_array(r, (size_t)N, GELU_MAX_ABS_DOUT);
    float *out = fz_floats((size_t)N);
    gelu_forward(out, x, N);
    gelu_backward(dinp, x, dout, N);
    fz_require_finite(out, (size_t)N, "gelu out");
    fz_require_finite(dinp, (size_t)N, "gelu dinp");
    for (int i = 0; i < N; i++) {
        /* x·Φ(·) lies between GELU's minimum (≈ −0.17) and max(x, 0) */
        float hi = x[i] > 0.0f ? x[i] : 0.0f;
        if (!(out[i] >= -0.18f && out[i] <= hi * (1.0f + 4 * FLT_EPSILON) + FLT_MIN)) {
            fz_finding("gelu(%g) = %g is outside [-0.18, max(x, 0)]", (double)x[i], (double)out[i]);
        }
    }
    free(x);
    free(dout);
    free(dinp);
    free(out);
}

static void fuzz_attention(fz_reader *r)
{
    int B = fz_int(r, 1, 2), T = fz_int(r, 1, 16), NH = fz_int(r, 1, 4), hs = fz_int(r, 1, 16);
    int C = NH * hs;
    size_t n = (size_t)B * T * C, na = (size_t)B * NH * T * T;
    float *q = within_array(r, n, ATT_MAX_ABS_QK), *k = within_array(r, n, ATT_MAX_ABS_QK);
    float *v = within_array(r, n, ATT_MAX_ABS_V), *dout = within_array(r, n, ATT_MAX_ABS_V);
    float *dq = within_array(r, n, ATT_MAX_ABS_V), *dk = within_array(r, n, ATT_MAX_ABS_V);
    float *dv = within_array(r, n, ATT_MAX_ABS_V);
    float *out = fz_floats(n), *att = fz_floats(na), *scratch = fz_floats((size_t)T);
    attention_forward(out, att, q, k, v, B, T, C, NH);
    fz_require_finite(out, n, "attention out");
    fz_require_finite(att, na, "attention att");
    for (size_t row = 0; row < na / T; row++) {
        int t = (int)(row % T);
        const float *a = att + row * T;
        double sum = 0.0;
        for (int t2 = 0; t2 < T; t2++) {
            if (t2 > t ? a[t2] != 0.0f : !(a[t2] >= 0.0f && a[t2] <= 1.0f)) {
                fz_finding("att row %zu (t=%d): entry %d = %g (causal entries in [0,1], the "
                           "rest 0)", row, t, t2, (double)a[t2]);
            }
            sum += a[t2];
        }
        if (fabs(sum - 1.0) > 4.0 * (T + 1) * FLT_EPSILON) {
            fz_finding("att row %zu sums to %.9g", row, sum);
        }
    }
    attention_backward(dq, dk, dv, scratch, dout, att, q, k, v, B, T, C, NH);
    fz_require_finite(dq, n, "attention dq");
    fz_require_finite(dk, n, "attention dk");
    fz_require_finite(dv, n, "attention dv");
    free(q);
    free(k);
    free(v);
    free(dout);
    free(dq);
    free(dk);
    free(dv);
    free(out);
    free(att);
    free(scratch);
}

static void fuzz_softmax(fz_reader *r)
{
    int N = fz_int(r, 1, 8), V = fz_int(r, 1, 300);
    size_t NV = (size_t)N * V;
    float *logits = within_array(r, NV, CE_MAX_ABS_LOGIT);
    int *targets = fz_alloc((size_t)N * sizeof(int));
    for (int n = 0; n < N; n++) {
        targets[n] = fz_int(r, 0, V - 1);
    }
    float dloss = fz_uniform(r, -CE_MAX_ABS_DLOSS, CE_MAX_ABS_DLOSS);
    float *probs = fz_floats(NV), *dlogits = fz_floats(NV);
    float *losses = fz_floats((size_t)N), *lse = fz_floats((size_t)N);
    softmax_forward(probs, logits, N, V);
    crossentropy_forward(losses, lse, logits, targets, N, V);
    crossentropy_backward(dlogits, logits, lse, targets, dloss, N, V);
    fz_require_finite(probs, NV, "softmax probs");
    fz_require_finite(losses, (size_t)N, "crossentropy losses");
    fz_require_finite(lse, (size_t)N, "crossentropy lse");
    fz_require_finite(dlogits, NV, "crossentropy dlogits");
    for (int n = 0; n < N; n++) {
        double psum = 0.0, dsum = 0.0;
        for (int i = 0; i < V; i++) {
            float p = probs[(size_t)n * V + i];
            if (!(p >= 0.0f && p <= 1.0f)) {
                fz_finding("softmax row %d: prob %d = %g is outside [0, 1]", n, i, (double)p);
            }
            psum += p;
            dsum += dlogits[(size_t)n * V + i];
        }
        /* each exp(x − max) is within ~20 ulp where it matters */
        if (fabs(psum - 1.0) > 32.0 * V * FLT_EPSILON) {
            fz_finding("softmax row %d sums to %.9g", n, psum);
        }
        if (!(losses[n] >= 0.0f)) {
            fz_finding("crossentropy loss %d = %g is negative (lse ≥ max ≥ target logit)", n,
                       (double)losses[n]);
        }
        /* Σ dlogits = dloss·(Σ softmax − 1); lse is rounded to float, which
         * shifts every exp(x − lse) by up to |lse|·ε relative */
        double tol = fabs(dloss) * (32.0 * V * FLT_EPSILON + 4.0 * fabs(lse[n]) * FLT_EPSILON);
        if (fabs(dsum) > tol + FLT_MIN) {
            fz_finding("crossentropy row %d: dlogits sum to %g (dloss %g, lse %g)", n, dsum,
                       (double)dloss, (double)lse[n]);
        }
    }
    free(logits);
    free(targets);
    free(probs);
    free(dlogits);
    free(losses);
    free(lse);
}

/* A β in [0, 1): often a typical value, sometimes 0 or the largest float < 1. */
static float beta(fz_reader *r)
{
    switch (fz_u8(r) % 4) {
    case 0: return 0.0f;
    case 1: return nextafterf(1.0f, 0.0f);
    default: return fz_uniform(r, 0.0f, nextafterf(1.0f, 0.0f));
    }
}

static void fuzz_adamw(fz_reader *r)
{
    int n = fz_int(r, 1, 64);
    float *p = within_array(r, (size_t)n, ADAM_MAX_ABS_P);
    float *g = within_array(r, (size_t)n, ADAM_MAX_ABS_G);
    float *m = within_array(r, (size_t)n, ADAM_MAX_ABS_G);
    float *v = within_array(r, (size_t)n, ADAM_MAX_V);
    for (int i = 0; i < n; i++) {
        v[i] = fabsf(v[i]);
    }
    float lr = fz_chance(r, 32) ? 0.0f : fz_log_uniform(r, 1e-8f, 1.0f);
    float b1 = beta(r), b2 = beta(r);
    float eps = fz_log_uniform(r, 1e-12f, 1.0f);
    float wd = fz_chance(r, 64) ? 0.0f : fz_uniform(r, 0.0f, 1.0f);
    int step = fz_chance(r, 128) ? fz_int(r, 1, 1000000) : fz_int(r, 1, 100);
    float max_norm = fz_log_uniform(r, 1e-6f, 1e6f);

    double ss = adamw_sum_of_squares(g, n);
    if (!(ss >= 0.0) || !isfinite(ss)) {
        fz_finding("adamw_sum_of_squares = %g", ss);
    }
    float coef = adamw_clip_coefficient(sqrt(ss), max_norm);
    if (!(coef > 0.0f && coef <= 1.0f)) {
        fz_finding("adamw_clip_coefficient(%g, %g) = %g is outside (0, 1]", sqrt(ss), (double)max_norm,
                   (double)coef);
    }
    adamw_scale_in_place(g, n, coef);
    fz_require_finite(g, (size_t)n, "clipped gradient");
    adamw_update(p, g, m, v, n, &(adamw_settings){lr, b1, b2, eps, wd}, step);
    fz_require_finite(p, (size_t)n, "adamw param");
    fz_require_finite(m, (size_t)n, "adamw m");
    fz_require_finite(v, (size_t)n, "adamw v");
    for (int i = 0; i < n; i++) {
        if (!(v[i] >= 0.0f)) {
            fz_finding("adamw v[%d] = %g is negative", i, (double)v[i]);
        }
    }
    free(p);
    free(g);
    free(m);
    free(v);
}

FZ_SINGLE_THREADED_TARGET

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fz_reader r;
    fz_init(&r, data, size);
    switch (fz_u8(&r) % 4) {
    case 0: fuzz_gelu(&r); break;
    case 1: fuzz_attention(&r); break;
    case 2: fuzz_softmax(&r); break;
    default: fuzz_adamw(&r); break;
    }
    return 0;
}
