#define _POSIX_C_SOURCE 200809L
#include "base/buf.h"
#include <errno.h>
#include <stdarg.h>
#include <sys/stat.h>
#include <stdlib.h>
#include <string.h>

int buf_reserve(lnf_buf *b, size_t extra)
{
    if (extra <= b->cap - b->len) {
        return 0;
    }
    if (extra > ((size_t)-1) / 2 - b->len) {
        return -1;
    }
    size_t cap = b->cap ? b->cap : 256;
    while (cap - b->len < extra) {
        cap *= 2;
    }
    unsigned char *p = realloc(b->data, cap);
    if (p == NULL) {
        return -1;
    }
    b->data = p;
    b->cap = cap;
    return 0;
}

int buf_append(lnf_buf *b, const void *p, size_t n)
{
    if (buf_reserve(b, n) != 0) {
        return -1;
    }
    if (n > 0) {
        memcpy(b->data + b->len, p, n);
    }
    b->len += n;
    return 0;
}

int buf_vprintf(lnf_buf *b, const char *fmt, va_list ap)
{
    va_list again;
    va_copy(again, ap);
    int n = vsnprintf(NULL, 0, fmt, ap);
    int rc = n < 0 || buf_reserve(b, (size_t)n + 1) != 0 ? -1 : 0;
    if (rc == 0) {
        vsnprintf((char *)b->data + b->len, (size_t)n + 1, fmt, again);
        b->len += (size_t)n;
    }
    va_end(again);
    return rc;
}

int buf_printf(lnf_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = buf_vprintf(b, fmt, ap);
    va_end(ap);
    return rc;
}

void buf_free(lnf_buf *b)
{
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}

int buf_read_stream(lnf_buf *b, FILE *fp, const char *name, lnf_error *err)
{
    for (;;) {
        if (buf_reserve(b, 1 << 16) != 0) {
            return lnf_fail(err, "%s: out of memory after %zu bytes", name, b->len);
        }
        size_t got = fread(b->data + b->len, 1, b->cap - b->len, fp);
        b->len += got;
        if (got == 0) {
            break;
        }
    }
    if (ferror(fp)) {
        return lnf_fail(err, "%s: read error: %s", name, strerror(errno));
    }
    return 0;
}

int buf_read_file(lnf_buf *b, const char *path, lnf_error *err)
{
    FILE *fp = fopen(path, "rb");
    if (fp == NULL) {
        return lnf_fail(err, "%s: cannot open: %s", path, strerror(errno));
    }
    struct stat st;
    if (fstat(fileno(fp), &st) != 0 || !S_ISREG(st.st_mode)) {
        fclose(fp);
        return lnf_fail(err, "%s: not a regular file", path);
    }
    int rc = buf_read_stream(b, fp, path, err);
    fclose(fp);
    return rc;
}
