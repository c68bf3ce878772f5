/* test_schedule: removal-schedule presets against the papers' step numbers,
 * schedule files (valid and hostile), the LR schedule, and σ tracking against
 * a direct measurement on the golden model. */
#define _POSIX_C_SOURCE 200809L
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "model/checkpoint.h"
#include "tests/golden_util.h"
#include "schedule/lr.h"
#include "schedule/schedule.h"
#include "schedule/sigma.h"

static char tmpdir[256];

/* The step of the event for (action, kind, layer), or -1. */
static int step_of(const schedule *s, schedule_action a, site_kind kind, int layer)
{
    for (int i = 0; i < s->n; i++) {
        const schedule_event *e = &s->events[i];
        if (e->action == a && (a != ACTION_FREEZE || (e->kind == kind && e->layer == layer))) {
            return e->step;
        }
    }
    return -1;
}

START_TEST(test_paper_preset_is_the_papers_gpt2_small_run)
{
    schedule s;
    lnf_error err;
    ck_assert_msg(schedule_preset(&s, "paper", 12, 1200, &err) == 0, "%s", err.msg);
    ck_assert_int_eq(s.n, 3 * 12 + 3);
    for (int l = 0; l < 12; l++) {
        ck_assert_int_eq(step_of(&s, ACTION_FREEZE, SITE_LN2, l), 200 + 20 * l);
        ck_assert_int_eq(step_of(&s, ACTION_FREEZE, SITE_LN1QK, l), 440 + 20 * l);
        ck_assert_int_eq(step_of(&s, ACTION_FREEZE, SITE_LN1V, l), 680 + 30 * l);
    }
    ck_assert_int_eq(step_of(&s, ACTION_FREEZE, SITE_LNF, -1), 1040);
    ck_assert_int_eq(step_of(&s, ACTION_END_EOT, 0, 0), 1060);
    ck_assert_int_eq(step_of(&s, ACTION_END_BOS, 0, 0), 1160);
    ck_assert(schedule_is_complete(&s, 12));
    schedule_free(&s);

    /* 4 layers in 300 steps: the same phases, each split among 4 layers, scaled by 1/4 */
    ck_assert_msg(schedule_preset(&s, "paper", 4, 300, &err) == 0, "%s", err.msg);
    ck_assert_int_eq(step_of(&s, ACTION_FREEZE, SITE_LN2, 0), 50);
    ck_assert_int_eq(step_of(&s, ACTION_FREEZE, SITE_LN2, 3), 95);
    ck_assert_int_eq(step_of(&s, ACTION_FREEZE, SITE_LN1V, 1), 193); /* (680 + 90)/4 = 192.5 */
    ck_assert_int_eq(step_of(&s, ACTION_END_BOS, 0, 0), 290);
    ck_assert(schedule_is_complete(&s, 4));
    schedule_free(&s);
}
END_TEST

START_TEST(test_fast_preset_follows_baroni)
{
    schedule s;
    lnf_error err;
    ck_assert_msg(schedule_preset(&s, "fast", 12, 200, &err) == 0, "%s", err.msg);
    for (int l = 0; l < 12; l++) {
        ck_assert_int_eq(step_of(&s, ACTION_FREEZE, SITE_LN2, l), 20 + 2 * l);
        ck_assert_int_eq(step_of(&s, ACTION_FREEZE, SITE_LN1QK, l), 44 + 2 * l);
        ck_assert_int_eq(step_of(&s, ACTION_FREEZE, SITE_LN1V, l), 68 + 3 * l);
    }
    ck_assert_int_eq(step_of(&s, ACTION_FREEZE, SITE_LNF, -1), 104);
    ck_assert_int_eq(step_of(&s, ACTION_END_EOT, 0, 0), 106);
    ck_assert_int_eq(step_of(&s, ACTION_END_BOS, 0, 0), 108);
    ck_assert_int_eq(schedule_last_step(&s), 108);
    schedule_free(&s);
    /* the paper timeline compressed into 600 steps of a longer run */
    ck_assert_msg(schedule_preset(&s, "paper", 12, 600, &err) == 0, "%s", err.msg);
    ck_assert_int_eq(step_of(&s, ACTION_FREEZE, SITE_LN2, 0), 100);
    ck_assert_int_eq(schedule_last_step(&s), 580);
    schedule_free(&s);
    ck_assert_msg(schedule_preset(&s, "none", 12, 100, &err) == 0 && s.n == 0, "none has events");
    ck_assert(!schedule_is_complete(&s, 12));
    ck_assert_int_eq(schedule_preset(&s, "slow", 12, 100, &err), -1);
    ck_assert_msg(strstr(err.msg, "unknown schedule preset 'slow'") != NULL, "%s", err.msg);
}
END_TEST

static const char *write_file(const char *name, const char *text)
{
    const char *path = gu_fmt("%s/%s", tmpdir, name);
    FILE *fp = fopen(path, "w");
    ck_assert_ptr_nonnull(fp);
    fputs(text, fp);
    fclose(fp);
    return path;
}

START_TEST(test_schedule_file)
{
    schedule s;
    lnf_error err;
    const char *path = write_file("ok.sched", "# two layers\n"
                                              "5 freeze ln2 0\n\n"
                                              "5 freeze ln2 1   # same step is fine\n"
                                              "7 freeze ln1qk 0\n 8 freeze ln1qk 1\n"
                                              "9 freeze ln1v 1\n9 freeze ln1v 0\n"
                                              "12 freeze lnf\n13 end eot-special\n14 end bos-special\n");
    ck_assert_msg(schedule_parse_file(&s, path, 2, &err) == 0, "%s", err.msg);
    ck_assert_int_eq(s.n, 9);
    ck_assert_int_eq(step_of(&s, ACTION_FREEZE, SITE_LN1V, 0), 9);
    ck_assert_int_eq(step_of(&s, ACTION_END_BOS, 0, 0), 14);
    ck_assert(schedule_is_complete(&s, 2));
    char text[48];
    schedule_event_text(&s.events[4], text, sizeof text);
    ck_assert_str_eq(text, "freeze ln1v 1");
    schedule_free(&s);

    static const struct {
        const char *text, *needle;
    } bad[] = {
        {"5 freeze ln3 0\n", "bad.sched:1: '5 freeze ln3 0' is not"},
        {"5 freeze ln2 2\n", "bad.sched:1:"},          /* layer out of range */
        {"5 freeze ln2\n", "bad.sched:1:"},            /* missing layer */
        {"5 freeze lnf 0\n", "bad.sched:1:"},          /* lnf takes no layer */
        {"-1 end eot-special\n", "bad.sched:1:"},
        {"\n5 end everything\n", "bad.sched:2:"},
        {"9 freeze ln2 0\n5 freeze ln2 1\n", "event 2 (freeze ln2 1 at step 5) comes before"},
        {"5 freeze ln2 0\n6 freeze ln2 0\n", "event 2 repeats 'freeze ln2 0'"},
        {"5 end bos-special\n6 end bos-special\n", "repeats 'end bos-special'"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        path = write_file("bad.sched", bad[i].text);
        ck_assert_int_eq(schedule_parse_file(&s, path, 2, &err), -1);
        ck_assert_msg(strstr(err.msg, bad[i].needle) != NULL, "case %zu: '%s' lacks '%s'", i,
                      err.msg, bad[i].needle);
    }
    ck_assert_int_eq(schedule_load(&s, gu_fmt("%s/absent", tmpdir), 2, 10, &err), -1);
    ck_assert_msg(strstr(err.msg, "absent: cannot open schedule") != NULL, "%s", err.msg);
}
END_TEST

START_TEST(test_lr_warmup_then_cosine)
{
    lr_schedule s = {.max_lr = 6e-4f, .min_lr = 6e-5f, .warmup = 100, .total = 1001};
    ck_assert_float_eq_tol(lr_at(&s, 0), 6e-6f, 1e-12f);
    ck_assert_float_eq_tol(lr_at(&s, 49), 3e-4f, 1e-10f);
    ck_assert_float_eq_tol(lr_at(&s, 99), 6e-4f, 1e-10f);
    ck_assert_float_eq_tol(lr_at(&s, 100), 6e-4f, 1e-10f);
    /* halfway through the decay: the midpoint of max and min */
    ck_assert_float_eq_tol(lr_at(&s, 550), 3.3e-4f, 1e-9f);
    ck_assert_float_eq_tol(lr_at(&s, 1000), 6e-5f, 1e-10f);
}
END_TEST

/* σ records hold the batch mean of √(var + eps) per token class at each site's
 * input; measured here directly from the golden model's activations. */
START_TEST(test_sigma_tracking_and_freezing)
{
    gpt2 m;
    lnf_error err;
    ck_assert_msg(checkpoint_load(&m, "golden/model/real/model", &err) == 0, "%s", err.msg);
    st_file bf;
    ck_assert_msg(st_open(&bf, "golden/model/batch.safetensors", &err) == 0, "%s", err.msg);
    int x[24];
    ck_assert_int_eq(st_read_i32(&bf, "x", x, 24, &err), 0);
    st_close(&bf);
    sigma_tracker t;
    ck_assert_int_eq(sigma_tracker_init(&t, m.cfg.n_layer, &err), 0);
    int lnf = ln_site_index(&m.ln, 0, SITE_LNF);
    ck_assert_int_eq(sigma_tracker_freeze(&t, &m, lnf, &err), -1);
    ck_assert_msg(strstr(err.msg, "no σ measured") != NULL, "%s", err.msg);

    ck_assert_int_eq(gpt2_forward(&m, x, NULL, 2, 12, &err), 0);
    sigma_tracker_update(&t, &m);
    /* direct: σ_t of h.1's ln2 input (res2) by class */
    int C = m.cfg.n_embd;
    double sum[3] = {0};
    int count[3] = {0};
    for (int i = 0; i < 24; i++) {
        const float *row = m.acts[1].res2 + (size_t)i * C;
        double mean = 0, var = 0;
        for (int c = 0; c < C; c++) {
            mean += row[c];
        }
        mean /= C;
        for (int c = 0; c < C; c++) {
            var += (row[c] - mean) * (row[c] - mean);
        }
        int cls = i % 12 == 0 ? LN_SCALE_BOS : x[i] == m.cfg.eos_token_id ? LN_SCALE_EOT : LN_SCALE_AVG;
        sum[cls] += sqrt(var / C + m.cfg.layer_norm_epsilon);
        count[cls]++;
    }
    ck_assert_int_eq(count[LN_SCALE_BOS], 2);
    ck_assert_int_gt(count[LN_SCALE_EOT], 0);
    int ln2 = ln_site_index(&m.ln, 1, SITE_LN2);
    /* the second update folds in the same batch: the EMA stays at the batch mean */
    ck_assert_int_eq(gpt2_forward(&m, x, NULL, 2, 12, &err), 0);
    sigma_tracker_update(&t, &m);
    ck_assert_int_eq(sigma_tracker_freeze(&t, &m, ln2, &err), 0);
    for (int c = 0; c < 3; c++) {
        double want = sum[c] / count[c];
        ck_assert_msg(fabs(m.ln.sites[ln2].sigma[c] - want) <= 1e-5 * want, "class %d: %g vs %g", c,
                      (double)m.ln.sites[ln2].sigma[c], want);
    }
    ck_assert(m.ln.sites[ln2].frozen);
    /* a frozen record stops updating; ln1qk and ln1v share theirs */
    int qk = ln_site_index(&m.ln, 0, SITE_LN1QK), v = ln_site_index(&m.ln, 0, SITE_LN1V);
    ck_assert_int_eq(sigma_record_of(&m, qk), sigma_record_of(&m, v));
    ck_assert_int_eq(sigma_tracker_freeze(&t, &m, v, &err), 0);
    float frozen_v = m.ln.sites[v].sigma[LN_SCALE_AVG];
    for (int i = 0; i < 24; i++) {
        x[i] = (x[i] * 7 + 3) % 96; /* a different batch */
    }
    ck_assert_int_eq(gpt2_forward(&m, x, NULL, 2, 12, &err), 0);
    sigma_tracker_update(&t, &m);
    ck_assert_int_eq(sigma_tracker_freeze(&t, &m, qk, &err), 0);
    ck_assert(m.ln.sites[qk].sigma[LN_SCALE_AVG] == frozen_v);
    sigma_tracker_free(&t);
    gpt2_free(&m);
}
END_TEST

int main(void)
{
    snprintf(tmpdir, sizeof tmpdir, "/tmp/lnfree_test_schedule_XXXXXX");
    if (mkdtemp(tmpdir) == NULL) {
        perror("mkdtemp");
        return 1;
    }
    Suite *s = suite_create("schedule");
    TCase *tc = tcase_create("schedule");
    tcase_add_test(tc, test_paper_preset_is_the_papers_gpt2_small_run);
    tcase_add_test(tc, test_fast_preset_follows_baroni);
    tcase_add_test(tc, test_schedule_file);
    tcase_add_test(tc, test_lr_warmup_then_cosine);
    tcase_add_test(tc, test_sigma_tracking_and_freezing);
    suite_add_tcase(s, tc);
    return gu_run(s);
}
