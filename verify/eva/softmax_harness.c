/* EVA harness: softmax.c. Rows are independent and computed the same way:
 * one row, with V over its whole range, for the tightest bounds; then N rows,
 * the row loop not unrolled (EVA joins the rows: the bounds of the shared
 * arrays are looser, dlogits' widened to -1e10 by its in-place target update).
 * domain: V in [1, 65536] logits per row (GPT-2 vocabulary: 50257); N = 1 row; and N in [1, 16384] rows (the recipes' B·T)
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
#define NMAX 16384
static float all_logits[NMAX * VMAX], all_probs[NMAX * VMAX], all_dlogits[NMAX * VMAX];
static float all_losses[NMAX], all_lse[NMAX];
static int all_targets[NMAX];

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

    int N = Frama_C_interval(1, NMAX);
    /*@ loop unroll 0; */
    for (int i = 0; i < NMAX * VMAX; i++) {
        all_logits[i] = Frama_C_float_interval(-DOMAIN_MAX_ABS_ACT, DOMAIN_MAX_ABS_ACT);
    }
    /*@ loop unroll 0; */
    for (int n = 0; n < NMAX; n++) {
        all_targets[n] = 0;
    }
    softmax_forward(all_probs, all_logits, N, V);
    Frama_C_show_each_rows_softmax_probs(all_probs[Frama_C_interval(0, N * V - 1)]);
    crossentropy_forward(all_losses, all_lse, all_logits, all_targets, N, V);
    Frama_C_show_each_rows_crossentropy_loss(all_losses[Frama_C_interval(0, N - 1)]);
    Frama_C_show_each_rows_crossentropy_lse(all_lse[Frama_C_interval(0, N - 1)]);
    crossentropy_backward(all_dlogits, all_logits, all_lse, all_targets, dloss, N, V);
    Frama_C_show_each_rows_crossentropy_dlogits(all_dlogits[Frama_C_interval(0, N * V - 1)]);
    return 0;
}
