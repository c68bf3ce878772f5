/* Fuzz target: the safetensors reader (and, on what it accepts, the writer).
 *
 * The fuzz bytes are the file. st_open must fail with a message or return a
 * table that keeps every promise of safetensors.h: ranges inside the data
 * area, sized by dtype × shape, not overlapping, names unique. Then every
 * tensor is read with st_read_f32 / st_read_i32 as its dtype allows (and a
 * wrong element count must be refused), and the accepted tensors written back
 * with st_write must reopen to the same names, dtypes, shapes and bytes. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "fuzz/fuzz_util.h"
#include "base/safetensors.h"

static size_t item_size(st_dtype d)
{
    static const size_t sizes[] = {4, 2, 2, 4, 8, 1, 2}; /* F32 F16 BF16 I32 I64 U8 U16 */
    if ((unsigned)d >= sizeof sizes / sizeof sizes[0]) {
        fz_finding("dtype %d is not an st_dtype", (int)d);
    }
    return sizes[d];
}

static void check_table(const st_file *f)
{
    if (f->data_start < 8 || f->data_start > f->size) {
        fz_finding("data_start %zu outside the %zu-byte file", f->data_start, f->size);
    }
    size_t data = f->size - f->data_start;
    for (int i = 0; i < f->n_tensors; i++) {
        const st_tensor *t = &f->tensors[i];
        if (t->name == NULL || t->ndim < 0 || t->ndim > ST_MAX_DIMS) {
            fz_finding("tensor %d: no name or ndim %d", i, t->ndim);
        }
        size_t numel = 1;
        for (int d = 0; d < t->ndim; d++) {
            if (t->shape[d] < 0) {
                fz_finding("tensor '%s': negative dim", t->name);
            }
            numel *= (size_t)t->shape[d]; /* cannot wrap: the bytes fit in the file */
        }
        if (numel != t->numel || t->begin > t->end || t->end > data ||
            t->end - t->begin != numel * item_size(t->dtype)) {
            fz_finding("tensor '%s': numel %zu (shape gives %zu), range [%zu, %zu) in %zu data bytes",
                       t->name, t->numel, numel, t->begin, t->end, data);
        }
        if (st_find(f, t->name) != t) {
            fz_finding("tensor '%s': st_find gives another entry (duplicate name)", t->name);
        }
        for (int j = 0; j < i; j++) {
            const st_tensor *u = &f->tensors[j];
            if (t->begin < t->end && u->begin < u->end && t->begin < u->end && u->begin < t->end) {
                fz_finding("tensors '%s' and '%s' overlap", t->name, u->name);
            }
        }
    }
}

static void read_all(const st_file *f)
{
    for (int i = 0; i < f->n_tensors; i++) {
        const st_tensor *t = &f->tensors[i];
        int is_float = t->dtype == ST_F32 || t->dtype == ST_F16 || t->dtype == ST_BF16;
        int is_int = t->dtype == ST_I32 || t->dtype == ST_I64;
        lnf_error err;
        /* + 1: a spare element so a wrong count can be asked for safely */
        void *dst = fz_alloc((t->numel + 1) * 4);
        int rc = is_float ? st_read_f32(f, t->name, dst, t->numel, 1, &err)
                          : st_read_i32(f, t->name, dst, t->numel, &err);
        if (rc != 0 && (is_float || (is_int && t->dtype == ST_I32))) {
            /* F32/F16/BF16 fail only on a non-finite value, I32 never */
            if (!is_float || strstr(err.msg, "finite") == NULL) {
                fz_finding("reading tensor '%s' failed: %s", t->name, err.msg);
            }
        }
        if (rc == 0 && !is_float && !is_int) {
            fz_finding("tensor '%s' of dtype %d read as int32", t->name, (int)t->dtype);
        }
        if (is_float && st_read_f32(f, t->name, dst, t->numel, 0, &err) != 0) {
            fz_finding("reading float tensor '%s' without the finite check failed: %s", t->name,
                       err.msg);
        }
        if (is_float && st_read_f32(f, t->name, dst, t->numel + 1, 0, &err) == 0) {
            fz_finding("tensor '%s' read with a wrong element count", t->name);
        }
        free(dst);
    }
}

/* Names the writer accepts: printable ASCII, not __metadata__. */
static int writable_name(const char *s)
{
    for (const char *p = s; *p; p++) {
        if ((unsigned char)*p < 0x20 || (unsigned char)*p > 0x7e) {
            return 0;
        }
    }
    return strcmp(s, "__metadata__") != 0;
}

static void round_trip(const st_file *f)
{
    st_entry *e = fz_alloc((size_t)f->n_tensors * sizeof *e);
    for (int i = 0; i < f->n_tensors; i++) {
        const st_tensor *t = &f->tensors[i];
        if (!writable_name(t->name)) {
            free(e);
            return;
        }
        e[i] = (st_entry){.name = t->name, .dtype = t->dtype, .ndim = t->ndim,
                          .data = f->bytes + f->data_start + t->begin};
        memcpy(e[i].shape, t->shape, sizeof e[i].shape);
    }
    lnf_error err;
    const char *path = fz_temp_path("rewritten.safetensors");
    if (st_write(path, e, f->n_tensors, &err) != 0) {
        fz_finding("st_write refused tensors st_open accepted: %s", err.msg);
    }
    st_file g;
    if (st_open(&g, path, &err) != 0) {
        fz_finding("st_open refused what st_write wrote: %s", err.msg);
    }
    if (g.n_tensors != f->n_tensors) {
        fz_finding("round trip: %d tensors became %d", f->n_tensors, g.n_tensors);
    }
    for (int i = 0; i < f->n_tensors; i++) {
        const st_tensor *t = &f->tensors[i], *u = st_find(&g, t->name);
        if (u == NULL || u->dtype != t->dtype || u->ndim != t->ndim ||
            memcmp(u->shape, t->shape, sizeof(int64_t) * (size_t)t->ndim) != 0 ||
            u->end - u->begin != t->end - t->begin ||
            memcmp(g.bytes + g.data_start + u->begin, f->bytes + f->data_start + t->begin,
                   t->end - t->begin) != 0) {
            fz_finding("round trip changed tensor '%s'", t->name);
        }
    }
    st_close(&g);
    free(e);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *path = fz_write_file("input.safetensors", data, size);
    st_file f;
    lnf_error err;
    err.msg[0] = '\0';
    if (st_open(&f, path, &err) != 0) {
        if (err.msg[0] == '\0' || strstr(err.msg, path) == NULL) {
            fz_finding("st_open failed without a message naming the file: '%s'", err.msg);
        }
        return 0;
    }
    check_table(&f);
    read_all(&f);
    round_trip(&f);
    st_close(&f);
    return 0;
}
