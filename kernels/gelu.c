/* gelu: tanh-approximation GELU, forward and backward. */
#include "kernels/gelu.h"
#include "kernels/vecmath.h"

#define GELU_SQRT_2_OVER_PI 0.7978845608028654f
#define GELU_CUBIC 0.044715f

/* tanh through expf: 1 − 2/(e^{2u} + 1), u clamped to [−10, 10]. */
/*@ assigns errno;
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

void gelu_forward(float *out, const float *inp, int N)
{
    /*@ loop invariant 0 <= i <= N;
      @ loop invariant range: \forall integer j; 0 <= j < i ==>
      @   (0 <= inp[j] ==> 0 <= out[j] <= inp[j]) && (inp[j] < 0 ==> inp[j] <= out[j] <= 0);
      @ loop assigns i, out[0 .. N-1], errno;
      @ loop variant N - i;
      @*/
    for (int i = 0; i < N; i++) {
        float x = inp[i];
        float u = GELU_SQRT_2_OVER_PI * (x + GELU_CUBIC * x * x * x);
        out[i] = 0.5f * x * (1.0f + gelu_tanh(u));
    }
}

void gelu_backward(float *dinp, const float *inp, const float *dout, int N)
{
    /*@ loop invariant 0 <= i <= N;
      @ loop assigns i, dinp[0 .. N-1], errno;
      @ loop variant N - i;
      @*/
    for (int i = 0; i < N; i++) {
        float x = inp[i];
        float u = GELU_SQRT_2_OVER_PI * (x + GELU_CUBIC * x * x * x);
        float th = gelu_tanh(u);
        float sech2 = 1.0f - th * th;
        float du_dx = GELU_SQRT_2_OVER_PI * (1.0f + 3.0f * GELU_CUBIC * x * x);
        float grad = 0.5f * (1.0f + th) + 0.5f * x * sech2 * du_dx;
        dinp[i] += grad * dout[i];
    }
}
