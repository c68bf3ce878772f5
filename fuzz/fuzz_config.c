/* Fuzz target: config.json (config_load), then what the model does with it.
 *
 * The fuzz bytes are the file. config_load must fail with a message naming
 * the file, or give a config that gpt2_create can lay out without integer
 * overflow: fields positive, n_embd a multiple of n_head, EOT below the
 * vocabulary, epsilon finite and positive, at most INT_MAX parameters (the
 * model indexes them with int). An accepted config must survive
 * config_save → config_load unchanged, and small ones are built with
 * gpt2_create (UBSan watches its layout arithmetic). */
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <string.h>
#include "model/config.h"
#include "fuzz/fuzz_util.h"
#include "model/gpt2.h"

/* The parameter count of gpt2.c's layout, in double: fields up to 2^30
 * would overflow any integer type in C², and ~1e-16 relative error does not
 * matter next to INT_MAX. */
static double param_count(const gpt2_config *c)
{
    double C = c->n_embd, V = c->vocab_size, P = c->n_positions, L = c->n_layer;
    double ln = c->folded ? 0.0 : 4.0 * C;                  /* ln_1, ln_2 */
    double layer = ln + 3.0 * C * C + 3.0 * C               /* q, k, v */
                   + C * C + C                              /* attn c_proj */
                   + 4.0 * C * C + 4.0 * C + 4.0 * C * C + C; /* mlp */
    double total = V * C + P * C + L * layer + (c->folded ? 0.0 : 2.0 * C);
    return c->folded ? total + V * C + V : total;
}

static void check_accepted(const gpt2_config *c, const char *path)
{
    if (c->n_layer <= 0 || c->n_head <= 0 || c->n_embd <= 0 || c->n_positions <= 0 ||
        c->vocab_size <= 0 || c->n_embd % c->n_head != 0 || c->eos_token_id < 0 ||
        c->eos_token_id >= c->vocab_size || !isfinite(c->layer_norm_epsilon) ||
        !(c->layer_norm_epsilon > 0.0f) || (c->folded != 0 && c->folded != 1)) {
        fz_finding("%s: accepted an inconsistent config (L %d NH %d C %d P %d V %d eos %d eps %g)",
                   path, c->n_layer, c->n_head, c->n_embd, c->n_positions, c->vocab_size,
                   c->eos_token_id, (double)c->layer_norm_epsilon);
    }
    double n = param_count(c);
    if (n > INT_MAX) {
        fz_finding("%s: accepted a config with %.0f parameters (the model indexes them with int)",
                   path, n);
    }
    lnf_error err;
    const char *saved = fz_temp_path("saved-config.json");
    gpt2_config back;
    if (config_save(c, saved, &err) != 0 || config_load(&back, saved, &err) != 0) {
        fz_finding("config_save/config_load round trip failed: %s", err.msg);
    }
    if (memcmp(&back, c, sizeof back) != 0) {
        fz_finding("round trip changed the config (eps %.9g → %.9g)",
                   (double)c->layer_norm_epsilon, (double)back.layer_norm_epsilon);
    }
    if (n <= 2e5) {
        gpt2 m;
        if (gpt2_create(&m, c, &err) != 0) {
            fz_finding("gpt2_create refused an accepted config: %s", err.msg);
        }
        gpt2_free(&m);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *path = fz_write_file("config.json", data, size);
    gpt2_config cfg;
    memset(&cfg, 0, sizeof cfg); /* padding-free, but memcmp above wants it defined */
    lnf_error err;
    err.msg[0] = '\0';
    if (config_load(&cfg, path, &err) != 0) {
        if (strstr(err.msg, path) == NULL) {
            fz_finding("config_load failed without a message naming the file: '%s'", err.msg);
        }
        return 0;
    }
    check_accepted(&cfg, path);
    return 0;
}
