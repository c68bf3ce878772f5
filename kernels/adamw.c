/* adamw: AdamW update and gradient clipping helpers. */
#include "adamw.h"
#include <math.h>

void adamw_update(float *param, const float *grad, float *m, float *v, int n,
                  float lr, float beta1, float beta2, float eps, float weight_decay,
                  int step)
{
    /* scalars in double, as PyTorch computes them in Python floats */
    double bias_correction1 = 1.0 - pow((double)beta1, (double)step);
    double bias_correction2 = 1.0 - pow((double)beta2, (double)step);
    float step_size = (float)((double)lr / bias_correction1);
    float bias_correction2_sqrt = (float)sqrt(bias_correction2);
    float decay = (float)(1.0 - (double)lr * (double)weight_decay);
    float one_minus_beta1 = (float)(1.0 - (double)beta1);
    float one_minus_beta2 = (float)(1.0 - (double)beta2);
    /*@ loop invariant 0 <= i <= n;
      @ loop assigns i, param[0 .. n-1], m[0 .. n-1], v[0 .. n-1];
      @ loop variant n - i;
      @*/
    for (int i = 0; i < n; i++) {
        float g = grad[i];
        float p = param[i] * decay;
        float mi = m[i] * beta1 + one_minus_beta1 * g;
        float vi = v[i] * beta2 + one_minus_beta2 * g * g;
        float denom = sqrtf(vi) / bias_correction2_sqrt + eps;
        param[i] = p - step_size * (mi / denom);
        m[i] = mi;
        v[i] = vi;
    }
}

double sum_of_squares(const float *x, int n)
{
    double sum = 0.0;
    /*@ loop invariant 0 <= i <= n;
      @ loop assigns i, sum;
      @ loop variant n - i;
      @*/
    for (int i = 0; i < n; i++) {
        sum += (double)x[i] * (double)x[i];
    }
    return sum;
}

float clip_coefficient(double norm, float max_norm)
{
    double coef = (double)max_norm / (norm + 1e-6);
    return coef < 1.0 ? (float)coef : 1.0f;
}

void scale_in_place(float *x, int n, float factor)
{
    /*@ loop invariant 0 <= i <= n;
      @ loop assigns i, x[0 .. n-1];
      @ loop variant n - i;
      @*/
    for (int i = 0; i < n; i++) {
        x[i] *= factor;
    }
}
