/* gelu: tanh-approximation GELU, forward and backward. */
#include "kernels/gelu.h"
#include "kernels/vecmath.h"
#include "kernels/libm_spec.h"

#define GELU_SQRT_2_OVER_PI 0.7978845608028654f
#define GELU_CUBIC 0.044715f

/* tanh through expf: 1 − 2/(e^{2u} + 1), u clamped to [−10, 10]. */
/*@ assigns errno;
  @ ensures value: \result == gelu_tanh(u);
  @ ensures range: -1 <= \result <= 1;
  @*/
static float gelu_tanh(float u)
{
    if (u > 10.0f) {
        u = 10.0f;
    } else if (u < -10.0f) {
        u = -10.0f;
    }
    return 1.0f - 2.0f / (expf(2.0f * u) + 1.0f);
}

/* One value and one slope, each proved in a context of its own (inside the
 * loops, the provers' nonlinear arithmetic fails). */
/*@ assigns errno;
  @ ensures value: \result == gelu_value(x);
  @ ensures range: (0 <= x ==> 0 <= \result <= x) && (x < 0 ==> x <= \result <= 0);
  @*/
static float gelu_one(float x)
{
    float u = GELU_SQRT_2_OVER_PI * (x + GELU_CUBIC * x * x * x);
    return 0.5f * x * (1.0f + gelu_tanh(u));
}

/*@ assigns errno;
  @ ensures value: \result == gelu_slope(x) * g;
  @*/
static float gelu_grad_one(float x, float g)
{
    float u = GELU_SQRT_2_OVER_PI * (x + GELU_CUBIC * x * x * x);
    float th = gelu_tanh(u);
    float sech2 = 1.0f - th * th;
    float du_dx = GELU_SQRT_2_OVER_PI * (1.0f + 3.0f * GELU_CUBIC * x * x);
    float slope = 0.5f * (1.0f + th) + 0.5f * x * sech2 * du_dx;
    return slope * g;
}

void gelu_forward(float *out, const float *inp, int N)
{
    /*@ loop invariant 0 <= i <= N;
      @ loop invariant value: \forall integer j; 0 <= j < i ==> out[j] == gelu_value(inp[j]);
      @ loop invariant range: \forall integer j; 0 <= j < i ==>
      @   (0 <= inp[j] ==> 0 <= out[j] <= inp[j]) && (inp[j] < 0 ==> inp[j] <= out[j] <= 0);
      @ loop assigns i, out[0 .. N-1], errno;
      @ loop variant N - i;
      @*/
    for (int i = 0; i < N; i++) {
        out[i] = gelu_one(inp[i]);
    }
}

void gelu_backward(float *dinp, const float *inp, const float *dout, int N)
{
    /*@ loop invariant 0 <= i <= N;
      @ loop invariant done: \forall integer j; 0 <= j < i ==>
      @   dinp[j] == \at(dinp[j] + gelu_slope(inp[j]) * dout[j], Pre);
      @ loop invariant todo: \forall integer j; i <= j < N ==> dinp[j] == \at(dinp[j], Pre);
      @ loop assigns i, dinp[0 .. N-1], errno;
      @ loop variant N - i;
      @*/
    for (int i = 0; i < N; i++) {
        dinp[i] += gelu_grad_one(inp[i], dout[i]);
    }
}
