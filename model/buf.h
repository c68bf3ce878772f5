/* buf: a growable byte buffer, and whole-file / whole-stream readers into one. */
#ifndef LNFREE_MODEL_BUF_H
#define LNFREE_MODEL_BUF_H

#include <stddef.h>
#include <stdio.h>
#include "error.h"

typedef struct {
    unsigned char *data;
    size_t len, cap;
} lnf_buf;

/* Makes room for `extra` more bytes past len; -1 when out of memory. */
int buf_reserve(lnf_buf *b, size_t extra);
int buf_append(lnf_buf *b, const void *p, size_t n);
void buf_free(lnf_buf *b);

/* Appends every byte of the file / stream; errors name `path` (or `name`). */
int buf_read_file(lnf_buf *b, const char *path, lnf_error *err);
int buf_read_stream(lnf_buf *b, FILE *fp, const char *name, lnf_error *err);

#endif
