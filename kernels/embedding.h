/* embedding: x[b,t] = wte[tokens[b,t]] + wpe[t].
 * wte [V,C], wpe [maxT,C] (T ≤ maxT), tokens [B,T], out [B,T,C].
 * Backward accumulates (+=) rows of dwte and dwpe, in token order, so the
 * result is the same on every run. */
#ifndef LNFREE_KERNELS_EMBEDDING_H
#define LNFREE_KERNELS_EMBEDDING_H

#include "kernels/spec.h"

/*@ predicate embedding_sizes(integer B, integer T, integer C, integer V, integer maxT) =
  @   0 < B && 0 < T && 0 < C && 0 < V && T <= maxT &&
  @   lnf_fits_int(B * T * C) && lnf_fits_int(V * C) && lnf_fits_int(maxT * C);
  @
  @ // element k of out [B·T, C] in state L, from the inputs in state P: row
  @ // k / C is position (k / C) % T of a sequence, column k % C
  @ predicate embedding_value{L, P}(float *out, int *tokens, float *wte, float *wpe,
  @                                 integer T, integer C, integer k) =
  @   \at(out[k], L) ==
  @   \at(wte[tokens[k / C] * C + k % C] + wpe[(k / C) % T * C + k % C], P);
  @
  @ // Σ over the rows r < n of dout [B·T, C] whose token is v, of column i;
  @ // Σ over the rows r < n at position t (r % T == t), of column i. Defined
  @ // by their first and next terms, as ACSL by Example defines its sums:
  @ // the provers then unfold them one row at a time and no further.
  @ axiomatic EmbeddingSums {
  @   logic real embedding_token_sum{L}(float *dout, int *tokens, integer C, integer n,
  @                                     integer v, integer i) reads dout[..], tokens[..];
  @   logic real embedding_position_sum{L}(float *dout, integer T, integer C, integer n,
  @                                        integer t, integer i) reads dout[..];
  @   axiom embedding_token_sum_empty{L}:
  @     \forall float *dout, int *tokens, integer C, v, i;
  @       embedding_token_sum(dout, tokens, C, 0, v, i) == 0.0;
  @   axiom embedding_token_sum_next{L}:
  @     \forall float *dout, int *tokens, integer C, n, v, i; 0 <= n ==>
  @       embedding_token_sum(dout, tokens, C, n + 1, v, i) ==
  @       embedding_token_sum(dout, tokens, C, n, v, i) +
  @       (tokens[n] == v ? dout[n * C + i] : 0.0);
  @   axiom embedding_position_sum_empty{L}:
  @     \forall float *dout, integer T, C, t, i;
  @       embedding_position_sum(dout, T, C, 0, t, i) == 0.0;
  @   axiom embedding_position_sum_next{L}:
  @     \forall float *dout, integer T, C, n, t, i; 0 <= n ==>
  @       embedding_position_sum(dout, T, C, n + 1, t, i) ==
  @       embedding_position_sum(dout, T, C, n, t, i) +
  @       (n % T == t ? dout[n * C + i] : 0.0);
  @ }
  @*/

/*@ requires sizes: embedding_sizes(B, T, C, V, maxT);
  @ requires valid_out: lnf_writable(out, B*T*C);
  @ requires readable: lnf_readable_ints(tokens, B*T) && lnf_readable(wte, V*C) &&
  @                    lnf_readable(wpe, maxT*C);
  @ requires tokens: lnf_ids_below(tokens, B*T, V);
  @ requires separated: \separated(out + (0 .. B*T*C-1), tokens + (0 .. B*T-1),
  @                                wte + (0 .. V*C-1), wpe + (0 .. maxT*C-1));
  @ assigns out[0 .. B*T*C-1];
  @ ensures value: \forall integer k; 0 <= k < B*T*C ==>
  @   embedding_value{Post, Pre}(out, tokens, wte, wpe, T, C, k);
  @*/
void embedding_forward(float *out, const int *tokens, const float *wte, const float *wpe,
                       int B, int T, int C, int V, int maxT);

/*@ requires sizes: embedding_sizes(B, T, C, V, maxT);
  @ requires valid_grads: lnf_writable(dwte, V*C) && lnf_writable(dwpe, maxT*C);
  @ requires readable: lnf_readable(dout, B*T*C) && lnf_readable_ints(tokens, B*T);
  @ requires tokens: lnf_ids_below(tokens, B*T, V);
  @ requires separated: \separated(dwte + (0 .. V*C-1), dwpe + (0 .. maxT*C-1),
  @                                dout + (0 .. B*T*C-1), tokens + (0 .. B*T-1));
  @ assigns dwte[0 .. V*C-1], dwpe[0 .. maxT*C-1];
  @ ensures token_rows: \forall integer k; 0 <= k < V*C ==>
  @   dwte[k] == \old(dwte[k] + embedding_token_sum(dout, tokens, C, B*T, k / C, k % C));
  @ ensures position_rows: \forall integer k; 0 <= k < maxT*C ==>
  @   dwpe[k] == \old(dwpe[k] + embedding_position_sum(dout, T, C, B*T, k / C, k % C));
  @*/
void embedding_backward(float *dwte, float *dwpe, const float *dout, const int *tokens,
                        int B, int T, int C, int V, int maxT);

#endif
