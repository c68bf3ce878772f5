/* hellaswag: scores a multiple-choice set (data/hellaswag.h) as llm.c does.
 * Each completion's loss is the cross-entropy of its tokens given the context
 * and the completion's earlier tokens; the four completions of an example run
 * as one batch of four sequences. acc_norm picks the completion with the
 * lowest mean loss per token, acc the lowest total (the first on a tie). */
#ifndef LNFREE_MODEL_HELLASWAG_H
#define LNFREE_MODEL_HELLASWAG_H

#include "data/hellaswag.h"
#include "model/gpt2.h"

typedef struct {
    int n;
    int correct, correct_norm;
    int *predictions;      /* [n] the acc_norm choice of each example */
    double *losses;        /* [n·HS_COMPLETIONS] mean loss per completion token */
} hs_result;

int hellaswag_score(gpt2 *m, const hs_set *s, hs_result *r, lnf_error *err);
void hs_result_free(hs_result *r);

#endif
