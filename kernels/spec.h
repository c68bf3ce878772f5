/* spec: the logic the kernels' contracts share, written once (ACSL only, no
 * C code): validity, separation and size predicates over the flat arrays the
 * kernels take. Each header's contracts name their clauses and state their
 * requirements through these. */
#ifndef LNFREE_KERNELS_SPEC_H
#define LNFREE_KERNELS_SPEC_H

/*@ // n values fit an int index (the kernels index with int)
  @ predicate lnf_fits_int(integer n) = 0 <= n <= 0x7fffffff;
  @
  @ // p[0 .. n-1] may be written / read
  @ predicate lnf_writable(float *p, integer n) = \valid(p + (0 .. n - 1));
  @ predicate lnf_readable(float *p, integer n) = \valid_read(p + (0 .. n - 1));
  @ predicate lnf_readable_ints(int *p, integer n) = \valid_read(p + (0 .. n - 1));
  @
  @ // the arrays a[0 .. n-1] and b[0 .. m-1] share no element
  @ predicate lnf_apart(float *a, integer n, float *b, integer m) =
  @   \separated(a + (0 .. n - 1), b + (0 .. m - 1));
  @
  @ // Σ_{i<k} x[i]² over the reals
  @ logic real lnf_sumsq{L}(float *x, integer k) =
  @   k <= 0 ? 0.0 : lnf_sumsq(x, k - 1) + x[k - 1] * x[k - 1];
  @
  @ // every id in ids[0 .. n-1] indexes a table of V rows
  @ predicate lnf_ids_below(int *ids, integer n, integer V) =
  @   \forall integer i; 0 <= i < n ==> 0 <= ids[i] < V;
  @*/

#endif
