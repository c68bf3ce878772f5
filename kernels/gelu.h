/* gelu: the tanh approximation used by GPT-2 ("gelu_new"),
 * y = 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))).
 * tanh is computed from expf with its argument clamped to ±10 (tanhf(±10) is
 * ±1 in float), so no step can overflow. Backward accumulates (+=) into dinp. */
#ifndef LNFREE_KERNELS_GELU_H
#define LNFREE_KERNELS_GELU_H

#include <errno.h> /* expf may set errno (ERANGE on underflow): the contracts say so */

/*@ requires 0 < N;
  @ requires \valid(out + (0 .. N-1));
  @ requires \valid_read(inp + (0 .. N-1));
  @ requires \separated(out + (0 .. N-1), inp + (0 .. N-1));
  @ assigns out[0 .. N-1], errno;
  @ ensures range: \forall integer i; 0 <= i < N ==>
  @   (0 <= inp[i] ==> 0 <= out[i] <= inp[i]) && (inp[i] < 0 ==> inp[i] <= out[i] <= 0);
  @*/
void gelu_forward(float *out, const float *inp, int N);

/*@ requires 0 < N;
  @ requires \valid(dinp + (0 .. N-1));
  @ requires \valid_read(inp + (0 .. N-1));
  @ requires \valid_read(dout + (0 .. N-1));
  @ requires \separated(dinp + (0 .. N-1), inp + (0 .. N-1), dout + (0 .. N-1));
  @ assigns dinp[0 .. N-1], errno;
  @*/
void gelu_backward(float *dinp, const float *inp, const float *dout, int N);

#endif
