/* prepare: text → token files for training (the work of `lnfree prepare`).
 *
 * Each input is a text file (one document) or a Brown corpus directory (see
 * brown.h; each of its texts is one document). Every document is encoded with
 * the GPT-2 tokenizer and appended, preceded by <|endoftext|>, to train.bin or
 * val.bin in the output directory (raw uint16 little-endian, see tokens.h).
 * Whole documents go to val, in input order, whenever that keeps val at most
 * val_fraction of all tokens so far: deterministic, and spread over the inputs.
 * prepare.json records the sources, document and token counts and the SHA-256
 * of both files. Every file is written atomically. */
#ifndef LNFREE_DATA_PREPARE_H
#define LNFREE_DATA_PREPARE_H

#include <stddef.h>
#include "base/error.h"

typedef struct {
    const char *const *inputs;
    int n_inputs;
    const char *tokenizer_dir;
    const char *out_dir;
    double val_fraction; /* in [0, 1) */
} prepare_options;

/* [0]: train.bin, [1]: val.bin; token counts include the <|endoftext|> separators. */
typedef struct {
    size_t documents[2];
    size_t tokens[2];
} prepare_summary;

int prepare_run(const prepare_options *o, prepare_summary *summary, lnf_error *err);

#endif
