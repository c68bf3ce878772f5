/* test_model: the C GPT-2 against the PyTorch reference (golden/model/, made
 * by golden/gpt2_reference.py) through probe_run, the code path of
 * `lnfree probe`, in three LN states; determinism; hostile checkpoints and
 * batches rejected with messages naming the file and the problem. */
#define _POSIX_C_SOURCE 200809L
#include <check.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "model/checkpoint.h"
#include "model/export.h"
#include "tests/golden_util.h"
#include "apps/probe.h"
#include "base/safetensors.h"

#define GOLDEN "golden/model"
static char tmpdir[256];

static const char *tmp(const char *name) { return gu_fmt("%s/%s", tmpdir, name); }

/* ‖got − ref‖₂ ≤ rtol·‖ref‖₂ + atol. atol = 1e-9 only matters for a tensor
 * whose exact value is zero, where float32 leaves round-off of size ~1e-11. */
static void assert_rel_l2(const char *label, const float *got, const float *ref, size_t n,
                          double rtol, double atol)
{
    double d = 0.0, r = 0.0;
    for (size_t i = 0; i < n; i++) {
        double e = (double)got[i] - (double)ref[i];
        d += e * e;
        r += (double)ref[i] * ref[i];
    }
    d = sqrt(d);
    r = sqrt(r);
    ck_assert_msg(isfinite(d) && d <= rtol * r + atol, "%s: ‖Δ‖ = %.3g, ‖ref‖ = %.3g (allowed %.3g)",
                  label, d, r, rtol * r + atol);
}

static float *read_all(const st_file *f, const st_tensor *t)
{
    float *x = malloc(t->numel * sizeof(float) + 1);
    lnf_error err;
    ck_assert_msg(st_read_f32(f, t->name, x, t->numel, 0, &err) == 0, "%s", err.msg);
    return x;
}

/* Every tensor of `expected` whose name starts with one of the prefixes must be
 * in `got` with the same shape and match the float64 reference (rounded once
 * to float32 by golden/gpt2_reference.py):
 * - logits by max|Δ| ≤ 1e-5 (measured ≤ 4.8e-7: float32 round-off through two
 *   layers, logits of size ~1);
 * - loss, gradients, the trajectory's losses, grad norms and parameters by
 *   relative L2 ≤ 1e-5 (measured ≤ 2.9e-7 for gradients, ≤ 1.1e-6 for
 *   parameters after 3 AdamW steps);
 * - except param.h.*.attn.c_attn.bias, ≤ 1e-4 (measured ≤ 4.5e-5): its key
 *   slice has an exactly zero gradient, which the reference keeps at 0 while
 *   float32 leaves round-off noise (~1e-11) that AdamW's m/(√v + ε) turns into
 *   moves of up to ~1e-6 per step (measured 4.5e-6 after 3 steps). */
static void compare_outputs_n(const char *state, const char *got_path, const char *const *prefixes,
                              int n_prefixes, int expected_count)
{
    st_file got, exp;
    lnf_error err;
    ck_assert_msg(st_open(&got, got_path, &err) == 0, "%s", err.msg);
    const char *exp_path = gu_fmt(GOLDEN "/%s/expected.safetensors", state);
    ck_assert_msg(st_open(&exp, exp_path, &err) == 0, "%s", err.msg);
    int compared = 0;
    for (int i = 0; i < exp.n_tensors; i++) {
        const st_tensor *e = &exp.tensors[i];
        int wanted = 0;
        for (int p = 0; p < n_prefixes; p++) {
            /* "grad." selects a family; "loss" only itself (not "losses") */
            size_t len = strlen(prefixes[p]);
            wanted |= prefixes[p][len - 1] == '.' ? strncmp(e->name, prefixes[p], len) == 0
                                                  : strcmp(e->name, prefixes[p]) == 0;
        }
        if (!wanted) {
            continue;
        }
        const st_tensor *g = st_find(&got, e->name);
        ck_assert_msg(g != NULL, "%s: output lacks '%s'", state, e->name);
        ck_assert_int_eq(g->ndim, e->ndim);
        for (int d = 0; d < e->ndim; d++) {
            ck_assert_int_eq(g->shape[d], e->shape[d]);
        }
        float *gv = read_all(&got, g), *ev = read_all(&exp, e);
        const char *label = gu_fmt("%s %s", state, e->name);
        if (strcmp(e->name, "logits") == 0) {
            gu_assert_close(label, gv, ev, e->numel, 1e-5, 1.0);
        } else {
            int key_bias_noise = strncmp(e->name, "param.", 6) == 0 &&
                                 strstr(e->name, "attn.c_attn.bias") != NULL;
            assert_rel_l2(label, gv, ev, e->numel, key_bias_noise ? 1e-4 : 1e-5, 1e-9);
        }
        free(gv);
        free(ev);
        compared++;
    }
    ck_assert_int_eq(compared, expected_count);
    st_close(&got);
    st_close(&exp);
}

/* 28 parameter tensors, plus logits and loss or losses and grad_norms */
static void compare_outputs(const char *state, const char *got_path, const char *const *prefixes,
                            int n_prefixes)
{
    compare_outputs_n(state, got_path, prefixes, n_prefixes, 30);
}

static const char *const states[] = {"real", "mixed", "frozen"};

START_TEST(test_gradients_match_pytorch)
{
    const char *state = states[_i];
    const char *out = tmp(gu_fmt("grad_%s.safetensors", state));
    probe_options o = probe_defaults();
    lnf_error err;
    ck_assert_msg(probe_run(gu_fmt(GOLDEN "/%s/model", state), GOLDEN "/batch.safetensors", out,
                            &o, &err) == 0, "%s", err.msg);
    const char *const prefixes[] = {"logits", "loss", "grad."};
    compare_outputs(state, out, prefixes, 3);
}
END_TEST

/* The trajectory's settings, as the golden script recorded them. */
static probe_options golden_probe_args(const char *state)
{
    json_error_t jerr;
    json_t *a = json_load_file(gu_fmt(GOLDEN "/%s/probe_args.json", state), 0, &jerr);
    ck_assert_msg(a != NULL, "probe_args.json: %s", jerr.text);
    probe_options o = probe_defaults();
    o.steps = (int)json_integer_value(json_object_get(a, "steps"));
    o.optim.adam.lr = (float)json_number_value(json_object_get(a, "lr"));
    o.optim.adam.weight_decay = (float)json_number_value(json_object_get(a, "weight_decay"));
    o.optim.adam.beta1 = (float)json_number_value(json_object_get(a, "beta1"));
    o.optim.adam.beta2 = (float)json_number_value(json_object_get(a, "beta2"));
    o.optim.adam.eps = (float)json_number_value(json_object_get(a, "eps"));
    o.optim.clip = (float)json_number_value(json_object_get(a, "clip"));
    json_decref(a);
    ck_assert_int_eq(o.steps, 3);
    return o;
}

START_TEST(test_adamw_trajectory_matches_pytorch)
{
    const char *state = states[_i];
    const char *out = tmp(gu_fmt("steps_%s.safetensors", state));
    probe_options o = golden_probe_args(state);
    lnf_error err;
    ck_assert_msg(probe_run(gu_fmt(GOLDEN "/%s/model", state), GOLDEN "/batch.safetensors", out,
                            &o, &err) == 0, "%s", err.msg);
    const char *const prefixes[] = {"losses", "grad_norms", "param."};
    compare_outputs(state, out, prefixes, 3);
}
END_TEST

static unsigned char *slurp(const char *path, size_t *n)
{
    FILE *fp = fopen(path, "rb");
    ck_assert_ptr_nonnull(fp);
    fseek(fp, 0, SEEK_END);
    *n = (size_t)ftell(fp);
    rewind(fp);
    unsigned char *buf = malloc(*n + 1);
    ck_assert_uint_eq(fread(buf, 1, *n, fp), *n);
    fclose(fp);
    return buf;
}

START_TEST(test_runs_are_bit_identical)
{
    probe_options o = golden_probe_args("mixed");
    lnf_error err;
    size_t n1, n2;
    ck_assert_msg(probe_run(GOLDEN "/mixed/model", GOLDEN "/batch.safetensors", tmp("det1"), &o,
                            &err) == 0, "%s", err.msg);
    ck_assert_msg(probe_run(GOLDEN "/mixed/model", GOLDEN "/batch.safetensors", tmp("det2"), &o,
                            &err) == 0, "%s", err.msg);
    unsigned char *a = slurp(tmp("det1"), &n1), *b = slurp(tmp("det2"), &n2);
    ck_assert_uint_eq(n1, n2);
    ck_assert_msg(memcmp(a, b, n1) == 0, "two identical probe runs wrote different bytes");
    free(a);
    free(b);
}
END_TEST

START_TEST(test_save_load_round_trip)
{
    gpt2 m, back;
    lnf_error err;
    ck_assert_msg(checkpoint_load(&m, GOLDEN "/mixed/model", &err) == 0, "%s", err.msg);
    ck_assert_msg(checkpoint_save(&m, tmp("roundtrip"), &err) == 0, "%s", err.msg);
    ck_assert_msg(checkpoint_load(&back, tmp("roundtrip"), &err) == 0, "%s", err.msg);
    ck_assert_uint_eq(back.n_params, m.n_params);
    ck_assert_msg(memcmp(back.params, m.params, m.n_params * sizeof(float)) == 0,
                  "parameters changed through save and load");
    ck_assert_int_eq(back.ln.special_bos, m.ln.special_bos);
    ck_assert_int_eq(back.ln.special_eot, m.ln.special_eot);
    ck_assert_mem_eq(back.ln.eot_kind, m.ln.eot_kind, sizeof m.ln.eot_kind);
    for (int i = 0; i < m.ln.n_sites; i++) {
        ck_assert_int_eq(back.ln.sites[i].frozen, m.ln.sites[i].frozen);
        ck_assert_mem_eq(back.ln.sites[i].sigma, m.ln.sites[i].sigma, sizeof m.ln.sites[i].sigma);
    }
    gpt2_free(&m);
    gpt2_free(&back);
}
END_TEST

/* The auxiliary σ loss's gradient against central differences of the aux loss
 * itself, on h.1.mlp.c_proj.bias (it shifts every token's residual, so every
 * σ_t at lnf's input moves). The analytic part is grad(with aux) − grad(without). */
static float aux_at(gpt2 *m, const int *x, const int *y, int B, int T)
{
    lnf_error err;
    ck_assert_msg(gpt2_forward(m, x, y, B, T, &err) == 0, "%s", err.msg);
    return m->aux_loss;
}

START_TEST(test_aux_loss_gradient)
{
    gpt2 m;
    lnf_error err;
    ck_assert_msg(checkpoint_load(&m, GOLDEN "/real/model", &err) == 0, "%s", err.msg);
    st_file bf;
    ck_assert_msg(st_open(&bf, GOLDEN "/batch.safetensors", &err) == 0, "%s", err.msg);
    int B = 2, T = 12, x[24], y[24];
    ck_assert_int_eq(st_read_i32(&bf, "x", x, 24, &err), 0);
    ck_assert_int_eq(st_read_i32(&bf, "y", y, 24, &err), 0);
    st_close(&bf);
    int C = m.cfg.n_embd;
    float *bias = m.p.layer[1].fcprojb, *gbias = m.g.layer[1].fcprojb;
    float *plain = malloc((size_t)C * sizeof(float));

    m.aux_weight = 0.0f;
    ck_assert_int_eq(gpt2_forward(&m, x, y, B, T, &err), 0);
    gpt2_zero_grad(&m);
    gpt2_backward(&m, 1.0f / (B * T));
    memcpy(plain, gbias, (size_t)C * sizeof(float));

    m.aux_weight = 10.0f;
    double aux = aux_at(&m, x, y, B, T);
    ck_assert_msg(aux > 1e-6 && isfinite(aux), "aux loss %g should be positive", aux);
    gpt2_zero_grad(&m);
    gpt2_backward(&m, 1.0f / (B * T));
    double worst = 0.0;
    for (int c = 0; c < C; c++) {
        /* h = 1e-3 against biases of ~0.02; aux is a smooth function of them */
        float keep = bias[c], h = 1e-3f;
        bias[c] = keep + h;
        double up = aux_at(&m, x, y, B, T);
        bias[c] = keep - h;
        double down = aux_at(&m, x, y, B, T);
        bias[c] = keep;
        double fd = (up - down) / (2.0 * h), analytic = (double)gbias[c] - plain[c];
        /* float σ_t (rel. 1e-7) over 2h gives ~1e-6 absolute noise in fd */
        double allowed = 2e-5 + 2e-2 * fabs(analytic);
        ck_assert_msg(fabs(fd - analytic) <= allowed, "c=%d: fd %.6g analytic %.6g", c, fd, analytic);
        worst = fmax(worst, fabs(analytic));
    }
    ck_assert_msg(worst > 1e-3, "aux gradient too small (%g) to test anything", worst);
    free(plain);
    gpt2_free(&m);
}
END_TEST

/* The frozen golden model, its hf export and its folded export give the
 * PyTorch frozen model's logits: max|Δ| ≤ 1e-4 (as the model goldens; both
 * exports measured 1.8e-7 against logits of size ~2). */
START_TEST(test_exports_match_frozen_model)
{
    gpt2 m;
    lnf_error err;
    ck_assert_msg(checkpoint_load(&m, GOLDEN "/frozen/model", &err) == 0, "%s", err.msg);
    ck_assert_msg(export_hf(&m, tmp("export_hf"), &err) == 0, "%s", err.msg);
    ck_assert_msg(export_folded(&m, tmp("export_folded"), &err) == 0, "%s", err.msg);
    gpt2_free(&m);
    const char *const dirs[] = {"export_hf", "export_folded"};
    for (int i = 0; i < 2; i++) {
        gpt2 e;
        ck_assert_msg(checkpoint_load(&e, tmp(dirs[i]), &err) == 0, "%s", err.msg);
        ck_assert_msg(i == 0 ? e.cfg.layer_norm_epsilon == 1e12f && ln_state_all_real(&e.ln)
                             : e.cfg.folded && e.p.layer[0].ln1w == NULL && e.p.lm_head_w != NULL, "%s: wrong form", dirs[i]);
        gpt2_free(&e);
        probe_options o = probe_defaults();
        const char *out = tmp(gu_fmt("%s.safetensors", dirs[i]));
        ck_assert_msg(probe_run(tmp(dirs[i]), GOLDEN "/batch.safetensors", out, &o, &err) == 0,
                      "%s", err.msg);
        const char *const logits[] = {"logits"};
        compare_outputs_n("frozen", out, logits, 1, 1);
    }
}
END_TEST

START_TEST(test_export_refuses_unfinished_models)
{
    gpt2 m;
    lnf_error err = {{0}};
    ck_assert_msg(checkpoint_load(&m, GOLDEN "/mixed/model", &err) == 0, "%s", err.msg);
    ck_assert_int_eq(export_hf(&m, tmp("never_hf"), &err), -1);
    ck_assert_msg(strstr(err.msg, "LN site h.0.ln1qk is still real") != NULL, "%s", err.msg);
    for (int i = 0; i < m.ln.n_sites; i++) {
        m.ln.sites[i].frozen = 1;
        m.ln.sites[i].sigma[LN_SCALE_AVG] = 1.0f;
    }
    ck_assert_int_eq(export_folded(&m, tmp("never_folded"), &err), -1);
    ck_assert_msg(strstr(err.msg, "special phase has not ended") != NULL, "%s", err.msg);
    m.ln.special_bos = m.ln.special_eot = 0;
    m.ln.sites[ln_site_index(&m.ln, 1, SITE_LN1V)].sigma[LN_SCALE_AVG] = 2.0f;
    ck_assert_int_eq(export_folded(&m, tmp("never_folded"), &err), -1);
    ck_assert_msg(strstr(err.msg, "layer 1: ln1qk and ln1v have different") != NULL, "%s", err.msg);
    ck_assert_msg(access(tmp("never_hf"), F_OK) != 0 && access(tmp("never_folded"), F_OK) != 0,
                  "a refused export wrote files");
    gpt2_free(&m);
}
END_TEST

/* ---- hostile input: each case must fail with a message naming file and problem */

/* A copy of the real golden model in tmpdir/NAME, with its parameters passed
 * through `mutate` (may drop or reshape entries) before writing. */
typedef void (*mutate_fn)(st_entry *entries, int *n);

static const char *hostile_model(const char *name, mutate_fn mutate)
{
    gpt2 m;
    lnf_error err;
    ck_assert_msg(checkpoint_load(&m, GOLDEN "/real/model", &err) == 0, "%s", err.msg);
    const char *dir = tmp(name);
    ck_assert_msg(checkpoint_save(&m, dir, &err) == 0, "%s", err.msg);
    if (mutate != NULL) {
        hf_tensor_set set;
        ck_assert_int_eq(hf_tensor_set_build(&set, &m, m.params, "", &err), 0);
        /* room for one added entry */
        st_entry *entries = calloc((size_t)set.n + 1, sizeof *entries);
        memcpy(entries, set.entries, (size_t)set.n * sizeof *entries);
        int n = set.n;
        mutate(entries, &n);
        ck_assert_msg(st_write(gu_fmt("%s/model.safetensors", dir), entries, n, &err) == 0,
                      "%s", err.msg);
        free(entries);
        hf_tensor_set_free(&set);
    }
    gpt2_free(&m);
    return dir;
}

static void expect_load_error(const char *dir, const char *needle1, const char *needle2)
{
    gpt2 m;
    lnf_error err = {{0}};
    ck_assert_int_eq(checkpoint_load(&m, dir, &err), -1);
    ck_assert_msg(strstr(err.msg, needle1) != NULL && strstr(err.msg, needle2) != NULL,
                  "message '%s' lacks '%s' or '%s'", err.msg, needle1, needle2);
}

static void drop_last(st_entry *e, int *n)
{
    (void)e;
    (*n)--; /* entries are in layout order: ln_f.bias is last */
}

static void nan_weight(st_entry *e, int *n)
{
    (void)n;
    ((float *)e[1].data)[5] = NAN; /* wpe.weight */
}

static void extra_tensor(st_entry *e, int *n)
{
    e[*n] = e[*n - 1];
    e[*n].name = "h.0.mlp.unexpected";
    (*n)++;
}

START_TEST(test_rejects_hostile_checkpoints)
{
    expect_load_error(hostile_model("missing", drop_last), "model.safetensors", "'ln_f.bias' is missing");
    expect_load_error(hostile_model("nan", nan_weight), "model.safetensors", "'wpe.weight'");
    expect_load_error(hostile_model("nan", nan_weight), "model.safetensors", "finite");
    expect_load_error(hostile_model("extra", extra_tensor), "model.safetensors", "unexpected tensor");

    /* a shape that disagrees with config.json: rewrite config with a smaller vocab */
    const char *dir = hostile_model("shape", NULL);
    FILE *fp = fopen(gu_fmt("%s/config.json", dir), "w");
    fputs("{\"n_layer\":2,\"n_head\":2,\"n_embd\":24,\"n_positions\":16,\"vocab_size\":96,"
          "\"eos_token_id\":95}", fp);
    fclose(fp);
    expect_load_error(dir, "model.safetensors", "'wte.weight' has shape [97, 24] but config.json implies [96, 24]");

    fp = fopen(gu_fmt("%s/config.json", dir), "w");
    fputs("{\"n_layer\":2,", fp);
    fclose(fp);
    expect_load_error(dir, "config.json", "invalid JSON");

    fp = fopen(gu_fmt("%s/config.json", dir), "w");
    fputs("{\"n_layer\":2,\"n_head\":5,\"n_embd\":24,\"n_positions\":16,\"vocab_size\":97}", fp);
    fclose(fp);
    expect_load_error(dir, "config.json", "not a multiple of n_head");

    dir = hostile_model("lnstate", NULL);
    fp = fopen(gu_fmt("%s/lnfree.json", dir), "w");
    fputs("{\"format\":\"lnfree-ln-state\",\"version\":1,\"sites\":{\"h.7.ln2\":{\"mode\":\"frozen\",\"sigma\":1}}}", fp);
    fclose(fp);
    expect_load_error(dir, "lnfree.json", "unknown LN site 'h.7.ln2'");
    fp = fopen(gu_fmt("%s/lnfree.json", dir), "w");
    fputs("{\"format\":\"lnfree-ln-state\",\"version\":1,\"sites\":{\"h.0.ln2\":{\"mode\":\"frozen\",\"sigma\":-1}}}", fp);
    fclose(fp);
    expect_load_error(dir, "lnfree.json", "sigma must be a finite positive number");
    fp = fopen(gu_fmt("%s/lnfree.json", dir), "w");
    fputs("{\"format\":\"something-else\",\"version\":1}", fp);
    fclose(fp);
    expect_load_error(dir, "lnfree.json", "\"format\"");
}
END_TEST

static void write_batch(const char *path, const int32_t *x, const int32_t *y, int B, int T,
                        int with_y, int y_T)
{
    st_entry e[2] = {
        {.name = "x", .dtype = ST_I32, .ndim = 2, .shape = {B, T}, .data = x},
        {.name = "y", .dtype = ST_I32, .ndim = 2, .shape = {B, y_T}, .data = y},
    };
    lnf_error err;
    ck_assert_msg(st_write(path, e, with_y ? 2 : 1, &err) == 0, "%s", err.msg);
}

static void expect_probe_error(const char *batch, const char *needle1, const char *needle2)
{
    probe_options o = probe_defaults();
    lnf_error err = {{0}};
    ck_assert_int_eq(probe_run(GOLDEN "/real/model", batch, tmp("never.safetensors"), &o, &err), -1);
    ck_assert_msg(strstr(err.msg, needle1) != NULL && strstr(err.msg, needle2) != NULL,
                  "message '%s' lacks '%s' or '%s'", err.msg, needle1, needle2);
    ck_assert_msg(access(tmp("never.safetensors"), F_OK) != 0, "a failed probe wrote its output");
}

START_TEST(test_rejects_hostile_batches)
{
    int32_t x[40] = {0}, y[40] = {0};
    const char *b = tmp("bad_token.safetensors");
    x[3] = 97; /* vocab is 97 */
    write_batch(b, x, y, 2, 4, 1, 4);
    expect_probe_error(b, "bad_token.safetensors", "inputs[3] = 97 is not a token id");
    x[3] = 0;
    y[5] = -1;
    write_batch(b, x, y, 2, 4, 1, 4);
    expect_probe_error(b, "bad_token.safetensors", "targets[5] = -1");
    y[5] = 0;
    b = tmp("too_long.safetensors");
    write_batch(b, x, y, 2, 17, 1, 17); /* n_positions is 16 */
    expect_probe_error(b, "too_long.safetensors", "T=17 exceeds the model's n_positions=16");
    b = tmp("no_y.safetensors");
    write_batch(b, x, y, 2, 4, 0, 4);
    expect_probe_error(b, "no_y.safetensors", "missing 'y'");
    b = tmp("mismatch.safetensors");
    write_batch(b, x, y, 2, 4, 1, 3);
    expect_probe_error(b, "mismatch.safetensors", "same non-empty shape");
    expect_probe_error(tmp("absent.safetensors"), "absent.safetensors", "");
}
END_TEST

int main(void)
{
    snprintf(tmpdir, sizeof tmpdir, "/tmp/lnfree_test_model_XXXXXX");
    if (mkdtemp(tmpdir) == NULL) {
        perror("mkdtemp");
        return 1;
    }
    Suite *s = suite_create("model");
    TCase *golden = tcase_create("pytorch");
    tcase_set_timeout(golden, 120);
    tcase_add_loop_test(golden, test_gradients_match_pytorch, 0, 3);
    tcase_add_loop_test(golden, test_adamw_trajectory_matches_pytorch, 0, 3);
    tcase_add_test(golden, test_runs_are_bit_identical);
    tcase_add_test(golden, test_save_load_round_trip);
    tcase_add_test(golden, test_aux_loss_gradient);
    tcase_add_test(golden, test_exports_match_frozen_model);
    tcase_add_test(golden, test_export_refuses_unfinished_models);
    suite_add_tcase(s, golden);
    TCase *hostile = tcase_create("hostile");
    tcase_add_test(hostile, test_rejects_hostile_checkpoints);
    tcase_add_test(hostile, test_rejects_hostile_batches);
    suite_add_tcase(s, hostile);
    return gu_run(s);
}
