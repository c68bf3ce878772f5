/* config: GPT-2 hyper-parameters, from an HF config.json or a named preset. */
#ifndef LNFREE_MODEL_CONFIG_H
#define LNFREE_MODEL_CONFIG_H

#include <jansson.h>
#include "base/error.h"

typedef struct {
    int n_layer;      /* L */
    int n_head;       /* NH */
    int n_embd;       /* C */
    int n_positions;  /* maximum T */
    int vocab_size;   /* V */
    int eos_token_id; /* EOT: 50256 for GPT-2 */
    float layer_norm_epsilon;
    /* lnfree's folded LN-free form: no LayerNorm at all (centring and γ/σ
     * folded into the following linear maps) and an untied unembedding
     * lm_head with a bias. config.json: "lnfree_folded": true. */
    int folded;
} gpt2_config;

/* Reads config.json; fails on invalid JSON, missing or out-of-range fields, or
 * an architecture lnfree does not implement (activation other than gelu_new,
 * untied embeddings, n_inner other than 4·n_embd). */
int config_load(gpt2_config *cfg, const char *path, lnf_error *err);

/* Named presets: gpt2, gpt2-medium, gpt2-large, gpt2-xl, and the small
 * demo/test sizes listed by config_preset_names(). */
int config_preset(gpt2_config *cfg, const char *name, lnf_error *err);
const char *config_preset_names(void);

/* The same from a JSON object already read (`where` names it in errors). */
int config_from_json(gpt2_config *cfg, json_t *root, const char *where, lnf_error *err);

/* cfg as an HF-compatible config.json object (a new reference). */
json_t *config_to_json(const gpt2_config *cfg);

/* Writes an HF-compatible config.json atomically. */
int config_save(const gpt2_config *cfg, const char *path, lnf_error *err);

#endif
