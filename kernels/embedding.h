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
  @*/

/*@ requires sizes: embedding_sizes(B, T, C, V, maxT);
  @ requires valid_out: lnf_writable(out, B*T*C);
  @ requires readable: lnf_readable_ints(tokens, B*T) && lnf_readable(wte, V*C) &&
  @                    lnf_readable(wpe, maxT*C);
  @ requires tokens: lnf_ids_below(tokens, B*T, V);
  @ requires separated: \separated(out + (0 .. B*T*C-1), tokens + (0 .. B*T-1),
  @                                wte + (0 .. V*C-1), wpe + (0 .. maxT*C-1));
  @ assigns out[0 .. B*T*C-1];
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
  @*/
void embedding_backward(float *dwte, float *dwpe, const float *dout, const int *tokens,
                        int B, int T, int C, int V, int maxT);

#endif
