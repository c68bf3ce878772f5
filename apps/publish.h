/* publish: `lnfree export` as a whole: the LN-free form of a checkpoint
 * (model/export.h) as a directory a transformers user takes as it is:
 *   config.json, model.safetensors (lnfree.json: folded form only)
 *   generation_config.json
 *   vocab.json, merges.txt, tokenizer.json, tokenizer_config.json,
 *   special_tokens_map.json        with a tokenizer (data/hf_tokenizer.h)
 *   README.md                      the model card: base model, method and
 *                                  recipe, σ of every site, evaluation table,
 *                                  lnfree version
 *   provenance.json                the export's inputs and settings, the
 *                                  checkpoint's own provenance as "source"
 *                                  (train/provenance.h), every output's hash
 * The directory is written beside OUT and swapped in whole: a failed export
 * leaves an earlier one in place. */
#ifndef LNFREE_APPS_PUBLISH_H
#define LNFREE_APPS_PUBLISH_H

#include "base/error.h"

typedef struct {
    const char *model_dir;     /* a checkpoint with every LN site frozen */
    const char *format;        /* "hf" or "folded" */
    const char *out_dir;
    const char *tokenizer_dir; /* GPT-2 tokenizer files to include; NULL: none */
    const char *eval_path;     /* tokens for the card's evaluation table; NULL: none */
    int eval_seq_len;          /* ≤ 0: the model's n_positions */
    long long eval_tokens;     /* ≤ 0: every token */
} publish_request;

int publish_export(const publish_request *r, lnf_error *err);

#endif
