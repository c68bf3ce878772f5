/* lnfree reproduce: re-runs what a checkpoint's or an export's
 * provenance.json records and says whether every output comes out
 * bit-identical (train/provenance.h). */
#define _POSIX_C_SOURCE 200809L
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "apps/publish.h"
#include "base/blas_env.h"
#include "base/path.h"
#include "cli/commands.h"
#include "train/provenance.h"
#include "train/settings.h"
#include "train/train.h"

static void usage(FILE *out)
{
    fprintf(out,
            "usage: lnfree reproduce DIR --out NEW [--model DIR] [--data PATH] [--val PATH]\n"
            "                        [--schedule FILE] [--tokenizer DIR] [--eval TOKENS]\n"
            "\n"
            "DIR is a checkpoint (OUT/model of a train or remove-ln run) or an export.\n"
            "Checks that every input recorded in DIR/provenance.json still has its\n"
            "sha256 (refusing to run otherwise), runs the recorded settings again into\n"
            "NEW (a training run into NEW/model; an export's training, then the export\n"
            "into NEW/export), and compares the sha256 of every output file with the\n"
            "record. Exit 0 when all are bit-identical, 1 when any differs.\n"
            "The options give the inputs' new locations when they have moved. The\n"
            "recorded OpenBLAS core type is used when OPENBLAS_CORETYPE is unset.\n");
}

/* Where the inputs are now (NULL: where the record says). */
typedef struct {
    const char *model, *data, *val, *schedule, *tokenizer, *eval;
} input_paths;

static const char *input_path(const json_t *inputs, const char *name, const char *given)
{
    if (given != NULL) {
        return given;
    }
    return json_string_value(json_object_get(json_object_get(inputs, name), "absolute"));
}

/* Fails, naming the input, unless every recorded input hashes as recorded. */
static int check_inputs(const json_t *prov, const input_paths *at, lnf_error *err)
{
    static const char *const names[] = {"model", "train_data", "val_data", "schedule",
                                        "tokenizer", "eval_data"};
    const char *given[] = {at->model, at->data, at->val != NULL ? at->val : at->data,
                           at->schedule, at->tokenizer, at->eval};
    json_t *inputs = json_object_get(prov, "inputs");
    json_t *settings = json_object_get(prov, "settings");
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        json_t *in = json_object_get(inputs, names[i]);
        /* val_data read from the data directory's val split moves with --data */
        const char *path = i == 2 && json_is_null(json_object_get(settings, "val")) ? given[1]
                                                                                     : given[i];
        if (in != NULL && prov_check_input(in, input_path(inputs, names[i], path), names[i],
                                           err) != 0) {
            return -1;
        }
    }
    return 0;
}

/* A run whose settings changed at a resume cannot be re-run from them. */
static int check_resumes(const json_t *prov, lnf_error *err)
{
    size_t i;
    json_t *r;
    json_array_foreach(json_object_get(prov, "resumes"), i, r) {
        json_t *changed = json_object_get(r, "settings_changed");
        if (json_object_size(changed) > 0) {
            const char *key = json_object_iter_key(json_object_iter(changed));
            return lnf_fail(err, "the run was resumed at step %lld with setting '%s' changed: "
                            "its settings do not describe it, so it cannot be re-run",
                            (long long)json_integer_value(json_object_get(r, "at_step")), key);
        }
    }
    return 0;
}

/* The recorded training again, into out. */
static int rerun_training(const json_t *prov, const input_paths *at, const char *out,
                          const dist_ctx *dist, lnf_error *err)
{
    train_options o;
    train_settings_store st;
    json_t *inputs = json_object_get(prov, "inputs");
    if (train_settings_parse(json_object_get(prov, "settings"), &o, &st, "provenance.json",
                             err) != 0) {
        train_settings_free(&st);
        return -1;
    }
    if (o.model_dir != NULL) {
        o.model_dir = input_path(inputs, "model", at->model);
    }
    o.data_dir = input_path(inputs, "train_data", at->data);
    if (o.val_path != NULL) {
        o.val_path = input_path(inputs, "val_data", at->val);
    }
    if (json_object_get(inputs, "schedule") != NULL) {
        o.schedule = input_path(inputs, "schedule", at->schedule);
    }
    int steps_done = (int)json_integer_value(json_object_get(prov, "steps_done"));
    o.stop_at = steps_done < o.steps ? steps_done : 0;
    o.out_dir = out;
    o.dist = dist;
    o.command = json_string_value(json_object_get(prov, "command"));
    o.origin = json_object_get(prov, "origin");
    if (isatty(STDERR_FILENO) && dist->rank == 0) {
        o.progress = progress_line;
    }
    train_result res;
    int rc = train_run(&o, &res, err);
    if (o.progress != NULL) {
        fputc('\n', stderr);
    }
    train_settings_free(&st);
    return rc;
}

/* Compares the recorded outputs with dir's; prints one line per file. */
static int compare_outputs(const json_t *want, const char *dir, const char *label, int *files,
                           lnf_error *err)
{
    json_t *got = prov_read(dir, err);
    if (got == NULL) {
        return -1;
    }
    int differ = 0;
    const char *name;
    json_t *sha;
    json_object_foreach(json_object_get(want, "outputs"), name, sha) {
        json_t *now = json_object_get(json_object_get(got, "outputs"), name);
        int same = json_equal(sha, now);
        printf("  %-8s %-28s %s\n", label, name,
               same ? "identical" : now == NULL ? "MISSING" : "DIFFERS");
        differ |= !same;
        ++*files;
    }
    json_object_foreach(json_object_get(got, "outputs"), name, sha) {
        if (json_object_get(json_object_get(want, "outputs"), name) == NULL) {
            printf("  %-8s %-28s NEW (not in the record)\n", label, name);
            differ = 1;
        }
    }
    json_decref(got);
    return differ;
}

/* What differs between the recorded build and machine and this one. */
static void print_environment_differences(const json_t *was)
{
    json_t *now = prov_environment(1);
    static const char *const keys[] = {"lnfree_version", "git_commit", "git_dirty", "build",
                                       "matmul", "openblas_core", "cpu"};
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
        json_t *a = json_object_get(was, keys[i]), *b = json_object_get(now, keys[i]);
        if (!json_equal(a, b)) {
            char *ta = a != NULL ? json_dumps(a, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
            char *tb = b != NULL ? json_dumps(b, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
            printf("  environment %s: recorded %s, here %s\n", keys[i], ta ? ta : "-",
                   tb ? tb : "-");
            free(ta);
            free(tb);
        }
    }
    json_decref(now);
}

/* Runs again with the recorded OpenBLAS core type when none is set. Under
 * MPI the job cannot re-execute itself: the user is told what to set. */
static int use_recorded_core(const json_t *env, char **argv, const dist_ctx *dist, lnf_error *err)
{
    const char *want = json_string_value(json_object_get(env, "openblas_core"));
    const char *used = blas_core_in_use();
    if (want == NULL || used == NULL || strcmp(want, used) == 0 || getenv("OPENBLAS_CORETYPE")) {
        return 0;
    }
    if (dist->mpi) {
        return lnf_fail(err, "the record was made with OpenBLAS core %s, this job runs %s: "
                        "run it with OPENBLAS_CORETYPE=%s (mpirun -x OPENBLAS_CORETYPE=%s)",
                        want, used, want, want);
    }
    setenv("OPENBLAS_CORETYPE", want, 1);
    execv("/proc/self/exe", argv - 1); /* argv[-1] is the program: main passes argv + 1 */
    return 0; /* exec failed: go on with this core, and say so in the comparison */
}

static int reproduce(const char *dir, const char *out, const input_paths *at, char **argv,
                     const dist_ctx *dist, lnf_error *err)
{
    json_t *prov = prov_read(dir, err);
    if (prov == NULL) {
        return -1;
    }
    const char *command = json_string_value(json_object_get(prov, "command"));
    int is_export = command != NULL && strcmp(command, "export") == 0;
    json_t *train = is_export ? json_object_get(prov, "source") : prov;
    lnf_path model_dir, export_dir;
    int rc = path_join(&model_dir, out, "model", err) != 0 ||
                     path_join(&export_dir, out, "export", err) != 0 ||
                     use_recorded_core(json_object_get(train != NULL ? train : prov, "environment"),
                                       argv, dist, err) != 0 ||
                     (train != NULL && (check_resumes(train, err) != 0 ||
                                        check_inputs(train, at, err) != 0)) ||
                     (is_export && train == NULL && check_inputs(prov, at, err) != 0)
                 ? -1
                 : 0;
    if (rc == 0 && train != NULL) {
        rc = rerun_training(train, at, out, dist, err);
    }
    int files = 0, differ = 0;
    if (rc == 0 && dist->rank == 0) {
        printf("lnfree reproduce: %s\n", dir);
        if (train != NULL) {
            rc = compare_outputs(train, model_dir.s, "model", &files, err);
            differ |= rc > 0;
        }
    }
    if (rc >= 0 && is_export && dist->rank == 0) {
        json_t *s = json_object_get(prov, "settings");
        json_t *inputs = json_object_get(prov, "inputs");
        publish_request q = {
            .model_dir = train != NULL ? model_dir.s : input_path(inputs, "model", at->model),
            .format = json_string_value(json_object_get(s, "format")),
            .out_dir = export_dir.s,
            .tokenizer_dir = json_object_get(inputs, "tokenizer") != NULL
                                 ? input_path(inputs, "tokenizer", at->tokenizer)
                                 : NULL,
            .eval_path = json_is_string(json_object_get(s, "eval"))
                             ? input_path(inputs, "eval_data", at->eval)
                             : NULL,
            .eval_seq_len = (int)json_integer_value(json_object_get(s, "eval_seq_len")),
            .eval_tokens = (long long)json_integer_value(json_object_get(s, "eval_tokens"))};
        if (q.format == NULL) {
            rc = lnf_fail(err, "%s/provenance.json: the export has no format", dir);
        } else {
            rc = publish_export(&q, err) != 0
                     ? -1
                     : compare_outputs(prov, export_dir.s, "export", &files, err);
            differ |= rc > 0;
        }
    }
    if (rc >= 0 && dist->rank == 0) {
        if (differ) {
            printf("lnfree reproduce: NOT bit-identical (%d files compared); differences in the "
                   "build and machine:\n", files);
            print_environment_differences(
                json_object_get(train != NULL ? train : prov, "environment"));
        } else {
            printf("lnfree reproduce: all %d files bit-identical\n", files);
        }
    }
    json_decref(prov);
    return rc < 0 ? -1 : differ;
}

int cmd_reproduce(int argc, char **argv, const dist_ctx *dist)
{
    static const struct option opts[] = {
        {"out", required_argument, 0, 'o'},      {"model", required_argument, 0, 'm'},
        {"data", required_argument, 0, 'd'},     {"val", required_argument, 0, 'v'},
        {"schedule", required_argument, 0, 's'}, {"tokenizer", required_argument, 0, 't'},
        {"eval", required_argument, 0, 'e'},     {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0}};
    input_paths at = {0};
    const char *out = NULL;
    int c;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'o': out = optarg; break;
        case 'm': at.model = optarg; break;
        case 'd': at.data = optarg; break;
        case 'v': at.val = optarg; break;
        case 's': at.schedule = optarg; break;
        case 't': at.tokenizer = optarg; break;
        case 'e': at.eval = optarg; break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (out == NULL || optind != argc - 1) {
        usage(stderr);
        return 2;
    }
    lnf_error err;
    int rc = reproduce(argv[optind], out, &at, argv, dist, &err);
    if (rc < 0) {
        if (dist->size > 1) {
            fprintf(stderr, "lnfree reproduce: rank %d of %d: %s\n", dist->rank, dist->size,
                    err.msg);
            dist_abort(dist, 1);
        }
        fprintf(stderr, "lnfree reproduce: %s: %s\n", argv[optind], err.msg);
        return 1;
    }
    return rc;
}
