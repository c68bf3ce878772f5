#include "base/path.h"
#include <stdarg.h>
#include <stdio.h>

int path_join(lnf_path *p, const char *dir, const char *name, lnf_error *err)
{
    return path_fmt(p, err, "%s/%s", dir, name);
}

int path_fmt(lnf_path *p, lnf_error *err, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(p->s, sizeof p->s, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= sizeof p->s) {
        /* keep the start of the name in the message: it says which one */
        return lnf_fail(err, "%.200s...: path longer than %d bytes", p->s, LNF_PATH_MAX - 1);
    }
    return 0;
}
