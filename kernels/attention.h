/* attention: causal multi-head self-attention over separate q, k, v.
 *
 * q, k, v, out: [B,T,C] with C = NH·hs; head h uses channels h·hs .. h·hs+hs-1.
 * att: [B,NH,T,T] softmax probabilities saved for backward (row t holds keys
 * 0..t; entries t2 > t are written as 0). Scores are q·k/√hs with the row max
 * subtracted before exp, as in PyTorch.
 * Backward accumulates (+=) into dq, dk, dv; scratch holds T floats. */
#ifndef LNFREE_KERNELS_ATTENTION_H
#define LNFREE_KERNELS_ATTENTION_H

#include <errno.h> /* expf may set errno (ERANGE on underflow): the contract says so */
#include "kernels/spec.h"
#include "kernels/dot_spec.h"  /* lnf_dot */
#include "kernels/libm_spec.h" /* lnf_expf_nonpos */
#ifdef __FRAMAC__
#include "kernels/vecmath.h" /* LANES, for the dot product's logic only (as softmax.h) */
#endif

/*@ // a·b over n floats as attention.c's dot() adds it (kernels/vecmath.h):
  @ // lane j holds the terms j, j + LANES, … of the n / LANES whole blocks,
  @ // lane 0 also the tail past them, and the lanes are added last, lane 0
  @ // first. The same real number as lnf_dot(a, 0, 1, b, 0, 1, n), in the
  @ // kernel's order (the provers cannot reorder a sum: that is induction).
  @ logic real attn_lane{L}(float *a, float *b, integer n, integer j) =
  @   lnf_dot(a, j, LANES, b, j, LANES, n / LANES);
  @ logic real attn_tail{L}(float *a, float *b, integer n) =
  @   lnf_dot(a, n / LANES * LANES, 1, b, n / LANES * LANES, 1, n % LANES);
  @ // Two axiomatics, as lnf_dot in dot_spec.h: the contracts name attn_dot,
  @ // of which the provers know only that it depends on its terms; the loop
  @ // that computes it names attn_lanes, whose next-lane axiom elsewhere
  @ // would have the provers unfold every dot product in a goal's context.
  @ axiomatic AttnDot {
  @   logic real attn_dot{L}(float *a, float *b, integer n) reads a[..], b[..];
  @   // ASSUMED (verify/PROOFS.md): the value depends on the n terms only; it
  @   // follows from lnf_dot_frame by induction on the lanes, which the
  @   // provers do not do
  @   axiom attn_dot_frame{L1, L2}: \forall float *a, *b, integer n; 0 <= n &&
  @     (\forall integer i; 0 <= i < n ==>
  @        \at(a[i], L1) == \at(a[i], L2) && \at(b[i], L1) == \at(b[i], L2)) ==>
  @     attn_dot{L1}(a, b, n) == attn_dot{L2}(a, b, n);
  @ }
  @ axiomatic AttnDotLanes {
  @   // lanes 0 .. J-1 added, lane 0 with the tail
  @   logic real attn_lanes{L}(float *a, float *b, integer n, integer J) reads a[..], b[..];
  @   axiom attn_lanes_first{L}: \forall float *a, *b, integer n;
  @     attn_lanes(a, b, n, 1) == attn_lane(a, b, n, 0) + attn_tail(a, b, n);
  @   axiom attn_lanes_next{L}: \forall float *a, *b, integer n, J; 1 <= J ==>
  @     attn_lanes(a, b, n, J + 1) == attn_lanes(a, b, n, J) + attn_lane(a, b, n, J);
  @   axiom attn_dot_is_lanes{L}: \forall float *a, *b, integer n;
  @     attn_dot(a, b, n) == attn_lanes(a, b, n, LANES);
  @ }
  @
  @ // The causal scores of one query row of a head: qt points at the row's
  @ // hs channels, k at the entry's [T, C] keys, ko = the head's first channel.
  @ // score(s) = q_t·k_s/√hs for key s.
  @ logic real attn_score{L}(float *qt, float *k, integer ko, integer C, integer hs, integer s) =
  @   attn_dot(qt, k + (s * C + ko), hs) * (1.0 / \sqrt(hs));
  @
  @ // max_{s<n} score(s): characterised by its axioms (an upper bound, found
  @ // at the witness attn_argmax), as softmax_max; nothing is assumed
  @ axiomatic AttnMax {
  @   logic real attn_max{L}(float *qt, float *k, integer ko, integer C, integer hs, integer n)
  @     reads qt[..], k[..];
  @   logic integer attn_argmax{L}(float *qt, float *k, integer ko, integer C, integer hs,
  @                                integer n) reads qt[..], k[..];
  @   axiom attn_max_upper{L}: \forall float *qt, *k, integer ko, C, hs, n, s; 0 <= s < n ==>
  @     attn_score(qt, k, ko, C, hs, s) <= attn_max(qt, k, ko, C, hs, n);
  @   axiom attn_max_attained{L}: \forall float *qt, *k, integer ko, C, hs, n; 0 < n ==>
  @     0 <= attn_argmax(qt, k, ko, C, hs, n) < n &&
  @     attn_score(qt, k, ko, C, hs, attn_argmax(qt, k, ko, C, hs, n)) ==
  @     attn_max(qt, k, ko, C, hs, n);
  @ }
  @
  @ // Σ_{s<n} exp(score(s) − m), in key order over the reals: the contract
  @ // symbol, and its terms for the loop that adds them (as attn_dot)
  @ axiomatic AttnSumExp {
  @   logic real attn_sum_exp{L}(float *qt, float *k, integer ko, integer C, integer hs,
  @                              real m, integer n) reads qt[..], k[..];
  @ }
  @ axiomatic AttnSumExpTerms {
  @   logic real attn_sum_terms{L}(float *qt, float *k, integer ko, integer C, integer hs,
  @                                real m, integer n) reads qt[..], k[..];
  @   axiom attn_sum_terms_empty{L}: \forall float *qt, *k, integer ko, C, hs, real m;
  @     attn_sum_terms(qt, k, ko, C, hs, m, 0) == 0.0;
  @   axiom attn_sum_terms_next{L}: \forall float *qt, *k, integer ko, C, hs, real m, integer n;
  @     0 <= n ==> attn_sum_terms(qt, k, ko, C, hs, m, n + 1) ==
  @     attn_sum_terms(qt, k, ko, C, hs, m, n) +
  @     lnf_expf_nonpos(attn_score(qt, k, ko, C, hs, n) - m);
  @   axiom attn_sum_is_terms{L}: \forall float *qt, *k, integer ko, C, hs, real m, integer n;
  @     attn_sum_exp(qt, k, ko, C, hs, m, n) == attn_sum_terms(qt, k, ko, C, hs, m, n);
  @ }
  @
  @ // q_t's hs channels and the rows 0 .. n-1 of k [·, C] (keys 0 .. n-1)
  @ // are the same at L1 and L2, for a head whose channels ko .. ko+hs-1 lie
  @ // in the row
  @ predicate attn_same_inputs{L1, L2}(float *qt, float *k, integer ko, integer C, integer hs,
  @                                   integer n) =
  @   0 <= ko && ko + hs <= C &&
  @   (\forall integer i; 0 <= i < hs ==> \at(qt[i], L1) == \at(qt[i], L2)) &&
  @   (\forall integer x; 0 <= x < n * C ==> \at(k[x], L1) == \at(k[x], L2));
  @
  @ lemma attn_row_in: \forall integer s, n, C, x; 0 <= s < n && 0 <= x < C ==>
  @   0 <= s * C + x < n * C;
  @ axiomatic AttnScoreFrame {
  @   // ASSUMED (verify/PROOFS.md): a score depends on q_t and key s only. It
  @   // follows from attn_dot_frame and attn_row_in, but the provers do not
  @   // match the key's shifted pointer k + (s·C + ko) with the flat rows of
  @   // attn_same_inputs
  @   axiom attn_score_frame{L1, L2}: \forall float *qt, *k, integer ko, C, hs, n, s;
  @     0 <= hs && 0 <= s < n && attn_same_inputs{L1, L2}(qt, k, ko, C, hs, n) ==>
  @     attn_score{L1}(qt, k, ko, C, hs, s) == attn_score{L2}(qt, k, ko, C, hs, s);
  @ }
  @ lemma attn_max_frame{L1, L2}: \forall float *qt, *k, integer ko, C, hs, n;
  @   0 <= hs && 0 < n && attn_same_inputs{L1, L2}(qt, k, ko, C, hs, n) ==>
  @   attn_max{L1}(qt, k, ko, C, hs, n) == attn_max{L2}(qt, k, ko, C, hs, n);
  @ axiomatic AttnSumExpFrame {
  @   // ASSUMED (verify/PROOFS.md): the sum depends on its n terms only (by
  @   // induction on n from attn_score_frame, which the provers do not do)
  @   axiom attn_sum_exp_frame{L1, L2}: \forall float *qt, *k, integer ko, C, hs, real m, integer n;
  @     0 <= hs && 0 <= n && attn_same_inputs{L1, L2}(qt, k, ko, C, hs, n) ==>
  @     attn_sum_exp{L1}(qt, k, ko, C, hs, m, n) == attn_sum_exp{L2}(qt, k, ko, C, hs, m, n);
  @ }
  @
  @ // the softmax of the scores 0 .. t of query row t: its denominator (at
  @ // least 1, the max's own term being e⁰: the kernel's clamp never fires,
  @ // and the contract states it rather than prove it) and weight s, 0 for
  @ // the keys s > t the row cannot see
  @ logic real attn_denominator{L}(float *qt, float *k, integer ko, integer C, integer hs,
  @                                integer t) =
  @   attn_sum_exp(qt, k, ko, C, hs, attn_max(qt, k, ko, C, hs, t + 1), t + 1) < 1.0 ? 1.0 :
  @   attn_sum_exp(qt, k, ko, C, hs, attn_max(qt, k, ko, C, hs, t + 1), t + 1);
  @ logic real attn_weight{L}(float *qt, float *k, integer ko, integer C, integer hs, integer t,
  @                           integer s) =
  @   s <= t ? lnf_expf_nonpos(attn_score(qt, k, ko, C, hs, s) - attn_max(qt, k, ko, C, hs, t + 1)) *
  @            (1.0 / attn_denominator(qt, k, ko, C, hs, t)) : 0.0;
  @ lemma attn_weight_frame{L1, L2}: \forall float *qt, *k, integer ko, C, hs, t, s;
  @   0 <= hs && 0 <= t && 0 <= s && attn_same_inputs{L1, L2}(qt, k, ko, C, hs, t + 1) ==>
  @   attn_weight{L1}(qt, k, ko, C, hs, t, s) == attn_weight{L2}(qt, k, ko, C, hs, t, s);
  @
  @ // the rows 0 .. n-1 of v [·, C] are the same at L1 and L2
  @ predicate attn_same_values{L1, L2}(float *v, integer n, integer C) =
  @   \forall integer x; 0 <= x < n * C ==> \at(v[x], L1) == \at(v[x], L2);
  @
  @ // out of query row t, channel c of v [·, C]: Σ_{s ≤ t} weight(t, s)·v[s·C + c],
  @ // in key order over the reals (the contract symbol, and its terms for the
  @ // loop that adds them, as attn_dot)
  @ axiomatic AttnOut {
  @   logic real attn_out{L}(float *qt, float *k, float *v, integer ko, integer C, integer hs,
  @                          integer t, integer c) reads qt[..], k[..], v[..];
  @   // ASSUMED (verify/PROOFS.md): the value depends on its terms only (by
  @   // induction on t from attn_weight_frame, which the provers do not do)
  @   axiom attn_out_frame{L1, L2}: \forall float *qt, *k, *v, integer ko, C, hs, t, c;
  @     0 <= hs && 0 <= t && 0 <= c < C && attn_same_inputs{L1, L2}(qt, k, ko, C, hs, t + 1) &&
  @     attn_same_values{L1, L2}(v, t + 1, C) ==>
  @     attn_out{L1}(qt, k, v, ko, C, hs, t, c) == attn_out{L2}(qt, k, v, ko, C, hs, t, c);
  @ }
  @ // the weights and outputs of query row r of a head as the whole-head
  @ // contracts name them: q, k and v at the entry's [T, C] arrays, ko the
  @ // head's first channel (so that a proof about rows r and t need not
  @ // compare the products r·C and t·C)
  @ logic real attn_row_weight{L}(float *q, float *k, integer ko, integer C, integer hs,
  @                               integer r, integer s) =
  @   attn_weight(q + (r * C + ko), k, ko, C, hs, r, s);
  @ logic real attn_row_out{L}(float *q, float *k, float *v, integer ko, integer C, integer hs,
  @                            integer r, integer c) =
  @   attn_out(q + (r * C + ko), k, v, ko, C, hs, r, c);
  @
  @ // a·b as a symbol of its own, for the backward's terms: the proofs carry
  @ // a term from the inputs on entry by equality of its factors, which for
  @ // a symbol the provers see at once (congruence) and for `*` did not
  @ // (10 s timeouts). A definition, not an assumption: one axiom names it.
  @ axiomatic AttnMul {
  @   logic real attn_mul(real a, real b);
  @   axiom attn_mul_is: \forall real a, b; attn_mul(a, b) == a * b;
  @ }
  @
  @ // The backward's dq of query row t (the head's weights at at = att's row
  @ // t, dt = dout's row t at the head's channels): datt(s) = dt·v_s, the
  @ // gradient of weight s; dscore(s) = at[s]·(datt(s) − Σ_{s′≤t} at[s′]·datt(s′))/√hs,
  @ // the softmax backward's gradient of score s; dq_t[c] = Σ_{s≤t} dscore(s)·k[s·C + c],
  @ // every sum in key order over the reals, as the kernel adds it.
  @ // Each frame axiom sits in the axiomatic of the symbol it frames, so that
  @ // WP adds it only to the goals that name the symbol (an axiomatic without
  @ // a symbol of its own goes into every goal of the file, and slowed the
  @ // forward's proofs past the time limit).
  @ axiomatic AttnDatt {
  @   logic real attn_datt{L}(float *dt, float *v, integer ko, integer C, integer hs, integer s)
  @     reads dt[..], v[..];
  @   // a definition, not an assumption
  @   axiom attn_datt_is{L}: \forall float *dt, *v, integer ko, C, hs, s;
  @     attn_datt(dt, v, ko, C, hs, s) == attn_dot(dt, v + (s * C + ko), hs);
  @   // ASSUMED (verify/PROOFS.md): datt(s) depends on dt and value row s
  @   // only (from attn_dot_frame, as attn_score_frame)
  @   axiom attn_datt_frame{L1, L2}: \forall float *dt, *v, integer ko, C, hs, n, s;
  @     0 <= hs && 0 <= s < n && attn_same_inputs{L1, L2}(dt, v, ko, C, hs, n) ==>
  @     attn_datt{L1}(dt, v, ko, C, hs, s) == attn_datt{L2}(dt, v, ko, C, hs, s);
  @ }
  @ // The next-term axioms below name the two lengths n and m = n + 1 apart,
  @ // so that the provers' trigger is the pair of sums, both already in the
  @ // goal: with f(n + 1) == f(n) + … alone they unfold f(n + 1), f(n + 2), …
  @ // without end (timeouts on goals as plain as an invariant at loop exit).
  @ axiomatic AttnAttDatt {
  @   // Σ_{s<n} at[s]·datt(s)
  @   logic real attn_att_datt{L}(float *at, float *dt, float *v, integer ko, integer C,
  @                               integer hs, integer n) reads at[..], dt[..], v[..];
  @   axiom attn_att_datt_empty{L}: \forall float *at, *dt, *v, integer ko, C, hs;
  @     attn_att_datt(at, dt, v, ko, C, hs, 0) == 0.0;
  @   axiom attn_att_datt_next{L}: \forall float *at, *dt, *v, integer ko, C, hs, n, m;
  @     0 <= n && m == n + 1 ==> attn_att_datt(at, dt, v, ko, C, hs, m) ==
  @     attn_att_datt(at, dt, v, ko, C, hs, n) + attn_mul(at[n], attn_datt(dt, v, ko, C, hs, n));
  @ }
  @ // (sc: the scale 1/√hs, a parameter so that the kernel's proofs need not
  @ // reason about \sqrt)
  @ logic real attn_dscore{L}(float *at, float *dt, float *v, integer ko, integer C, integer hs,
  @                           real sc, integer t, integer s) =
  @   attn_mul(attn_mul(at[s], attn_datt(dt, v, ko, C, hs, s) - attn_att_datt(at, dt, v, ko, C, hs, t + 1)),
  @            sc);
  @ axiomatic AttnDqTerms {
  @   // the terms s < n of dq_t[c]
  @   logic real attn_dq_terms{L}(float *at, float *dt, float *v, float *k, integer ko, integer C,
  @                               integer hs, real sc, integer t, integer c, integer n)
  @     reads at[..], dt[..], v[..], k[..];
  @   axiom attn_dq_terms_empty{L}: \forall float *at, *dt, *v, *k, integer ko, C, hs, real sc,
  @                                         integer t, c;
  @     attn_dq_terms(at, dt, v, k, ko, C, hs, sc, t, c, 0) == 0.0;
  @   axiom attn_dq_terms_next{L}: \forall float *at, *dt, *v, *k, integer ko, C, hs, real sc,
  @                                        integer t, c, n, m;
  @     0 <= n && m == n + 1 ==> attn_dq_terms(at, dt, v, k, ko, C, hs, sc, t, c, m) ==
  @     attn_dq_terms(at, dt, v, k, ko, C, hs, sc, t, c, n) +
  @     attn_mul(attn_dscore(at, dt, v, ko, C, hs, sc, t, n), k[n * C + c]);
  @   // dq of query row r, channel c, as the whole-head contract names it:
  @   // att_h = the head's [T, T] weights, dout, v, k the entry's [T, C]
  @   // arrays (a symbol of its own, as attn_datt; a definition)
  @   logic real attn_row_dq{L}(float *att_h, float *dout, float *v, float *k, integer ko,
  @                             integer C, integer hs, integer T, integer r, integer c)
  @     reads att_h[..], dout[..], v[..], k[..];
  @   axiom attn_row_dq_is{L}: \forall float *att_h, *dout, *v, *k, integer ko, C, hs, T, r, c;
  @     attn_row_dq(att_h, dout, v, k, ko, C, hs, T, r, c) ==
  @     attn_dq_terms(att_h + r * T, dout + (r * C + ko), v, k, ko, C, hs, 1.0 / \sqrt(hs), r, c,
  @                   r + 1);
  @   // ASSUMED (verify/PROOFS.md): dq of row r depends on the head's weights
  @   // and on dout, v and k only (by induction on its terms, from
  @   // attn_datt_frame, which the provers do not do)
  @   axiom attn_row_dq_frame{L1, L2}: \forall float *att_h, *dout, *v, *k, integer ko, C, hs, T,
  @                                        r, c;
  @     0 <= r < T && 0 <= ko && 0 <= hs && ko + hs <= C && 0 <= c < C &&
  @     (\forall integer y; 0 <= y < T * T ==> \at(att_h[y], L1) == \at(att_h[y], L2)) &&
  @     (\forall integer y; 0 <= y < T * C ==>
  @        \at(dout[y], L1) == \at(dout[y], L2) && \at(v[y], L1) == \at(v[y], L2) &&
  @        \at(k[y], L1) == \at(k[y], L2)) ==>
  @     attn_row_dq{L1}(att_h, dout, v, k, ko, C, hs, T, r, c) ==
  @     attn_row_dq{L2}(att_h, dout, v, k, ko, C, hs, T, r, c);
  @ }
  @
  @ axiomatic AttnOutTerms {
  @   // the terms s < n of attn_out
  @   logic real attn_out_terms{L}(float *qt, float *k, float *v, integer ko, integer C,
  @                                integer hs, integer t, integer c, integer n)
  @     reads qt[..], k[..], v[..];
  @   axiom attn_out_terms_empty{L}: \forall float *qt, *k, *v, integer ko, C, hs, t, c;
  @     attn_out_terms(qt, k, v, ko, C, hs, t, c, 0) == 0.0;
  @   axiom attn_out_terms_next{L}: \forall float *qt, *k, *v, integer ko, C, hs, t, c, n;
  @     0 <= n ==> attn_out_terms(qt, k, v, ko, C, hs, t, c, n + 1) ==
  @     attn_out_terms(qt, k, v, ko, C, hs, t, c, n) + attn_weight(qt, k, ko, C, hs, t, n) * v[n * C + c];
  @   axiom attn_out_is_terms{L}: \forall float *qt, *k, *v, integer ko, C, hs, t, c;
  @     attn_out(qt, k, v, ko, C, hs, t, c) == attn_out_terms(qt, k, v, ko, C, hs, t, c, t + 1);
  @ }
  @*/

/*@ predicate attention_sizes(integer B, integer T, integer C, integer NH) =
  @   0 < B && 0 < T && 0 < NH && 0 < C && C % NH == 0 &&
  @   lnf_fits_int(B * T * C) && lnf_fits_int(B * NH * T * T);
  @*/

/*@ requires sizes: attention_sizes(B, T, C, NH);
  @ requires valid_out: lnf_writable(out, B*T*C) && lnf_writable(att, B*NH*T*T);
  @ requires readable: lnf_readable(q, B*T*C) && lnf_readable(k, B*T*C) && lnf_readable(v, B*T*C);
  @ requires separated: \separated(out + (0 .. B*T*C-1), att + (0 .. B*NH*T*T-1),
  @                                q + (0 .. B*T*C-1), k + (0 .. B*T*C-1), v + (0 .. B*T*C-1));
  @ assigns out[0 .. B*T*C-1], att[0 .. B*NH*T*T-1], errno;
  @*/
void attention_forward(float *out, float *att,
                       const float *q, const float *k, const float *v,
                       int B, int T, int C, int NH);

/*@ requires sizes: attention_sizes(B, T, C, NH);
  @ requires valid_grads: lnf_writable(dq, B*T*C) && lnf_writable(dk, B*T*C) &&
  @                       lnf_writable(dv, B*T*C) && lnf_writable(scratch, T);
  @ requires readable: lnf_readable(dout, B*T*C) && lnf_readable(att, B*NH*T*T) &&
  @                    lnf_readable(q, B*T*C) && lnf_readable(k, B*T*C) && lnf_readable(v, B*T*C);
  @ requires separated: \separated(dq + (0 .. B*T*C-1), dk + (0 .. B*T*C-1), dv + (0 .. B*T*C-1),
  @                     scratch + (0 .. T-1), dout + (0 .. B*T*C-1), att + (0 .. B*NH*T*T-1),
  @                     q + (0 .. B*T*C-1), k + (0 .. B*T*C-1), v + (0 .. B*T*C-1));
  @ assigns dq[0 .. B*T*C-1], dk[0 .. B*T*C-1], dv[0 .. B*T*C-1], scratch[0 .. T-1];
  @*/
void attention_backward(float *dq, float *dk, float *dv, float *scratch,
                        const float *dout, const float *att,
                        const float *q, const float *k, const float *v,
                        int B, int T, int C, int NH);

/* Head h of one batch entry, on that entry's arrays: q, k, v, out [T, C],
 * att [NH, T, T]. What the parallel driver runs on one thread per (entry,
 * head) pair: pairs write disjoint parts of out, att, dq, dk and dv (head h's
 * channels; att's T rows of head h). The assigns clauses name the entry's
 * whole rows for out, dq, dk and dv, a superset. */
/*@ requires sizes: 0 < T && 0 < NH && 0 < C && C % NH == 0 &&
  @                 lnf_fits_int(T * C) && lnf_fits_int(NH * T * T);
  @ requires head: 0 <= h < NH;
  @ requires valid_out: lnf_writable(out, T*C) && lnf_writable(att, NH*T*T);
  @ requires readable: lnf_readable(q, T*C) && lnf_readable(k, T*C) && lnf_readable(v, T*C);
  @ requires separated: \separated(out + (0 .. T*C-1), att + (0 .. NH*T*T-1),
  @                                q + (0 .. T*C-1), k + (0 .. T*C-1), v + (0 .. T*C-1));
  @ assigns out[0 .. T*C-1], att[h*T*T .. (h+1)*T*T-1], errno;
  @ ensures weights: \forall integer t, s; 0 <= t < T && 0 <= s < T ==>
  @   att[h*T*T + t*T + s] == attn_row_weight{Pre}(q, k, h*(C/NH), C, C/NH, t, s);
  @ ensures out: \forall integer t, c; 0 <= t < T && h*(C/NH) <= c < (h+1)*(C/NH) ==>
  @   out[t*C + c] == attn_row_out{Pre}(q, k, v, h*(C/NH), C, C/NH, t, c);
  @ ensures kept: \forall integer x; 0 <= x < T*C &&
  @   (x % C < h*(C/NH) || (h+1)*(C/NH) <= x % C) ==> out[x] == \old(out[x]);
  @*/
void attention_forward_head(float *out, float *att,
                            const float *q, const float *k, const float *v,
                            int T, int C, int NH, int h);

/*@ requires sizes: 0 < T && 0 < NH && 0 < C && C % NH == 0 &&
  @                 lnf_fits_int(T * C) && lnf_fits_int(NH * T * T);
  @ requires head: 0 <= h < NH;
  @ requires valid_grads: lnf_writable(dq, T*C) && lnf_writable(dk, T*C) &&
  @                       lnf_writable(dv, T*C) && lnf_writable(scratch, T);
  @ requires readable: lnf_readable(dout, T*C) && lnf_readable(att, NH*T*T) &&
  @                    lnf_readable(q, T*C) && lnf_readable(k, T*C) && lnf_readable(v, T*C);
  @ requires separated: \separated(dq + (0 .. T*C-1), dk + (0 .. T*C-1), dv + (0 .. T*C-1),
  @                     scratch + (0 .. T-1), dout + (0 .. T*C-1), att + (0 .. NH*T*T-1),
  @                     q + (0 .. T*C-1), k + (0 .. T*C-1), v + (0 .. T*C-1));
  @ assigns dq[0 .. T*C-1], dk[0 .. T*C-1], dv[0 .. T*C-1], scratch[0 .. T-1];
  @ ensures dv: \forall integer x; 0 <= x < T*C && h*(C/NH) <= x % C < (h+1)*(C/NH) ==>
  @   dv[x] == \old(dv[x]) + lnf_dot{Pre}(att, h*T*T + (x/C)*T + x/C, T, dout, x, C, T - x/C);
  @ ensures dv_kept: \forall integer x; 0 <= x < T*C &&
  @   (x % C < h*(C/NH) || (h+1)*(C/NH) <= x % C) ==> dv[x] == \old(dv[x]);
  @ ensures dq: \forall integer x; 0 <= x < T*C && h*(C/NH) <= x % C < (h+1)*(C/NH) ==>
  @   dq[x] == \old(dq[x]) + attn_row_dq{Pre}(att + h*T*T, dout, v, k, h*(C/NH), C, C/NH, T,
  @                                           x / C, x % C);
  @ ensures dq_kept: \forall integer x; 0 <= x < T*C &&
  @   (x % C < h*(C/NH) || (h+1)*(C/NH) <= x % C) ==> dq[x] == \old(dq[x]);
  @*/
void attention_backward_head(float *dq, float *dk, float *dv, float *scratch,
                             const float *dout, const float *att,
                             const float *q, const float *k, const float *v,
                             int T, int C, int NH, int h);

/* The same two head functions in row blocks of ATT_BLOCK queries through
 * CBLAS sgemm (attention_blas.c) when the library has a BLAS, the loops above
 * otherwise: per block, the scores q·kᵀ/√hs over the keys the block can see,
 * the row softmax as above, and att·v; backward, per block, datt = dout·vᵀ,
 * dv += attᵀ·dout, the softmax backward per row, dq += dscore·k and
 * dk += dscoreᵀ·q. What parallel.c runs; the loops above stay the reference
 * (tests, fuzzers and the proofs of the whole-batch functions use them).
 * Backward needs ATT_BLOCK·T floats of scratch. */
#define ATT_BLOCK 64

/*@ requires sizes: 0 < T && 0 < NH && 0 < C && C % NH == 0 &&
  @                 lnf_fits_int(T * C) && lnf_fits_int(NH * T * T);
  @ requires head: 0 <= h < NH;
  @ requires valid_out: lnf_writable(out, T*C) && lnf_writable(att, NH*T*T);
  @ requires readable: lnf_readable(q, T*C) && lnf_readable(k, T*C) && lnf_readable(v, T*C);
  @ requires separated: \separated(out + (0 .. T*C-1), att + (0 .. NH*T*T-1),
  @                                q + (0 .. T*C-1), k + (0 .. T*C-1), v + (0 .. T*C-1));
  @ assigns out[0 .. T*C-1], att[h*T*T .. (h+1)*T*T-1], errno;
  @*/
void attention_forward_head_blocked(float *out, float *att,
                                    const float *q, const float *k, const float *v,
                                    int T, int C, int NH, int h);

/*@ requires sizes: 0 < T && 0 < NH && 0 < C && C % NH == 0 &&
  @                 lnf_fits_int(T * C) && lnf_fits_int(NH * T * T) &&
  @                 lnf_fits_int(ATT_BLOCK * T);
  @ requires head: 0 <= h < NH;
  @ requires valid_grads: lnf_writable(dq, T*C) && lnf_writable(dk, T*C) &&
  @                       lnf_writable(dv, T*C) && lnf_writable(scratch, ATT_BLOCK*T);
  @ requires readable: lnf_readable(dout, T*C) && lnf_readable(att, NH*T*T) &&
  @                    lnf_readable(q, T*C) && lnf_readable(k, T*C) && lnf_readable(v, T*C);
  @ requires separated: \separated(dq + (0 .. T*C-1), dk + (0 .. T*C-1), dv + (0 .. T*C-1),
  @                     scratch + (0 .. ATT_BLOCK*T-1), dout + (0 .. T*C-1),
  @                     att + (0 .. NH*T*T-1),
  @                     q + (0 .. T*C-1), k + (0 .. T*C-1), v + (0 .. T*C-1));
  @ assigns dq[0 .. T*C-1], dk[0 .. T*C-1], dv[0 .. T*C-1], scratch[0 .. ATT_BLOCK*T-1];
  @*/
void attention_backward_head_blocked(float *dq, float *dk, float *dv, float *scratch,
                                     const float *dout, const float *att,
                                     const float *q, const float *k, const float *v,
                                     int T, int C, int NH, int h);

#endif
