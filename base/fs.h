/* fs: files and directories.
 *
 * The one atomic writer: bytes go to a temporary file beside the target,
 * which is fsynced, renamed over the target, and its directory fsynced, so
 * readers see the old file or the new one, never a partial one; a failure
 * leaves the old file in place and removes the temporary. Small files are
 * written in one call (fs_write_atomic); large ones are streamed
 * (fs_atomic_begin / _write / _commit). */
#ifndef LNFREE_BASE_FS_H
#define LNFREE_BASE_FS_H

#include <stddef.h>
#include "base/error.h"
#include "base/path.h"

int fs_write_atomic(const char *path, const void *data, size_t size, lnf_error *err);

typedef struct {
    int fd;        /* of the temporary file; -1 once committed or aborted */
    lnf_path path; /* the target */
    lnf_path tmp;
} fs_atomic_file;

int fs_atomic_begin(fs_atomic_file *f, const char *path, lnf_error *err);
/* On failure the temporary file is removed (no abort needed). */
int fs_atomic_write(fs_atomic_file *f, const void *data, size_t size, lnf_error *err);
int fs_atomic_commit(fs_atomic_file *f, lnf_error *err);
void fs_atomic_abort(fs_atomic_file *f);

/* A whole regular file mapped read-only (an empty file maps to data NULL,
 * size 0). Errors name the file. */
typedef struct {
    const unsigned char *data;
    size_t size;
    void *map;
} fs_mapping;

int fs_map(fs_mapping *m, const char *path, lnf_error *err);
void fs_unmap(fs_mapping *m);

/* An exclusive lock on a directory (flock on DIR/.lock, holding our pid),
 * held until fs_unlock_dir or exit; fails at once, naming the directory and
 * the holder's pid, when another process holds it. */
int fs_lock_dir(const char *dir, int *fd, lnf_error *err);
void fs_unlock_dir(int fd);

/* mkdir for one directory level; succeeds if it exists. */
int fs_ensure_dir(const char *path, lnf_error *err);

/* Removes a directory of regular files (no subdirectories); succeeds if it
 * does not exist. */
int fs_remove_flat_dir(const char *path, lnf_error *err);

/* Replaces directory `path` by the complete directory `fresh`: path is renamed
 * to path.old, fresh to path, then path.old removed. A crash at any point
 * leaves a complete directory at path or at path.old (see fs_dir_recover). */
int fs_replace_dir(const char *path, const char *fresh, lnf_error *err);

/* After a crash inside fs_replace_dir: if path is missing and path.old exists,
 * renames path.old back. */
int fs_dir_recover(const char *path, lnf_error *err);

#endif
