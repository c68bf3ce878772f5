/* bench_train: times whole training steps (forward, backward, clip, AdamW) of
 * the C trainer and prints one JSON line: median seconds per step, tokens/s,
 * achieved GFLOP/s and peak RSS. bench/run puts it beside PyTorch's numbers.
 *
 * usage: bench_train CONFIG B T [STEPS] [WARMUP] [watch]   (CONFIG: a preset
 *        name, or "L,NH,C,V" for a custom GPT-2 shape with n_positions = T;
 *        watch: with the trainer's domain watch attached, model/domain_watch.h,
 *        to measure its cost) */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include "base/blas_env.h"
#include "base/clock.h"
#include "model/domain_watch.h"
#include "model/gpt2.h"
#include "model/optim.h"
#include "base/rng.h"


static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
    if (argc < 4) {
        fprintf(stderr, "usage: bench_train CONFIG B T [STEPS] [WARMUP]\n");
        return 2;
    }
    blas_env_reexec(argv);
    gpt2_config cfg;
    lnf_error err;
    int B = atoi(argv[2]), T = atoi(argv[3]);
    int steps = argc > 4 ? atoi(argv[4]) : 5, warmup = argc > 5 ? atoi(argv[5]) : 1;
    int watched = argc > 6 && strcmp(argv[6], "watch") == 0;
    int L, NH, C, V;
    if (sscanf(argv[1], "%d,%d,%d,%d", &L, &NH, &C, &V) == 4) {
        cfg = (gpt2_config){.n_layer = L, .n_head = NH, .n_embd = C, .n_positions = T,
                            .vocab_size = V, .eos_token_id = V - 1, .layer_norm_epsilon = 1e-5f};
    } else if (config_preset(&cfg, argv[1], &err) != 0) {
        fprintf(stderr, "bench_train: %s\n", err.msg);
        return 2;
    }
    gpt2 m;
    if (gpt2_create(&m, &cfg, &err) != 0) {
        fprintf(stderr, "bench_train: %s\n", err.msg);
        return 1;
    }
    gpt2_init_random(&m, 1337);
    domain_watch watch;
    dw_reset(&watch);
    m.watch = watched ? &watch : NULL;
    int *x = malloc((size_t)B * T * sizeof(int)), *y = malloc((size_t)B * T * sizeof(int));
    rng_t rng;
    rng_seed(&rng, 42);
    for (int i = 0; i < B * T; i++) {
        x[i] = (int)(rng_next(&rng) % (uint64_t)cfg.vocab_size);
        y[i] = (int)(rng_next(&rng) % (uint64_t)cfg.vocab_size);
    }
    optim_settings optim = optim_defaults();
    double *times = calloc((size_t)steps, sizeof(double));
    float loss = 0.0f;
    for (int s = 0; s < warmup + steps; s++) {
        double t0 = lnf_now();
        if (gpt2_forward(&m, x, y, B, T, &err) != 0) {
            fprintf(stderr, "bench_train: %s\n", err.msg);
            return 1;
        }
        gpt2_zero_grad(&m);
        gpt2_backward(&m, 1.0f / (float)(B * T));
        if (optim_step(&m, &optim, optim.adam.lr, optim_grad_norm(&m), &err) != 0 ||
            dw_check(&watch, &err) != 0) {
            fprintf(stderr, "bench_train: %s\n", err.msg);
            return 1;
        }
        if (s >= warmup) {
            times[s - warmup] = lnf_now() - t0;
        }
        loss = m.mean_loss;
    }
    qsort(times, (size_t)steps, sizeof(double), cmp_double);
    double median = times[steps / 2];
    /* training FLOPs per token: 6 per weight (forward 2, backward 4) over every
     * matrix including the tied unembedding, plus attention's 12·L·C·T */
    double matrix_params = (double)cfg.vocab_size * cfg.n_embd +
                           (double)cfg.n_layer * 12.0 * cfg.n_embd * cfg.n_embd;
    double flops = (double)B * T * (6.0 * matrix_params + 12.0 * cfg.n_layer * cfg.n_embd * T);
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    const char *core = blas_core_in_use();
    printf("{\"impl\": \"lnfree\", \"openblas_coretype\": \"%s\", \"seconds_per_step\": %.6f, \"tokens_per_s\": %.3f, "
           "\"gflops\": %.3f, \"peak_rss_mib\": %.1f, \"loss\": %.5f, \"params\": %zu, \"watch\": %s}\n",
           core ? core : "", median, (double)B * T / median, flops / median * 1e-9, ru.ru_maxrss / 1024.0,
           (double)loss, m.n_params, watched ? "true" : "false");
    free(times);
    free(x);
    free(y);
    gpt2_free(&m);
    return 0;
}
