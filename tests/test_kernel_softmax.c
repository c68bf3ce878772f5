/* softmax and cross-entropy kernels: goldens, finite differences, extreme
 * logits and row sums. */
#include <check.h>
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "tests/golden_util.h"
#include "kernels/softmax.h"

/* The formulas are the contracts' (kernels/softmax.h, proved by WP over the
 * reals): probs = softmax_prob (exp(x − max)·(1/Σ exp(x − max))), lse =
 * softmax_lse (max + log Σ exp(x − max)), losses = lse − x[target],
 * dlogits = crossentropy_dlogit. The goldens compute the same functions in
 * PyTorch (golden/), independently of this code.
 *
 * References are exact (float64, rounded once).
 * probs, element-wise |Δ| ≤ 2e-5·|ref| (+1e-38 for float underflow): exp(x − max)
 * is a few ulp, 1/Σ carries the float sum's error over V ≤ 1000 positive terms
 * (typically √V·ε ≈ 2e-6, ≤ V·ε = 6e-5 at worst — the golden values are
 * fixed, so the typical case applies; a wrong normaliser is off by far more).
 * losses, lse: element-wise |Δ| ≤ 1e-5·max(1, |ref|), plus 1e-5·|lse| for
 * losses: lse = max + log Σ is within a few ulp of |lse| ≤ 105, and
 * loss = lse − x_t cancels when the target wins (loss ≪ lse).
 * dlogits = (p − onehot)·dloss: |Δ| ≤ 1e-5·max|ref| (relative to dloss). */
#define SM_PROB_TOL 2e-5
#define SM_LOSS_TOL 1e-5
#define SM_DLOGIT_TOL 1e-5

typedef struct {
    int N, V;
    size_t n;
    float *logits, dloss;
    int32_t *targets;
} sm_case;

static void load_case(sm_case *c, const st_file *f, const char *cs)
{
    int d[2];
    gu_dims(f, cs, d, 2);
    c->N = d[0];
    c->V = d[1];
    c->n = (size_t)c->N * c->V;
    c->logits = gu_f32(f, cs, "logits", c->n);
    c->targets = gu_i32(f, cs, "targets", (size_t)c->N);
    for (int i = 0; i < c->N; i++) {
        ck_assert(c->targets[i] >= 0 && c->targets[i] < c->V);
    }
    float *dl = gu_f32(f, cs, "dloss", 1);
    c->dloss = dl[0];
    free(dl);
}

static void free_case(sm_case *c)
{
    free(c->logits);
    free(c->targets);
}

START_TEST(test_golden)
{
    st_file f;
    char cases[GU_MAX_CASES][GU_CASE_LEN];
    gu_open(&f, "softmax");
    int nc = gu_cases(&f, cases, 5);
    for (int i = 0; i < nc; i++) {
        sm_case c;
        load_case(&c, &f, cases[i]);
        size_t N = (size_t)c.N;
        const int *tg = (const int *)c.targets;

        float *probs = gu_filled(c.n, NAN);
        softmax_forward(probs, c.logits, c.N, c.V);
        float *ref = gu_f32(&f, cases[i], "probs", c.n);
        gu_assert_close_each(gu_fmt("%s probs", cases[i]), probs, ref, c.n, SM_PROB_TOL, 1e-38);
        free(ref);

        float *losses = gu_filled(N, NAN), *lse = gu_filled(N, NAN);
        crossentropy_forward(losses, lse, c.logits, tg, c.N, c.V);
        float *rlse = gu_f32(&f, cases[i], "lse", N);
        gu_assert_close_each(gu_fmt("%s lse", cases[i]), lse, rlse, N, SM_LOSS_TOL, 1.0);
        ref = gu_f32(&f, cases[i], "losses", N);
        for (size_t k = 0; k < N; k++) {
            double lim = SM_LOSS_TOL * (fmax(1.0, fabs(ref[k])) + fabs(rlse[k]));
            ck_assert_msg(isfinite(losses[k]) && fabs((double)losses[k] - ref[k]) <= lim,
                          "%s losses[%zu]: got %.9g ref %.9g (limit %.3g)", cases[i], k,
                          (double)losses[k], (double)ref[k], lim);
        }
        free(ref);
        free(rlse);

        /* backward writes (=): a NaN-filled buffer must come back fully overwritten */
        float *dl = gu_filled(c.n, NAN);
        crossentropy_backward(dl, c.logits, lse, tg, c.dloss, c.N, c.V);
        ref = gu_f32(&f, cases[i], "dlogits", c.n);
        gu_assert_close(gu_fmt("%s dlogits", cases[i]), dl, ref, c.n, SM_DLOGIT_TOL, 0.0);
        /* and a buffer holding old values is overwritten, not added to */
        float *dl2 = gu_filled(c.n, 3.0f);
        crossentropy_backward(dl2, c.logits, lse, tg, c.dloss, c.N, c.V);
        gu_assert_close(gu_fmt("%s dlogits (=)", cases[i]), dl2, ref, c.n, SM_DLOGIT_TOL, 0.0);
        free(ref);
        free(dl);
        free(dl2);
        free(probs);
        free(losses);
        free(lse);
        free_case(&c);
    }
    st_close(&f);
}
END_TEST

typedef struct {
    sm_case *c;
    float *losses, *lse;
} fd_ctx;

static double fd_loss(void *p)
{
    fd_ctx *x = p;
    crossentropy_forward(x->losses, x->lse, x->c->logits, (const int *)x->c->targets, x->c->N,
                         x->c->V);
    double s = 0.0;
    for (int i = 0; i < x->c->N; i++) {
        s += x->losses[i];
    }
    return (double)x->c->dloss * s;
}

/* L = dloss·Σ losses, h = 1e-2 on logits of scale ~2 (80 in the extreme case).
 * Truncation: h²/6·|∂³ lse| ≤ 1e-4/6·0.2 ≈ 3e-6 (times dloss). Round-off: the
 * perturbed row's loss changes by ~ulp(|lse| ≤ 105) ≈ 8e-6 over 2h: 4e-4.
 * Tolerance dloss·(1e-3 + 1e-5·max|lse|/h) + 1e-2·|g| covers that with margin;
 * a wrong gradient (missing −1 at the target, unnormalised softmax, dloss
 * dropped) is off by ≥ dloss·p, mostly O(dloss). */
#define SM_FD_H 1e-2

START_TEST(test_finite_differences)
{
    st_file f;
    char cases[GU_MAX_CASES][GU_CASE_LEN];
    gu_open(&f, "softmax");
    int nc = gu_cases(&f, cases, 5);
    for (int i = 0; i < nc; i++) {
        sm_case c;
        load_case(&c, &f, cases[i]);
        float *losses = gu_filled((size_t)c.N, 0.0f), *lse = gu_filled((size_t)c.N, 0.0f);
        crossentropy_forward(losses, lse, c.logits, (const int *)c.targets, c.N, c.V);
        double max_lse = gu_max_abs(lse, (size_t)c.N);
        float *dl = gu_filled(c.n, NAN);
        crossentropy_backward(dl, c.logits, lse, (const int *)c.targets, c.dloss, c.N, c.V);
        fd_ctx ctx = {&c, losses, lse};
        double atol = c.dloss * (1e-3 + 1e-5 * max_lse / SM_FD_H);
        gu_check_fd(gu_fmt("%s fd dlogits", cases[i]), c.logits, c.n, dl, SM_FD_H, atol, 1e-2,
                    fd_loss, &ctx);
        free(losses);
        free(lse);
        free(dl);
        free_case(&c);
    }
    st_close(&f);
}
END_TEST

/* Double-precision reference for one row. */
static double ref_lse(const float *x, int V)
{
    double m = x[0];
    for (int i = 1; i < V; i++) {
        m = x[i] > m ? x[i] : m;
    }
    double s = 0.0;
    for (int i = 0; i < V; i++) {
        s += exp((double)x[i] - m);
    }
    return m + log(s);
}

/* Logits where a naive float softmax overflows (exp(x) > FLT_MAX for x > 88.7)
 * or underflows to 0/0: every output finite, probabilities in [0,1] summing to
 * 1, losses and dlogits matching a double log-sum-exp reference. */
START_TEST(test_extreme_logits)
{
    enum { V = 5, N = 6 };
    static const float x[N][V] = {
        {80.0f, -80.0f, 80.0f, -80.0f, 0.0f},
        {100.0f, 100.0f, 100.0f, 100.0f, 100.0f},
        {-100.0f, -100.0f, -99.0f, -100.0f, -100.0f},
        {1e4f, -1e4f, 9999.0f, 0.0f, 1e4f},
        {88.0f, 89.0f, 90.0f, 91.0f, -FLT_MAX / 2},
        {-1e30f, -1e30f, -1e30f, -1e30f, -1e30f + 1e24f},
    };
    static const int tg[N] = {1, 3, 2, 1, 4, 0};
    float probs[N][V], losses[N], lse[N], dl[N][V];
    softmax_forward(&probs[0][0], &x[0][0], N, V);
    crossentropy_forward(losses, lse, &x[0][0], tg, N, V);
    const float dloss = 0.25f;
    crossentropy_backward(&dl[0][0], &x[0][0], lse, tg, dloss, N, V);
    for (int n = 0; n < N; n++) {
        double L = ref_lse(x[n], V);
        double sum = 0.0;
        for (int i = 0; i < V; i++) {
            double p = exp((double)x[n][i] - L);
            ck_assert_msg(isfinite(probs[n][i]) && probs[n][i] >= 0.0f && probs[n][i] <= 1.0f,
                          "probs[%d][%d] = %g", n, i, (double)probs[n][i]);
            /* exp(x − max) and 1/Σ: a few ulp, plus the V-term sum; plus underflow */
            ck_assert_msg(fabs(probs[n][i] - p) <= (V + 4) * FLT_EPSILON * p + 1e-38,
                          "probs[%d][%d] = %.9g, expected %.9g", n, i, (double)probs[n][i], p);
            /* backward uses exp(x − lse) with lse rounded to float: relative
             * error up to ~2ε·|lse| in p (1e-5 at |lse| = 100, 2e-3 at 1e4), then
             * one rounding of p − 1 at the target */
            double g = (p - (i == tg[n])) * dloss;
            double glim = dloss * ((2.0 * fabs(L) + V + 4) * FLT_EPSILON * p + FLT_EPSILON);
            ck_assert_msg(isfinite(dl[n][i]) && fabs(dl[n][i] - g) <= glim,
                          "dlogits[%d][%d] = %.9g, expected %.9g", n, i, (double)dl[n][i], g);
            sum += probs[n][i];
        }
        ck_assert_msg(fabs(sum - 1.0) <= 2.0 * V * FLT_EPSILON, "row %d sums to %.9g", n, sum);
        double loss = L - x[n][tg[n]];
        ck_assert_msg(isfinite(lse[n]) && fabs(lse[n] - L) <= 2.0 * FLT_EPSILON * fabs(L) + 1e-6,
                      "lse[%d] = %.9g, expected %.9g", n, (double)lse[n], L);
        /* loss = lse − x_t: absolute error ≲ ulp(lse) */
        ck_assert_msg(isfinite(losses[n]) &&
                          fabs(losses[n] - loss) <= 2.0 * FLT_EPSILON * fabs(L) + 1e-6 * fabs(loss) + 1e-6,
                      "losses[%d] = %.9g, expected %.9g", n, (double)losses[n], loss);
    }
    /* spot values: row 0's target is a −80 logit against two +80s: 160 + log 2 */
    ck_assert_float_eq_tol(losses[0], (float)(160.0 + log(2.0)), 2e-5f);
    /* row 1: five equal logits: log 5 */
    ck_assert_float_eq_tol(losses[1], (float)log(5.0), 1e-5f);
}
END_TEST

/* Rows sum to 1 on random logits for V = 67, 1000 and GPT-2's 50257. The float
 * sum of V positive terms has relative error ≤ (V−1)·ε, and each probability
 * one more rounding: |Σp − 1| ≤ (V+1)·ε (rigorous; typical errors are far
 * smaller). Also probabilities match a double reference element-wise to
 * V·ε relative. */
START_TEST(test_rows_sum_to_one)
{
    static const int Vs[] = {67, 1000, 50257};
    gu_rng r;
    gu_seed(&r, 61);
    for (size_t k = 0; k < sizeof Vs / sizeof Vs[0]; k++) {
        int V = Vs[k], N = 3;
        float *x = gu_randn(&r, (size_t)N * V, 3.0, 0.0);
        for (int i = 0; i < V; i++) {
            x[2 * V + i] += 500.0f; /* row 2 shifted far up */
        }
        float *p = gu_filled((size_t)N * V, NAN);
        softmax_forward(p, x, N, V);
        for (int n = 0; n < N; n++) {
            double L = ref_lse(x + (size_t)n * V, V), sum = 0.0;
            for (int i = 0; i < V; i++) {
                double pr = exp((double)x[(size_t)n * V + i] - L);
                double got = p[(size_t)n * V + i];
                ck_assert_msg(fabs(got - pr) <= (V + 4) * FLT_EPSILON * pr + 1e-38,
                              "V=%d row %d: p[%d] = %.9g, expected %.9g", V, n, i, got, pr);
                sum += got;
            }
            ck_assert_msg(fabs(sum - 1.0) <= (V + 1) * FLT_EPSILON, "V=%d row %d sums to %.9g",
                          V, n, sum);
            if (gu_verbose()) {
                printf("  V=%-5d row %d |sum-1| = %.3g\n", V, n, fabs(sum - 1.0));
            }
        }
        free(x);
        free(p);
    }
}
END_TEST

/* Accuracy at GPT-2's vocabulary size (V = 50257), where the loss is used.
 * "Match PyTorch to fp32 round-off" (DESIGN.md, Numerics): torch float32's
 * logsumexp on such rows (randn·3) is within 4e-7 (≈ 0.4 ulp of lse ≈ 15) of
 * the exact value and its cross_entropy within 4e-6. We allow 8 ulp of |lse|
 * (8·ε·|lse| ≈ 1.4e-5) for lse and each loss, and 8·ε + 2e-6 relative for
 * each probability (exp, one division, and the normaliser). A float
 * accumulator summing 50257 terms one by one drifts well past this. */
START_TEST(test_accuracy_at_gpt2_vocab)
{
    enum { V = 50257, N = 4 };
    gu_rng r;
    gu_seed(&r, 62);
    float *x = gu_randn(&r, (size_t)N * V, 3.0, 0.0);
    int tg[N] = {0, 50256, 12345, 777};
    float losses[N], lse[N];
    float *p = gu_filled((size_t)N * V, NAN);
    crossentropy_forward(losses, lse, x, tg, N, V);
    softmax_forward(p, x, N, V);
    for (int n = 0; n < N; n++) {
        const float *xr = x + (size_t)n * V;
        double L = ref_lse(xr, V);
        double lim = 8.0 * FLT_EPSILON * fabs(L);
        if (gu_verbose()) {
            printf("  V=50257 row %d: lse err %.3g, loss err %.3g (limit %.3g)\n", n,
                   (double)lse[n] - L, (double)losses[n] - (L - xr[tg[n]]), lim);
            fflush(stdout);
        }
        ck_assert_msg(fabs(lse[n] - L) <= lim,
                      "V=50257 row %d: lse %.9g, exact %.9g: error %.3g > %.3g (8 ulp)", n,
                      (double)lse[n], L, (double)lse[n] - L, lim);
        ck_assert_msg(fabs(losses[n] - (L - xr[tg[n]])) <= lim,
                      "V=50257 row %d: loss %.9g, exact %.9g: error %.3g > %.3g", n,
                      (double)losses[n], L - xr[tg[n]], (double)losses[n] - (L - xr[tg[n]]),
                      lim);
        double worst = 0.0;
        int wi = 0;
        for (int i = 0; i < V; i++) {
            double pr = exp((double)xr[i] - L);
            double e = fabs(p[(size_t)n * V + i] - pr) / pr;
            if (e > worst) {
                worst = e;
                wi = i;
            }
        }
        ck_assert_msg(worst <= 8.0 * FLT_EPSILON + 2e-6,
                      "V=50257 row %d: softmax relative error %.3g at %d (limit %.3g)", n, worst,
                      wi, 8.0 * FLT_EPSILON + 2e-6);
    }
    free(x);
    free(p);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("kernel_softmax");
    TCase *tc = tcase_create("softmax");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_golden);
    tcase_add_test(tc, test_finite_differences);
    tcase_add_test(tc, test_extreme_logits);
    tcase_add_test(tc, test_rows_sum_to_one);
    tcase_add_test(tc, test_accuracy_at_gpt2_vocab);
    suite_add_tcase(s, tc);
    return gu_run(s);
}
