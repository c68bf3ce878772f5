/* rng: a small deterministic generator (splitmix64) for initialisation and
 * data sampling; the same seed gives the same numbers on every machine. */
#ifndef LNFREE_BASE_RNG_H
#define LNFREE_BASE_RNG_H

#include <stdint.h>

typedef struct {
    uint64_t state;
} rng_t;

void rng_seed(rng_t *r, uint64_t seed);
uint64_t rng_next(rng_t *r);
/* Uniform in [0, 1) with 24 random bits (exactly representable in float). */
float rng_uniform(rng_t *r);
/* Standard normal (Box–Muller in double). */
float rng_normal(rng_t *r);

#endif
