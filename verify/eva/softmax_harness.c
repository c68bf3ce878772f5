/* EVA harness: softmax.c. Rows are independent and computed the same way:
 * one row, with V over its whole range.
 * domain: V in [1, 65536] logits per row (GPT-2 vocabulary: 50257); N = 1 row
 * domain: |logits| <= 1e4
 * domain: crossentropy_backward: lse as crossentropy_forward computes it; dloss in [0, 1]
 */
/* eva-auto-loop-unroll: 16 */
#include "__fc_builtin.h"
#include "kernels/domain.h"
#include "kernels/softmax.h"

#define VMAX 65536
static float logits[VMAX], probs[VMAX], dlogits[VMAX];
static float losses[1], lse[1];
static int targets[1];

int main(void)
{
    int V = Frama_C_interval(1, VMAX);
    /*@ loop unroll 0; */
    for (int i = 0; i < VMAX; i++) {
        logits[i] = Frama_C_float_interval(-DOMAIN_MAX_ABS_ACT, DOMAIN_MAX_ABS_ACT);
    }
    targets[0] = 0; /* the target index does not change any bound */
    softmax_forward(probs, logits, 1, V);
    Frama_C_show_each_softmax_probs(probs[Frama_C_interval(0, V - 1)]);
    crossentropy_forward(losses, lse, logits, targets, 1, V);
    Frama_C_show_each_crossentropy_loss(losses[0]);
    Frama_C_show_each_crossentropy_lse(lse[0]);
    float dloss = Frama_C_float_interval(0.0f, DOMAIN_MAX_DLOSS);
    crossentropy_backward(dlogits, logits, lse, targets, dloss, 1, V);
    Frama_C_show_each_crossentropy_dlogits(dlogits[Frama_C_interval(0, V - 1)]);
    return 0;
}
