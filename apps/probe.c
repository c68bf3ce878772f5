#include "apps/probe.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "kernels/adamw.h"
#include "model/checkpoint.h"
#include "base/safetensors.h"

probe_options probe_defaults(void)
{
    return (probe_options){.steps = 0, .optim = optim_defaults()};
}

/* Reads x and y, int32 [B,T] of the same shape. */
static int load_batch(const char *path, int **x, int **y, int *B, int *T, lnf_error *err)
{
    st_file f;
    if (st_open(&f, path, err) != 0) {
        return -1;
    }
    const st_tensor *tx = st_find(&f, "x"), *ty = st_find(&f, "y");
    int rc = -1;
    if (tx == NULL || ty == NULL) {
        lnf_fail(err, "%s: batch needs int32 tensors 'x' and 'y' (missing '%s')", path,
                 tx == NULL ? "x" : "y");
    } else if (tx->ndim != 2 || ty->ndim != 2 || tx->shape[0] != ty->shape[0] ||
               tx->shape[1] != ty->shape[1] || tx->numel == 0) {
        lnf_fail(err, "%s: 'x' and 'y' must both have the same non-empty shape [B, T]", path);
    } else if (tx->shape[0] > 0x7fffffff / (tx->shape[1] > 0 ? tx->shape[1] : 1)) {
        lnf_fail(err, "%s: batch shape too large", path);
    } else {
        *B = (int)tx->shape[0];
        *T = (int)tx->shape[1];
        *x = malloc(tx->numel * sizeof(int));
        *y = malloc(tx->numel * sizeof(int));
        if (*x == NULL || *y == NULL) {
            lnf_fail(err, "%s: out of memory", path);
        } else if (st_read_i32(&f, "x", *x, tx->numel, err) == 0 &&
                   st_read_i32(&f, "y", *y, tx->numel, err) == 0) {
            rc = 0;
        }
        if (rc != 0) {
            free(*x);
            free(*y);
            *x = *y = NULL; /* the caller frees them too */
        }
    }
    st_close(&f);
    return rc;
}

/* Loss and gradients of the mean cross-entropy on one batch. */
static int loss_and_grad(gpt2 *m, const int *x, const int *y, int B, int T, const char *batch_path,
                         lnf_error *err)
{
    if (gpt2_forward(m, x, y, B, T, err) != 0) {
        /* prefix the batch file: the forward's messages name tokens and shapes */
        lnf_error inner = *err;
        return lnf_fail(err, "%s: %s", batch_path, inner.msg);
    }
    gpt2_zero_grad(m);
    gpt2_backward(m, 1.0f / (float)(B * T));
    double norm = optim_grad_norm(m);
    if (!isfinite(m->mean_loss) || !isfinite(norm)) {
        return lnf_fail(err, "%s: the loss (%g) or the gradient norm (%g) is not finite for this "
                        "model and batch", batch_path, (double)m->mean_loss, norm);
    }
    return 0;
}

/* Writes the HF tensors of `set` (parameters or gradients) plus two more. */
static int write_output(const char *out_path, const gpt2 *m, const float *buf, const char *prefix,
                        const st_entry extra[2], lnf_error *err)
{
    hf_tensor_set set;
    if (hf_tensor_set_build(&set, m, buf, prefix, err) != 0) {
        return -1;
    }
    st_entry *e = calloc((size_t)set.n + 2, sizeof *e);
    int rc = -1;
    if (e == NULL) {
        lnf_fail(err, "%s: out of memory", out_path);
    } else {
        memcpy(e, set.entries, (size_t)set.n * sizeof *e);
        e[set.n] = extra[0];
        e[set.n + 1] = extra[1];
        rc = st_write(out_path, e, set.n + 2, err);
    }
    free(e);
    hf_tensor_set_free(&set);
    return rc;
}

static int run_steps(gpt2 *m, const int *x, const int *y, int B, int T, const probe_options *o,
                     const char *batch_path, const char *out_path, lnf_error *err)
{
    float *losses = calloc((size_t)o->steps, sizeof(float));
    float *norms = calloc((size_t)o->steps, sizeof(float));
    int rc = (losses && norms) ? 0 : lnf_fail(err, "out of memory for %d steps", o->steps);
    for (int s = 0; s < o->steps && rc == 0; s++) {
        rc = loss_and_grad(m, x, y, B, T, batch_path, err);
        if (rc == 0) {
            double norm = optim_grad_norm(m);
            losses[s] = m->mean_loss;
            norms[s] = (float)norm;
            rc = optim_step(m, &o->optim, o->optim.adam.lr, norm, err);
        }
    }
    if (rc == 0) {
        const st_entry extra[2] = {
            {.name = "losses", .dtype = ST_F32, .ndim = 1, .shape = {o->steps}, .data = losses},
            {.name = "grad_norms", .dtype = ST_F32, .ndim = 1, .shape = {o->steps}, .data = norms},
        };
        rc = write_output(out_path, m, m->params, "param.", extra, err);
    }
    free(losses);
    free(norms);
    return rc;
}

int probe_run(const char *model_dir, const char *batch_path, const char *out_path,
              const probe_options *opt, lnf_error *err)
{
    if (opt->steps < 0) {
        return lnf_fail(err, "probe: the number of steps must be ≥ 0 (got %d)", opt->steps);
    }
    if (optim_check(&opt->optim, err) != 0) {
        lnf_error inner = *err;
        return lnf_fail(err, "probe: %s", inner.msg);
    }
    gpt2 m;
    if (checkpoint_load(&m, model_dir, err) != 0) {
        return -1;
    }
    int *x = NULL, *y = NULL, B = 0, T = 0;
    int rc = load_batch(batch_path, &x, &y, &B, &T, err);
    if (rc == 0 && opt->steps == 0) {
        rc = loss_and_grad(&m, x, y, B, T, batch_path, err);
        const st_entry extra[2] = {
            {.name = "logits", .dtype = ST_F32, .ndim = 3, .shape = {B, T, m.cfg.vocab_size},
             .data = m.logits},
            {.name = "loss", .dtype = ST_F32, .ndim = 1, .shape = {1}, .data = &m.mean_loss},
        };
        if (rc == 0) {
            rc = write_output(out_path, &m, m.grads, "grad.", extra, err);
        }
    } else if (rc == 0) {
        rc = run_steps(&m, x, y, B, T, opt, batch_path, out_path, err);
    }
    free(x);
    free(y);
    gpt2_free(&m);
    return rc;
}
