/* hf_tokenizer: GPT-2's tokenizer as the files a Hugging Face model directory
 * carries, so that transformers' AutoTokenizer (and tokenizers.js) load it
 * from the directory alone:
 *   vocab.json, merges.txt    the BPE itself (encoder.json / vocab.bpe are
 *                             the same formats under OpenAI's names);
 *   tokenizer.json            the "fast" tokenizer: byte-level pre-tokenizer
 *                             and decoder, BPE model with that vocabulary and
 *                             those merges, <|endoftext|> as a special token;
 *   tokenizer_config.json,    GPT2Tokenizer with <|endoftext|> as BOS, EOS
 *   special_tokens_map.json   and UNK, as the hub's gpt2 has them.
 * The source is validated by loading it (data/tokenizer.h) first. */
#ifndef LNFREE_DATA_HF_TOKENIZER_H
#define LNFREE_DATA_HF_TOKENIZER_H

#include "base/error.h"

/* Writes the five files into out_dir (which exists); model_max_length is the
 * model's n_positions. */
int hf_tokenizer_write(const char *src_dir, const char *out_dir, int model_max_length,
                       lnf_error *err);

#endif
