#include "model/domain_watch.h"
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include "kernels/domain.h"
#include "kernels/layernorm.h"

const dw_spec dw_specs[DW_INPUTS] = {
    [DW_EMBED_WTE] = {"embedding_forward", "wte", DOMAIN_MAX_ABS_EMBED},
    [DW_EMBED_WPE] = {"embedding_forward", "wpe", DOMAIN_MAX_ABS_EMBED},
    [DW_LN_INP] = {"layernorm_forward", "inp", LN_FIXED_MAX_ABS_X},
    [DW_LN_WEIGHT] = {"layernorm_forward", "weight", LN_FIXED_MAX_ABS_PARAM},
    [DW_LN_BIAS] = {"layernorm_forward", "bias", LN_FIXED_MAX_ABS_PARAM},
    [DW_MATMUL_INP] = {"matmul_forward", "inp", DOMAIN_MAX_ABS_ACT},
    [DW_MATMUL_WEIGHT] = {"matmul_forward", "weight", DOMAIN_MAX_ABS_WEIGHT},
    [DW_MATMUL_BIAS] = {"matmul_forward", "bias", DOMAIN_MAX_ABS_WEIGHT},
    [DW_ATT_Q] = {"attention_forward", "q", DOMAIN_MAX_ABS_QKV},
    [DW_ATT_K] = {"attention_forward", "k", DOMAIN_MAX_ABS_QKV},
    [DW_ATT_V] = {"attention_forward", "v", DOMAIN_MAX_ABS_QKV},
    [DW_RESIDUAL_OPERANDS] = {"residual_forward", "a, b", DOMAIN_MAX_ABS_RESIDUAL},
    [DW_GELU_INP] = {"gelu_forward", "inp", DOMAIN_MAX_ABS_ACT},
    [DW_CE_LOGITS] = {"crossentropy_forward", "logits", DOMAIN_MAX_ABS_ACT},
    [DW_CE_DLOSS] = {"crossentropy_backward", "dloss", DOMAIN_MAX_DLOSS},
    [DW_MATMUL_DOUT] = {"matmul_backward", "dout", DOMAIN_MAX_ABS_GRAD},
    [DW_MATMUL_ACC] = {"matmul_backward", "dinp, dweight, dbias on entry", DOMAIN_MAX_ABS_ACC},
    [DW_LN_DOUT] = {"layernorm_backward", "dout", LN_FIXED_MAX_ABS_DY},
    [DW_LN_ACC] = {"layernorm_backward", "dinp, dweight, dbias on entry", LN_FIXED_MAX_ABS_ACC},
    [DW_GELU_DOUT] = {"gelu_backward", "dout", DOMAIN_MAX_ABS_GRAD},
    [DW_GELU_ACC] = {"gelu_backward", "dinp on entry", DOMAIN_MAX_ABS_ACC},
    [DW_ATT_DOUT] = {"attention_backward", "dout", DOMAIN_MAX_ABS_GRAD},
    [DW_ATT_ACC] = {"attention_backward", "dq, dk, dv on entry", DOMAIN_MAX_ABS_ACC},
    [DW_EMBED_DOUT] = {"embedding_backward", "dout", DOMAIN_MAX_ABS_GRAD},
    [DW_EMBED_ACC] = {"embedding_backward", "dwte, dwpe on entry", DOMAIN_MAX_ABS_ACC},
    [DW_ADAM_NORM_GRAD] = {"adamw_sum_of_squares", "x (the gradients)", DOMAIN_ADAM_MAX_ABS},
    [DW_ADAM_CLIP_GRAD] = {"adamw_scale_in_place", "x (the gradients)", DOMAIN_MAX_ABS_ACC},
    [DW_ADAM_PARAM] = {"adamw_update", "param", DOMAIN_ADAM_MAX_ABS},
    [DW_ADAM_GRAD] = {"adamw_update", "grad", DOMAIN_ADAM_MAX_ABS},
    [DW_ADAM_M] = {"adamw_update", "m", DOMAIN_ADAM_MAX_ABS},
    [DW_ADAM_V] = {"adamw_update", "v", DOMAIN_ADAM_MAX_V},
};

void dw_reset(domain_watch *w)
{
    for (int i = 0; i < DW_INPUTS; i++) {
        w->seen[i] = -1.0f;
    }
    w->bad = -1;
    w->bad_layer = -1;
    w->bad_value = 0.0f;
}

/* a > b, with NaN above everything */
static int above(float a, float b) { return isnan(a) || (!isnan(b) && a > b); }

void dw_observe_value(domain_watch *w, dw_input in, int layer, float v)
{
    float a = fabsf(v);
    if (above(a, w->seen[in])) {
        w->seen[in] = a;
    }
    if (w->bad < 0 && !(a <= dw_specs[in].bound)) {
        w->bad = (int)in;
        w->bad_layer = layer;
        w->bad_value = v;
    }
}

/* max |x[i]| as its bit pattern: for non-negative floats the integer order
 * is the float order, with +inf at 0x7f800000 and every NaN above it. An
 * integer maximum vectorises without fast-math and, being exact, gives the
 * same result for any number of threads. */
static uint32_t max_abs_bits(const float *x, size_t n)
{
    uint32_t top = 0;
#pragma omp parallel for reduction(max : top) schedule(static) if (n >= 65536)
    for (size_t i = 0; i < n; i++) {
        uint32_t b;
        memcpy(&b, &x[i], sizeof b);
        b &= 0x7fffffffu;
        top = b > top ? b : top;
    }
    return top;
}

float dw_observe(domain_watch *w, dw_input in, int layer, const float *x, size_t n)
{
    uint32_t top = max_abs_bits(x, n);
    float largest;
    memcpy(&largest, &top, sizeof largest);
    if (largest <= dw_specs[in].bound) {
        dw_observe_value(w, in, layer, largest);
        return largest;
    }
    /* out (or NaN, which no comparison passes): the first such value, in order */
    for (size_t i = 0; i < n && w->bad < 0; i++) {
        dw_observe_value(w, in, layer, x[i]);
    }
    dw_observe_value(w, in, layer, largest);
    return largest;
}

int dw_check(const domain_watch *w, lnf_error *err)
{
    if (w->bad < 0) {
        return 0;
    }
    const dw_spec *s = &dw_specs[w->bad];
    char where[32] = "";
    if (w->bad_layer >= 0) {
        snprintf(where, sizeof where, " in layer %d", w->bad_layer);
    }
    return lnf_fail(err, "left the proven domain: %s's %s%s has the value %.9g, outside ±%g, the "
                    "bound under which the kernel is proven free of overflow (kernels/domain.h, "
                    "verify/PROOFS.md)", s->kernel, s->input, where, (double)w->bad_value,
                    (double)s->bound);
}

static int outside(double x, double lo, double hi) { return !(x >= lo && x <= hi); }

int dw_check_settings(const adamw_settings *a, float clip, int steps, float ln_eps,
                      lnf_error *err)
{
    const char *what = NULL;
    double v = 0, lo = 0, hi = 0;
    if (outside(a->lr, 0, DOMAIN_ADAM_MAX_LR)) {
        what = "the learning rate", v = a->lr, hi = DOMAIN_ADAM_MAX_LR;
    } else if (outside(a->beta1, 0, DOMAIN_ADAM_MAX_BETA)) {
        what = "AdamW's beta1", v = a->beta1, hi = DOMAIN_ADAM_MAX_BETA;
    } else if (outside(a->beta2, 0, DOMAIN_ADAM_MAX_BETA)) {
        what = "AdamW's beta2", v = a->beta2, hi = DOMAIN_ADAM_MAX_BETA;
    } else if (outside(a->eps, DOMAIN_ADAM_MIN_EPS, DOMAIN_ADAM_MAX_EPS)) {
        what = "AdamW's eps", v = a->eps, lo = DOMAIN_ADAM_MIN_EPS, hi = DOMAIN_ADAM_MAX_EPS;
    } else if (outside(a->weight_decay, 0, DOMAIN_ADAM_MAX_WD)) {
        what = "the weight decay", v = a->weight_decay, hi = DOMAIN_ADAM_MAX_WD;
    } else if (outside(clip, DOMAIN_CLIP_MIN, DOMAIN_CLIP_MAX)) {
        what = "the gradient clip", v = clip, lo = DOMAIN_CLIP_MIN, hi = DOMAIN_CLIP_MAX;
    } else if (outside(steps, 1, DOMAIN_ADAM_MAX_STEP)) {
        what = "the number of steps", v = steps, lo = 1, hi = DOMAIN_ADAM_MAX_STEP;
    } else if (outside(ln_eps, DOMAIN_LN_MIN_EPS, DOMAIN_LN_MAX_EPS)) {
        what = "the model's layer_norm_epsilon", v = ln_eps, lo = DOMAIN_LN_MIN_EPS,
        hi = DOMAIN_LN_MAX_EPS;
    }
    if (what == NULL) {
        return 0;
    }
    return lnf_fail(err, "%s (%.7g) is outside [%g, %g], the domain its kernel is proven for "
                    "(kernels/domain.h, verify/PROOFS.md)", what, v, lo, hi);
}

/* A margins entry's largest |x| as a share of its bound. */
static double share(const json_t *e)
{
    return json_number_value(json_object_get(e, "max")) /
           json_number_value(json_object_get(e, "bound"));
}

/* into[kernel] = e, unless into[kernel] is at least as near its bound. */
static void keep_nearer(json_t *into, const char *kernel, json_t *e)
{
    json_t *was = json_object_get(into, kernel);
    if (was == NULL || share(e) > share(was)) {
        json_object_set(into, kernel, e);
    }
}

json_t *dw_margins_json(const domain_watch *w)
{
    json_t *out = json_object();
    for (int i = 0; i < DW_INPUTS; i++) {
        if (w->seen[i] < 0) {
            continue; /* not called */
        }
        const dw_spec *s = &dw_specs[i];
        json_t *e = json_pack("{s:s, s:f, s:f}", "input", s->input, "max", (double)w->seen[i],
                              "bound", (double)s->bound);
        keep_nearer(out, s->kernel, e);
        json_decref(e);
    }
    return out;
}

void dw_margins_fold(json_t *into, const json_t *margins)
{
    const char *kernel;
    json_t *e;
    json_object_foreach((json_t *)margins, kernel, e) {
        keep_nearer(into, kernel, e);
    }
}
