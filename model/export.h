/* export: LN-free forms of a model whose every LN site is frozen and whose
 * special phases have ended, so that each site is y = (x − mean x)/s ⊙ γ + β
 * with one scalar s.
 *   hf     — a Hugging Face GPT-2 directory that transformers'
 *            GPT2LMHeadModel loads unchanged: layer_norm_epsilon = 1e12 (so
 *            √(var + eps) is 1e6 in float32) and each LN weight × 1e6/s, the
 *            convention of the released LN-free models;
 *   folded — no normalisation at all: with P = I − 11ᵀ/C the centring, every
 *            linear map W after a site becomes W·diag(γ/s)·P with bias
 *            W·β + b, and the unembedding an untied lm_head with a bias. */
#ifndef LNFREE_MODEL_EXPORT_H
#define LNFREE_MODEL_EXPORT_H

#include "base/error.h"
#include "model/gpt2.h"

/* Fails, naming the first obstacle, unless m can be exported. */
int export_check(const gpt2 *m, lnf_error *err);

int export_hf(const gpt2 *m, const char *out_dir, lnf_error *err);
int export_folded(const gpt2 *m, const char *out_dir, lnf_error *err);

#endif
