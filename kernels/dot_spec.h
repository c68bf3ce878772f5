/* dot_spec: the dot product and the strided sum the matmul contracts state
 * their outputs with (ACSL only, no C code). */
#ifndef LNFREE_KERNELS_DOT_SPEC_H
#define LNFREE_KERNELS_DOT_SPEC_H

/*@ // lnf_dot(a, a0, sa, b, b0, sb, n) = Σ_{i<n} a[a0 + i·sa]·b[b0 + i·sb]
  @ // over the reals: the dot product of two strided vectors of the arrays a
  @ // and b (stride 1 along a row, the row length down a column). The
  @ // vectors are named by array and offset, not by a pointer into the array,
  @ // so that a fact about a[j] matches each term a[a0 + i·sa] as it stands.
  @ //
  @ // Two axiomatics, so that a proof sees the sum's terms only where it
  @ // computes them: WP adds an axiomatic's axioms to a goal only when the goal
  @ // names one of its symbols. The contracts name lnf_dot, of which the
  @ // provers know only that it depends on its terms; the loop that computes
  @ // the sum (matmul_dot) names lnf_dot_sum, defined by its first and next
  @ // terms as ACSL by Example defines its sums, and equal to lnf_dot. With
  @ // the next-term axiom in a kernel's whole context the provers unfold every
  @ // lnf_dot term there without end.
  @ axiomatic LnfDot {
  @   logic real lnf_dot{L}(float *a, integer a0, integer sa, float *b, integer b0, integer sb,
  @                         integer n) reads a[..], b[..];
  @   // ASSUMED (verify/PROOFS.md): the value depends on its n terms only. It
  @   // follows from lnf_dot_sum's axioms by induction on n, which the SMT
  @   // provers do not do, and WP does not derive it from the reads clause.
  @   axiom lnf_dot_frame{L1, L2}:
  @     \forall float *a, *b, integer a0, sa, b0, sb, n; 0 <= n &&
  @       (\forall integer i; 0 <= i < n ==>
  @          \at(a[a0 + i * sa], L1) == \at(a[a0 + i * sa], L2) &&
  @          \at(b[b0 + i * sb], L1) == \at(b[b0 + i * sb], L2)) ==>
  @       lnf_dot{L1}(a, a0, sa, b, b0, sb, n) == lnf_dot{L2}(a, a0, sa, b, b0, sb, n);
  @ }
  @
  @ axiomatic LnfDotSum {
  @   logic real lnf_dot_sum{L}(float *a, integer a0, integer sa, float *b, integer b0,
  @                             integer sb, integer n) reads a[..], b[..];
  @   axiom lnf_dot_sum_empty{L}:
  @     \forall float *a, *b, integer a0, sa, b0, sb; lnf_dot_sum(a, a0, sa, b, b0, sb, 0) == 0.0;
  @   axiom lnf_dot_sum_next{L}:
  @     \forall float *a, *b, integer a0, sa, b0, sb, n; 0 <= n ==>
  @       lnf_dot_sum(a, a0, sa, b, b0, sb, n + 1) ==
  @       lnf_dot_sum(a, a0, sa, b, b0, sb, n) + a[a0 + n * sa] * b[b0 + n * sb];
  @   axiom lnf_dot_is_sum{L}:
  @     \forall float *a, *b, integer a0, sa, b0, sb, n;
  @       lnf_dot(a, a0, sa, b, b0, sb, n) == lnf_dot_sum(a, a0, sa, b, b0, sb, n);
  @ }
  @
  @ // lnf_sum(a, a0, sa, n) = Σ_{i<n} a[a0 + i·sa] over the reals (a column of
  @ // dout for dbias): the same two axiomatics as lnf_dot, for the same reason.
  @ axiomatic LnfSum {
  @   logic real lnf_sum{L}(float *a, integer a0, integer sa, integer n) reads a[..];
  @   // ASSUMED (verify/PROOFS.md), as lnf_dot_frame: the value depends on its n terms only
  @   axiom lnf_sum_frame{L1, L2}:
  @     \forall float *a, integer a0, sa, n; 0 <= n &&
  @       (\forall integer i; 0 <= i < n ==> \at(a[a0 + i * sa], L1) == \at(a[a0 + i * sa], L2)) ==>
  @       lnf_sum{L1}(a, a0, sa, n) == lnf_sum{L2}(a, a0, sa, n);
  @ }
  @
  @ axiomatic LnfSumTerms {
  @   logic real lnf_sum_terms{L}(float *a, integer a0, integer sa, integer n) reads a[..];
  @   axiom lnf_sum_terms_empty{L}:
  @     \forall float *a, integer a0, sa; lnf_sum_terms(a, a0, sa, 0) == 0.0;
  @   axiom lnf_sum_terms_next{L}:
  @     \forall float *a, integer a0, sa, n; 0 <= n ==>
  @       lnf_sum_terms(a, a0, sa, n + 1) == lnf_sum_terms(a, a0, sa, n) + a[a0 + n * sa];
  @   axiom lnf_sum_is_terms{L}:
  @     \forall float *a, integer a0, sa, n; lnf_sum(a, a0, sa, n) == lnf_sum_terms(a, a0, sa, n);
  @ }
  @*/

#endif
