/* layernorm kernels, real and fixed-scale ("frozen σ"): goldens, finite
 * differences, and the properties that tie the two forms together. The
 * formulas the goldens check are the contracts' (kernels/layernorm.h):
 * layernorm_at and layernorm_fixed_at forward, layernorm_dinp_at,
 * layernorm_dweight_sum and lnf_sum backward. */
#include <check.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tests/golden_util.h"
#include "kernels/layernorm.h"

/* References are exact (float64, rounded once). In float32 the row mean
 * (a sum of C ≤ 64 terms of |x| ≲ 6) and the two-pass variance carry relative
 * errors of ~C·ε ≲ 4e-6 at worst (typically √C·ε), which reach out, rstd and
 * the gradients (each again a float sum over ≤ 64 terms) at about that level.
 * max|Δ| ≤ 2e-5·max(1, max|ref|): ≥ 5× the worst-case sum round-off, while a
 * wrong mean, a biased/unbiased variance mix-up (C/(C−1) ≥ 1.6 % at C ≤ 64)
 * or a missing term is far larger. */
#define LN_TOL 2e-5

/* ------------------------------------------------------------------ real */

typedef struct {
    int N, C;
    size_t n;
    float eps;
    float *inp, *weight, *bias, *dout;
} ln_case;

static void load_real(ln_case *c, const st_file *f, const char *cs)
{
    int d[2];
    gu_dims(f, cs, d, 2);
    c->N = d[0];
    c->C = d[1];
    c->n = (size_t)c->N * c->C;
    float *eps = gu_f32(f, cs, "eps", 1);
    c->eps = eps[0];
    free(eps);
    c->inp = gu_f32(f, cs, "inp", c->n);
    c->weight = gu_f32(f, cs, "weight", (size_t)c->C);
    c->bias = gu_f32(f, cs, "bias", (size_t)c->C);
    c->dout = gu_f32(f, cs, "dout", c->n);
}

static void free_case(ln_case *c)
{
    free(c->inp);
    free(c->weight);
    free(c->bias);
    free(c->dout);
}

/* Cases are "real_*" or "fixed_*" in one file. */
static int is_real(const char *cs)
{
    return strncmp(cs, "real_", 5) == 0;
}

START_TEST(test_real_golden)
{
    st_file f;
    char cases[GU_MAX_CASES][GU_CASE_LEN];
    gu_rng r;
    gu_seed(&r, 41);
    gu_open(&f, "layernorm");
    int nc = gu_cases(&f, cases, 8), seen = 0;
    for (int i = 0; i < nc; i++) {
        if (!is_real(cases[i])) {
            continue;
        }
        seen++;
        ln_case c;
        load_real(&c, &f, cases[i]);
        size_t N = (size_t)c.N, C = (size_t)c.C;
        float *out = gu_filled(c.n, NAN), *mean = gu_filled(N, NAN), *rstd = gu_filled(N, NAN);
        layernorm_forward(out, mean, rstd, c.inp, c.weight, c.bias, c.eps, c.N, c.C);
        const char *fw[3] = {"out", "mean", "rstd"};
        float *got[3] = {out, mean, rstd};
        size_t len[3] = {c.n, N, N};
        for (int j = 0; j < 3; j++) {
            float *ref = gu_f32(&f, cases[i], fw[j], len[j]);
            gu_assert_close(gu_fmt("%s %s", cases[i], fw[j]), got[j], ref, len[j], LN_TOL, 1.0);
            free(ref);
        }
        /* backward from nonzero starts, using the kernel's own mean/rstd */
        const char *bw[3] = {"dinp", "dweight", "dbias"};
        size_t blen[3] = {c.n, C, C};
        float *start[3], *g[3];
        for (int j = 0; j < 3; j++) {
            start[j] = gu_randn(&r, blen[j], 1.0, 0.5);
            g[j] = gu_copy(start[j], blen[j]);
        }
        layernorm_backward(g[0], g[1], g[2], c.dout, c.inp, c.weight, mean, rstd, c.N, c.C);
        for (int j = 0; j < 3; j++) {
            float *ref = gu_f32(&f, cases[i], bw[j], blen[j]);
            gu_assert_accum(gu_fmt("%s %s", cases[i], bw[j]), g[j], start[j], ref, blen[j],
                            LN_TOL, 1.0);
            free(ref);
            free(start[j]);
            free(g[j]);
        }
        free(out);
        free(mean);
        free(rstd);
        free_case(&c);
    }
    ck_assert_int_ge(seen, 4);
    st_close(&f);
}
END_TEST

/* ----------------------------------------------------------------- fixed */

typedef struct {
    ln_case c;
    float scales[LN_SCALE_CLASSES];
    uint8_t *cls;
} fx_case;

static void load_fixed(fx_case *x, const st_file *f, const char *cs)
{
    int d[2];
    gu_dims(f, cs, d, 2);
    x->c.N = d[0];
    x->c.C = d[1];
    x->c.n = (size_t)d[0] * d[1];
    x->c.eps = 0.0f;
    float *s = gu_f32(f, cs, "scales", LN_SCALE_CLASSES);
    for (int j = 0; j < LN_SCALE_CLASSES; j++) {
        ck_assert_float_gt(s[j], 0.0f);
        x->scales[j] = s[j];
    }
    free(s);
    x->cls = gu_u8(f, cs, "class", (size_t)d[0]);
    for (int n = 0; n < d[0]; n++) {
        ck_assert_int_lt(x->cls[n], LN_SCALE_CLASSES);
    }
    x->c.inp = gu_f32(f, cs, "inp", x->c.n);
    x->c.weight = gu_f32(f, cs, "weight", (size_t)d[1]);
    x->c.bias = gu_f32(f, cs, "bias", (size_t)d[1]);
    x->c.dout = gu_f32(f, cs, "dout", x->c.n);
}

static void free_fixed(fx_case *x)
{
    free(x->cls);
    free_case(&x->c);
}

START_TEST(test_fixed_golden)
{
    st_file f;
    char cases[GU_MAX_CASES][GU_CASE_LEN];
    gu_rng r;
    gu_seed(&r, 42);
    gu_open(&f, "layernorm");
    int nc = gu_cases(&f, cases, 8), seen = 0;
    for (int i = 0; i < nc; i++) {
        if (is_real(cases[i])) {
            continue;
        }
        seen++;
        fx_case x;
        load_fixed(&x, &f, cases[i]);
        ln_case *c = &x.c;
        size_t N = (size_t)c->N, C = (size_t)c->C;
        /* every case has rows of all three classes */
        int count[LN_SCALE_CLASSES] = {0, 0, 0};
        for (size_t n = 0; n < N; n++) {
            count[x.cls[n]]++;
        }
        ck_assert_msg(count[0] > 0 && count[1] > 0 && count[2] > 0,
                      "%s: class counts %d %d %d", cases[i], count[0], count[1], count[2]);
        float *out = gu_filled(c->n, NAN), *mean = gu_filled(N, NAN);
        layernorm_fixed_forward(out, mean, c->inp, c->weight, c->bias, x.scales, x.cls, c->N,
                                c->C);
        float *ref = gu_f32(&f, cases[i], "out", c->n);
        gu_assert_close(gu_fmt("%s out", cases[i]), out, ref, c->n, LN_TOL, 1.0);
        free(ref);
        ref = gu_f32(&f, cases[i], "mean", N);
        gu_assert_close(gu_fmt("%s mean", cases[i]), mean, ref, N, LN_TOL, 1.0);
        free(ref);

        const char *bw[3] = {"dinp", "dweight", "dbias"};
        size_t blen[3] = {c->n, C, C};
        float *start[3], *g[3];
        for (int j = 0; j < 3; j++) {
            start[j] = gu_randn(&r, blen[j], 1.0, 0.5);
            g[j] = gu_copy(start[j], blen[j]);
        }
        layernorm_fixed_backward(g[0], g[1], g[2], c->dout, c->inp, c->weight, mean, x.scales,
                                 x.cls, c->N, c->C);
        for (int j = 0; j < 3; j++) {
            ref = gu_f32(&f, cases[i], bw[j], blen[j]);
            gu_assert_accum(gu_fmt("%s %s", cases[i], bw[j]), g[j], start[j], ref, blen[j],
                            LN_TOL, 1.0);
            free(ref);
            free(start[j]);
            free(g[j]);
        }
        free(out);
        free(mean);
        free_fixed(&x);
    }
    ck_assert_int_ge(seen, 4);
    st_close(&f);
}
END_TEST

/* ---------------------------------------------------- finite differences */

typedef struct {
    ln_case *c;
    const float *scales;
    const uint8_t *cls; /* NULL: real LayerNorm */
    float *out, *mean, *rstd;
    const float *w;
} fd_ctx;

static double fd_loss(void *p)
{
    fd_ctx *x = p;
    ln_case *c = x->c;
    if (x->cls == NULL) {
        layernorm_forward(x->out, x->mean, x->rstd, c->inp, c->weight, c->bias, c->eps, c->N,
                          c->C);
    } else {
        layernorm_fixed_forward(x->out, x->mean, c->inp, c->weight, c->bias, x->scales, x->cls,
                                c->N, c->C);
    }
    return gu_dot(x->w, x->out, c->n);
}

/* h = 1e-2 on inputs of scale ~1.7. Truncation: h²/6·|∂³L| with ∂³ ~ rstd³ ≲ 1
 * times |w| sums: ≲ 1e-4. Round-off: a perturbed input changes its whole row
 * (C ≤ 64 outputs of |y| ≲ 4, ~1 ulp each) over 2h: ~√C·4e-7/2e-2 ≈ 1e-4.
 * Tolerance 2e-3 + 1e-2·|g|, scaled by 1/min(s, 1) for the fixed form, whose
 * outputs grow like 1/s: ≥ 10× those; a wrong gradient (e.g. the real LN's
 * variance term in the fixed backward, or its absence in the real one) differs
 * by O(|g|). */
#define LN_FD_H 1e-2
#define LN_FD_ATOL 2e-3
#define LN_FD_RTOL 1e-2

static void fd_case(const char *cs, ln_case *c, const float *scales, const uint8_t *cls,
                    gu_rng *r)
{
    size_t N = (size_t)c->N, C = (size_t)c->C;
    float *w = gu_randn(r, c->n, 1.0, 0.0);
    float *out = gu_filled(c->n, 0.0f), *mean = gu_filled(N, 0.0f), *rstd = gu_filled(N, 0.0f);
    float *dinp = gu_filled(c->n, 0.0f), *dw = gu_filled(C, 0.0f), *db = gu_filled(C, 0.0f);
    double atol = LN_FD_ATOL;
    if (cls == NULL) {
        layernorm_forward(out, mean, rstd, c->inp, c->weight, c->bias, c->eps, c->N, c->C);
        layernorm_backward(dinp, dw, db, w, c->inp, c->weight, mean, rstd, c->N, c->C);
    } else {
        layernorm_fixed_forward(out, mean, c->inp, c->weight, c->bias, scales, cls, c->N, c->C);
        layernorm_fixed_backward(dinp, dw, db, w, c->inp, c->weight, mean, scales, cls, c->N,
                                 c->C);
        for (int j = 0; j < LN_SCALE_CLASSES; j++) {
            if (1.0 / scales[j] > atol / LN_FD_ATOL) {
                atol = LN_FD_ATOL / scales[j];
            }
        }
    }
    fd_ctx ctx = {c, scales, cls, out, mean, rstd, w};
    gu_check_fd(gu_fmt("%s fd dinp", cs), c->inp, c->n, dinp, LN_FD_H, atol, LN_FD_RTOL,
                fd_loss, &ctx);
    gu_check_fd(gu_fmt("%s fd dweight", cs), c->weight, C, dw, LN_FD_H, atol, LN_FD_RTOL,
                fd_loss, &ctx);
    gu_check_fd(gu_fmt("%s fd dbias", cs), c->bias, C, db, LN_FD_H, atol, LN_FD_RTOL, fd_loss,
                &ctx);
    free(w);
    free(out);
    free(mean);
    free(rstd);
    free(dinp);
    free(dw);
    free(db);
}

START_TEST(test_finite_differences)
{
    st_file f;
    char cases[GU_MAX_CASES][GU_CASE_LEN];
    gu_rng r;
    gu_seed(&r, 43);
    gu_open(&f, "layernorm");
    int nc = gu_cases(&f, cases, 8);
    for (int i = 0; i < nc; i++) {
        if (is_real(cases[i])) {
            ln_case c;
            load_real(&c, &f, cases[i]);
            fd_case(cases[i], &c, NULL, NULL, &r);
            free_case(&c);
        } else {
            fx_case x;
            load_fixed(&x, &f, cases[i]);
            fd_case(cases[i], &x.c, x.scales, x.cls, &r);
            free_fixed(&x);
        }
    }
    st_close(&f);
}
END_TEST

/* ------------------------------------------------------------ properties */

/* With s_t = the real per-token σ = 1/rstd_t, the fixed-scale form is the real
 * LayerNorm. Rows go three at a time, each of the three with its own σ in its
 * own class slot, so the class lookup is exercised too. The two outputs differ
 * by the rounding of 1/(1/rstd) vs rstd and of /s vs ·rstd: a few ulp of
 * |x̂·γ| ≲ 8, so |Δ| ≤ 1e-6·max(1, |y|) element-wise. Means must be identical
 * (same float sum). */
START_TEST(test_fixed_with_true_sigma_is_real)
{
    static const int shapes[][2] = {{12, 37}, {9, 64}, {3, 1}, {6, 13}};
    gu_rng r;
    gu_seed(&r, 44);
    for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
        int N = shapes[s][0], C = shapes[s][1];
        size_t n = (size_t)N * C;
        float *inp = gu_randn(&r, n, 2.0, 3.0);
        float *w = gu_randn(&r, (size_t)C, 0.5, 1.0), *b = gu_randn(&r, (size_t)C, 0.3, 0.0);
        float *y = gu_filled(n, NAN), *mean = gu_filled((size_t)N, NAN);
        float *rstd = gu_filled((size_t)N, NAN);
        layernorm_forward(y, mean, rstd, inp, w, b, 1e-5f, N, C);
        for (int n0 = 0; n0 < N; n0 += 3) {
            float scales[LN_SCALE_CLASSES];
            uint8_t cls[3];
            for (int j = 0; j < 3; j++) {
                /* row n0+j uses class (j+1)%3, holding that row's σ */
                cls[j] = (uint8_t)((j + 1) % 3);
                scales[cls[j]] = 1.0f / rstd[n0 + j];
            }
            float yf[3 * 64], mf[3];
            layernorm_fixed_forward(yf, mf, inp + (size_t)n0 * C, w, b, scales, cls, 3, C);
            for (int j = 0; j < 3; j++) {
                ck_assert_float_eq(mf[j], mean[n0 + j]);
            }
            gu_assert_close_each(gu_fmt("%dx%d rows %d..%d", N, C, n0, n0 + 2), yf,
                                 y + (size_t)n0 * C, (size_t)3 * C, 1e-6, 1.0);
        }
        free(inp);
        free(w);
        free(b);
        free(y);
        free(mean);
        free(rstd);
    }
}
END_TEST

/* Each row must use its own class's scale. bos and eot scales differ wildly
 * from avg (×30 and /65), so a row normalised with the wrong class is off by a
 * factor ≥ 30. Compared element-wise with the per-class formula evaluated in
 * double, |Δ| ≤ 1e-5·max(1, |y|) (a few ulp of outputs up to ~300). The
 * backward rows are checked against (g − mean g)/s_class the same way. */
START_TEST(test_fixed_uses_row_class)
{
    enum { N = 8, C = 21 };
    static const uint8_t cls[N] = {LN_SCALE_BOS, LN_SCALE_AVG, LN_SCALE_EOT, LN_SCALE_AVG,
                                   LN_SCALE_EOT, LN_SCALE_BOS, LN_SCALE_AVG, LN_SCALE_EOT};
    const float scales[LN_SCALE_CLASSES] = {1.3f, 40.0f, 0.02f};
    gu_rng r;
    gu_seed(&r, 45);
    float *inp = gu_randn(&r, (size_t)N * C, 1.5, -0.7);
    float *w = gu_randn(&r, C, 0.4, 1.0), *b = gu_randn(&r, C, 0.3, 0.0);
    float *dy = gu_randn(&r, (size_t)N * C, 1.0, 0.0);
    float y[N * C], mean[N], dx[N * C], dw[C], db[C];
    float ref[N * C], dref[N * C];
    layernorm_fixed_forward(y, mean, inp, w, b, scales, cls, N, C);
    for (int i = 0; i < N * C; i++) {
        dx[i] = 0.0f;
    }
    for (int i = 0; i < C; i++) {
        dw[i] = db[i] = 0.0f;
    }
    layernorm_fixed_backward(dx, dw, db, dy, inp, w, mean, scales, cls, N, C);
    for (int n = 0; n < N; n++) {
        double m = 0.0, gm = 0.0, s = scales[cls[n]];
        for (int i = 0; i < C; i++) {
            m += inp[n * C + i];
            gm += (double)dy[n * C + i] * w[i];
        }
        m /= C;
        gm /= C;
        for (int i = 0; i < C; i++) {
            ref[n * C + i] = (float)((inp[n * C + i] - m) / s * w[i] + b[i]);
            dref[n * C + i] = (float)(((double)dy[n * C + i] * w[i] - gm) / s);
        }
        /* the test is only meaningful if another class would give a very
         * different row: check the per-class formulas are far apart here */
        for (int k = 0; k < LN_SCALE_CLASSES; k++) {
            if (k == cls[n]) {
                continue;
            }
            double other = (inp[n * C] - m) / scales[k] * w[0] + b[0];
            ck_assert_msg(fabs(other - ref[n * C]) > 0.1 * fabs(ref[n * C] - b[0]),
                          "row %d: classes %d and %d give similar outputs", n, cls[n], k);
        }
    }
    gu_assert_close_each("fixed rows by class: out", y, ref, (size_t)N * C, 1e-5, 1.0);
    gu_assert_close_each("fixed rows by class: dinp", dx, dref, (size_t)N * C, 1e-5, 1.0);
    free(inp);
    free(w);
    free(b);
    free(dy);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("kernel_layernorm");
    TCase *tc = tcase_create("layernorm");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_real_golden);
    tcase_add_test(tc, test_fixed_golden);
    tcase_add_test(tc, test_finite_differences);
    tcase_add_test(tc, test_fixed_with_true_sigma_is_real);
    tcase_add_test(tc, test_fixed_uses_row_class);
    suite_add_tcase(s, tc);
    return gu_run(s);
}
