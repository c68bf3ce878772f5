/* golden_util: shared helpers for the kernel Check suites.
 *
 * - loading golden tensors (golden/kernels/<kernel>.safetensors, written by
 *   golden/make_golden.py) into malloc'd buffers by "<case>.<what>" name;
 * - max |Δ| comparisons that fail the running Check test with a message naming
 *   the worst element;
 * - a central finite-difference gradient checker;
 * - a small deterministic RNG for property tests.
 * Every loader failure aborts the current test (ck_abort_msg): a missing or
 * mis-shaped golden tensor is a test failure, never a skip. */
#ifndef LNFREE_TESTS_GOLDEN_UTIL_H
#define LNFREE_TESTS_GOLDEN_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <check.h>
#include "base/safetensors.h"

#define GU_MAX_CASES 32
#define GU_CASE_LEN 64

/* Opens golden/kernels/<kernel>.safetensors (tests run from the project root). */
void gu_open(st_file *f, const char *kernel);

/* Case names: the prefixes of every "<case>.dims" tensor, sorted. Aborts the
 * test if there are fewer than min_cases. Returns the count. */
int gu_cases(const st_file *f, char names[][GU_CASE_LEN], int min_cases);

/* malloc'd copies of "<case>.<what>"; abort unless the tensor exists, has the
 * right dtype and exactly `numel` elements. Free with free(). */
float *gu_f32(const st_file *f, const char *cs, const char *what, size_t numel);
int32_t *gu_i32(const st_file *f, const char *cs, const char *what, size_t numel);
uint8_t *gu_u8(const st_file *f, const char *cs, const char *what, size_t numel);
/* "<case>.dims" with exactly n entries. */
void gu_dims(const st_file *f, const char *cs, int *dims, int n);
/* 1 if "<case>.<what>" exists. */
int gu_has(const st_file *f, const char *cs, const char *what);

double gu_max_abs(const float *x, size_t n);

/* Fails the test unless max_i |got_i − ref_i| ≤ tol · max(floor, max_i |ref_i|).
 * floor = 1 gives "absolute below unit scale, relative above it"; floor = 0
 * is purely relative to the tensor's scale. NaN/Inf in got always fails.
 * Returns the achieved max|Δ| / max(floor, max|ref|) (for logging). */
double gu_assert_close(const char *label, const float *got, const float *ref, size_t n,
                       double tol, double floor);

/* Element by element: fails unless |got_i − ref_i| ≤ tol · max(floor, |ref_i|)
 * for every i (for tensors whose entries span many orders of magnitude). */
double gu_assert_close_each(const char *label, const float *got, const float *ref, size_t n,
                            double tol, double floor);

/* Same as gu_assert_close on (got − start), for backward functions that
 * accumulate (+=): the caller started the gradient buffer at `start`. */
double gu_assert_accum(const char *label, const float *got, const float *start,
                       const float *ref, size_t n, double tol, double floor);

/* Σ w_i · out_i accumulated in double (the finite-difference loss). */
double gu_dot(const float *w, const float *out, size_t n);

/* Loss callback for gu_check_fd: runs the forward with the current inputs and
 * returns the loss in double. */
typedef double (*gu_loss_fn)(void *ctx);

/* Central differences: for every i, x[i] ← x[i] ± h (the float actually
 * stored, so the step is exact), L± = loss(ctx), fd = (L+ − L−)/(x+ − x−);
 * x[i] is restored. Fails the test unless, for every i,
 *   |fd − analytic[i]| ≤ atol + rtol · |analytic[i]|.
 * Returns the worst |fd − analytic| / (atol + rtol·|analytic|) (≤ 1 passes). */
double gu_check_fd(const char *label, float *x, size_t n, const float *analytic, double h,
                   double atol, double rtol, gu_loss_fn loss, void *ctx);

/* Runs a suite (CK_NORMAL output) and returns the process exit status. With
 * LNFREE_TEST_VERBOSE set in the environment, every comparison prints the
 * ratio it achieved (error / allowed), to see the margin of each tolerance. */
int gu_run(Suite *s);

/* printf into one of 8 rotating static buffers: labels for the asserts. */
const char *gu_fmt(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int gu_verbose(void);

/* Deterministic RNG (splitmix64). */
typedef struct {
    uint64_t s;
} gu_rng;
void gu_seed(gu_rng *r, uint64_t seed);
double gu_uniform(gu_rng *r); /* [0, 1) */
double gu_normal(gu_rng *r);  /* N(0, 1) */
/* malloc'd array of n floats: scale · N(0,1) + shift. */
float *gu_randn(gu_rng *r, size_t n, double scale, double shift);
/* malloc'd array of n floats all equal to value. */
float *gu_filled(size_t n, float value);
/* malloc'd copy. */
float *gu_copy(const float *x, size_t n);

#endif
