/* gelu: the tanh approximation used by GPT-2 ("gelu_new"),
 * y = 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))).
 * tanh is computed from expf with its argument clamped to ±10 (tanhf(±10) is
 * ±1 in float), so no step can overflow. Backward accumulates (+=) into dinp. */
#ifndef LNFREE_KERNELS_GELU_H
#define LNFREE_KERNELS_GELU_H

#include <errno.h> /* expf may set errno (ERANGE on underflow): the contracts say so */
#include "kernels/spec.h"
#include "kernels/libm_spec.h" /* lnf_exp */

/*@ // what the kernels compute over the reals, the float constants as written:
  @ // u = √(2/π)·(x + 0.044715·x³), its tanh with u clamped to [−10, 10]
  @ // (through exp: tanh u = 1 − 2/(e^{2u} + 1)), y and dy/dx
  @ logic real gelu_u(real x) = 0.7978845608028654f * (x + 0.044715f * x * x * x);
  @ logic real gelu_clamp(real u) = u > 10.0 ? 10.0 : (u < -10.0 ? -10.0 : u);
  @ logic real gelu_tanh(real u) = 1.0 - 2.0 / (lnf_exp(2.0 * gelu_clamp(u)) + 1.0);
  @ logic real gelu_value(real x) = 0.5 * x * (1.0 + gelu_tanh(gelu_u(x)));
  @ logic real gelu_slope(real x) =
  @   0.5 * (1.0 + gelu_tanh(gelu_u(x))) +
  @   0.5 * x * (1.0 - gelu_tanh(gelu_u(x)) * gelu_tanh(gelu_u(x))) *
  @     (0.7978845608028654f * (1.0 + 3.0 * 0.044715f * x * x));
  @*/

/*@ requires size: 0 < N;
  @ requires valid_out: lnf_writable(out, N);
  @ requires readable_inp: lnf_readable(inp, N);
  @ requires separated: lnf_apart(out, N, inp, N);
  @ assigns out[0 .. N-1], errno;
  @ ensures value: \forall integer i; 0 <= i < N ==> out[i] == gelu_value(inp[i]);
  @ ensures range: \forall integer i; 0 <= i < N ==>
  @   (0 <= inp[i] ==> 0 <= out[i] <= inp[i]) && (inp[i] < 0 ==> inp[i] <= out[i] <= 0);
  @*/
void gelu_forward(float *out, const float *inp, int N);

/*@ requires size: 0 < N;
  @ requires valid_dinp: lnf_writable(dinp, N);
  @ requires readable: lnf_readable(inp, N) && lnf_readable(dout, N);
  @ requires separated: \separated(dinp + (0 .. N-1), inp + (0 .. N-1), dout + (0 .. N-1));
  @ assigns dinp[0 .. N-1], errno;
  @ ensures value: \forall integer i; 0 <= i < N ==>
  @   dinp[i] == \old(dinp[i] + gelu_slope(inp[i]) * dout[i]);
  @*/
void gelu_backward(float *dinp, const float *inp, const float *dout, int N);

#endif
