/* fsutil: atomic file replacement. Write to a temporary file in the target's
 * directory, fsync, rename over the target, fsync the directory: readers see
 * the old file or the new one, never a partial one. */
#ifndef LNFREE_MODEL_FSUTIL_H
#define LNFREE_MODEL_FSUTIL_H

#include <stddef.h>
#include "error.h"

int write_file_atomic(const char *path, const void *data, size_t size, lnf_error *err);

/* mkdir for one directory level; succeeds if it exists. */
int ensure_dir(const char *path, lnf_error *err);

/* Removes a directory of regular files (no subdirectories); succeeds if it
 * does not exist. */
int remove_flat_dir(const char *path, lnf_error *err);

/* Replaces directory `path` by the complete directory `fresh`: path is renamed
 * to path.old, fresh to path, then path.old removed. A crash at any point
 * leaves a complete directory at path or at path.old (see dir_recover). */
int replace_dir(const char *path, const char *fresh, lnf_error *err);

/* After a crash inside replace_dir: if path is missing and path.old exists,
 * renames path.old back. */
int dir_recover(const char *path, lnf_error *err);

#endif
