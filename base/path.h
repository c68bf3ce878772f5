/* path: file names built in fixed buffers that fail, naming the parts, when
 * the result does not fit, instead of silently truncating. */
#ifndef LNFREE_BASE_PATH_H
#define LNFREE_BASE_PATH_H

#include "base/error.h"

#define LNF_PATH_MAX 4096

typedef struct {
    char s[LNF_PATH_MAX];
} lnf_path;

/* p = dir + "/" + name. */
int path_join(lnf_path *p, const char *dir, const char *name, lnf_error *err);

/* p = the formatted text. */
int path_fmt(lnf_path *p, lnf_error *err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
