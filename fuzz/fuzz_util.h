/* fuzz_util: what every libFuzzer target in fuzz/ shares.
 *
 * - fz_reader turns the fuzz bytes into sizes, choices and floats. Reads past
 *   the end give zeros, so every input decodes to something and short inputs
 *   mean small cases.
 * - float decoders aimed at a domain: mostly inside it (uniform or spread over
 *   many magnitudes), sometimes exactly on its edge, just past it, or a
 *   special value (NaN, ±inf, huge, subnormal), so that the guard that rejects
 *   out-of-domain inputs is exercised on both sides.
 * - fz_finding: report a violated property and abort (libFuzzer saves the input).
 * - per-process temporary files for the parsers that take a path. */
#ifndef LNFREE_FUZZ_FUZZ_UTIL_H
#define LNFREE_FUZZ_FUZZ_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include "kernels/layernorm.h"
#include "base/rng.h"

typedef struct {
    const uint8_t *p;
    size_t n;
} fz_reader;

void fz_init(fz_reader *r, const uint8_t *data, size_t size);
size_t fz_left(const fz_reader *r);
uint8_t fz_u8(fz_reader *r);
uint16_t fz_u16(fz_reader *r);
uint32_t fz_u32(fz_reader *r);
uint64_t fz_u64(fz_reader *r);
/* An integer in [lo, hi] (lo <= hi). */
int fz_int(fz_reader *r, int lo, int hi);
/* 1 with probability about num/256. */
int fz_chance(fz_reader *r, int num);

/* Uniform in [lo, hi] from 16 bits (both ends reachable). */
float fz_uniform(fz_reader *r, float lo, float hi);
/* log-uniform in [lo, hi], 0 < lo <= hi (both ends reachable). */
float fz_log_uniform(fz_reader *r, float lo, float hi);
/* Any 32-bit pattern. */
float fz_raw_float(fz_reader *r);
/* A value meant for |x| <= bound: ~90% inside (uniform, or sign × a
 * magnitude log-uniform in [1e-30·bound, bound], ±bound or 0), the rest ±bound,
 * the next float past ±bound, 2·bound, NaN, ±inf, FLT_MAX, a subnormal or a
 * raw pattern. */
float fz_float_near(fz_reader *r, float bound);
/* Only the inside part of fz_float_near: always finite with |x| <= bound. */
float fz_float_within(fz_reader *r, float bound);
/* A positive scale meant for [lo, hi]: mostly log-uniform inside, sometimes
 * lo, hi, just outside either end, 0, negative, NaN or ±inf. */
float fz_scale_near(fz_reader *r, float lo, float hi);

/* Deterministic filler for arrays too large to take from the input: the
 * model's generator (rng.h) seeded from the input. Uniform in [-1, 1). */
float fz_rng_sym(rng_t *g);

/* Prints "fuzz finding: <message>" to stderr and aborts. */
_Noreturn void fz_finding(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* fz_finding unless every x[i] is finite; `what` names the array. */
void fz_require_finite(const float *x, size_t n, const char *what);

/* malloc that treats failure as a harness error (abort), never as a finding
 * in the code under test. */
void *fz_alloc(size_t bytes);
float *fz_floats(size_t n);

/* A path in /dev/shm (else $TMPDIR or /tmp) private to this process and
 * `tag`, removed at exit. fz_write_file writes size bytes there (replacing
 * it) and returns the path. */
const char *fz_temp_path(const char *tag);
const char *fz_write_file(const char *tag, const void *data, size_t size);

/* Which of layernorm_fixed_domain_check's checks fail for these inputs,
 * decided independently of it: violated[LN_DOMAIN_BAD_*] = 1 (index 0 unused). */
void fz_ln_domain_violations(int violated[LN_DOMAIN_BAD_WIDTH + 1], const float *inp,
                             const float *weight, const float *bias, const float *scales,
                             int N, int C);

/* Library code may use OpenMP and OpenBLAS threads: one thread keeps runs
 * deterministic and leaves the machine's other cores alone. */
void fz_single_thread(void);

/* The LLVMFuzzerInitialize of a target that needs nothing but one thread. */
#define FZ_SINGLE_THREADED_TARGET                     \
    int LLVMFuzzerInitialize(int *argc, char ***argv) \
    {                                                 \
        (void)argc;                                   \
        (void)argv;                                   \
        fz_single_thread();                           \
        return 0;                                     \
    }

#endif
