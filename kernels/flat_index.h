/* flat_index: the row k / w and column k % w of the flat index k of a
 * row-major [n, w] array, handed to the WP proofs by lemma functions.
 *
 * A contract that states every element of a 2-D output quantifies over one
 * flat index k rather than over (row, column): the provers then find the
 * frame fact "elements outside the row just written keep their values"
 * (k < r·w is linear in the product r·w), where with (r2, i) they must first
 * instantiate r2·w + i against the row's range, which they do not.
 *
 * The functions below have no code: each is a lemma whose contract is proved
 * once, in kernels/flat_index.c, with the arithmetic lemmas there. A call
 * hands the caller the facts for one row. The lemmas stay out of the
 * kernels' own files: there they slow unrelated nonlinear goals (the row
 * offsets' ranges in kernels/index.h) past the provers' time limit. */
#ifndef LNFREE_KERNELS_FLAT_INDEX_H
#define LNFREE_KERNELS_FLAT_INDEX_H

/* Row r of a [·, w] array: the row and column of each of its flat indices. */
/*@ requires row: 0 < w && 0 <= r;
  @ assigns \nothing;
  @ ensures row_index: \forall integer k; r * w <= k < r * w + w ==>
  @   k / w == r && k % w == k - r * w;
  @ ensures next_row: (r + 1) * w == r * w + w;
  @*/
void lnf_flat_row_facts(int r, int w);

/* Every flat index k < n of a [·, w] array lies in row r exactly when
 * k / w == r, and its column is k − (k / w)·w. */
/*@ requires row: 0 < w && 0 <= r;
  @ assigns \nothing;
  @ ensures row_iff: \forall integer k; 0 <= k < n ==>
  @   (r * w <= k < r * w + w <==> k / w == r) && k % w == k - (k / w) * w;
  @*/
void lnf_flat_row_iff(int r, int w, int n);

/* Every flat index of a [n, w] array: its row and column lie in range. */
/*@ requires sizes: 0 < n && 0 < w;
  @ assigns \nothing;
  @ ensures in_range: \forall integer k; 0 <= k < n * w ==> 0 <= k / w < n && 0 <= k % w < w;
  @*/
void lnf_flat_bounds(int n, int w);

/* The strided vector i·s, 0 ≤ i < n (a column of a [n, s] array): each of
 * its offsets and the next one stay within the n·s elements. */
/*@ requires sizes: 0 < n && 0 < s;
  @ assigns \nothing;
  @ ensures in_range: \forall integer i; 0 <= i < n ==> 0 <= i * s && i * s + s <= n * s;
  @*/
void lnf_stride_facts(int n, int s);

#endif
