/* test_train: the training loop on the golden tiny GPT-2 (V = 97) and random
 * token files: a run of 2N steps equals N steps plus a resumed N bit for bit
 * (with LN sites frozen on both sides of the break); 1 and 2 threads give
 * the same checkpoint at a size where OpenBLAS would thread; a run whose
 * settings or kernel inputs leave the proven domain stops with an error naming
 * them and keeps its last good checkpoint; SIGKILL while checkpoints
 * are being written never leaves an unreadable one. */
#define _POSIX_C_SOURCE 200809L
#include <check.h>
#include <jansson.h>
#include <math.h>
#include <omp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "model/checkpoint.h"
#include "base/fs.h"
#include "tests/golden_util.h"
#include "train/lossplot.h"
#include "train/train.h"

static char tmpdir[256];

static const char *tmp(const char *name) { return gu_fmt("%s/%s", tmpdir, name); }

/* DIR/train.bin and DIR/val.bin of random ids below 97, EOT (96) every ~20;
 * runs before the suite, so it reports failure by its return value. */
static int write_tokens(const char *dir, size_t n)
{
    lnf_error err;
    uint16_t *ids = malloc(n * sizeof *ids);
    gu_rng r;
    gu_seed(&r, 7);
    for (size_t i = 0; i < n; i++) {
        ids[i] = (uint16_t)(gu_uniform(&r) < 0.05 ? 96 : (int)(gu_uniform(&r) * 96));
    }
    int rc = fs_ensure_dir(dir, &err) || fs_write_atomic(gu_fmt("%s/train.bin", dir), ids, n * 2, &err) ||
             fs_write_atomic(gu_fmt("%s/val.bin", dir), ids, n / 4 * 2, &err);
    if (rc != 0) {
        fprintf(stderr, "test_train: %s\n", err.msg);
    }
    free(ids);
    return rc;
}

/* DIR/train.bin and DIR/val.bin of random ids below GPT-2's 50257. */
static int write_gpt2_tokens(const char *dir, size_t n)
{
    lnf_error err;
    uint16_t *ids = malloc(n * sizeof *ids);
    gu_rng r;
    gu_seed(&r, 11);
    for (size_t i = 0; i < n; i++) {
        ids[i] = (uint16_t)(gu_uniform(&r) * 50257);
    }
    int rc = fs_ensure_dir(dir, &err) || fs_write_atomic(gu_fmt("%s/train.bin", dir), ids, n * 2, &err) ||
             fs_write_atomic(gu_fmt("%s/val.bin", dir), ids, n / 4 * 2, &err);
    if (rc != 0) {
        fprintf(stderr, "test_train: %s\n", err.msg);
    }
    free(ids);
    return rc;
}

static train_options tiny_run(const char *out)
{
    train_options o = train_defaults();
    o.model_dir = "golden/model/real/model";
    /* copies: tmp() hands out rotating buffers */
    o.data_dir = strdup(tmp("data"));
    o.out_dir = strdup(out);
    o.B = 2;
    o.T = 8;
    o.grad_accum = 2;
    o.steps = 12;
    o.warmup = 3;
    o.optim.adam.lr = 3e-3f;
    o.val_every = 4;
    o.val_batches = 2;
    o.ckpt_every = 3;
    o.calib_batches = 2;
    return o;
}

/* Frees what tiny_run (and a test) duplicated. */
static void free_run(train_options *o)
{
    free((char *)o->data_dir);
    free((char *)o->out_dir);
}

static unsigned char *slurp(const char *path, size_t *n)
{
    FILE *fp = fopen(path, "rb");
    ck_assert_msg(fp != NULL, "cannot open %s", path);
    fseek(fp, 0, SEEK_END);
    *n = (size_t)ftell(fp);
    rewind(fp);
    unsigned char *buf = malloc(*n + 1);
    ck_assert_uint_eq(fread(buf, 1, *n, fp), *n);
    fclose(fp);
    return buf;
}

static void assert_same_file(const char *a, const char *b)
{
    size_t na, nb;
    unsigned char *x = slurp(a, &na), *y = slurp(b, &nb);
    ck_assert_msg(na == nb && memcmp(x, y, na) == 0, "%s and %s differ", a, b);
    free(x);
    free(y);
}

START_TEST(test_resume_is_bit_exact)
{
    /* sites frozen at steps 2..9 (the break is after step 6), special phases end after it */
    FILE *fp = fopen(tmp("resume.sched"), "w");
    fputs("2 freeze ln2 0\n3 freeze ln2 1\n4 freeze ln1qk 0\n5 freeze ln1v 0\n"
          "7 freeze ln1qk 1\n7 freeze ln1v 1\n8 freeze lnf\n9 end eot-special\n"
          "10 end bos-special\n", fp);
    fclose(fp);
    train_options a = tiny_run(tmp("straight")), b = tiny_run(tmp("split"));
    a.schedule = b.schedule = strdup(tmp("resume.sched"));
    train_result res;
    lnf_error err;
    ck_assert_msg(train_run(&a, &res, &err) == 0, "%s", err.msg);
    ck_assert_int_eq(res.steps_done, 12);
    b.stop_at = 6;
    ck_assert_msg(train_run(&b, &res, &err) == 0, "%s", err.msg);
    ck_assert_int_eq(res.steps_done, 6);
    b.stop_at = 0;
    b.resume = 1;
    ck_assert_msg(train_run(&b, &res, &err) == 0, "%s", err.msg);
    ck_assert_int_eq(res.steps_done, 12);
    const char *files[] = {"model.safetensors", "optimizer.safetensors", "lnfree.json",
                           "train_state.json", "config.json"};
    for (int i = 0; i < 5; i++) {
        assert_same_file(gu_fmt("%s/model/%s", a.out_dir, files[i]),
                         gu_fmt("%s/model/%s", b.out_dir, files[i]));
    }
    /* and the run did remove every LN: the final state is exportable */
    gpt2 m;
    ck_assert_msg(checkpoint_load(&m, gu_fmt("%s/model", a.out_dir), &err) == 0, "%s", err.msg);
    for (int i = 0; i < m.ln.n_sites; i++) {
        ck_assert_msg(m.ln.sites[i].frozen, "site %d still real", i);
    }
    ck_assert(!m.ln.special_bos && !m.ln.special_eot);
    gpt2_free(&m);
    /* the metrics log of the split run has each step once, in order */
    size_t n;
    char *log = (char *)slurp(gu_fmt("%s/metrics.jsonl", b.out_dir), &n);
    log[n] = '\0';
    int lines = 0;
    for (char *p = log; (p = strstr(p, "{\"step\":")) != NULL; p++, lines++) {
        ck_assert_int_eq(atoi(p + 8), lines);
    }
    ck_assert_int_eq(lines, 12);
    free(log);
    ck_assert_msg(access(gu_fmt("%s/loss.svg", b.out_dir), R_OK) == 0, "no loss.svg");
    free((char *)a.schedule);
    free_run(&a);
    free_run(&b);
}
END_TEST

/* gpt2-tiny (C = 64, V = 50257) at B = 2, T = 32: the unembedding's products
 * have M·N·K = 64·64·50257 ≈ 2e8, far above the 2.6e5 past which OpenBLAS
 * splits an sgemm over its threads by their number (and rounds differently
 * for each), so this catches any matmul that leaves the size-determined
 * blocks of kernels/parallel.c. Measured: a whole-matrix sgemm in the forward
 * unembedding changes the result under OpenBLAS's Haswell and Zen kernels,
 * not under SkylakeX or Cooperlake; in the backward under every one: CTest
 * runs this case again with OPENBLAS_CORETYPE=Haswell. */
static void train_with_threads(const char *out, int threads)
{
    gpt2_config tiny;
    lnf_error err;
    ck_assert_msg(config_preset(&tiny, "gpt2-tiny", &err) == 0, "%s", err.msg);
    train_options o = train_defaults();
    o.init = &tiny;
    o.data_dir = tmp("data50k");
    o.out_dir = out;
    o.B = 2;
    o.T = 32;
    o.steps = 3;
    o.warmup = 1;
    o.val_every = 3;
    o.val_batches = 1;
    omp_set_num_threads(threads);
    train_result res;
    ck_assert_msg(train_run(&o, &res, &err) == 0, "%s", err.msg);
    ck_assert_int_eq(res.steps_done, 3);
}

/* Reads DIR/metrics.jsonl line `step` (0-based). */
static json_t *metrics_at(const char *dir, int step)
{
    FILE *fp = fopen(gu_fmt("%s/metrics.jsonl", dir), "r");
    ck_assert_ptr_nonnull(fp);
    char line[8192];
    json_t *got = NULL;
    for (int i = 0; i <= step && fgets(line, sizeof line, fp) != NULL; i++) {
        if (i == step) {
            got = json_loads(line, 0, NULL);
        }
    }
    fclose(fp);
    ck_assert_ptr_nonnull(got);
    return got;
}

START_TEST(test_thread_count_changes_nothing)
{
    char one[512], two[512];
    snprintf(one, sizeof one, "%s", tmp("threads1"));
    snprintf(two, sizeof two, "%s", tmp("threads2"));
    train_with_threads(one, 1);
    train_with_threads(two, 2);
    assert_same_file(gu_fmt("%s/model/model.safetensors", one),
                     gu_fmt("%s/model/model.safetensors", two));
    assert_same_file(gu_fmt("%s/model/optimizer.safetensors", one),
                     gu_fmt("%s/model/optimizer.safetensors", two));
    /* and so are the maxima the domain watch reports */
    for (int step = 0; step < 3; step++) {
        json_t *a = metrics_at(one, step), *b = metrics_at(two, step);
        ck_assert_int_eq(json_object_size(json_object_get(a, "domain")), 16);
        ck_assert(json_equal(json_object_get(a, "domain"), json_object_get(b, "domain")));
        json_decref(a);
        json_decref(b);
    }
}
END_TEST

/* Regression: the plot read metrics lines through a 4096-byte buffer, and a
 * longer line (many events, the "domain" margins) split into two, the second
 * "not a metrics record". Now lines of any length are read whole. */
START_TEST(test_plot_reads_long_metrics_lines)
{
    const char *log = strdup(tmp("long.jsonl")), *svg = strdup(tmp("long.svg"));
    FILE *fp = fopen(log, "w");
    ck_assert_ptr_nonnull(fp);
    fprintf(fp, "{\"step\": 0, \"loss\": 4.5, \"padding\": \"");
    for (int i = 0; i < 10000; i++) {
        fputc('x', fp);
    }
    fprintf(fp, "\"}\n{\"step\": 1, \"loss\": 4.25}\n");
    fclose(fp);
    lnf_error err = {{0}};
    ck_assert_msg(lossplot_write(log, svg, "long lines", &err) == 0, "%s", err.msg);
    ck_assert_int_eq(access(svg, R_OK), 0);
    /* a line that is not a record still fails, naming the file and line */
    fp = fopen(log, "a");
    fprintf(fp, "not json\n");
    fclose(fp);
    ck_assert_int_eq(lossplot_write(log, svg, "long lines", &err), -1);
    ck_assert_str_eq(err.msg, gu_fmt("%s:3: not a metrics record", log));
    free((char *)log);
    free((char *)svg);
}
END_TEST

START_TEST(test_schedule_must_fit_the_budget)
{
    train_options o = tiny_run(tmp("too_short"));
    o.schedule = "fast"; /* 2 layers: ends at step 38 */
    train_result res;
    lnf_error err = {{0}};
    ck_assert_int_eq(train_run(&o, &res, &err), -1);
    ck_assert_msg(strstr(err.msg, "ends at step 38, past the budget of 12 steps") != NULL, "%s",
                  err.msg);
    ck_assert_int_eq(res.steps_done, 0);
    free_run(&o);
}
END_TEST

START_TEST(test_settings_outside_the_proven_domain_are_refused)
{
    train_options o = tiny_run(tmp("diverge"));
    o.optim.adam.lr = o.min_lr = 1e30f; /* adamw.c is proven for lr ≤ 1e-2 */
    train_result res;
    lnf_error err = {{0}};
    ck_assert_int_eq(train_run(&o, &res, &err), -1);
    ck_assert_msg(strstr(err.msg, "the learning rate (1e+30) is outside [0, 0.01], the domain its "
                                  "kernel is proven for") != NULL,
                  "%s", err.msg);
    ck_assert_int_eq(res.steps_done, 0);
    free_run(&o);
}
END_TEST

/* A model whose layer-1 attention c_proj bias sits at ±(1000 − 0.005), just
 * inside matmul_forward's proven |bias| ≤ 1000: the first AdamW step (lr 1e-2,
 * no decay: it moves every weight by lr·sign(grad)) takes some past 1000, and
 * step 1's forward must stop, naming the kernel, the input and the bound,
 * while step 1's checkpoint (written from in-domain inputs) stays. */
START_TEST(test_leaving_the_domain_stops_the_run)
{
    lnf_error err = {{0}};
    gpt2 m;
    ck_assert_msg(checkpoint_load(&m, "golden/model/real/model", &err) == 0, "%s", err.msg);
    float *bias = m.p.layer[1].attprojb;
    for (int c = 0; c < m.cfg.n_embd; c++) {
        bias[c] = c % 2 ? 999.995f : -999.995f;
    }
    const char *edge = strdup(tmp("edge_model"));
    ck_assert_msg(checkpoint_save(&m, edge, &err) == 0, "%s", err.msg);
    gpt2_free(&m);

    train_options o = tiny_run(tmp("edge"));
    o.model_dir = edge;
    o.ckpt_every = 1;
    o.warmup = 0;
    o.optim.adam.lr = o.min_lr = 1e-2f;
    o.optim.adam.weight_decay = 0.0f;
    train_result res;
    ck_assert_int_eq(train_run(&o, &res, &err), -1);
    ck_assert_msg(strstr(err.msg, "step 1: left the proven domain: matmul_forward's bias in layer "
                                  "1 has the value ") != NULL &&
                      strstr(err.msg, ", outside ±1000, the bound") != NULL &&
                      strstr(err.msg, "the last good checkpoint in") != NULL,
                  "%s", err.msg);
    ck_assert_int_eq(res.steps_done, 1);
    /* the kept checkpoint loads (every tensor finite), and its step's metrics
     * line shows matmul_forward's bias as its input nearest the bound */
    ck_assert_msg(checkpoint_load(&m, gu_fmt("%s/model", o.out_dir), &err) == 0, "%s", err.msg);
    gpt2_free(&m);
    json_t *line = metrics_at(o.out_dir, 0);
    json_t *mm = json_object_get(json_object_get(line, "domain"), "matmul_forward");
    ck_assert_str_eq(json_string_value(json_object_get(mm, "input")), "bias");
    ck_assert_float_eq((float)json_number_value(json_object_get(mm, "max")), 999.995f);
    ck_assert_double_eq(json_number_value(json_object_get(mm, "bound")), 1000.0);
    json_decref(line);
    free((char *)edge);
    free_run(&o);
}
END_TEST

/* Bytes in the file, -1 when it does not exist. */
static long file_size(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 ? (long)st.st_size : -1;
}

START_TEST(test_sigkill_never_damages_a_checkpoint)
{
    train_options o = tiny_run(tmp("killed"));
    o.ckpt_every = 1;
    o.steps = 100000;
    int loaded = 0;
    for (int round = 0; round < 12; round++) {
        pid_t pid = fork();
        ck_assert_int_ge(pid, 0);
        if (pid == 0) {
            train_result res;
            lnf_error err;
            o.resume = round > 0 && access(gu_fmt("%s/model", o.out_dir), F_OK) == 0;
            if (train_run(&o, &res, &err) != 0) {
                fprintf(stderr, "round %d: %s\n", round, err.msg);
                _exit(3);
            }
            _exit(0);
        }
        /* Wait until the child has logged a step of its own (a step's checkpoint is
         * written right after its line), then 0..33 ms more: the kill lands anywhere in a checkpoint
         * write or a step, however loaded the machine is. Opening the log truncates it (a fresh
         * run) or drops the steps after the checkpoint (a resume), so only growth past the size
         * it had before counts: a mere change would fire before the child's first step. */
        char metrics[512];
        snprintf(metrics, sizeof metrics, "%s/metrics.jsonl", o.out_dir);
        long start = file_size(metrics);
        for (int waited = 0; file_size(metrics) <= (start > 0 ? start : 0) && waited < 60000;
             waited += 2) {
            struct timespec poll = {.tv_sec = 0, .tv_nsec = 2000000L};
            nanosleep(&poll, NULL);
        }
        struct timespec d = {.tv_sec = 0, .tv_nsec = 3000000L * round};
        nanosleep(&d, NULL);
        kill(pid, SIGKILL);
        int status;
        waitpid(pid, &status, 0);
        ck_assert_msg(WIFSIGNALED(status), "round %d: the run ended before the kill", round);
        lnf_error err;
        char dir[512];
        snprintf(dir, sizeof dir, "%s/model", o.out_dir);
        ck_assert_msg(fs_dir_recover(dir, &err) == 0, "%s", err.msg);
        if (access(dir, F_OK) != 0) {
            continue; /* killed before the first checkpoint */
        }
        gpt2 m;
        ck_assert_msg(checkpoint_load(&m, dir, &err) == 0, "round %d: %s", round, err.msg);
        gpt2_free(&m);
        loaded++;
    }
    ck_assert_int_ge(loaded, 8);
    free_run(&o);
}
END_TEST

int main(void)
{
    snprintf(tmpdir, sizeof tmpdir, "/tmp/lnfree_test_train_XXXXXX");
    if (mkdtemp(tmpdir) == NULL) {
        perror("mkdtemp");
        return 1;
    }
    Suite *s = suite_create("train");
    TCase *tc = tcase_create("train");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_resume_is_bit_exact);
    tcase_add_test(tc, test_schedule_must_fit_the_budget);
    tcase_add_test(tc, test_plot_reads_long_metrics_lines);
    tcase_add_test(tc, test_settings_outside_the_proven_domain_are_refused);
    tcase_add_test(tc, test_leaving_the_domain_stops_the_run);
    tcase_add_test(tc, test_sigkill_never_damages_a_checkpoint);
    suite_add_tcase(s, tc);
    /* its own case, so that CTest can run it again under other OpenBLAS kernels */
    TCase *threads = tcase_create("threads");
    tcase_set_timeout(threads, 120);
    tcase_add_test(threads, test_thread_count_changes_nothing);
    suite_add_tcase(s, threads);
    if (write_tokens(tmp("data"), 4000) != 0 || write_gpt2_tokens(tmp("data50k"), 4000) != 0) {
        return 1;
    }
    return gu_run(s);
}
