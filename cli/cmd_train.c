/* lnfree train and lnfree remove-ln: the training loop, without and with the
 * LN-removal schedule (see train/train.h). */
#define _POSIX_C_SOURCE 200809L
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "cli/args.h"
#include "cli/commands.h"
#include "base/path.h"
#include "schedule/recipe.h"
#include "train/plan.h"
#include "train/train.h"
#include "train/train_recipe.h"

static void usage(FILE *out, const char *cmd, int removal)
{
    fprintf(out,
            "usage: lnfree %s (--model DIR | --init CONFIG) --data DIR --out DIR [options]\n"
            "       lnfree remove-ln --recipe NAME --model DIR --data DIR --dry-run [--json]\n"
            "\n"
            "%s"
            "DATA is a directory with train.bin and val.bin (nanoGPT, 'lnfree prepare') or\n"
            "llm.c shards (*_train_*.bin, *_val_*.bin), or a token file. Writes OUT/model\n"
            "(the latest checkpoint, a model directory), OUT/metrics.jsonl (one JSON line per\n"
            "step) and OUT/loss.svg.\n"
            "\n"
            "  --model DIR          start from this model directory\n"
            "  --init CONFIG        start from a random init of a preset or config.json\n"
            "  --seed S             init seed (1337)\n"
            "  --batch B            micro-batch size (8)\n"
            "  --seq-len T          sequence length (128)\n"
            "  --grad-accum N       micro-batches per optimizer step (1)\n"
            "  --steps N            optimizer steps (1000)\n"
            "  --lr LR              peak learning rate (6e-4)\n"
            "  --min-lr LR          final learning rate of the cosine decay (6e-5)\n"
            "  --warmup N           linear warmup steps (100)\n"
            "  --weight-decay WD    on tensors with >= 2 dims (0.1)\n"
            "  --clip NORM          global gradient-norm clip (1.0)\n"
            "  --val-every N        validate every N steps (100)\n"
            "  --val-batches N      validation batches, a fixed prefix of val.bin (8)\n"
            "  --ckpt-every N       checkpoint every N steps (500)\n"
            "  --resume             continue the run in OUT/model bit for bit\n"
            "  --stop-at N          stop after step N with a checkpoint (resume later)\n"
            "  --data-order ORDER   random (B windows per micro-batch drawn from the seed,\n"
            "                       the step and the micro-batch) or sequential (random)\n"
            "  --data-start N       sequential order: read the training tokens from token N (0)\n"
            "  --val PATH           validation tokens (a file or directory; default: DATA's\n"
            "                       val split)\n"
            "%s",
            cmd,
            removal ? "Fine-tunes while removing every LayerNorm on a schedule: σ is calibrated\n"
                      "before the first step, tracked while each site is real, and frozen at\n"
                      "its switch; the EOT and BOS special cases end at their events.\n"
                    : "Trains GPT-2 with every LayerNorm kept.\n",
            removal ? "  --recipe NAME        a paper's run: every setting it fixes (flags given as\n"
                      "                       well override it; the run records them). NAME is one\n"
                      "                       of: heimersheim-gpt2, baroni-gpt2, baroni-gpt2-medium,\n"
                      "                       baroni-gpt2-large, baroni-gpt2-xl. --steps scales its\n"
                      "                       schedule and warmup with it\n"
                      "  --dry-run            print the plan (steps, tokens, micro-batches per rank,\n"
                      "                       schedule, LR, memory per rank, one measured step) and\n"
                      "                       train nothing; --json for JSON; --ranks N plans for N\n"
                      "                       ranks (default: this job's); --no-measure skips\n"
                      "                       the measured step\n"
                      "  --sigma-momentum M   σ's moving-average momentum per micro-batch (0.9)\n"
                      "  --schedule S         paper | fast | none (the LN-kept control) | FILE\n"
                      "                       of 'STEP freeze ln2|ln1qk|ln1v LAYER', 'STEP freeze\n"
                      "                       lnf', 'STEP end eot-special|bos-special' (paper)\n"
                      "  --schedule-span N    steps the paper preset is scaled to (--steps);\n"
                      "                       fewer leaves steps to recover after the last removal\n"
                      "  --aux-weight W       auxiliary σ-variance loss at lnf's input (0)\n"
                      "  --eot-sites LIST     site kinds with the EOT special σ (ln1v)\n"
                      "  --calib-batches N    σ calibration forwards before step 0 (8)\n"
                    : "");
}

void progress_line(const train_progress *p, void *ctx)
{
    (void)ctx;
    char val[16] = "-";
    if (!isnan(p->val_loss)) {
        snprintf(val, sizeof val, "%.4f", (double)p->val_loss);
    }
    fprintf(stderr, "\rstep %d/%d  loss %.4f  val %s  %.0f tok/s  ETA %dm%02ds   ", p->step,
            p->steps, (double)p->loss, val, p->tokens_per_s, (int)p->eta_s / 60,
            (int)p->eta_s % 60);
}

/* The end of a run: the summary line (rank 0), or the error; under MPI one
 * rank's failure ends the job, since the others would wait for it forever. */
int report_training(const char *cmd, int rc, const train_result *res, const char *out_dir,
                    const lnf_error *err, const dist_ctx *dist)
{
    if (rc != 0 && dist->size > 1) {
        fprintf(stderr, "lnfree %s: rank %d of %d: %s\n", cmd, dist->rank, dist->size, err->msg);
        dist_abort(dist, 1);
    }
    if (rc != 0) {
        fprintf(stderr, "lnfree %s: %s\n", cmd, err->msg);
        return 1;
    }
    if (dist->rank == 0) {
        printf("lnfree %s: %d steps, %lld tokens in %.1f s; train loss %.4f, val loss %.4f; model "
               "in %s/model\n", cmd, res->steps_done, res->tokens, res->seconds,
               (double)res->final_train_loss, (double)res->final_val_loss, out_dir);
    }
    return 0;
}

/* A command line, parsed: the options and what the provenance records of it. */
typedef struct {
    train_options o;
    gpt2_config init;
    int eot_kind[SITE_KINDS];
    const recipe *recipe;
    recipe_given given;
    int dry_run, json, ranks, no_measure;
    json_t *flags;     /* every flag given: name → text */
} command_line;

/* The flags that change a setting a recipe fixes: recorded as overrides. */
static int overrides_recipe(const char *flag)
{
    static const char *const fixed[] = {"seq-len", "grad-accum", "steps", "lr", "min-lr",
                                        "warmup", "weight-decay", "clip", "aux-weight",
                                        "eot-sites", "schedule", "schedule-span",
                                        "sigma-momentum"};
    for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++) {
        if (strcmp(flag, fixed[i]) == 0) {
            return 1;
        }
    }
    return 0;
}

static const struct option opts[] = {
    {"model", required_argument, 0, 'm'},        {"init", required_argument, 0, 'i'},
    {"seed", required_argument, 0, 'S'},         {"data", required_argument, 0, 'd'},
    {"out", required_argument, 0, 'o'},          {"batch", required_argument, 0, 'B'},
    {"seq-len", required_argument, 0, 'T'},      {"grad-accum", required_argument, 0, 'a'},
    {"steps", required_argument, 0, 'n'},        {"lr", required_argument, 0, 'l'},
    {"min-lr", required_argument, 0, 'L'},       {"warmup", required_argument, 0, 'w'},
    {"weight-decay", required_argument, 0, 'W'}, {"clip", required_argument, 0, 'c'},
    {"val-every", required_argument, 0, 'v'},    {"val-batches", required_argument, 0, 'V'},
    {"ckpt-every", required_argument, 0, 'k'},   {"resume", no_argument, 0, 'r'},
    {"stop-at", required_argument, 0, 'z'},      {"data-start", required_argument, 0, 'D'},
    {"data-order", required_argument, 0, 'O'},   {"val", required_argument, 0, 'X'},
    {"schedule", required_argument, 0, 's'},     {"aux-weight", required_argument, 0, 'x'},
    {"eot-sites", required_argument, 0, 'e'},    {"schedule-span", required_argument, 0, 'P'},
    {"calib-batches", required_argument, 0, 'C'}, {"recipe", required_argument, 0, 'R'},
    {"sigma-momentum", required_argument, 0, 'M'}, {"dry-run", no_argument, 0, 'Y'},
    {"json", no_argument, 0, 'J'},               {"ranks", required_argument, 0, 'N'},
    {"no-measure", no_argument, 0, 'Q'},
    {"help", no_argument, 0, 'h'},               {0, 0, 0, 0}};

/* One option into cl; 0, 1 (bad value: message printed), or 2 (not an option here). */
static int take_option(command_line *cl, const char *cmd, int removal, int c, const char *arg)
{
    train_options *o = &cl->o;
    if (strchr("sxeCPRMYNQ", c) != NULL && !removal) {
        return 2;
    }
    int bad = 0;
    switch (c) {
    case 'm': o->model_dir = arg; break;
    case 'i':
        bad = arg_model_config(cmd, "init", arg, &cl->init);
        o->init = &cl->init;
        break;
    case 'S': bad = arg_u64(cmd, "seed", arg, &o->seed); break;
    case 'd': o->data_dir = arg; break;
    case 'o': o->out_dir = arg; break;
    case 'B': bad = arg_int(cmd, "batch", arg, 1, &o->B); break;
    case 'T': bad = arg_int(cmd, "seq-len", arg, 1, &o->T); break;
    case 'a':
        bad = arg_int(cmd, "grad-accum", arg, 1, &o->grad_accum);
        cl->given.grad_accum = 1;
        break;
    case 'n': bad = arg_int(cmd, "steps", arg, 1, &o->steps); break;
    case 'l': bad = arg_float(cmd, "lr", arg, &o->optim.adam.lr); break;
    case 'L': bad = arg_float(cmd, "min-lr", arg, &o->min_lr); break;
    case 'w':
        bad = arg_int(cmd, "warmup", arg, 0, &o->warmup);
        cl->given.warmup = 1;
        break;
    case 'W': bad = arg_float(cmd, "weight-decay", arg, &o->optim.adam.weight_decay); break;
    case 'c': bad = arg_float(cmd, "clip", arg, &o->optim.clip); break;
    case 'v': bad = arg_int(cmd, "val-every", arg, 1, &o->val_every); break;
    case 'V': bad = arg_int(cmd, "val-batches", arg, 1, &o->val_batches); break;
    case 'k': bad = arg_int(cmd, "ckpt-every", arg, 1, &o->ckpt_every); break;
    case 'r': o->resume = 1; break;
    case 'z': bad = arg_int(cmd, "stop-at", arg, 1, &o->stop_at); break;
    case 'D': {
        uint64_t n;
        bad = arg_u64(cmd, "data-start", arg, &n);
        o->data_start = (long long)n;
        break;
    }
    case 'O':
        if (strcmp(arg, "random") == 0 || strcmp(arg, "sequential") == 0) {
            o->order = strcmp(arg, "random") == 0 ? TRAIN_RANDOM : TRAIN_SEQUENTIAL;
        } else {
            fprintf(stderr, "lnfree %s: --data-order: '%s' is not random or sequential\n", cmd,
                    arg);
            bad = 1;
        }
        break;
    case 'X': o->val_path = arg; break;
    case 's':
        o->schedule = arg;
        o->schedule_plan = NULL; /* a schedule of its own replaces the recipe's */
        break;
    case 'x': bad = arg_float(cmd, "aux-weight", arg, &o->aux_weight); break;
    case 'e':
        bad = arg_site_kinds(cmd, "eot-sites", arg, cl->eot_kind);
        o->eot_kind = cl->eot_kind;
        break;
    case 'P': bad = arg_int(cmd, "schedule-span", arg, 1, &o->schedule_span); break;
    case 'C': bad = arg_int(cmd, "calib-batches", arg, 1, &o->calib_batches); break;
    case 'M': {
        float m;
        bad = arg_float(cmd, "sigma-momentum", arg, &m);
        if (!bad && !(m > 0 && m < 1)) {
            fprintf(stderr, "lnfree %s: --sigma-momentum: %s is not in (0, 1)\n", cmd, arg);
            bad = 1;
        }
        o->sigma_momentum = m;
        cl->given.sigma_momentum = 1;
        break;
    }
    case 'Y': cl->dry_run = 1; break;
    case 'J': cl->json = 1; break;
    case 'Q': cl->no_measure = 1; break;
    case 'N': bad = arg_int(cmd, "ranks", arg, 1, &cl->ranks); break;
    case 'R': break; /* the first pass took it */
    default: return 2;
    }
    return bad ? 1 : 0;
}

/* argv into cl: the recipe first (a first pass finds it), then every flag
 * over it. Returns 0, or the exit code (usage printed). */
static int parse_command_line(int argc, char **argv, int removal, command_line *cl)
{
    const char *cmd = removal ? "remove-ln" : "train";
    memset(cl, 0, sizeof *cl);
    cl->o = train_defaults();
    if (removal) {
        cl->o.schedule = "paper";
    }
    opterr = 0;
    int c;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        if (c == 'R' && removal && (cl->recipe = recipe_find(optarg)) == NULL) {
            fprintf(stderr, "lnfree %s: --recipe: no recipe '%s' (recipes: %s)\n", cmd, optarg,
                    recipe_names());
            return 2;
        }
    }
    if (cl->recipe != NULL) {
        recipe_apply(cl->recipe, &cl->o, cl->eot_kind);
    }
    optind = 0; /* GNU getopt: start again */
    opterr = 1;
    cl->flags = json_object();
    int bad = 0, index;
    while ((c = getopt_long(argc, argv, "", opts, &index)) != -1) {
        if (c == 'h') {
            usage(stdout, cmd, removal);
            return -1;
        }
        int rc = c == '?' ? 2 : take_option(cl, cmd, removal, c, optarg);
        if (rc == 2) {
            usage(stderr, cmd, removal);
            return 2;
        }
        bad |= rc;
        json_object_set_new(cl->flags, opts[index].name,
                            optarg != NULL ? json_string(optarg) : json_true());
    }
    if (bad) {
        return 2;
    }
    int have_start = cl->o.model_dir != NULL || cl->o.init != NULL;
    if (optind != argc || (cl->o.model_dir != NULL && cl->o.init != NULL) ||
        (cl->dry_run ? !have_start
                     : cl->o.data_dir == NULL || cl->o.out_dir == NULL ||
                           (!cl->o.resume && !have_start))) {
        fprintf(stderr, "lnfree %s: needs --data, --out and one of --model or --init "
                        "(or --resume); --dry-run needs only --model or --init\n", cmd);
        return 2;
    }
    if ((cl->json || cl->ranks || cl->no_measure) && !cl->dry_run) {
        fprintf(stderr, "lnfree %s: --json, --ranks and --no-measure go with --dry-run\n", cmd);
        return 2;
    }
    return 0;
}

/* What provenance.json records of the command line (takes derived). */
static json_t *origin_json(const command_line *cl, const char *cmd, json_t *derived)
{
    json_t *overrides = json_object();
    const char *flag;
    json_t *v;
    json_object_foreach(cl->flags, flag, v) {
        if (cl->recipe != NULL && overrides_recipe(flag)) {
            json_object_set(overrides, flag, v);
        }
    }
    return json_pack("{s:s, s:s?, s:s?, s:O, s:o, s:o}", "command", cmd, "recipe",
                     cl->recipe != NULL ? cl->recipe->name : NULL, "recipe_source",
                     cl->recipe != NULL ? cl->recipe->source : NULL, "flags", cl->flags,
                     "overrides", overrides, "derived", derived);
}

/* The model config the run starts from (dry run: no weights are read). */
static int run_config(const train_options *o, gpt2_config *cfg, lnf_error *err)
{
    if (o->init != NULL) {
        *cfg = *o->init;
        return 0;
    }
    lnf_path path;
    return path_join(&path, o->model_dir, "config.json", err) != 0 ? -1
                                                                   : config_load(cfg, path.s, err);
}

static void print_plan(const json_t *p, const command_line *cl)
{
    const recipe *r = cl->recipe;
    json_t *b = json_object_get(p, "batch"), *lr = json_object_get(p, "lr");
    json_t *mem = json_object_get(p, "memory_per_rank"), *t = json_object_get(p, "time_on_this_machine");
    json_t *ev = json_object_get(p, "schedule");
#define I(o, k) (long long)json_integer_value(json_object_get(o, k))
#define F(o, k) json_number_value(json_object_get(o, k))
    if (r != NULL) {
        printf("recipe               %s: %s, from %s (%d layers)\n", r->name, r->paper,
               r->base_model, r->n_layer);
    }
    printf("model                %lld parameters\n", I(p, "parameters"));
    printf("steps                %lld\n", I(p, "steps"));
    printf("tokens per step      %lld = B %lld x T %lld x %lld micro-batches\n",
           I(p, "tokens_per_step"), I(b, "micro_batch"), I(b, "seq_len"), I(b, "grad_accum"));
    printf("total tokens         %lld\n", I(p, "total_tokens"));
    printf("ranks                %lld, each %lld micro-batches per step\n", I(b, "ranks"),
           I(b, "micro_batches_per_rank"));
    printf("learning rate        peak %g, %lld warmup steps, cosine decay to %g\n", F(lr, "peak"),
           I(lr, "warmup"), F(lr, "min"));
    printf("AdamW                beta (%g, %g), eps %g, weight decay %g, clip %g\n",
           (double)cl->o.optim.adam.beta1, (double)cl->o.optim.adam.beta2,
           (double)cl->o.optim.adam.eps, (double)cl->o.optim.adam.weight_decay,
           (double)cl->o.optim.clip);
    printf("aux loss weight      %g\n", F(p, "aux_weight"));
    printf("sigma momentum       %g per micro-batch%s\n", F(p, "sigma_momentum"),
           json_is_true(json_object_get(p, "sigma_pooled"))
               ? "; pooled: one sigma per site over every token, no BOS/EOT special cases"
               : "; separate sigma for position 0 and EOT tokens until their events");
    printf("schedule             %zu events\n", json_array_size(ev));
    size_t i;
    json_t *e;
    json_array_foreach(ev, i, e) {
        printf("  step %5lld  %s\n", I(e, "step"), json_string_value(json_object_get(e, "event")));
    }
    printf("memory per rank      %.2f GiB: parameters %.2f, gradients %.2f, AdamW %.2f, "
           "accumulator %.2f, activations %.2f\n", F(mem, "total_gib"), F(mem, "params_gib"),
           F(mem, "grads_gib"), F(mem, "optimizer_gib"), F(mem, "accumulator_gib"),
           F(mem, "activations_gib"));
    printf("this machine         %.1f GiB available: %s\n", F(mem, "available_gib"),
           json_is_true(json_object_get(mem, "fits")) ? "fits" : "DOES NOT FIT");
    if (json_object_get(t, "step_s") != NULL) {
        printf("time                 one micro-batch %.2f s, update %.2f s: %.1f s per step, "
               "%.1f h for the run (%.0f tokens/s), measured here\n", F(t, "micro_batch_s"),
               F(t, "update_s"), F(t, "step_s"), F(t, "total_h"), F(t, "tokens_per_s"));
    } else {
        printf("time                 not measured%s\n",
               json_is_true(json_object_get(mem, "fits")) ? " (--no-measure)" : ": it does not fit");
    }
#undef I
#undef F
}

/* --dry-run: the plan of the run, with one measured micro-batch and update. */
static int dry_run(const command_line *cl, const char *cmd, const dist_ctx *dist, json_t *origin)
{
    gpt2_config cfg;
    lnf_error err;
    train_plan plan;
    int ranks = cl->ranks > 0 ? cl->ranks : dist->size;
    if (run_config(&cl->o, &cfg, &err) != 0) {
        fprintf(stderr, "lnfree %s: %s\n", cmd, err.msg);
        return 1;
    }
    if (cl->o.grad_accum % ranks != 0) {
        fprintf(stderr, "lnfree %s: %d micro-batches per step do not split over %d ranks\n", cmd,
                cl->o.grad_accum, ranks);
        return 1;
    }
    train_plan_make(&cl->o, &cfg, ranks, &plan);
    json_t *p = NULL;
    if ((!cl->no_measure && train_plan_measure(&cl->o, &cfg, &plan, &err) != 0) ||
        (p = train_plan_json(&cl->o, &cfg, &plan, &err)) == NULL) {
        fprintf(stderr, "lnfree %s: %s\n", cmd, err.msg);
        return 1;
    }
    if (dist->rank == 0) {
        if (cl->json) {
            json_object_set(p, "origin", origin);
            char *text = json_dumps(p, JSON_INDENT(2) | JSON_SORT_KEYS | JSON_REAL_PRECISION(9));
            printf("%s\n", text);
            free(text);
        } else {
            print_plan(p, cl);
        }
    }
    json_decref(p);
    return 0;
}

static int run_training(int argc, char **argv, int removal, const dist_ctx *dist)
{
    const char *cmd = removal ? "remove-ln" : "train";
    command_line cl;
    int rc = parse_command_line(argc, argv, removal, &cl);
    if (rc != 0) {
        json_decref(cl.flags);
        return rc < 0 ? 0 : rc;
    }
    train_options *o = &cl.o;
    lnf_error err;
    json_t *derived = json_object();
    if (cl.recipe != NULL && recipe_resolve(cl.recipe, o, &cl.given, derived, &err) != 0) {
        fprintf(stderr, "lnfree %s: %s\n", cmd, err.msg);
        json_decref(derived);
        json_decref(cl.flags);
        return 1;
    }
    json_t *origin = origin_json(&cl, cmd, derived);
    if (cl.dry_run) {
        rc = dry_run(&cl, cmd, dist, origin);
        json_decref(origin);
        json_decref(cl.flags);
        return rc;
    }
    if (isatty(STDERR_FILENO) && dist->rank == 0) {
        o->progress = progress_line;
    }
    o->title = removal ? "lnfree remove-ln" : "lnfree train";
    o->dist = dist;
    o->command = cmd;
    o->origin = origin;
    train_result res;
    rc = train_run(o, &res, &err);
    if (o->progress != NULL) {
        fputc('\n', stderr);
    }
    json_decref(origin);
    json_decref(cl.flags);
    return report_training(cmd, rc, &res, o->out_dir, &err, dist);
}

int cmd_train(int argc, char **argv, const dist_ctx *dist) { return run_training(argc, argv, 0, dist); }

int cmd_remove_ln(int argc, char **argv, const dist_ctx *dist)
{
    return run_training(argc, argv, 1, dist);
}
