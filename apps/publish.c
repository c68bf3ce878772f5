#define _POSIX_C_SOURCE 200809L
#include "apps/publish.h"
#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include "base/buf.h"
#include "base/fs.h"
#include "base/jsonio.h"
#include "base/path.h"
#include "data/hf_tokenizer.h"
#include "data/tokenizer.h"
#include "model/checkpoint.h"
#include "model/eval.h"
#include "model/export.h"
#include "train/provenance.h"

/* One row of the card's evaluation table. */
typedef struct {
    char name[160];
    eval_result r;
} eval_row;

static int evaluate(const char *model_dir, const publish_request *q, eval_row *row,
                    const char *name, lnf_error *err)
{
    snprintf(row->name, sizeof row->name, "%s", name);
    return eval_model_dir(model_dir, NULL, q->eval_path, q->eval_seq_len, q->eval_tokens,
                          &row->r, err);
}

/* The source checkpoint's base model directory, if the provenance names one
 * that is still there with the same files. */
static const char *base_model_dir(const json_t *source)
{
    json_t *in = json_object_get(json_object_get(source, "inputs"), "model");
    const char *dir = json_string_value(json_object_get(in, "absolute"));
    lnf_error ignored;
    return dir != NULL && prov_check_input(in, dir, "model", &ignored) == 0 ? dir : NULL;
}

static const char *setting_text(const json_t *settings, const char *key, char *buf, size_t n)
{
    json_t *v = json_object_get(settings, key);
    if (json_is_string(v)) {
        return json_string_value(v);
    }
    if (json_is_integer(v)) {
        snprintf(buf, n, "%lld", (long long)json_integer_value(v));
    } else if (json_is_real(v)) {
        snprintf(buf, n, "%g", json_real_value(v));
    } else {
        snprintf(buf, n, "%s", json_is_true(v) ? "yes" : "-");
    }
    return buf;
}

static void card_training(lnf_buf *b, const json_t *source)
{
    json_t *settings = json_object_get(source, "settings");
    json_t *origin = json_object_get(source, "origin");
    const char *recipe = json_string_value(json_object_get(origin, "recipe"));
    buf_printf(b, "## How it was made\n\n");
    if (source == NULL) {
        buf_printf(b, "The checkpoint carries no provenance.json: its training is not recorded "
                      "here.\n\n");
        return;
    }
    buf_printf(b, "`lnfree %s`%s%s%s, %lld steps done.\n\n",
               json_string_value(json_object_get(source, "command")),
               recipe != NULL ? " with the recipe `" : "", recipe != NULL ? recipe : "",
               recipe != NULL ? "`" : "", (long long)json_integer_value(json_object_get(source, "steps_done")));
    json_t *overrides = json_object_get(origin, "overrides");
    if (json_object_size(overrides) > 0) {
        buf_printf(b, "Flags given over the recipe:");
        const char *k;
        json_t *v;
        json_object_foreach(overrides, k, v) {
            buf_printf(b, " `--%s %s`", k, json_is_string(v) ? json_string_value(v) : "");
        }
        buf_printf(b, ".\n\n");
    }
    static const char *const keys[] = {"batch", "seq_len", "grad_accum", "steps", "lr",
                                       "min_lr", "warmup", "weight_decay", "beta1", "beta2",
                                       "clip", "aux_weight", "schedule", "sigma_momentum",
                                       "sigma_pooled", "data_order", "seed"};
    buf_printf(b, "| setting | value |\n|---|---|\n");
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
        char text[64];
        buf_printf(b, "| %s | %s |\n", keys[i], setting_text(settings, keys[i], text, sizeof text));
    }
    buf_printf(b, "\n| input | file | sha256 |\n|---|---|---|\n");
    const char *name;
    json_t *in;
    json_object_foreach(json_object_get(source, "inputs"), name, in) {
        const char *file;
        json_t *sha;
        json_object_foreach(json_object_get(in, "files"), file, sha) {
            buf_printf(b, "| %s | `%s/%s` | `%s` |\n", name,
                       json_string_value(json_object_get(in, "path")), file,
                       json_string_value(sha));
        }
    }
    buf_printf(b, "\n");
}

static void card_sigma(lnf_buf *b, const gpt2 *m)
{
    buf_printf(b, "## σ of every site\n\nEach former LayerNorm is (x − mean x)/σ ⊙ γ + β with "
                  "this constant σ (ln_1's feeds q, k and v alike).\n\n"
                  "| layer | ln_1 σ | ln_2 σ |\n|---|---|---|\n");
    for (int l = 0; l < m->cfg.n_layer; l++) {
        buf_printf(b, "| %d | %.6g | %.6g |\n", l,
                   (double)m->ln.sites[ln_site_index(&m->ln, l, SITE_LN1QK)].sigma[LN_SCALE_AVG],
                   (double)m->ln.sites[ln_site_index(&m->ln, l, SITE_LN2)].sigma[LN_SCALE_AVG]);
    }
    buf_printf(b, "| ln_f | %.6g | |\n\n",
               (double)m->ln.sites[ln_site_index(&m->ln, 0, SITE_LNF)].sigma[LN_SCALE_AVG]);
}

static int card_write(const char *path, const gpt2 *m, const publish_request *q,
                      const json_t *source, const eval_row *rows, int n_rows, lnf_error *err)
{
    json_t *env = prov_environment(1);
    json_t *base_in = json_object_get(json_object_get(source, "inputs"), "model");
    const char *base = base_in != NULL ? json_string_value(json_object_get(base_in, "path"))
                                       : "a random initialisation";
    lnf_buf b = {0};
    buf_printf(&b, "---\nlibrary_name: %s\ntags:\n- layernorm-free\n- lnfree\n---\n\n",
               strcmp(q->format, "hf") == 0 ? "transformers" : "lnfree");
    buf_printf(&b, "# LN-free GPT-2 (%d layers, %d heads, C = %d)\n\n", m->cfg.n_layer,
               m->cfg.n_head, m->cfg.n_embd);
    buf_printf(&b, "Base model: %s. Every LayerNorm was removed by fine-tuning, one site at a "
                   "time on a schedule, replacing each by a fixed-scale form with σ frozen from "
                   "its moving average (Heimersheim 2024, arXiv 2409.13710; Baroni et al. 2025, "
                   "arXiv 2507.02559). Made by lnfree %s (commit %s%s).\n\n",
               base, json_string_value(json_object_get(env, "lnfree_version")),
               json_string_value(json_object_get(env, "git_commit")),
               json_is_true(json_object_get(env, "git_dirty")) ? ", modified" : "");
    if (strcmp(q->format, "hf") == 0) {
        buf_printf(&b, "## Use\n\n```python\nfrom transformers import AutoTokenizer, "
                       "GPT2LMHeadModel\nmodel = GPT2LMHeadModel.from_pretrained(DIR)\n"
                       "tokenizer = AutoTokenizer.from_pretrained(DIR)\n```\n\n"
                       "The LayerNorm modules are still there but compute no statistics: "
                       "layer_norm_epsilon is 1e12, so √(var + ε) is 1e6 for any input, and each "
                       "LN weight is γ·1e6/σ. Each ln_1 and ln_2 can be replaced by its affine "
                       "map (x − mean x)·γ/σ + β, and the centring folded into the next linear "
                       "map (`lnfree export --format folded` does that).\n\n");
    } else {
        buf_printf(&b, "## Use\n\nThe folded form has no normalisation at all: the centring and "
                       "γ/σ are folded into the linear maps after each former LayerNorm, and the "
                       "unembedding is an untied lm_head with a bias (config.json: "
                       "\"lnfree_folded\": true). It is not a transformers GPT2LMHeadModel; "
                       "`lnfree probe` and `lnfree eval` read it.\n\n");
    }
    card_training(&b, source);
    card_sigma(&b, m);
    buf_printf(&b, "## Evaluation\n\n");
    if (n_rows == 0) {
        buf_printf(&b, "Not evaluated at export (`lnfree export --eval TOKENS`).\n\n");
    } else {
        buf_printf(&b, "Mean cross-entropy on `%s` (%lld tokens, T = %d):\n\n"
                       "| model | nats/token | median | 99.9th percentile |\n|---|---|---|---|\n",
                   q->eval_path, rows[0].r.tokens, rows[0].r.seq_len);
        for (int i = 0; i < n_rows; i++) {
            buf_printf(&b, "| %s | %.4f | %.4f | %.4f |\n", rows[i].name, rows[i].r.mean,
                       rows[i].r.median, rows[i].r.p999);
        }
        buf_printf(&b, "\n");
    }
    buf_printf(&b, "## Provenance\n\n`provenance.json` records the SHA-256 of every input and "
                   "output file, every setting, and the build and machine. `lnfree reproduce "
                   "DIR --out NEW` re-runs it and reports whether every file comes out "
                   "bit-identical.\n");
    json_decref(env);
    int rc = b.data == NULL ? lnf_fail(err, "out of memory for the model card")
                            : fs_write_atomic(path, b.data, b.len, err);
    buf_free(&b);
    return rc;
}

/* generation_config.json as the hub's gpt2 has it. */
static int write_generation_config(const gpt2 *m, const char *dir, lnf_error *err)
{
    lnf_path p;
    json_t *g = json_pack("{s:b, s:i, s:i}", "_from_model_config", 1, "bos_token_id",
                          m->cfg.eos_token_id, "eos_token_id", m->cfg.eos_token_id);
    int rc = path_join(&p, dir, "generation_config.json", err) != 0
                 ? -1
                 : jsonio_write(p.s, g, JSON_INDENT(2) | JSON_SORT_KEYS, err);
    json_decref(g);
    return rc;
}

/* The export's own record, with the checkpoint's as "source". */
static json_t *export_provenance(const publish_request *q, const json_t *source, lnf_error *err)
{
    json_t *inputs = json_object(), *model = prov_model_input(q->model_dir, err);
    if (model == NULL) {
        json_decref(inputs);
        return NULL;
    }
    json_object_set_new(inputs, "model", model);
    if (q->tokenizer_dir != NULL) {
        lnf_path vocab, merges;
        if (tokenizer_files(q->tokenizer_dir, &vocab, &merges, err) != 0) {
            json_decref(inputs);
            return NULL;
        }
        const char *names[2] = {strrchr(vocab.s, '/') + 1, strrchr(merges.s, '/') + 1};
        json_t *tok = prov_dir_input(q->tokenizer_dir, names, 2, err);
        if (tok == NULL) {
            json_decref(inputs);
            return NULL;
        }
        json_object_set_new(inputs, "tokenizer", tok);
    }
    if (q->eval_path != NULL) {
        token_stream s;
        json_t *ev = NULL;
        if (stream_open(&s, q->eval_path, "val", 0, err) == 0) {
            ev = prov_stream_input(&s, q->eval_path, err);
            stream_close(&s);
        }
        if (ev == NULL) {
            json_decref(inputs);
            return NULL;
        }
        json_object_set_new(inputs, "eval_data", ev);
    }
    json_t *settings = json_pack("{s:s, s:s?, s:s?, s:i, s:I}", "format", q->format, "tokenizer",
                                 q->tokenizer_dir, "eval", q->eval_path, "eval_seq_len",
                                 q->eval_seq_len, "eval_tokens", (json_int_t)q->eval_tokens);
    return json_pack("{s:s, s:i, s:s, s:o, s:o, s:O?, s:o}", "format", "lnfree-provenance",
                     "version", 1, "command", "export", "settings", settings, "inputs", inputs,
                     "source", source, "environment", prov_environment(1));
}

int publish_export(const publish_request *q, lnf_error *err)
{
    gpt2 m;
    if (checkpoint_load(&m, q->model_dir, err) != 0) {
        return -1;
    }
    lnf_path fresh = {{0}}, card;
    json_t *source = NULL, *prov = NULL;
    eval_row rows[2];
    int n_rows = 0;
    lnf_error ignored;
    source = prov_read(q->model_dir, &ignored); /* NULL: a checkpoint without one */
    int hf = strcmp(q->format, "hf") == 0;
    int rc = export_check(&m, err) != 0 || path_fmt(&fresh, err, "%s.tmp", q->out_dir) != 0 ||
                     fs_remove_flat_dir(fresh.s, err) != 0 ||
                     (hf ? export_hf(&m, fresh.s, err) : export_folded(&m, fresh.s, err)) != 0 ||
                     write_generation_config(&m, fresh.s, err) != 0
                 ? -1
                 : 0;
    if (rc == 0 && q->tokenizer_dir != NULL) {
        rc = hf_tokenizer_write(q->tokenizer_dir, fresh.s, m.cfg.n_positions, err);
    }
    if (rc == 0 && q->eval_path != NULL) {
        const char *base = base_model_dir(source);
        if (base != NULL) {
            char name[160];
            snprintf(name, sizeof name, "base model (`%s`)", base);
            rc = evaluate(base, q, &rows[n_rows++], name, err);
        }
        if (rc == 0) {
            rc = evaluate(fresh.s, q, &rows[n_rows++], "this LN-free model", err);
        }
    }
    if (rc == 0) {
        rc = path_join(&card, fresh.s, "README.md", err) != 0 ||
                     card_write(card.s, &m, q, source, rows, n_rows, err) != 0
                 ? -1
                 : 0;
    }
    if (rc == 0) {
        prov = export_provenance(q, source, err);
        rc = prov == NULL || prov_write(fresh.s, prov, err) != 0 ||
                     fs_replace_dir(q->out_dir, fresh.s, err) != 0
                 ? -1
                 : 0;
    }
    if (rc != 0 && fresh.s[0] != '\0') {
        fs_remove_flat_dir(fresh.s, &ignored); /* nothing half-written stays */
    }
    json_decref(prov);
    json_decref(source);
    gpt2_free(&m);
    return rc;
}
