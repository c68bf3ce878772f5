/* hellaswag: llm.c's multiple-choice evaluation files (its
 * dev/data/hellaswag.py writes the HellaSwag validation set, 10,042 examples,
 * in this form), parsed and validated whole before anything is scored.
 *
 * A header of 256 little-endian int32: magic 20240522, version 1, the number
 * of examples, the longest example in bytes. Then per example, little-endian
 * uint16: 65535, the example's size in bytes (these fields included), its
 * index, its label, the number of completions (4), the context's length and
 * tokens, then each completion's length and tokens. */
#ifndef LNFREE_DATA_HELLASWAG_H
#define LNFREE_DATA_HELLASWAG_H

#include <stddef.h>
#include <stdint.h>
#include "base/error.h"

#define HS_MAGIC 20240522
#define HS_VERSION 1
#define HS_HEADER_BYTES (256 * 4)
#define HS_COMPLETIONS 4
#define HS_MARKER 65535

typedef struct {
    int index, label;
    int ctx_len;
    int ctx;                           /* offset of the context's tokens in tokens[] */
    int comp_len[HS_COMPLETIONS];
    int comp[HS_COMPLETIONS];          /* offsets of each completion's tokens */
} hs_example;

typedef struct {
    int n;
    hs_example *examples;              /* [n], in file order */
    uint16_t *tokens;                  /* every context and completion token */
    int max_len;                       /* the longest context + completion */
} hs_set;

/* Parses len bytes named name. Every token must be below vocab_size, and
 * every context plus completion, less the last token (which is only a
 * target), must fit in n_positions. Each error names the file, the example
 * and the field. */
int hs_parse(hs_set *s, const unsigned char *bytes, size_t len, const char *name,
             int vocab_size, int n_positions, lnf_error *err);
int hs_load(hs_set *s, const char *path, int vocab_size, int n_positions, lnf_error *err);
void hs_free(hs_set *s);

#endif
