/* buf: a growable byte buffer, and whole-file / whole-stream readers into one. */
#ifndef LNFREE_BASE_BUF_H
#define LNFREE_BASE_BUF_H

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include "base/error.h"

typedef struct {
    unsigned char *data;
    size_t len, cap;
} lnf_buf;

/* Makes room for `extra` more bytes past len; -1 when out of memory. */
int buf_reserve(lnf_buf *b, size_t extra);
int buf_append(lnf_buf *b, const void *p, size_t n);
/* Appends formatted text; the buffer's bytes stay NUL-terminated (the NUL
 * just past len, not counted). */
int buf_printf(lnf_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int buf_vprintf(lnf_buf *b, const char *fmt, va_list ap);
void buf_free(lnf_buf *b);

/* Appends every byte of the file / stream: the one whole-file reader. Errors
 * name `path` (or `name`); a path that is not a regular file is refused. */
int buf_read_file(lnf_buf *b, const char *path, lnf_error *err);
int buf_read_stream(lnf_buf *b, FILE *fp, const char *name, lnf_error *err);

#endif
