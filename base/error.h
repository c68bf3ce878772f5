/* error: the one way library functions report a failure. A function that can
 * fail returns 0 on success and -1 on failure, after writing a message that
 * names the file and the problem into the caller's lnf_error. */
#ifndef LNFREE_BASE_ERROR_H
#define LNFREE_BASE_ERROR_H

typedef struct {
    char msg[1024];
} lnf_error;

/* Formats the message into err (if err is non-NULL) and returns -1. */
int lnf_fail(lnf_error *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#endif
