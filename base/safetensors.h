/* safetensors: reader and atomic writer for the safetensors format
 * (8-byte little-endian header length N, N bytes of JSON header, then data).
 *
 * The reader validates everything before any tensor is used: header length
 * inside the file, JSON well-formed, known dtypes, shapes non-negative and
 * consistent with the byte ranges, ranges inside the data area and not
 * overlapping, no duplicate names. Every error names the file and the problem. */
#ifndef LNFREE_BASE_SAFETENSORS_H
#define LNFREE_BASE_SAFETENSORS_H

#include <stddef.h>
#include <stdint.h>
#include "base/error.h"
#include "base/fs.h"

#define ST_MAX_DIMS 8

typedef enum { ST_F32, ST_F16, ST_BF16, ST_I32, ST_I64, ST_U8, ST_U16 } st_dtype;

typedef struct {
    char *name;
    st_dtype dtype;
    int ndim;
    int64_t shape[ST_MAX_DIMS];
    size_t numel;
    size_t begin, end; /* byte range relative to the start of the data area */
} st_tensor;

typedef struct {
    char *path;
    fs_mapping map;             /* the whole file, mapped read-only */
    const unsigned char *bytes; /* = map.data */
    size_t size;
    size_t data_start;    /* 8 + header length */
    int n_tensors;
    st_tensor *tensors;
} st_file;

int st_open(st_file *f, const char *path, lnf_error *err);
void st_close(st_file *f);

/* NULL when absent. */
const st_tensor *st_find(const st_file *f, const char *name);

/* Copies tensor `name` into dst as float32, converting F16/BF16; fails unless
 * it exists, is a float dtype and has exactly `numel` elements. With
 * require_finite, also fails on NaN or infinity (naming the tensor). */
int st_read_f32(const st_file *f, const char *name, float *dst, size_t numel,
                int require_finite, lnf_error *err);

/* Copies an I32 (or I64 within int range) tensor with exactly numel elements. */
int st_read_i32(const st_file *f, const char *name, int32_t *dst, size_t numel,
                lnf_error *err);

typedef struct {
    const char *name;
    st_dtype dtype; /* any; data is written as raw little-endian bytes */
    int ndim;
    int64_t shape[ST_MAX_DIMS];
    const void *data;
} st_entry;

/* Writes the entries (header keys sorted, data 8-byte aligned, in sorted order)
 * atomically (base/fs.h): a failure leaves any previous file at path
 * untouched. */
int st_write(const char *path, const st_entry *entries, int n, lnf_error *err);

#endif
