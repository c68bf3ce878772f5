#include "schedule/recipe.h"
#include <math.h>
#include <string.h>

/* Where the numbers come from.
 *
 * heimersheim-gpt2: Heimersheim 2024, arXiv 2409.13710, and its released
 * model (Hugging Face apollo-research/gpt2_noLN: "fine-tuned on OpenWebText
 * for ~500M tokens (1000 iterations of batch size ~488 at 1024 context)").
 * From the paper: the order and pacing of the removal (ln2 of layers 0..11
 * from step 200 every 20 steps, ln1qk from 440 every 20, ln1v from 680 every
 * 30, lnf at 1040, the EOT special case off at 1060, the BOS case off at
 * 1160); σ's moving average (momentum 0.9) frozen at each switch; a separate
 * σ for position 0 and, on the v path, for EOT tokens; LR 6e-4 with 100
 * warmup steps and cosine decay; 2^19 tokens per step at T = 1024 (the model
 * card's ≈488 × 1024). Not stated there, so taken from the nanoGPT training
 * setup whose batch the model card matches: LR floor 6e-5, weight decay 0.1,
 * β = (0.9, 0.95), ε 1e-8, gradient clip 1.0; and 1200 steps, the first
 * whole hundred past the last event.
 *
 * baroni-*: Baroni et al. 2025, arXiv 2507.02559 ("Transformers Don't Need
 * LayerNorm at Inference Time"), Tables 3-4, checked against the authors'
 * code, github.com/submarat/removing-layer-norm, config.py at commit
 * 583a9e6, configs gpt2_aux, gpt2-medium_fasttune_aux, gpt2-large_aux and
 * gpt2-xl_aux:
 *   - target_batch_tokens 2^19 at block_size 1024; max_steps 300 / 500 /
 *     1200 / 1200 (the released LN-free models were taken at 300 / 500 / 600
 *     / 800 steps); warmup 25 / 10 / 15 / 20;
 *   - learning_rate 6e-4 / 6e-4 / 3e-4 / 1e-4 with cosine_with_min_lr down to
 *     3e-4 (the config default) / 3e-4 / 4e-5 / 2e-5;
 *   - weight_decay 0.01; max_grad_norm 1.0; AdamW as Hugging Face's Trainer
 *     has it by default: β = (0.9, 0.999), ε 1e-8;
 *   - aux_loss_weight 0.1 / 0.1 / 0.03 / 0.01;
 *   - the σ moving average's momentum 0.9, and 0.9^(batch/32) for large and
 *     xl, with batch their per-device micro-batch (28 and 18 there): here the
 *     run's own micro-batch B;
 *   - the schedule: start_ln2 20 / 20 / 30 / 50 with gaps 2 / 2 / 4 / 4,
 *     ln1qk right after with the same gap, ln1v after that with gaps
 *     3 / 3 / 6 / 6, lnf after the last ln1v, the EOT case off 2 steps later,
 *     the BOS case 10 after that (gap_eot = gap_bos = 0: all layers at once);
 *   - BOS/EOT: the code runs without BOS special treatment unless
 *     EXP_BOS_SPECIAL_TREATMENT=1 (not set in its experiments), so each site
 *     has one σ averaged over every token, position 0 and EOT included, and
 *     the EOT path's σ is that same value: "pooled" here, the two events no-ops;
 *   - σ followed while real and frozen at the switch: the experiments run
 *     with EXP_RECOMPUTE_STD_ON_REAL=1.
 * Differences that remain: their auxiliary loss is the MSE of every token's
 * σ at ln_f's input against the detached mean over non-special tokens,
 * applied throughout; lnfree's averages over the non-special tokens only and
 * stops when lnf is frozen. They train in bf16, lnfree in fp32. */
static const recipe recipes[] = {
    {.name = "heimersheim-gpt2", .paper = "Heimersheim 2024 (arXiv 2409.13710)",
     .base_model = "gpt2", .n_layer = 12, .tokens_per_step = 1 << 19, .T = 1024, .steps = 1200,
     .warmup = 100, .lr = 6e-4f, .min_lr = 6e-5f, .weight_decay = 0.1f, .beta1 = 0.9f,
     .beta2 = 0.95f, .eps = 1e-8f, .clip = 1.0f, .aux_weight = 0.0f, .momentum = 0.9,
     .momentum_batch = 0, .pooled = 0, .eot_kind = {0, 1, 0, 0},
     .plan = {.start = {200, 440, 680}, .gap = {20, 20, 30}, .lnf = 1040, .end_eot = 1060,
              .end_bos = 1160, .steps = 1200},
     .source = "Heimersheim 2024 and apollo-research/gpt2_noLN; LR floor, weight decay, betas, "
               "clip and 1200 steps from nanoGPT's setup (not stated)"},
    {.name = "baroni-gpt2", .paper = "Baroni et al. 2025 (arXiv 2507.02559)",
     .base_model = "gpt2", .n_layer = 12, .tokens_per_step = 1 << 19, .T = 1024, .steps = 300,
     .warmup = 25, .lr = 6e-4f, .min_lr = 3e-4f, .weight_decay = 0.01f, .beta1 = 0.9f,
     .beta2 = 0.999f, .eps = 1e-8f, .clip = 1.0f, .aux_weight = 0.1f, .momentum = 0.9,
     .momentum_batch = 0, .pooled = 1,
     .plan = {.start = {20, 44, 68}, .gap = {2, 2, 3}, .lnf = 104, .end_eot = 106, .end_bos = 116,
              .steps = 300},
     .source = "submarat/removing-layer-norm config.py (583a9e6), gpt2_aux"},
    {.name = "baroni-gpt2-medium", .paper = "Baroni et al. 2025 (arXiv 2507.02559)",
     .base_model = "gpt2-medium", .n_layer = 24, .tokens_per_step = 1 << 19, .T = 1024,
     .steps = 500, .warmup = 10, .lr = 6e-4f, .min_lr = 3e-4f, .weight_decay = 0.01f,
     .beta1 = 0.9f, .beta2 = 0.999f, .eps = 1e-8f, .clip = 1.0f, .aux_weight = 0.1f,
     .momentum = 0.9, .momentum_batch = 0, .pooled = 1,
     .plan = {.start = {20, 68, 116}, .gap = {2, 2, 3}, .lnf = 188, .end_eot = 190,
              .end_bos = 200, .steps = 500},
     .source = "submarat/removing-layer-norm config.py (583a9e6), gpt2-medium_fasttune_aux"},
    {.name = "baroni-gpt2-large", .paper = "Baroni et al. 2025 (arXiv 2507.02559)",
     .base_model = "gpt2-large", .n_layer = 36, .tokens_per_step = 1 << 19, .T = 1024,
     .steps = 1200, .warmup = 15, .lr = 3e-4f, .min_lr = 4e-5f, .weight_decay = 0.01f,
     .beta1 = 0.9f, .beta2 = 0.999f, .eps = 1e-8f, .clip = 1.0f, .aux_weight = 0.03f,
     .momentum = 0.9, .momentum_batch = 32, .pooled = 1,
     .plan = {.start = {30, 174, 318}, .gap = {4, 4, 6}, .lnf = 534, .end_eot = 536,
              .end_bos = 546, .steps = 1200},
     .source = "submarat/removing-layer-norm config.py (583a9e6), gpt2-large_aux"},
    {.name = "baroni-gpt2-xl", .paper = "Baroni et al. 2025 (arXiv 2507.02559)",
     .base_model = "gpt2-xl", .n_layer = 48, .tokens_per_step = 1 << 19, .T = 1024,
     .steps = 1200, .warmup = 20, .lr = 1e-4f, .min_lr = 2e-5f, .weight_decay = 0.01f,
     .beta1 = 0.9f, .beta2 = 0.999f, .eps = 1e-8f, .clip = 1.0f, .aux_weight = 0.01f,
     .momentum = 0.9, .momentum_batch = 32, .pooled = 1,
     .plan = {.start = {50, 242, 434}, .gap = {4, 4, 6}, .lnf = 722, .end_eot = 724,
              .end_bos = 734, .steps = 1200},
     .source = "submarat/removing-layer-norm config.py (583a9e6), gpt2-xl_aux"},
};

const recipe *recipe_find(const char *name)
{
    for (size_t i = 0; i < sizeof recipes / sizeof recipes[0]; i++) {
        if (strcmp(recipes[i].name, name) == 0) {
            return &recipes[i];
        }
    }
    return NULL;
}

const char *recipe_names(void)
{
    return "heimersheim-gpt2, baroni-gpt2, baroni-gpt2-medium, baroni-gpt2-large, baroni-gpt2-xl";
}

double recipe_momentum(const recipe *r, int B)
{
    return r->momentum_batch > 0 ? pow(r->momentum, (double)B / r->momentum_batch) : r->momentum;
}
