#define _POSIX_C_SOURCE 200809L
#include "fsutil.h"
#include <errno.h>
#include <fcntl.h>
#include <dirent.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int fsync_parent_dir(const char *path)
{
    char *copy = strdup(path);
    if (copy == NULL) {
        return -1;
    }
    int fd = open(dirname(copy), O_RDONLY | O_DIRECTORY);
    free(copy);
    if (fd < 0) {
        return -1;
    }
    int rc = fsync(fd);
    close(fd);
    return rc;
}

int write_file_atomic(const char *path, const void *data, size_t size, lnf_error *err)
{
    char tmp[4096];
    if (snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid()) >= (int)sizeof tmp) {
        return lnf_fail(err, "%s: path too long", path);
    }
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0) {
        return lnf_fail(err, "%s: cannot create temporary file: %s", path, strerror(errno));
    }
    const unsigned char *p = data;
    size_t left = size;
    while (left > 0) {
        ssize_t n = write(fd, p, left);
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            int e = errno;
            close(fd);
            unlink(tmp);
            return lnf_fail(err, "%s: write failed: %s", path, strerror(e));
        }
        p += n;
        left -= (size_t)n;
    }
    if (fsync(fd) != 0 || close(fd) != 0) {
        int e = errno;
        unlink(tmp);
        return lnf_fail(err, "%s: cannot flush to disk: %s", path, strerror(e));
    }
    if (rename(tmp, path) != 0) {
        int e = errno;
        unlink(tmp);
        return lnf_fail(err, "%s: cannot replace file: %s", path, strerror(e));
    }
    if (fsync_parent_dir(path) != 0) {
        return lnf_fail(err, "%s: cannot sync its directory: %s", path, strerror(errno));
    }
    return 0;
}

int ensure_dir(const char *path, lnf_error *err)
{
    if (mkdir(path, 0755) == 0 || errno == EEXIST) {
        struct stat st;
        if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
            return 0;
        }
        return lnf_fail(err, "%s: exists and is not a directory", path);
    }
    return lnf_fail(err, "%s: cannot create directory: %s", path, strerror(errno));
}

int remove_flat_dir(const char *path, lnf_error *err)
{
    DIR *d = opendir(path);
    if (d == NULL) {
        return errno == ENOENT ? 0 : lnf_fail(err, "%s: cannot open: %s", path, strerror(errno));
    }
    struct dirent *e;
    char file[4096];
    int rc = 0;
    while (rc == 0 && (e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) {
            continue;
        }
        snprintf(file, sizeof file, "%s/%s", path, e->d_name);
        if (unlink(file) != 0) {
            rc = lnf_fail(err, "%s: cannot remove: %s", file, strerror(errno));
        }
    }
    closedir(d);
    if (rc == 0 && rmdir(path) != 0) {
        rc = lnf_fail(err, "%s: cannot remove directory: %s", path, strerror(errno));
    }
    return rc;
}

int replace_dir(const char *path, const char *fresh, lnf_error *err)
{
    char old[4096];
    snprintf(old, sizeof old, "%s.old", path);
    if (remove_flat_dir(old, err) != 0) {
        return -1;
    }
    if (rename(path, old) != 0 && errno != ENOENT) {
        return lnf_fail(err, "%s: cannot move aside: %s", path, strerror(errno));
    }
    if (rename(fresh, path) != 0) {
        return lnf_fail(err, "%s: cannot move into place: %s", fresh, strerror(errno));
    }
    if (fsync_parent_dir(path) != 0) {
        return lnf_fail(err, "%s: cannot sync its directory: %s", path, strerror(errno));
    }
    return remove_flat_dir(old, err);
}

int dir_recover(const char *path, lnf_error *err)
{
    char old[4096];
    struct stat st;
    snprintf(old, sizeof old, "%s.old", path);
    if (stat(path, &st) != 0 && errno == ENOENT && stat(old, &st) == 0) {
        if (rename(old, path) != 0) {
            return lnf_fail(err, "%s: cannot restore from %s: %s", path, old, strerror(errno));
        }
    }
    return 0;
}
