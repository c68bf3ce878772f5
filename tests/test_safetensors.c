/* test_safetensors: st_write round trips bit for bit and matches the Python
 * writer's bytes; st_open rejects every class of hostile file with a message
 * naming the file and the problem; F16/BF16/I64 conversions are exact. */
#define _POSIX_C_SOURCE 200809L /* mkdtemp, getpid */
#include <check.h>
#include <dirent.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/safetensors.h"

static char tmpdir[256]; /* created once in main; every test writes its own file names */

static void path_in_tmp(char *path, size_t cap, const char *name)
{
    snprintf(path, cap, "%s/%s", tmpdir, name);
}

static void write_bytes(const char *path, const void *bytes, size_t n)
{
    FILE *fp = fopen(path, "wb");
    ck_assert_ptr_nonnull(fp);
    ck_assert_uint_eq(fwrite(bytes, 1, n, fp), n);
    ck_assert_int_eq(fclose(fp), 0);
}

/* Length field (little-endian) + header + data, as a hostile writer would. */
static void craft(char *path, size_t cap, const char *name, const char *header, const void *data, size_t ndata)
{
    path_in_tmp(path, cap, name);
    size_t n = strlen(header);
    unsigned char *buf = malloc(8 + n + ndata + 1);
    ck_assert_ptr_nonnull(buf);
    for (int i = 0; i < 8; i++)
        buf[i] = (unsigned char)((uint64_t)n >> (8 * i));
    memcpy(buf + 8, header, n);
    if (ndata > 0)
        memcpy(buf + 8 + n, data, ndata);
    write_bytes(path, buf, 8 + n + ndata);
    free(buf);
}

static unsigned char *slurp(const char *path, size_t *n)
{
    FILE *fp = fopen(path, "rb");
    ck_assert_ptr_nonnull(fp);
    fseek(fp, 0, SEEK_END);
    *n = (size_t)ftell(fp);
    rewind(fp);
    unsigned char *buf = malloc(*n + 1);
    ck_assert_ptr_nonnull(buf);
    ck_assert_uint_eq(fread(buf, 1, *n, fp), *n);
    fclose(fp);
    return buf;
}

#define assert_msg_has(err, s) \
    ck_assert_msg(strstr((err).msg, (s)) != NULL, "message \"%s\" lacks \"%s\"", (err).msg, (s))

static void expect_open_fails(const char *path, const char *problem)
{
    st_file f;
    lnf_error err = {{0}};
    ck_assert_msg(st_open(&f, path, &err) == -1, "%s opened, expected \"%s\"", path, problem);
    assert_msg_has(err, path);
    assert_msg_has(err, problem);
    ck_assert_ptr_null(f.bytes); /* failed open leaves nothing to close */
    ck_assert_int_eq(f.n_tensors, 0);
}

static void open_ok(st_file *f, const char *path)
{
    lnf_error err = {{0}};
    ck_assert_msg(st_open(f, path, &err) == 0, "st_open failed: %s", err.msg);
}

static uint32_t f32_bits(float v)
{
    uint32_t u;
    memcpy(&u, &v, 4);
    return u;
}

static float bits_f32(uint32_t u)
{
    float v;
    memcpy(&v, &u, 4);
    return v;
}

/* ------------------------------------------------------------ writer */

/* The header json.dumps(header, separators=(",", ":"), sort_keys=True) gives
 * for the tensors of test_roundtrip (computed with Python 3). */
static const char python_header[] =
    "{\"a.scalar\":{\"data_offsets\":[0,4],\"dtype\":\"F32\",\"shape\":[]},"
    "\"b\":{\"data_offsets\":[4,16],\"dtype\":\"I32\",\"shape\":[3]},"
    "\"empty\":{\"data_offsets\":[16,16],\"dtype\":\"F32\",\"shape\":[0,4]},"
    "\"wte\":{\"data_offsets\":[16,40],\"dtype\":\"F32\",\"shape\":[3,2]}}";

START_TEST(test_roundtrip)
{
    float wte[6] = {bits_f32(0x7fc00001u), -0.0f, bits_f32(0x00000001u), INFINITY, -INFINITY, 1.5f};
    int32_t b[3] = {INT32_MIN, -1, INT32_MAX};
    float scalar = 42.0f;
    /* unsorted on purpose: the file must come out sorted by name */
    st_entry e[4] = {
        {.name = "wte", .dtype = ST_F32, .ndim = 2, .shape = {3, 2}, .data = wte},
        {.name = "empty", .dtype = ST_F32, .ndim = 2, .shape = {0, 4}, .data = NULL},
        {.name = "b", .dtype = ST_I32, .ndim = 1, .shape = {3}, .data = b},
        {.name = "a.scalar", .dtype = ST_F32, .ndim = 0, .data = &scalar},
    };
    char path[512];
    path_in_tmp(path, sizeof path, "roundtrip.safetensors");
    lnf_error err = {{0}};
    ck_assert_msg(st_write(path, e, 4, &err) == 0, "%s", err.msg);

    /* Byte-identical to the Python writer: length, header, space padding, data in name order. */
    size_t n;
    unsigned char *bytes = slurp(path, &n);
    size_t hlen = strlen(python_header), padded = hlen + (8 - hlen % 8) % 8;
    ck_assert_uint_eq((8 + padded) % 8, 0);
    ck_assert_uint_eq(n, 8 + padded + 40);
    uint64_t nhdr;
    memcpy(&nhdr, bytes, 8);
    ck_assert_uint_eq(nhdr, padded);
    ck_assert_int_eq(memcmp(bytes + 8, python_header, hlen), 0);
    for (size_t i = hlen; i < padded; i++)
        ck_assert_int_eq(bytes[8 + i], ' ');
    const unsigned char *data = bytes + 8 + padded;
    ck_assert_int_eq(memcmp(data, &scalar, 4), 0);
    ck_assert_int_eq(memcmp(data + 4, b, 12), 0);
    ck_assert_int_eq(memcmp(data + 16, wte, 24), 0);
    free(bytes);

    st_file f;
    open_ok(&f, path);
    ck_assert_int_eq(f.n_tensors, 4);
    ck_assert_uint_eq(f.data_start, 8 + padded);
    const st_tensor *t = st_find(&f, "wte");
    ck_assert_ptr_nonnull(t);
    ck_assert_int_eq(t->dtype, ST_F32);
    ck_assert_int_eq(t->ndim, 2);
    ck_assert_int_eq(t->shape[0], 3);
    ck_assert_int_eq(t->shape[1], 2);
    ck_assert_uint_eq(t->numel, 6);
    ck_assert_ptr_null(st_find(&f, "nope"));

    float got[6];
    ck_assert_int_eq(st_read_f32(&f, "wte", got, 6, 0, &err), 0);
    ck_assert_int_eq(memcmp(got, wte, sizeof wte), 0); /* NaN payload, -0, subnormal kept */
    int32_t gotb[3];
    ck_assert_int_eq(st_read_i32(&f, "b", gotb, 3, &err), 0);
    ck_assert_int_eq(memcmp(gotb, b, sizeof b), 0);
    float s;
    ck_assert_int_eq(st_read_f32(&f, "a.scalar", &s, 1, 1, &err), 0);
    ck_assert_uint_eq(f32_bits(s), f32_bits(42.0f));
    ck_assert_int_eq(st_read_f32(&f, "empty", got, 0, 1, &err), 0);
    st_close(&f);
}
END_TEST

/* Quotes, backslashes and slashes are escaped the same way as Python's json. */
START_TEST(test_write_escaped_name)
{
    uint8_t one = 7;
    st_entry e = {.name = "x\"y\\z/w", .dtype = ST_U8, .ndim = 1, .shape = {1}, .data = &one};
    const char *expect = "{\"x\\\"y\\\\z/w\":{\"data_offsets\":[0,1],\"dtype\":\"U8\",\"shape\":[1]}}";
    char path[512];
    path_in_tmp(path, sizeof path, "escaped.safetensors");
    lnf_error err = {{0}};
    ck_assert_msg(st_write(path, &e, 1, &err) == 0, "%s", err.msg);
    size_t n;
    unsigned char *bytes = slurp(path, &n);
    ck_assert_int_eq(memcmp(bytes + 8, expect, strlen(expect)), 0);
    free(bytes);
    st_file f;
    open_ok(&f, path);
    ck_assert_ptr_nonnull(st_find(&f, "x\"y\\z/w"));
    st_close(&f);
}
END_TEST

static void tmp_file_of(char *tmp, size_t cap, const char *path)
{
    snprintf(tmp, cap, "%s.tmp.%ld", path, (long)getpid());
}

START_TEST(test_write_replaces_and_failure_keeps_old)
{
    char path[512], tmp[600];
    path_in_tmp(path, sizeof path, "replace.safetensors");
    tmp_file_of(tmp, sizeof tmp, path);
    lnf_error err = {{0}};
    float v1[2] = {1, 2}, v2[3] = {3, 4, 5};
    st_entry e1 = {.name = "w", .dtype = ST_F32, .ndim = 1, .shape = {2}, .data = v1};
    st_entry e2 = {.name = "w", .dtype = ST_F32, .ndim = 1, .shape = {3}, .data = v2};
    ck_assert_int_eq(st_write(path, &e1, 1, &err), 0);
    ck_assert_int_eq(st_write(path, &e2, 1, &err), 0);
    ck_assert_int_ne(access(tmp, F_OK), 0);
    size_t n_old;
    unsigned char *old = slurp(path, &n_old);

    /* Rejected entries: nothing is written. */
    st_entry dup[2] = {e1, e1};
    ck_assert_int_eq(st_write(path, dup, 2, &err), -1);
    assert_msg_has(err, path);
    assert_msg_has(err, "tensor 'w': duplicate name");
    st_entry meta = {.name = "__metadata__", .dtype = ST_F32, .ndim = 1, .shape = {2}, .data = v1};
    ck_assert_int_eq(st_write(path, &meta, 1, &err), -1);
    assert_msg_has(err, "__metadata__");
    st_entry ctrl = {.name = "a\nb", .dtype = ST_F32, .ndim = 1, .shape = {2}, .data = v1};
    ck_assert_int_eq(st_write(path, &ctrl, 1, &err), -1);
    assert_msg_has(err, "printable ASCII");
    st_entry neg = {.name = "w", .dtype = ST_F32, .ndim = 2, .shape = {2, -1}, .data = v1};
    ck_assert_int_eq(st_write(path, &neg, 1, &err), -1);
    assert_msg_has(err, "tensor 'w': shape [2, -1] is negative or too large");

    size_t n_now;
    unsigned char *now = slurp(path, &n_now);
    ck_assert_uint_eq(n_now, n_old);
    ck_assert_int_eq(memcmp(now, old, n_old), 0);
    free(now);
    free(old);

    /* Failure after the temporary file exists (rename onto a directory): it is removed. */
    char dir[512];
    path_in_tmp(dir, sizeof dir, "a_directory");
    ck_assert_int_eq(mkdir(dir, 0700), 0);
    tmp_file_of(tmp, sizeof tmp, dir);
    ck_assert_int_eq(st_write(dir, &e1, 1, &err), -1);
    assert_msg_has(err, dir);
    assert_msg_has(err, "cannot replace file");
    ck_assert_int_ne(access(tmp, F_OK), 0);
    struct stat sb;
    ck_assert_int_eq(stat(dir, &sb), 0);
    ck_assert(S_ISDIR(sb.st_mode));
    rmdir(dir);

    /* Missing directory. */
    char missing[512];
    path_in_tmp(missing, sizeof missing, "no/such/dir.safetensors");
    ck_assert_int_eq(st_write(missing, &e1, 1, &err), -1);
    assert_msg_has(err, missing);
    assert_msg_has(err, "cannot create");
}
END_TEST

/* The golden files were written by golden/make_golden.py: reading one and
 * writing its tensors back must reproduce it byte for byte. */
START_TEST(test_python_files_rewrite_identically)
{
    const char *golden = "golden/kernels"; /* ctest runs in the source directory */
    DIR *d = opendir(golden);
    ck_assert_msg(d != NULL, "cannot open %s (run from the project root)", golden);
    int checked = 0;
    struct dirent *ent;
    while ((ent = readdir(d)) != NULL) {
        const char *dot = strrchr(ent->d_name, '.');
        if (dot == NULL || strcmp(dot, ".safetensors") != 0)
            continue;
        char src[512], dst[512];
        snprintf(src, sizeof src, "%s/%s", golden, ent->d_name);
        path_in_tmp(dst, sizeof dst, ent->d_name);
        st_file f;
        open_ok(&f, src);
        st_entry *e = calloc((size_t)f.n_tensors + 1, sizeof *e);
        ck_assert_ptr_nonnull(e);
        for (int i = 0; i < f.n_tensors; i++) {
            const st_tensor *t = &f.tensors[i];
            e[i].name = t->name;
            e[i].dtype = t->dtype;
            e[i].ndim = t->ndim;
            memcpy(e[i].shape, t->shape, sizeof t->shape);
            e[i].data = f.bytes + f.data_start + t->begin;
        }
        lnf_error err = {{0}};
        ck_assert_msg(st_write(dst, e, f.n_tensors, &err) == 0, "%s", err.msg);
        size_t n_src, n_dst;
        unsigned char *a = slurp(src, &n_src), *b = slurp(dst, &n_dst);
        ck_assert_msg(n_src == n_dst && memcmp(a, b, n_src) == 0, "%s rewritten differs", src);
        free(a);
        free(b);
        free(e);
        st_close(&f);
        checked++;
    }
    closedir(d);
    ck_assert_msg(checked > 0, "no .safetensors files in %s", golden);
}
END_TEST

/* ------------------------------------------------------------ hostile files */

START_TEST(test_empty_and_short_files)
{
    char path[512];
    path_in_tmp(path, sizeof path, "empty.safetensors");
    write_bytes(path, "", 0);
    expect_open_fails(path, "file is 0 bytes, too short");
    path_in_tmp(path, sizeof path, "seven.safetensors");
    write_bytes(path, "\x10\0\0\0\0\0\0", 7);
    expect_open_fails(path, "file is 7 bytes, too short");
    path_in_tmp(path, sizeof path, "missing.safetensors");
    expect_open_fails(path, "cannot open");
    expect_open_fails(tmpdir, "not a regular file");
}
END_TEST

START_TEST(test_header_length_past_eof)
{
    char path[512];
    path_in_tmp(path, sizeof path, "hdrlen.safetensors");
    unsigned char buf[18] = {100, 0, 0, 0, 0, 0, 0, 0, '{', '}'};
    write_bytes(path, buf, sizeof buf);
    expect_open_fails(path, "header length 100 runs past end of file (18 bytes)");
    memset(buf, 0xff, 8); /* 2^64 - 1: must not wrap around */
    write_bytes(path, buf, sizeof buf);
    expect_open_fails(path, "header length 18446744073709551615 runs past end of file");
}
END_TEST

START_TEST(test_header_not_json)
{
    char path[512];
    craft(path, sizeof path, "notjson.safetensors", "{\"a\": {\"dtype\": ", NULL, 0);
    expect_open_fails(path, "header is not valid JSON");
    craft(path, sizeof path, "zerolen.safetensors", "", NULL, 0);
    expect_open_fails(path, "header is not valid JSON");
    craft(path, sizeof path, "garbage.safetensors", "\x01\xff\xfe", NULL, 0);
    expect_open_fails(path, "header is not valid JSON");
    craft(path, sizeof path, "array.safetensors", "[1, 2]", NULL, 0);
    expect_open_fails(path, "header is not a JSON object");
    craft(path, sizeof path, "number.safetensors", "42", NULL, 0);
    expect_open_fails(path, "header is not a JSON object");
}
END_TEST

START_TEST(test_bad_entries)
{
    static const char zeros[64];
    static const struct {
        const char *header, *problem;
    } cases[] = {
        {"{\"x\":[1]}", "tensor 'x': entry is not an object"},
        {"{\"x\":{\"shape\":[2],\"data_offsets\":[0,8]}}", "tensor 'x': \"dtype\" missing or not a string"},
        {"{\"x\":{\"dtype\":\"F64\",\"shape\":[2],\"data_offsets\":[0,16]}}", "tensor 'x': unsupported dtype 'F64'"},
        {"{\"x\":{\"dtype\":\"F32\",\"data_offsets\":[0,8]}}", "tensor 'x': \"shape\" missing or not an array"},
        {"{\"x\":{\"dtype\":\"F32\",\"shape\":[2,-2],\"data_offsets\":[0,8]}}", "tensor 'x': shape[1] = -2 is negative"},
        {"{\"x\":{\"dtype\":\"F32\",\"shape\":[2.0],\"data_offsets\":[0,8]}}", "tensor 'x': shape[0] is not an integer"},
        {"{\"x\":{\"dtype\":\"F32\",\"shape\":[1,1,1,1,1,1,1,1,1],\"data_offsets\":[0,4]}}",
         "tensor 'x': shape has 9 dims, more than 8"},
        {"{\"x\":{\"dtype\":\"F32\",\"shape\":[4294967296,4294967296,4294967296],\"data_offsets\":[0,8]}}",
         "tensor 'x': shape [4294967296, 4294967296, 4294967296] is too large"},
        {"{\"x\":{\"dtype\":\"I64\",\"shape\":[4611686018427387904],\"data_offsets\":[0,8]}}",
         "tensor 'x': shape [4611686018427387904] is too large"},
        {"{\"x\":{\"dtype\":\"F32\",\"shape\":[2]}}", "tensor 'x': \"data_offsets\" missing"},
        {"{\"x\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0]}}", "tensor 'x': \"data_offsets\" missing or not"},
        {"{\"x\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[-8,0]}}", "tensor 'x': data_offsets [-8, 0] negative"},
        {"{\"h.0.attn.c_attn.weight\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[10,8]}}",
         "tensor 'h.0.attn.c_attn.weight': data_offsets [10, 8] out of order"},
        {"{\"x\":{\"dtype\":\"F32\",\"shape\":[2,2],\"data_offsets\":[0,12]}}",
         "tensor 'x': data_offsets [0, 12] span 12 bytes but F32 shape [2, 2] needs 16"},
        {"{\"x\":{\"dtype\":\"F32\",\"shape\":[32],\"data_offsets\":[0,128]}}",
         "tensor 'x': data_offsets [0, 128] end past the data area (64 bytes"},
        {"{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
         "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}",
         "tensor 'b': data_offsets [4, 12] overlap tensor 'a' [0, 8]"},
        {"{\"b\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[16,32]},"
         "\"a\":{\"dtype\":\"F32\",\"shape\":[8],\"data_offsets\":[0,32]}}",
         "tensor 'b': data_offsets [16, 32] overlap tensor 'a' [0, 32]"},
        {"{\"h.0.attn.c_attn.weight\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
         "\"h.0.attn.c_attn.weight\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[8,16]}}",
         "duplicate key 'h.0.attn.c_attn.weight'"},
        {"{\"x\":{\"dtype\":\"F32\",\"dtype\":\"F16\",\"shape\":[2],\"data_offsets\":[0,8]}}", "duplicate key 'dtype'"},
        {"{\"__metadata__\":[\"pt\"]}", "__metadata__ is not an object"},
        {"{\"__metadata__\":{\"format\":1}}", "__metadata__ value 'format' is not a string"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char path[512], name[64];
        snprintf(name, sizeof name, "bad_entry_%zu.safetensors", i);
        craft(path, sizeof path, name, cases[i].header, zeros, sizeof zeros);
        expect_open_fails(path, cases[i].problem);
    }
}
END_TEST

/* Valid corner cases: metadata is skipped, empty tensors own no bytes, data
 * after an odd-length header is unaligned. */
START_TEST(test_valid_corner_cases)
{
    char path[512];
    unsigned char data[13] = {9};
    float v = -3.25f;
    memcpy(data + 1, &v, 4);
    craft(path, sizeof path, "corners.safetensors",
          "{\"__metadata__\":{\"format\":\"pt\"},"
          "\"u\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0,1]},"
          "\"odd\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[1,5]},"
          "\"none\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[3,3]},"
          "\"none2\":{\"dtype\":\"F32\",\"shape\":[2,0],\"data_offsets\":[3,3]}}  ",
          data, sizeof data);
    st_file f;
    open_ok(&f, path);
    ck_assert_int_eq(f.n_tensors, 4);
    ck_assert_ptr_null(st_find(&f, "__metadata__"));
    float got;
    lnf_error err = {{0}};
    ck_assert_msg(st_read_f32(&f, "odd", &got, 1, 1, &err) == 0, "%s", err.msg);
    ck_assert_uint_eq(f32_bits(got), f32_bits(v));
    st_close(&f);
}
END_TEST

/* Every truncation of a valid file fails cleanly; every single-byte corruption
 * of its header either opens or fails with a message (never crashes). */
START_TEST(test_truncated_and_corrupted)
{
    float w[4] = {1, 2, 3, 4};
    int32_t ids[2] = {5, 6};
    st_entry e[2] = {
        {.name = "h.0.mlp.c_fc.weight", .dtype = ST_F32, .ndim = 2, .shape = {2, 2}, .data = w},
        {.name = "ids", .dtype = ST_I32, .ndim = 1, .shape = {2}, .data = ids},
    };
    char src[512], path[512];
    path_in_tmp(src, sizeof src, "whole.safetensors");
    lnf_error err = {{0}};
    ck_assert_int_eq(st_write(src, e, 2, &err), 0);
    size_t n;
    unsigned char *bytes = slurp(src, &n);

    path_in_tmp(path, sizeof path, "cut.safetensors");
    for (size_t len = 0; len < n; len++) {
        write_bytes(path, bytes, len);
        st_file f;
        ck_assert_msg(st_open(&f, path, &err) == -1, "truncated to %zu bytes but opened", len);
        assert_msg_has(err, path);
    }
    write_bytes(path, bytes, n - 1);
    expect_open_fails(path, "tensor 'ids': data_offsets [16, 24] end past the data area (23 bytes; file truncated?)");

    static const unsigned char evil[] = {0, '"', '{', '}', '[', ']', ',', ':', '-', '9', '\\', 0xff};
    uint64_t nhdr;
    memcpy(&nhdr, bytes, 8);
    for (size_t i = 0; i < 8 + nhdr; i++) {
        for (size_t k = 0; k < sizeof evil; k++) {
            unsigned char saved = bytes[i];
            bytes[i] = evil[k];
            write_bytes(path, bytes, n);
            bytes[i] = saved;
            st_file f;
            err.msg[0] = 0;
            if (st_open(&f, path, &err) == 0)
                st_close(&f);
            else
                assert_msg_has(err, path);
        }
    }
    free(bytes);
}
END_TEST

/* ------------------------------------------------------------ typed reads */

START_TEST(test_read_checks)
{
    float v[3] = {1.0f, 2.0f, 3.0f};
    int32_t ids[6] = {0};
    st_entry e[2] = {
        {.name = "w", .dtype = ST_F32, .ndim = 1, .shape = {3}, .data = v},
        {.name = "ids", .dtype = ST_I32, .ndim = 2, .shape = {2, 3}, .data = ids},
    };
    char path[512];
    path_in_tmp(path, sizeof path, "reads.safetensors");
    lnf_error err = {{0}};
    ck_assert_int_eq(st_write(path, e, 2, &err), 0);
    st_file f;
    open_ok(&f, path);
    float buf[8];
    int32_t ibuf[8];
    ck_assert_int_eq(st_read_f32(&f, "nope", buf, 3, 0, &err), -1);
    assert_msg_has(err, path);
    assert_msg_has(err, "tensor 'nope' not found");
    ck_assert_int_eq(st_read_f32(&f, "w", buf, 4, 0, &err), -1);
    assert_msg_has(err, "tensor 'w': shape [3] has 3 elements, expected 4");
    ck_assert_int_eq(st_read_f32(&f, "ids", buf, 6, 0, &err), -1);
    assert_msg_has(err, "tensor 'ids': dtype I32, expected F32, F16 or BF16");
    ck_assert_int_eq(st_read_i32(&f, "w", ibuf, 3, &err), -1);
    assert_msg_has(err, "tensor 'w': dtype F32, expected I32 or I64");
    ck_assert_int_eq(st_read_i32(&f, "ids", ibuf, 5, &err), -1);
    assert_msg_has(err, "tensor 'ids': shape [2, 3] has 6 elements, expected 5");
    st_close(&f);
}
END_TEST

START_TEST(test_require_finite)
{
    float v[4] = {1.0f, 2.0f, NAN, INFINITY};
    float u[2] = {0.5f, -INFINITY};
    st_entry e[2] = {
        {.name = "h.3.ln_1.weight", .dtype = ST_F32, .ndim = 1, .shape = {4}, .data = v},
        {.name = "u", .dtype = ST_F32, .ndim = 1, .shape = {2}, .data = u},
    };
    char path[512];
    path_in_tmp(path, sizeof path, "finite.safetensors");
    lnf_error err = {{0}};
    ck_assert_int_eq(st_write(path, e, 2, &err), 0);
    st_file f;
    open_ok(&f, path);
    float buf[4];
    ck_assert_int_eq(st_read_f32(&f, "h.3.ln_1.weight", buf, 4, 0, &err), 0);
    ck_assert(isnan(buf[2]) && isinf(buf[3]));
    ck_assert_int_eq(st_read_f32(&f, "h.3.ln_1.weight", buf, 4, 1, &err), -1);
    assert_msg_has(err, path);
    assert_msg_has(err, "tensor 'h.3.ln_1.weight': element 2 is nan");
    ck_assert_int_eq(st_read_f32(&f, "u", buf, 2, 1, &err), -1);
    assert_msg_has(err, "tensor 'u': element 1 is -inf");
    st_close(&f);
}
END_TEST

START_TEST(test_f16_bf16_conversion)
{
    static const uint16_t f16[] = {0x3C00, 0xC000, 0x7C00, 0xFC00, 0x0001, 0x03FF, 0x0400,
                                   0x7BFF, 0x8000, 0x3555, 0x8001, 0x7E00, 0x7C01};
    static const float want16[] = {1.0f, -2.0f, INFINITY, -INFINITY, 5.960464477539063e-08f,
                                   6.097555160522461e-05f, 6.103515625e-05f, 65504.0f, -0.0f,
                                   0.333251953125f, -5.960464477539063e-08f};
    static const uint16_t bf16[] = {0x3F80, 0xC000, 0x7F80, 0xFF80, 0x0001, 0x8000, 0x7FC0, 0x4049};
    enum { N16 = sizeof f16 / sizeof f16[0], NB = sizeof bf16 / sizeof bf16[0], NW = sizeof want16 / sizeof want16[0] };
    st_entry e[2] = {
        {.name = "half", .dtype = ST_F16, .ndim = 1, .shape = {N16}, .data = f16},
        {.name = "brain", .dtype = ST_BF16, .ndim = 1, .shape = {NB}, .data = bf16},
    };
    char path[512];
    path_in_tmp(path, sizeof path, "half.safetensors");
    lnf_error err = {{0}};
    ck_assert_int_eq(st_write(path, e, 2, &err), 0);
    st_file f;
    open_ok(&f, path);

    float got[N16];
    ck_assert_msg(st_read_f32(&f, "half", got, N16, 0, &err) == 0, "%s", err.msg);
    for (int i = 0; i < NW; i++)
        ck_assert_msg(f32_bits(got[i]) == f32_bits(want16[i]), "f16 0x%04X -> %a, want %a",
                      f16[i], (double)got[i], (double)want16[i]);
    ck_assert_uint_eq(f32_bits(got[11]), 0x7FC00000u); /* quiet NaN */
    ck_assert_uint_eq(f32_bits(got[12]), 0x7F802000u); /* signalling NaN keeps its payload */
    ck_assert_int_eq(st_read_f32(&f, "half", got, N16, 1, &err), -1);
    assert_msg_has(err, "tensor 'half': element 2 is inf");

    float gotb[NB];
    ck_assert_int_eq(st_read_f32(&f, "brain", gotb, NB, 0, &err), 0);
    ck_assert_uint_eq(f32_bits(gotb[0]), f32_bits(1.0f));
    ck_assert_uint_eq(f32_bits(gotb[1]), f32_bits(-2.0f));
    for (int i = 0; i < NB; i++) /* bf16 is exactly the top half of a float */
        ck_assert_uint_eq(f32_bits(gotb[i]), (uint32_t)bf16[i] << 16);
    ck_assert(gotb[2] == INFINITY && gotb[3] == -INFINITY && isnan(gotb[6]));
    ck_assert(gotb[4] > 0 && gotb[4] < 1e-38f); /* subnormal */
    ck_assert(signbit(gotb[5]) && gotb[5] == 0);
    st_close(&f);
}
END_TEST

START_TEST(test_i64)
{
    int64_t ok[3] = {-5, INT32_MIN, INT32_MAX};
    int64_t big[3] = {0, (int64_t)INT32_MAX + 1, 7};
    int64_t small[1] = {(int64_t)INT32_MIN - 1};
    st_entry e[3] = {
        {.name = "ok", .dtype = ST_I64, .ndim = 1, .shape = {3}, .data = ok},
        {.name = "big", .dtype = ST_I64, .ndim = 1, .shape = {3}, .data = big},
        {.name = "small", .dtype = ST_I64, .ndim = 1, .shape = {1}, .data = small},
    };
    char path[512];
    path_in_tmp(path, sizeof path, "i64.safetensors");
    lnf_error err = {{0}};
    ck_assert_int_eq(st_write(path, e, 3, &err), 0);
    st_file f;
    open_ok(&f, path);
    int32_t got[3];
    ck_assert_msg(st_read_i32(&f, "ok", got, 3, &err) == 0, "%s", err.msg);
    ck_assert_int_eq(got[0], -5);
    ck_assert_int_eq(got[1], INT32_MIN);
    ck_assert_int_eq(got[2], INT32_MAX);
    ck_assert_int_eq(st_read_i32(&f, "big", got, 3, &err), -1);
    assert_msg_has(err, path);
    assert_msg_has(err, "tensor 'big': element 1 = 2147483648 is out of int32 range");
    ck_assert_int_eq(st_read_i32(&f, "small", got, 1, &err), -1);
    assert_msg_has(err, "tensor 'small': element 0 = -2147483649 is out of int32 range");
    st_close(&f);
}
END_TEST

static void remove_tmpdir(void)
{
    DIR *d = opendir(tmpdir);
    if (d == NULL)
        return;
    struct dirent *ent;
    while ((ent = readdir(d)) != NULL) {
        if (strcmp(ent->d_name, ".") == 0 || strcmp(ent->d_name, "..") == 0)
            continue;
        char p[600];
        snprintf(p, sizeof p, "%s/%s", tmpdir, ent->d_name);
        remove(p);
    }
    closedir(d);
    rmdir(tmpdir);
}

int main(void)
{
    const char *base = getenv("TMPDIR");
    snprintf(tmpdir, sizeof tmpdir, "%s/lnfree_st_XXXXXX", base != NULL && base[0] != 0 ? base : "/tmp");
    if (mkdtemp(tmpdir) == NULL) {
        perror("mkdtemp");
        return EXIT_FAILURE;
    }

    Suite *s = suite_create("safetensors");
    TCase *w = tcase_create("write");
    tcase_add_test(w, test_roundtrip);
    tcase_add_test(w, test_write_escaped_name);
    tcase_add_test(w, test_write_replaces_and_failure_keeps_old);
    tcase_add_test(w, test_python_files_rewrite_identically);
    suite_add_tcase(s, w);
    TCase *h = tcase_create("hostile");
    tcase_add_test(h, test_empty_and_short_files);
    tcase_add_test(h, test_header_length_past_eof);
    tcase_add_test(h, test_header_not_json);
    tcase_add_test(h, test_bad_entries);
    tcase_add_test(h, test_valid_corner_cases);
    tcase_add_test(h, test_truncated_and_corrupted);
    suite_add_tcase(s, h);
    TCase *r = tcase_create("read");
    tcase_add_test(r, test_read_checks);
    tcase_add_test(r, test_require_finite);
    tcase_add_test(r, test_f16_bf16_conversion);
    tcase_add_test(r, test_i64);
    suite_add_tcase(s, r);

    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    remove_tmpdir();
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
