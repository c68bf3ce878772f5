/* embedding: x[b,t] = wte[tokens[b,t]] + wpe[t].
 * wte [V,C], wpe [maxT,C] (T ≤ maxT), tokens [B,T], out [B,T,C].
 * Backward accumulates (+=) rows of dwte and dwpe, in token order, so the
 * result is the same on every run. */
#ifndef LNFREE_KERNELS_EMBEDDING_H
#define LNFREE_KERNELS_EMBEDDING_H

/*@ requires 0 < B && 0 < T && 0 < C && 0 < V && T <= maxT;
  @ requires B * T * C <= 0x7fffffff && V * C <= 0x7fffffff && maxT * C <= 0x7fffffff;
  @ requires \valid(out + (0 .. B*T*C-1));
  @ requires \valid_read(tokens + (0 .. B*T-1));
  @ requires \valid_read(wte + (0 .. V*C-1));
  @ requires \valid_read(wpe + (0 .. maxT*C-1));
  @ requires \forall integer i; 0 <= i < B*T ==> 0 <= tokens[i] < V;
  @ requires \separated(out + (0 .. B*T*C-1), tokens + (0 .. B*T-1),
  @                     wte + (0 .. V*C-1), wpe + (0 .. maxT*C-1));
  @ assigns out[0 .. B*T*C-1];
  @*/
void embedding_forward(float *out, const int *tokens, const float *wte, const float *wpe,
                       int B, int T, int C, int V, int maxT);

/*@ requires 0 < B && 0 < T && 0 < C && 0 < V && T <= maxT;
  @ requires B * T * C <= 0x7fffffff && V * C <= 0x7fffffff && maxT * C <= 0x7fffffff;
  @ requires \valid(dwte + (0 .. V*C-1));
  @ requires \valid(dwpe + (0 .. maxT*C-1));
  @ requires \valid_read(dout + (0 .. B*T*C-1));
  @ requires \valid_read(tokens + (0 .. B*T-1));
  @ requires \forall integer i; 0 <= i < B*T ==> 0 <= tokens[i] < V;
  @ requires \separated(dwte + (0 .. V*C-1), dwpe + (0 .. maxT*C-1),
  @                     dout + (0 .. B*T*C-1), tokens + (0 .. B*T-1));
  @ assigns dwte[0 .. V*C-1], dwpe[0 .. maxT*C-1];
  @*/
void embedding_backward(float *dwte, float *dwpe, const float *dout, const int *tokens,
                        int B, int T, int C, int V, int maxT);

#endif
