/* checkpoint: GPT-2 model directories in Hugging Face's layout.
 *
 * DIR/config.json, DIR/model.safetensors (keys with or without the
 * "transformer." prefix; attn.bias / attn.masked_bias buffers and a tied
 * lm_head.weight are ignored; F32, F16 or BF16) and DIR/lnfree.json (the LN
 * state; absent = every site real). Loading validates every tensor's presence,
 * shape and finiteness and names the file and tensor in any error; each file
 * is saved atomically. */
#ifndef LNFREE_MODEL_CHECKPOINT_H
#define LNFREE_MODEL_CHECKPOINT_H

#include "model/gpt2.h"
#include "base/safetensors.h"

int checkpoint_load(gpt2 *m, const char *dir, lnf_error *err);
int checkpoint_save(const gpt2 *m, const char *dir, lnf_error *err);

/* A set of HF-layout tensors built from an in-memory buffer shaped like the
 * parameters (the parameters themselves, their gradients, ...). */
typedef struct {
    int n;
    st_entry *entries;
    char *names;    /* storage for entry names */
    float *data;    /* storage for entry data */
} hf_tensor_set;

/* Names are prefix + HF name ("grad.h.0.attn.c_attn.weight"). */
int hf_tensor_set_build(hf_tensor_set *set, const gpt2 *m, const float *buf, const char *prefix,
                        lnf_error *err);
void hf_tensor_set_free(hf_tensor_set *set);

#endif
