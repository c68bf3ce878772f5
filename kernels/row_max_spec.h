/* row_max_spec: the largest of a row of floats, as the contracts of
 * softmax.c and of attention_blas.c's softmax row name it (ACSL only, no C
 * code). A header of its own: softmax.h's other logic in a goal's context
 * slows goals that never name it past the provers' limit. */
#ifndef LNFREE_KERNELS_ROW_MAX_SPEC_H
#define LNFREE_KERNELS_ROW_MAX_SPEC_H

/*@ // max_i x[i] over a row of n values: the one value no other exceeds,
  @ // found at softmax_argmax. The axioms characterise the two; nothing is
  @ // assumed (a non-empty row has a largest value, and the axioms pin it
  @ // down; the argmax is a witness, any of the places of the max).
  @ axiomatic SoftmaxMax {
  @   logic real softmax_max{L}(float *x, integer n) reads x[0 .. n - 1];
  @   logic integer softmax_argmax{L}(float *x, integer n) reads x[0 .. n - 1];
  @   axiom softmax_max_upper{L}: \forall float *x, integer n, i; 0 <= i < n ==>
  @     x[i] <= softmax_max(x, n);
  @   axiom softmax_max_attained{L}: \forall float *x, integer n; 0 < n ==>
  @     0 <= softmax_argmax(x, n) < n && x[softmax_argmax(x, n)] == softmax_max(x, n);
  @ }
  @*/

#endif
