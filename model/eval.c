#include "model/eval.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "kernels/vecmath.h"
#include "model/checkpoint.h"

static int cmp_float(const void *a, const void *b)
{
    float x = *(const float *)a, y = *(const float *)b;
    return (x > y) - (x < y);
}

/* Per position: the entropy of softmax(x) (lse = log Σ exp x, from the
 * cross-entropy kernel) and the index of its largest logit (the first on a
 * tie, as torch.argmax). With a reference xr: also its entropy and argmax and
 * KL(softmax(xr) ‖ softmax(x)). */
enum { ST_ENTROPY, ST_ARGMAX, ST_ENTROPY_REF, ST_ARGMAX_REF, ST_KL, ST_N };

static int argmax(const float *x, int V)
{
    int best = 0;
    for (int v = 1; v < V; v++) {
        if (x[v] > x[best]) {
            best = v;
        }
    }
    return best;
}

/* Sums in float over LANES partial results within blocks of EVAL_BLOCK
 * values (at most EVAL_BLOCK/LANES = 64 terms per partial), in double across
 * blocks: the loops vectorise, expf included (libmvec, kernels/vecmath.h), and
 * a 50257-term sum keeps ~1e-7 relative accuracy. */
#define EVAL_BLOCK 1024

/* −Σ p log p with p = exp(x − lse): Σ p·(lse − x). */
static double entropy(const float *x, float lse, int V)
{
    double h = 0.0;
    for (int v0 = 0; v0 < V; v0 += EVAL_BLOCK) {
        int n = V - v0 < EVAL_BLOCK ? V - v0 : EVAL_BLOCK, i = 0;
        const float *b = x + v0;
        float acc[LANES] = {0};
        for (; i + LANES <= n; i += LANES) {
            for (int l = 0; l < LANES; l++) {
                acc[l] += expf(b[i + l] - lse) * (lse - b[i + l]);
            }
        }
        for (; i < n; i++) {
            acc[0] += expf(b[i] - lse) * (lse - b[i]);
        }
        float sum = 0.0f;
        for (int l = 0; l < LANES; l++) {
            sum += acc[l];
        }
        h += sum;
    }
    return h;
}

/* Σ pr·(log pr − log p): Σ pr·((xr − lse_r) − (x − lse)). */
static double kl_divergence(const float *xr, float lse_r, const float *x, float lse, int V)
{
    double kl = 0.0;
    for (int v0 = 0; v0 < V; v0 += EVAL_BLOCK) {
        int n = V - v0 < EVAL_BLOCK ? V - v0 : EVAL_BLOCK, i = 0;
        const float *br = xr + v0, *b = x + v0;
        float acc[LANES] = {0};
        for (; i + LANES <= n; i += LANES) {
            for (int l = 0; l < LANES; l++) {
                float lr = br[i + l] - lse_r, lm = b[i + l] - lse;
                acc[l] += expf(lr) * (lr - lm);
            }
        }
        for (; i < n; i++) {
            float lr = br[i] - lse_r, lm = b[i] - lse;
            acc[0] += expf(lr) * (lr - lm);
        }
        float sum = 0.0f;
        for (int l = 0; l < LANES; l++) {
            sum += acc[l];
        }
        kl += sum;
    }
    return kl;
}

static void distribution_stats(const gpt2 *m, const gpt2 *ref, int N, double *st)
{
    int V = m->cfg.vocab_size;
#pragma omp parallel for schedule(static)
    for (int i = 0; i < N; i++) {
        const float *x = m->logits + (size_t)i * V;
        double *s = st + (size_t)i * ST_N;
        s[ST_ENTROPY] = entropy(x, m->lse[i], V);
        s[ST_ARGMAX] = argmax(x, V);
        if (ref != NULL) {
            const float *xr = ref->logits + (size_t)i * V;
            s[ST_ENTROPY_REF] = entropy(xr, ref->lse[i], V);
            s[ST_ARGMAX_REF] = argmax(xr, V);
            s[ST_KL] = kl_divergence(xr, ref->lse[i], x, m->lse[i], V);
        }
    }
}

static double l2_norm(const float *x, int C)
{
    double s = 0.0;
    for (int c = 0; c < C; c++) {
        s += (double)x[c] * x[c];
    }
    return sqrt(s);
}

/* The largest residual-stream norm at each of the N positions of the last
 * forward: the embedding, and each layer's sums after attention and MLP. */
static void residual_norms(const gpt2 *m, int N, double *norm)
{
    int C = m->cfg.n_embd, L = m->cfg.n_layer;
#pragma omp parallel for schedule(static)
    for (int i = 0; i < N; i++) {
        double best = l2_norm(m->encoded + (size_t)i * C, C);
        for (int l = 0; l < L; l++) {
            double a = l2_norm(m->acts[l].res2 + (size_t)i * C, C);
            double b = l2_norm(m->acts[l].res3 + (size_t)i * C, C);
            best = fmax(best, fmax(a, b));
        }
        norm[i] = best;
    }
}

/* Inserts a position into the largest-first list if it is among the top. */
static void note_norm(eval_result *r, eval_norm_site site)
{
    int at = r->n_worst;
    while (at > 0 && site.norm > r->worst[at - 1].norm) {
        at--;
    }
    if (at >= EVAL_WORST) {
        return;
    }
    int last = r->n_worst < EVAL_WORST ? r->n_worst : EVAL_WORST - 1;
    memmove(&r->worst[at + 1], &r->worst[at], (size_t)(last - at) * sizeof(site));
    r->worst[at] = site;
    if (r->n_worst < EVAL_WORST) {
        r->n_worst++;
    }
}

static eval_class class_of(int position, int token, int eot)
{
    return position == 0 ? EVAL_BOS : token == eot ? EVAL_EOT : EVAL_OTHER;
}

typedef struct {
    double ce, ce_ref, entropy, entropy_ref, kl, class_ce[EVAL_CLASSES];
    long long agree;
} eval_sums;

/* Adds one forward's B·T positions (chunk c0 onwards) to the sums. */
static void add_batch(const gpt2 *m, const gpt2 *ref, long long c0, int B, int T,
                      const double *st, const double *norm, float *losses, eval_sums *s,
                      eval_result *r)
{
    for (int i = 0; i < B * T; i++) {
        const double *p = st + (size_t)i * ST_N;
        float loss = m->losses[i];
        losses[c0 * T + i] = loss;
        s->ce += loss;
        s->entropy += p[ST_ENTROPY];
        eval_class k = class_of(i % T, m->inputs[i], m->cfg.eos_token_id);
        s->class_ce[k] += loss;
        r->class_tokens[k]++;
        if (ref != NULL) {
            s->ce_ref += ref->losses[i];
            s->entropy_ref += p[ST_ENTROPY_REF];
            s->kl += p[ST_KL];
            s->agree += p[ST_ARGMAX] == p[ST_ARGMAX_REF];
        }
        if (norm[i] > r->max_residual_norm) {
            r->max_residual_norm = norm[i];
        }
        note_norm(r, (eval_norm_site){.token = m->inputs[i], .position = i % T,
                                      .offset = c0 * T + i, .norm = norm[i]});
    }
}

static void finish(const eval_sums *s, float *losses, long long n, int has_ref, eval_result *r)
{
    qsort(losses, (size_t)n, sizeof(float), cmp_float);
    r->mean = s->ce / (double)n;
    r->median = n % 2 ? losses[n / 2] : 0.5 * ((double)losses[n / 2 - 1] + losses[n / 2]);
    long long rank = (long long)(0.999 * (double)n + 0.999999); /* ⌈0.999·n⌉ */
    r->p999 = losses[(rank < 1 ? 1 : rank) - 1];
    r->tokens = n;
    r->entropy = s->entropy / (double)n;
    for (int k = 0; k < EVAL_CLASSES; k++) {
        r->class_ce[k] = r->class_tokens[k] > 0 ? s->class_ce[k] / (double)r->class_tokens[k]
                                                : NAN;
    }
    r->has_reference = has_ref;
    if (has_ref) {
        r->ce_reference = s->ce_ref / (double)n;
        r->entropy_reference = s->entropy_ref / (double)n;
        r->kl = s->kl / (double)n;
        r->top1_agreement = (double)s->agree / (double)n;
    }
}

int eval_tokens(gpt2 *m, gpt2 *ref, const token_stream *f, int T, int batch,
                long long max_tokens, eval_result *r, lnf_error *err)
{
    if (batch <= 0) {
        batch = EVAL_BATCH;
    }
    if (ref != NULL && ref->cfg.vocab_size != m->cfg.vocab_size) {
        return lnf_fail(err, "the reference's vocabulary (%d tokens) is not the model's (%d)",
                        ref->cfg.vocab_size, m->cfg.vocab_size);
    }
    long long avail = (long long)f->n_tokens - 1; /* the last token is only a target */
    if (max_tokens > 0 && max_tokens < avail) {
        avail = max_tokens;
    }
    long long chunks = avail / T;
    if (chunks < 1) {
        return lnf_fail(err, "%s: %zu tokens hold no chunk of T=%d inputs plus a target", f->name,
                        f->n_tokens, T);
    }
    memset(r, 0, sizeof *r);
    size_t BT = (size_t)batch * T;
    float *losses = malloc((size_t)(chunks * T) * sizeof(float));
    int *x = malloc(BT * sizeof(int)), *y = malloc(BT * sizeof(int));
    double *st = malloc(BT * ST_N * sizeof(double)), *norm = malloc(BT * sizeof(double));
    int rc = (losses && x && y && st && norm)
                 ? 0 : lnf_fail(err, "out of memory for %lld losses", chunks * T);
    eval_sums s = {0};
    for (long long c = 0; c < chunks && rc == 0; c += batch) {
        int B = chunks - c < batch ? (int)(chunks - c) : batch;
        rc = stream_batch(f, (size_t)(c * T), B, T, x, y, err);
        if (rc == 0) {
            rc = gpt2_forward(m, x, y, B, T, err);
        }
        if (rc == 0 && ref != NULL && gpt2_forward(ref, x, y, B, T, err) != 0) {
            rc = lnf_fail(err, "reference: %s", err->msg);
        }
        if (rc == 0) {
            distribution_stats(m, ref, B * T, st);
            residual_norms(m, B * T, norm);
            add_batch(m, ref, c, B, T, st, norm, losses, &s, r);
        }
    }
    if (rc == 0) {
        r->chunks = (int)chunks;
        r->seq_len = T;
        finish(&s, losses, chunks * T, ref != NULL, r);
    }
    free(losses);
    free(x);
    free(y);
    free(st);
    free(norm);
    return rc;
}

int eval_model_dir(const char *model_dir, const char *reference_dir, const char *data_path,
                   int T, long long max_tokens, eval_result *r, lnf_error *err)
{
    gpt2 m, ref;
    if (checkpoint_load(&m, model_dir, err) != 0) {
        return -1;
    }
    if (reference_dir != NULL && checkpoint_load(&ref, reference_dir, err) != 0) {
        gpt2_free(&m);
        return -1;
    }
    if (T <= 0) {
        T = m.cfg.n_positions;
        if (reference_dir != NULL && ref.cfg.n_positions < T) {
            T = ref.cfg.n_positions;
        }
    }
    token_stream f;
    int rc = stream_open(&f, data_path, "val", m.cfg.vocab_size, err);
    if (rc == 0) {
        rc = eval_tokens(&m, reference_dir != NULL ? &ref : NULL, &f, T, 0, max_tokens, r, err);
        stream_close(&f);
    }
    if (reference_dir != NULL) {
        gpt2_free(&ref);
    }
    gpt2_free(&m);
    return rc;
}

static json_t *number_or_null(double x)
{
    return isfinite(x) ? json_real(x) : json_null();
}

json_t *eval_result_json(const eval_result *r)
{
    static const char *const class_names[EVAL_CLASSES] = {"bos", "eot", "other"};
    json_t *by_class = json_object(), *counts = json_object(), *worst = json_array();
    for (int k = 0; k < EVAL_CLASSES; k++) {
        json_object_set_new(by_class, class_names[k], number_or_null(r->class_ce[k]));
        json_object_set_new(counts, class_names[k], json_integer(r->class_tokens[k]));
    }
    for (int i = 0; i < r->n_worst; i++) {
        json_array_append_new(worst, json_pack("{s:i, s:i, s:I, s:f}", "token", r->worst[i].token,
                                               "position", r->worst[i].position, "offset",
                                               (json_int_t)r->worst[i].offset, "norm",
                                               r->worst[i].norm));
    }
    json_t *o = json_pack("{s:I, s:i, s:i, s:f, s:f, s:f, s:f, s:o, s:o, s:f, s:o}", "tokens",
                          (json_int_t)r->tokens, "chunks", r->chunks, "seq_len", r->seq_len,
                          "ce", r->mean, "median", r->median, "p999", r->p999, "entropy",
                          r->entropy, "ce_by_class", by_class, "tokens_by_class", counts,
                          "max_residual_norm", r->max_residual_norm, "worst_tokens", worst);
    if (o != NULL && r->has_reference) {
        json_object_set_new(o, "ce_reference", json_real(r->ce_reference));
        json_object_set_new(o, "entropy_reference", json_real(r->entropy_reference));
        json_object_set_new(o, "kl", json_real(r->kl));
        json_object_set_new(o, "top1_agreement", json_real(r->top1_agreement));
    }
    return o;
}
