/* fsutil: atomic file replacement. Write to a temporary file in the target's
 * directory, fsync, rename over the target, fsync the directory: readers see
 * the old file or the new one, never a partial one. */
#ifndef LNFREE_MODEL_FSUTIL_H
#define LNFREE_MODEL_FSUTIL_H

#include <stddef.h>
#include "error.h"

int write_file_atomic(const char *path, const void *data, size_t size, lnf_error *err);

/* mkdir -p for one directory level; succeeds if it exists. */
int ensure_dir(const char *path, lnf_error *err);

#endif
