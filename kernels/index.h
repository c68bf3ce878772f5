/* index: the row offset r·w of a row-major [n, w] array, with the facts the
 * Frama-C WP proofs need about it (0 ≤ r·w and r·w + w ≤ n·w, so row r lies
 * inside the array and the product cannot overflow).
 *
 * The SMT provers' nonlinear integer arithmetic is weak inside a large
 * kernel's proof context, so every kernel takes its row offsets from this one
 * function: its contract is proved once, in a context of its own, and callers
 * only use the (linear) facts it ensures. It compiles to a single multiply. */
#ifndef LNFREE_KERNELS_INDEX_H
#define LNFREE_KERNELS_INDEX_H

/*@ lemma lnf_row_before:
  @   \forall integer r1, r2, i, w; 0 <= r1 < r2 && 0 <= i < w ==> r1 * w + i < r2 * w;
  @*/

/* lnf_at(p) reads *p in the memory state of the label it is applied at: with
 * lnf_at{Pre}(p) an assertion compares a value with the one it had on entry,
 * for a pointer p that is a local (\at(*p, Pre) cannot name it). */
/*@ logic real lnf_at{L}(float *p) = *p; */

/*@ requires row: 0 <= r < n && 0 <= w;
  @ requires fits_int: n * w <= 0x7fffffff;
  @ assigns \nothing;
  @ ensures value: \result == r * w;
  @ ensures in_range: 0 <= \result && \result + w <= n * w;
  @*/
static inline int lnf_row_offset(int r, int n, int w)
{
    (void)n; /* bounds the contract only */
    return r * w;
}

/* The offset r·w of row r inside the rows r0 .. r1−1 of a [n, w] array: the
 * row lies inside the block (for kernels that compute one block of rows). */
/*@ requires row: 0 <= r0 <= r < r1 <= n && 0 <= w;
  @ requires fits_int: n * w <= 0x7fffffff;
  @ assigns \nothing;
  @ ensures value: \result == r * w;
  @ ensures in_block: r0 * w <= \result && \result + w <= r1 * w;
  @ ensures in_range: 0 <= \result && \result + w <= n * w;
  @*/
static inline int lnf_block_row_offset(int r, int r0, int r1, int n, int w)
{
    (void)r0; /* bound the contract only */
    (void)r1;
    (void)n;
    return r * w;
}

#endif
