/* safetensors reader and atomic writer; see safetensors.h. */
#define _POSIX_C_SOURCE 200809L /* fileno, fsync, strdup under -std=c11 */
#include "base/safetensors.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* The format is little-endian; tensor bytes are copied straight to and from
 * host arrays, which is only right on a little-endian host (x86_64, arm64). */
_Static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "safetensors.c assumes a little-endian host");

/* Same limit as the reference implementation: a larger header is corrupt. It
 * also keeps the tensor count far below INT_MAX. */
#define ST_MAX_HEADER 100000000u

static const char *const dtype_names[] = {"F32", "F16", "BF16", "I32", "I64", "U8", "U16"};
static const size_t dtype_sizes[] = {4, 2, 2, 4, 8, 1, 2};

static int dtype_from_name(const char *s, st_dtype *out)
{
    for (int i = 0; i < (int)(sizeof dtype_names / sizeof dtype_names[0]); i++) {
        if (strcmp(s, dtype_names[i]) == 0) {
            *out = (st_dtype)i;
            return 0;
        }
    }
    return -1;
}

/* "[768, 2304]" into buf, truncated if it does not fit (only used in messages). */
static const char *shape_str(char *buf, size_t cap, const int64_t *shape, int ndim)
{
    size_t k = (size_t)snprintf(buf, cap, "[");
    for (int i = 0; i < ndim && k < cap; i++) {
        k += (size_t)snprintf(buf + k, cap - k, "%s%" PRId64, i ? ", " : "", shape[i]);
    }
    if (k < cap) {
        snprintf(buf + k, cap - k, "]");
    }
    return buf;
}

/* numel * itemsize, or -1 when either product overflows size_t. */
static int shape_bytes(const int64_t *shape, int ndim, st_dtype dtype, size_t *numel, size_t *nbytes)
{
    size_t n = 1;
    for (int i = 0; i < ndim; i++) {
        if (shape[i] < 0 || (uint64_t)shape[i] > SIZE_MAX) {
            return -1;
        }
        size_t d = (size_t)shape[i];
        if (d != 0 && n > SIZE_MAX / d) {
            return -1;
        }
        n *= d;
    }
    size_t item = dtype_sizes[dtype];
    if (n > SIZE_MAX / item) {
        return -1;
    }
    *numel = n;
    *nbytes = n * item;
    return 0;
}

/* ---------------------------------------------------------------- reader */

void st_close(st_file *f)
{
    for (int i = 0; i < f->n_tensors; i++) {
        free(f->tensors[i].name);
    }
    free(f->tensors);
    fs_unmap(&f->map);
    free(f->path);
    memset(f, 0, sizeof *f);
}

static int map_file(st_file *f, const char *path, lnf_error *err)
{
    if (fs_map(&f->map, path, err) != 0) {
        return -1;
    }
    f->bytes = f->map.data;
    f->size = f->map.size;
    if (f->size < 8) {
        return lnf_fail(err, "%s: file is %zu bytes, too short for the 8-byte header length", path,
                        f->size);
    }
    return 0;
}

/* jansson reports a duplicate key at the byte just after its closing quote but
 * leaves long keys out of its message: recover the key's JSON spelling. */
static void duplicate_key(const char *hdr, size_t n, int pos, char *out, size_t cap)
{
    snprintf(out, cap, "?");
    if (pos < 2 || (size_t)pos > n || hdr[pos - 1] != '"') {
        return;
    }
    for (int i = pos - 2; i >= 0; i--) {
        if (hdr[i] != '"') {
            continue;
        }
        int slashes = 0;
        while (i - 1 - slashes >= 0 && hdr[i - 1 - slashes] == '\\') {
            slashes++;
        }
        if (slashes % 2 == 0) {
            snprintf(out, cap, "%.*s", pos - 2 - i, hdr + i + 1);
            return;
        }
    }
}

static int parse_metadata(const char *path, json_t *meta, lnf_error *err)
{
    if (!json_is_object(meta)) {
        return lnf_fail(err, "%s: __metadata__ is not an object", path);
    }
    const char *key;
    json_t *value;
    json_object_foreach(meta, key, value) {
        if (!json_is_string(value)) {
            return lnf_fail(err, "%s: __metadata__ value '%s' is not a string", path, key);
        }
    }
    return 0;
}

static int parse_tensor(const char *path, const char *name, json_t *info, size_t data_size,
                        st_tensor *t, lnf_error *err)
{
    if (!json_is_object(info)) {
        return lnf_fail(err, "%s: tensor '%s': entry is not an object", path, name);
    }

    json_t *dtype = json_object_get(info, "dtype");
    if (!json_is_string(dtype)) {
        return lnf_fail(err, "%s: tensor '%s': \"dtype\" missing or not a string", path, name);
    }
    if (dtype_from_name(json_string_value(dtype), &t->dtype) != 0) {
        return lnf_fail(err, "%s: tensor '%s': unsupported dtype '%s' (expected F32, F16, BF16, I32, I64, U8 or U16)",
                        path, name, json_string_value(dtype));
    }

    json_t *shape = json_object_get(info, "shape");
    if (!json_is_array(shape)) {
        return lnf_fail(err, "%s: tensor '%s': \"shape\" missing or not an array", path, name);
    }
    if (json_array_size(shape) > ST_MAX_DIMS) {
        return lnf_fail(err, "%s: tensor '%s': shape has %zu dims, more than %d",
                        path, name, json_array_size(shape), ST_MAX_DIMS);
    }
    t->ndim = (int)json_array_size(shape);
    for (int i = 0; i < t->ndim; i++) {
        json_t *d = json_array_get(shape, (size_t)i);
        if (!json_is_integer(d)) {
            return lnf_fail(err, "%s: tensor '%s': shape[%d] is not an integer", path, name, i);
        }
        t->shape[i] = json_integer_value(d);
        if (t->shape[i] < 0) {
            return lnf_fail(err, "%s: tensor '%s': shape[%d] = %" PRId64 " is negative", path, name, i, t->shape[i]);
        }
    }
    char sbuf[256];
    size_t nbytes;
    if (shape_bytes(t->shape, t->ndim, t->dtype, &t->numel, &nbytes) != 0) {
        return lnf_fail(err, "%s: tensor '%s': shape %s is too large (byte size overflows)",
                        path, name, shape_str(sbuf, sizeof sbuf, t->shape, t->ndim));
    }

    json_t *offs = json_object_get(info, "data_offsets");
    if (!json_is_array(offs) || json_array_size(offs) != 2 ||
        !json_is_integer(json_array_get(offs, 0)) || !json_is_integer(json_array_get(offs, 1))) {
        return lnf_fail(err, "%s: tensor '%s': \"data_offsets\" missing or not [begin, end] integers", path, name);
        }
    json_int_t b = json_integer_value(json_array_get(offs, 0));
    json_int_t e = json_integer_value(json_array_get(offs, 1));
    if (b < 0 || e < 0) {
        return lnf_fail(err, "%s: tensor '%s': data_offsets [%" JSON_INTEGER_FORMAT ", %" JSON_INTEGER_FORMAT "] negative",
                        path, name, b, e);
    }
    if (b > e) {
        return lnf_fail(err, "%s: tensor '%s': data_offsets [%" JSON_INTEGER_FORMAT ", %" JSON_INTEGER_FORMAT "] out of order",
                        path, name, b, e);
    }
    if ((unsigned long long)e > data_size) {
        return lnf_fail(err, "%s: tensor '%s': data_offsets [%" JSON_INTEGER_FORMAT ", %" JSON_INTEGER_FORMAT
                        "] end past the data area (%zu bytes; file truncated?)", path, name, b, e, data_size);
    }
    t->begin = (size_t)b;
    t->end = (size_t)e;
    if (t->end - t->begin != nbytes) {
        return lnf_fail(err, "%s: tensor '%s': data_offsets [%zu, %zu] span %zu bytes but %s shape %s needs %zu",
                        path, name, t->begin, t->end, t->end - t->begin, dtype_names[t->dtype],
                        shape_str(sbuf, sizeof sbuf, t->shape, t->ndim), nbytes);
    }
    return 0;
}

static int cmp_begin(const void *a, const void *b)
{
    const st_tensor *x = *(const st_tensor *const *)a, *y = *(const st_tensor *const *)b;
    if (x->begin != y->begin) {
        return x->begin < y->begin ? -1 : 1;
    }
    if (x->end != y->end) {
        return x->end < y->end ? -1 : 1;
    }
    return 0;
}

/* Empty tensors own no bytes, so only non-empty ranges can overlap. */
static int check_overlaps(const st_file *f, lnf_error *err)
{
    const st_tensor **sorted = malloc((size_t)f->n_tensors * sizeof *sorted + 1); /* +1: never malloc(0) */
    if (sorted == NULL) {
        return lnf_fail(err, "%s: out of memory", f->path);
    }
    for (int i = 0; i < f->n_tensors; i++) {
        sorted[i] = &f->tensors[i];
    }
    qsort(sorted, (size_t)f->n_tensors, sizeof *sorted, cmp_begin);
    const st_tensor *prev = NULL;
    for (int i = 0; i < f->n_tensors; i++) {
        const st_tensor *t = sorted[i];
        if (t->begin == t->end) {
            continue;
        }
        if (prev != NULL && t->begin < prev->end) {
            int rc = lnf_fail(err, "%s: tensor '%s': data_offsets [%zu, %zu] overlap tensor '%s' [%zu, %zu]",
                              f->path, t->name, t->begin, t->end, prev->name, prev->begin, prev->end);
            free(sorted);
            return rc;
        }
        prev = t;
    }
    free(sorted);
    return 0;
}

static int parse_header(st_file *f, lnf_error *err)
{
    uint64_t n;
    memcpy(&n, f->bytes, 8);
    if (n > f->size - 8) {
        return lnf_fail(err, "%s: header length %" PRIu64 " runs past end of file (%zu bytes)", f->path, n, f->size);
    }
    if (n > ST_MAX_HEADER) {
        return lnf_fail(err, "%s: header length %" PRIu64 " exceeds the %u-byte limit", f->path, n, ST_MAX_HEADER);
    }
    f->data_start = 8 + (size_t)n;
    size_t data_size = f->size - f->data_start;

    const char *hdr = (const char *)f->bytes + 8;
    json_error_t jerr;
    /* DECODE_ANY so that a scalar header gets the clearer "not an object". */
    json_t *root = json_loadb(hdr, (size_t)n, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &jerr);
    if (root == NULL) {
        if (json_error_code(&jerr) == json_error_duplicate_key) {
            char key[256];
            duplicate_key(hdr, (size_t)n, jerr.position, key, sizeof key);
            return lnf_fail(err, "%s: header has duplicate key '%s' (header byte %d)", f->path, key, jerr.position);
        }
        return lnf_fail(err, "%s: header is not valid JSON: %s (header byte %d)", f->path, jerr.text, jerr.position);
    }
    if (!json_is_object(root)) {
        json_decref(root);
        return lnf_fail(err, "%s: header is not a JSON object", f->path);
    }

    f->tensors = calloc(json_object_size(root) + 1, sizeof *f->tensors); /* +1: never 0 */
    if (f->tensors == NULL) {
        json_decref(root);
        return lnf_fail(err, "%s: out of memory", f->path);
    }
    const char *key;
    json_t *value;
    json_object_foreach(root, key, value) {
        if (strcmp(key, "__metadata__") == 0) {
            if (parse_metadata(f->path, value, err) != 0) {
                goto fail;
            }
            continue;
        }
        st_tensor *t = &f->tensors[f->n_tensors];
        if (parse_tensor(f->path, key, value, data_size, t, err) != 0) {
            goto fail;
        }
        t->name = strdup(key);
        if (t->name == NULL) {
            lnf_fail(err, "%s: out of memory", f->path);
            goto fail;
        }
        f->n_tensors++;
    }
    json_decref(root);
    return check_overlaps(f, err);
fail:
    json_decref(root);
    return -1;
}

int st_open(st_file *f, const char *path, lnf_error *err)
{
    memset(f, 0, sizeof *f);
    f->path = strdup(path);
    if (f->path == NULL) {
        return lnf_fail(err, "%s: out of memory", path);
    }
    if (map_file(f, path, err) != 0 || parse_header(f, err) != 0) {
        st_close(f);
        return -1;
    }
    return 0;
}

const st_tensor *st_find(const st_file *f, const char *name)
{
    for (int i = 0; i < f->n_tensors; i++) {
        if (strcmp(f->tensors[i].name, name) == 0) {
            return &f->tensors[i];
        }
    }
    return NULL;
}

/* IEEE half: 1 sign, 5 exponent (bias 15), 10 mantissa bits. Every half is
 * exactly representable as a float. */
static float half_to_float(uint16_t h)
{
    uint32_t sign = (uint32_t)(h & 0x8000u) << 16;
    uint32_t exp = (h >> 10) & 0x1fu;
    uint32_t mant = h & 0x3ffu;
    uint32_t bits;
    if (exp == 0x1f) {
        bits = sign | 0x7f800000u | (mant << 13); /* inf, or nan keeping its payload */
    } else if (exp != 0) {
        bits = sign | ((exp + 127 - 15) << 23) | (mant << 13);
    } else {
        /* zero or subnormal: mant * 2^-24, exact since mant < 2^10 */
        float v = (float)mant * 0x1p-24f;
        return sign ? -v : v;
    }
    float v;
    memcpy(&v, &bits, 4);
    return v;
}

/* bfloat16 is the top half of a float32. */
static float bf16_to_float(uint16_t h)
{
    uint32_t bits = (uint32_t)h << 16;
    float v;
    memcpy(&v, &bits, 4);
    return v;
}

#define DT(d) (1u << (d))

/* Looks up name and checks its dtype (a DT() mask) and element count. */
static const st_tensor *find_checked(const st_file *f, const char *name, unsigned dtypes,
                                     const char *expected_dtypes, size_t numel, lnf_error *err)
{
    const st_tensor *t = st_find(f, name);
    if (t == NULL) {
        lnf_fail(err, "%s: tensor '%s' not found", f->path, name);
        return NULL;
    }
    if (!(dtypes & DT(t->dtype))) {
        lnf_fail(err, "%s: tensor '%s': dtype %s, expected %s", f->path, name, dtype_names[t->dtype], expected_dtypes);
        return NULL;
    }
    if (t->numel != numel) {
        char sbuf[256];
        lnf_fail(err, "%s: tensor '%s': shape %s has %zu elements, expected %zu", f->path, name,
                 shape_str(sbuf, sizeof sbuf, t->shape, t->ndim), t->numel, numel);
        return NULL;
    }
    return t;
}

int st_read_f32(const st_file *f, const char *name, float *dst, size_t numel,
                int require_finite, lnf_error *err)
{
    const st_tensor *t = find_checked(f, name, DT(ST_F32) | DT(ST_F16) | DT(ST_BF16), "F32, F16 or BF16",
                                      numel, err);
    if (t == NULL) {
        return -1;
    }
    /* The data need not be aligned in memory: memcpy, never cast the pointer. */
    const unsigned char *src = f->bytes + f->data_start + t->begin;
    if (t->dtype == ST_F32) {
        memcpy(dst, src, numel * 4);
    } else {
        for (size_t i = 0; i < numel; i++) {
            uint16_t h;
            memcpy(&h, src + 2 * i, 2);
            dst[i] = t->dtype == ST_F16 ? half_to_float(h) : bf16_to_float(h);
        }
    }
    if (require_finite) {
        for (size_t i = 0; i < numel; i++) {
            if (!isfinite(dst[i])) {
                return lnf_fail(err, "%s: tensor '%s': element %zu is %s, expected finite values",
                                f->path, name, i, isnan(dst[i]) ? "nan" : dst[i] > 0 ? "inf" : "-inf");
            }
        }
    }
    return 0;
}

int st_read_i32(const st_file *f, const char *name, int32_t *dst, size_t numel, lnf_error *err)
{
    const st_tensor *t = find_checked(f, name, DT(ST_I32) | DT(ST_I64), "I32 or I64", numel, err);
    if (t == NULL) {
        return -1;
    }
    const unsigned char *src = f->bytes + f->data_start + t->begin;
    if (t->dtype == ST_I32) {
        memcpy(dst, src, numel * 4);
    } else {
        for (size_t i = 0; i < numel; i++) {
            int64_t v;
            memcpy(&v, src + 8 * i, 8);
            if (v < INT32_MIN || v > INT32_MAX) {
                return lnf_fail(err, "%s: tensor '%s': element %zu = %" PRId64 " is out of int32 range",
                                f->path, name, i, v);
            }
            dst[i] = (int32_t)v;
        }
    }
    return 0;
}

/* ---------------------------------------------------------------- writer */

static int cmp_entry_name(const void *a, const void *b)
{
    return strcmp((*(const st_entry *const *)a)->name, (*(const st_entry *const *)b)->name);
}

/* jansson and Python's json.dumps escape control and non-ASCII characters
 * differently (\u001F vs \u001f), so such names would break byte-identity
 * with the Python writer; tensor names never need them. */
static int name_is_plain(const char *s)
{
    for (; *s; s++) {
        if ((unsigned char)*s < 0x20 || (unsigned char)*s > 0x7e) {
            return 0;
        }
    }
    return 1;
}

static json_t *tensor_info(const st_entry *e, size_t begin, size_t end)
{
    json_t *dims = json_array();
    for (int d = 0; dims != NULL && d < e->ndim; d++) {
        if (json_array_append_new(dims, json_integer(e->shape[d])) != 0) {
            json_decref(dims);
            return NULL;
        }
    }
    /* "o" steals dims, and packing fails when dims is NULL */
    return json_pack("{s:s, s:o, s:[I,I]}", "dtype", dtype_names[e->dtype], "shape", dims,
                     "data_offsets", (json_int_t)begin, (json_int_t)end);
}

/* Checks the entries and builds the sorted header; returns the dumped JSON
 * (caller frees) or NULL after setting err. */
static char *build_header(const char *path, const st_entry **sorted, int n, lnf_error *err)
{
    char sbuf[256];
    json_t *root = json_object();
    if (root == NULL) {
        goto oom;
    }
    size_t offset = 0;
    for (int i = 0; i < n; i++) {
        const st_entry *e = sorted[i];
        size_t numel, nbytes;
        if (!name_is_plain(e->name) || strcmp(e->name, "__metadata__") == 0) {
            lnf_fail(err, "%s: tensor '%s': name must be printable ASCII and not __metadata__", path, e->name);
            goto fail;
        }
        if (i > 0 && strcmp(e->name, sorted[i - 1]->name) == 0) {
            lnf_fail(err, "%s: tensor '%s': duplicate name", path, e->name);
            goto fail;
        }
        if ((unsigned)e->dtype >= sizeof dtype_names / sizeof dtype_names[0] || e->ndim < 0 || e->ndim > ST_MAX_DIMS) {
            lnf_fail(err, "%s: tensor '%s': bad dtype %d or ndim %d", path, e->name, (int)e->dtype, e->ndim);
            goto fail;
        }
        if (shape_bytes(e->shape, e->ndim, e->dtype, &numel, &nbytes) != 0 || nbytes > SIZE_MAX - offset) {
            lnf_fail(err, "%s: tensor '%s': shape %s is negative or too large", path, e->name,
                     shape_str(sbuf, sizeof sbuf, e->shape, e->ndim));
            goto fail;
        }
        if (e->data == NULL && nbytes > 0) {
            lnf_fail(err, "%s: tensor '%s': no data", path, e->name);
            goto fail;
        }
        if (json_object_set_new(root, e->name, tensor_info(e, offset, offset + nbytes)) != 0) {
            goto oom;
        }
        offset += nbytes;
    }
    /* COMPACT gives "," and ":" with no spaces, SORT_KEYS sorts by UTF-8 bytes
     * (= code points): the same bytes as json.dumps(separators=(",", ":"), sort_keys=True). */
    char *json = json_dumps(root, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(root);
    if (json == NULL) {
        lnf_fail(err, "%s: out of memory building the header", path);
    }
    return json;
oom:
    lnf_fail(err, "%s: out of memory building the header", path);
fail:
    json_decref(root);
    return NULL;
}

int st_write(const char *path, const st_entry *entries, int n, lnf_error *err)
{
    if (n < 0) {
        return lnf_fail(err, "%s: negative tensor count %d", path, n);
    }
    for (int i = 0; i < n; i++) {
        if (entries[i].name == NULL) {
            return lnf_fail(err, "%s: entry %d has no name", path, i);
        }
    }
    const st_entry **sorted = malloc((size_t)n * sizeof *sorted + 1); /* +1: never malloc(0) */
    if (sorted == NULL) {
        return lnf_fail(err, "%s: out of memory", path);
    }
    for (int i = 0; i < n; i++) {
        sorted[i] = &entries[i];
    }
    qsort(sorted, (size_t)n, sizeof *sorted, cmp_entry_name);
    char *json = build_header(path, sorted, n, err);
    if (json == NULL) {
        free(sorted);
        return -1;
    }

    /* Pad with spaces so the data area starts 8-byte aligned, as the reference does. */
    size_t hlen = strlen(json);
    size_t pad = (8 - hlen % 8) % 8;
    uint64_t n_header = hlen + pad;

    fs_atomic_file out;
    int rc = fs_atomic_begin(&out, path, err);
    if (rc == 0) {
        rc = fs_atomic_write(&out, &n_header, 8, err) || fs_atomic_write(&out, json, hlen, err) ||
                     fs_atomic_write(&out, "        ", pad, err)
                 ? -1
                 : 0;
    }
    for (int i = 0; rc == 0 && i < n; i++) {
        size_t numel = 0, nbytes = 0; /* build_header checked the shape */
        shape_bytes(sorted[i]->shape, sorted[i]->ndim, sorted[i]->dtype, &numel, &nbytes);
        rc = fs_atomic_write(&out, sorted[i]->data, nbytes, err);
    }
    if (rc == 0) {
        rc = fs_atomic_commit(&out, err);
    }
    free(json);
    free(sorted);
    return rc;
}
