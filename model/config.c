#include "model/config.h"
#include "base/jsonio.h"
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    const char *name;
    int n_layer, n_head, n_embd, n_positions;
} preset;

/* The four OpenAI GPT-2 sizes, then small ones for demos and tests. */
static const preset presets[] = {
    {"gpt2", 12, 12, 768, 1024},
    {"gpt2-medium", 24, 16, 1024, 1024},
    {"gpt2-large", 36, 20, 1280, 1024},
    {"gpt2-xl", 48, 25, 1600, 1024},
    {"gpt2-mini", 4, 4, 256, 256},
    {"gpt2-demo", 4, 4, 128, 128},
    {"gpt2-tiny", 2, 2, 64, 128},
};

#define GPT2_VOCAB 50257
#define GPT2_EOT 50256

const char *config_preset_names(void)
{
    return "gpt2, gpt2-medium, gpt2-large, gpt2-xl, gpt2-mini (L4 NH4 C256 T256), "
           "gpt2-demo (L4 NH4 C128 T128), gpt2-tiny (L2 NH2 C64 T128)";
}

int config_preset(gpt2_config *cfg, const char *name, lnf_error *err)
{
    for (size_t i = 0; i < sizeof presets / sizeof presets[0]; i++) {
        if (strcmp(presets[i].name, name) == 0) {
            cfg->n_layer = presets[i].n_layer;
            cfg->n_head = presets[i].n_head;
            cfg->n_embd = presets[i].n_embd;
            cfg->n_positions = presets[i].n_positions;
            cfg->vocab_size = GPT2_VOCAB;
            cfg->eos_token_id = GPT2_EOT;
            cfg->layer_norm_epsilon = 1e-5f;
            cfg->folded = 0;
            return 0;
        }
    }
    return lnf_fail(err, "unknown config '%s' (known: %s)", name, config_preset_names());
}

/* An integer field in [min, 2^30]; `fallback` (if ≥ 0) when absent. */
static int get_int(json_t *root, const char *path, const char *key, const char *alt,
                   int min, int fallback, int *out, lnf_error *err)
{
    json_t *v = json_object_get(root, key);
    if (v == NULL && alt != NULL) {
        v = json_object_get(root, alt);
    }
    if (v == NULL || json_is_null(v)) {
        if (fallback >= 0) {
            *out = fallback;
            return 0;
        }
        return lnf_fail(err, "%s: missing field '%s'", path, key);
    }
    if (!json_is_integer(v) || json_integer_value(v) < min || json_integer_value(v) > (1 << 30)) {
        return lnf_fail(err, "%s: field '%s' must be a%s integer", path, key,
                        min > 0 ? " positive" : " non-negative");
    }
    *out = (int)json_integer_value(v);
    return 0;
}

static int check_consistent(const gpt2_config *cfg, const char *path, lnf_error *err)
{
    if (cfg->n_embd % cfg->n_head != 0) {
        return lnf_fail(err, "%s: n_embd %d is not a multiple of n_head %d", path,
                        cfg->n_embd, cfg->n_head);
    }
    if (cfg->eos_token_id >= cfg->vocab_size) {
        return lnf_fail(err, "%s: eos_token_id %d is not below vocab_size %d", path,
                        cfg->eos_token_id, cfg->vocab_size);
    }
    if (!(cfg->layer_norm_epsilon > 0.0f) || isinf(cfg->layer_norm_epsilon)) {
        return lnf_fail(err, "%s: layer_norm_epsilon must be positive and finite in float32",
                        path);
    }
    /* every activation buffer is indexed with int: keep B·T·V and V·C in range
     * for the largest batch the trainer allows (checked again per batch) */
    if ((long long)cfg->vocab_size * cfg->n_embd > 0x7fffffff) {
        return lnf_fail(err, "%s: vocab_size × n_embd too large", path);
    }
    /* gpt2.c lays the parameters out with int arithmetic (4·C, 3·C, ...) and
     * indexes them with int: the whole count must fit (in double: no overflow) */
    double C = cfg->n_embd, V = cfg->vocab_size;
    double n_params = V * C + (double)cfg->n_positions * C +
                      (double)cfg->n_layer * (12.0 * C * C + 9.0 * C) +
                      (cfg->folded ? V * C + V : (4.0 * cfg->n_layer + 2.0) * C);
    if (n_params > 0x7fffffff) {
        return lnf_fail(err, "%s: %.3g parameters; lnfree indexes them with int (max %d)", path,
                        n_params, 0x7fffffff);
    }
    return 0;
}

int config_from_json(gpt2_config *cfg, json_t *root, const char *path, lnf_error *err)
{
    int rc = -1;
    if (!json_is_object(root)) {
        lnf_fail(err, "%s: not a JSON object", path);
        goto done;
    }
    if (get_int(root, path, "n_layer", NULL, 1, -1, &cfg->n_layer, err) ||
        get_int(root, path, "n_head", NULL, 1, -1, &cfg->n_head, err) ||
        get_int(root, path, "n_embd", NULL, 1, -1, &cfg->n_embd, err) ||
        get_int(root, path, "n_positions", "n_ctx", 1, -1, &cfg->n_positions, err) ||
        get_int(root, path, "vocab_size", NULL, 1, -1, &cfg->vocab_size, err) ||
        get_int(root, path, "eos_token_id", NULL, 0, GPT2_EOT, &cfg->eos_token_id, err)) {
        goto done;
    }
    json_t *eps = json_object_get(root, "layer_norm_epsilon");
    if (eps == NULL) {
        cfg->layer_norm_epsilon = 1e-5f;
    } else if (json_is_number(eps)) {
        cfg->layer_norm_epsilon = (float)json_number_value(eps);
    } else {
        lnf_fail(err, "%s: field 'layer_norm_epsilon' must be a number", path);
        goto done;
    }
    json_t *act = json_object_get(root, "activation_function");
    if (act != NULL && !(json_is_string(act) && strcmp(json_string_value(act), "gelu_new") == 0)) {
        lnf_fail(err, "%s: activation_function must be \"gelu_new\" (GPT-2's tanh GELU)", path);
        goto done;
    }
    json_t *inner = json_object_get(root, "n_inner");
    if (inner != NULL && !json_is_null(inner) &&
        !(json_is_integer(inner) && json_integer_value(inner) == 4 * (json_int_t)cfg->n_embd)) {
        lnf_fail(err, "%s: n_inner must be null or 4·n_embd", path);
        goto done;
    }
    json_t *folded = json_object_get(root, "lnfree_folded");
    cfg->folded = json_is_true(folded);
    json_t *tie = json_object_get(root, "tie_word_embeddings");
    if (tie != NULL && !json_is_true(tie) && !cfg->folded) {
        lnf_fail(err, "%s: only tied embeddings are supported (tie_word_embeddings)", path);
        goto done;
    }
    rc = check_consistent(cfg, path, err);
done:
    return rc;
}

int config_load(gpt2_config *cfg, const char *path, lnf_error *err)
{
    json_t *root = jsonio_read(path, err);
    if (root == NULL) {
        return -1;
    }
    int rc = config_from_json(cfg, root, path, err);
    json_decref(root);
    return rc;
}

/* The shortest decimal that reads back as f (1e12f is written "1e12", not
 * its exact value 999999995904), as a double for jansson. */
static double shortest_decimal(float f)
{
    char buf[32];
    for (int digits = 1; digits <= 9; digits++) { /* 9 = FLT_DECIMAL_DIG: always enough */
        snprintf(buf, sizeof buf, "%.*g", digits, (double)f);
        if (strtof(buf, NULL) == f) {
            break;
        }
    }
    return strtod(buf, NULL);
}

json_t *config_to_json(const gpt2_config *cfg)
{
    json_t *root = json_pack(
        "{s:s, s:[s], s:i, s:i, s:i, s:i, s:i, s:i, s:i, s:f, s:s, s:n, s:b}",
        "model_type", "gpt2", "architectures", "GPT2LMHeadModel",
        "n_layer", cfg->n_layer, "n_head", cfg->n_head, "n_embd", cfg->n_embd,
        "n_positions", cfg->n_positions, "vocab_size", cfg->vocab_size,
        "bos_token_id", cfg->eos_token_id, "eos_token_id", cfg->eos_token_id,
        "layer_norm_epsilon", shortest_decimal(cfg->layer_norm_epsilon),
        "activation_function", "gelu_new", "n_inner", "tie_word_embeddings", 1);
    if (root != NULL && cfg->folded) {
        /* not a transformers GPT2LMHeadModel: no LN tensors, untied lm_head */
        json_object_set_new(root, "lnfree_folded", json_true());
        json_object_set_new(root, "tie_word_embeddings", json_false());
        json_object_set_new(root, "architectures", json_pack("[s]", "LNFreeFoldedGPT2"));
    }
    return root;
}

int config_save(const gpt2_config *cfg, const char *path, lnf_error *err)
{
    json_t *root = config_to_json(cfg);
    if (root == NULL) {
        return lnf_fail(err, "%s: cannot build JSON", path);
    }
    int rc = jsonio_write(path, root, JSON_INDENT(2) | JSON_SORT_KEYS | JSON_REAL_PRECISION(9), err);
    json_decref(root);
    return rc;
}
