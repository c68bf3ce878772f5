/* lnfree init: a randomly initialised GPT-2 model directory. */
#define _POSIX_C_SOURCE 200809L
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include "cli/args.h"
#include "model/checkpoint.h"
#include "cli/commands.h"

static void usage(FILE *out)
{
    fprintf(out,
            "usage: lnfree init --config NAME|config.json --out DIR [--seed S]\n"
            "\n"
            "Writes DIR/config.json and DIR/model.safetensors for a GPT-2 initialised as\n"
            "Hugging Face does: N(0, 0.02) weights, residual output projections scaled by\n"
            "1/sqrt(2L), LayerNorm weights 1, biases 0. Same seed, same weights.\n"
            "\n"
            "  --config   a preset (%s) or an HF config.json\n"
            "  --out      output directory (created if missing)\n"
            "  --seed     random seed (default 1337)\n",
            config_preset_names());
}

int cmd_init(int argc, char **argv, const dist_ctx *dist)
{
    (void)dist; /* one process */
    static const struct option opts[] = {
        {"config", required_argument, 0, 'c'}, {"out", required_argument, 0, 'o'},
        {"seed", required_argument, 0, 's'},   {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0}};
    const char *config = NULL, *out = NULL;
    uint64_t seed = 1337;
    int c;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'c': config = optarg; break;
        case 'o': out = optarg; break;
        case 's':
            if (arg_u64("init", "seed", optarg, &seed) != 0) {
                return 2;
            }
            break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (config == NULL || out == NULL || optind != argc) {
        usage(stderr);
        return 2;
    }
    gpt2_config cfg;
    lnf_error err;
    if (arg_model_config("init", "config", config, &cfg) != 0) {
        return 1;
    }
    gpt2 m;
    if (gpt2_create(&m, &cfg, &err) != 0) {
        fprintf(stderr, "lnfree init: %s\n", err.msg);
        return 1;
    }
    gpt2_init_random(&m, seed);
    int rc = checkpoint_save(&m, out, &err);
    if (rc != 0) {
        fprintf(stderr, "lnfree init: %s\n", err.msg);
    } else {
        printf("lnfree init: %s: %d layers, %d heads, C=%d, %zu parameters (seed %llu)\n", out,
               cfg.n_layer, cfg.n_head, cfg.n_embd, m.n_params, (unsigned long long)seed);
    }
    gpt2_free(&m);
    return rc == 0 ? 0 : 1;
}
