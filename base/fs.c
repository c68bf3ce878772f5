#define _POSIX_C_SOURCE 200809L
#include "base/fs.h"
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

/* fsync the directory holding path, so that a rename into it is durable. */
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

int fs_atomic_begin(fs_atomic_file *f, const char *path, lnf_error *err)
{
    f->fd = -1;
    if (path_fmt(&f->path, err, "%s", path) != 0 ||
        path_fmt(&f->tmp, err, "%s.tmp.%ld", path, (long)getpid()) != 0) {
        return -1;
    }
    f->fd = open(f->tmp.s, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (f->fd < 0) {
        return lnf_fail(err, "%s: cannot create temporary file %s: %s", path, f->tmp.s,
                        strerror(errno));
    }
    return 0;
}

void fs_atomic_abort(fs_atomic_file *f)
{
    if (f->fd >= 0) {
        close(f->fd);
        unlink(f->tmp.s);
        f->fd = -1;
    }
}

int fs_atomic_write(fs_atomic_file *f, const void *data, size_t size, lnf_error *err)
{
    const unsigned char *p = data;
    while (size > 0) {
        ssize_t n = write(f->fd, p, size);
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            int e = errno;
            fs_atomic_abort(f);
            return lnf_fail(err, "%s: write failed: %s", f->path.s, strerror(e));
        }
        p += n;
        size -= (size_t)n;
    }
    return 0;
}

int fs_atomic_commit(fs_atomic_file *f, lnf_error *err)
{
    if (fsync(f->fd) != 0) {
        int e = errno;
        fs_atomic_abort(f);
        return lnf_fail(err, "%s: cannot flush to disk: %s", f->path.s, strerror(e));
    }
    int rc = close(f->fd);
    f->fd = -1;
    if (rc != 0) {
        int e = errno;
        unlink(f->tmp.s);
        return lnf_fail(err, "%s: cannot flush to disk: %s", f->path.s, strerror(e));
    }
    if (rename(f->tmp.s, f->path.s) != 0) {
        int e = errno;
        unlink(f->tmp.s);
        return lnf_fail(err, "%s: cannot replace file: %s", f->path.s, strerror(e));
    }
    if (fsync_parent_dir(f->path.s) != 0) {
        return lnf_fail(err, "%s: written, but syncing its directory failed: %s", f->path.s,
                        strerror(errno));
    }
    return 0;
}

int fs_write_atomic(const char *path, const void *data, size_t size, lnf_error *err)
{
    fs_atomic_file f;
    if (fs_atomic_begin(&f, path, err) != 0 || fs_atomic_write(&f, data, size, err) != 0) {
        return -1;
    }
    return fs_atomic_commit(&f, err);
}

int fs_map(fs_mapping *m, const char *path, lnf_error *err)
{
    memset(m, 0, sizeof *m);
    int fd = open(path, O_RDONLY);
    if (fd < 0) {
        return lnf_fail(err, "%s: cannot open: %s", path, strerror(errno));
    }
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        return lnf_fail(err, "%s: not a regular file", path);
    }
    m->size = (size_t)st.st_size;
    if (m->size > 0) {
        void *p = mmap(NULL, m->size, PROT_READ, MAP_PRIVATE, fd, 0);
        if (p == MAP_FAILED) {
            int e = errno;
            close(fd);
            m->size = 0;
            return lnf_fail(err, "%s: cannot map %zu bytes: %s", path, (size_t)st.st_size,
                            strerror(e));
        }
        m->map = p;
        m->data = p;
    }
    close(fd);
    return 0;
}

void fs_unmap(fs_mapping *m)
{
    if (m->map != NULL) {
        munmap(m->map, m->size);
    }
    memset(m, 0, sizeof *m);
}

int fs_lock_dir(const char *dir, int *fd, lnf_error *err)
{
    lnf_path path;
    *fd = -1;
    if (path_join(&path, dir, ".lock", err) != 0) {
        return -1;
    }
    int f = open(path.s, O_RDWR | O_CREAT, 0644);
    if (f < 0) {
        return lnf_fail(err, "%s: cannot create the lock file %s: %s", dir, path.s,
                        strerror(errno));
    }
    if (flock(f, LOCK_EX | LOCK_NB) != 0) {
        int e = errno;
        char holder[32] = "";
        ssize_t n = pread(f, holder, sizeof holder - 1, 0);
        holder[n > 0 ? n : 0] = '\0';
        holder[strcspn(holder, "\n")] = '\0';
        close(f);
        if (e == EWOULDBLOCK) {
            return lnf_fail(err, "%s: another lnfree run (pid %s) is using this output directory",
                            dir, holder[0] != '\0' ? holder : "unknown");
        }
        return lnf_fail(err, "%s: cannot lock %s: %s", dir, path.s, strerror(e));
    }
    char pid[32];
    int len = snprintf(pid, sizeof pid, "%ld\n", (long)getpid());
    if (ftruncate(f, 0) != 0 || pwrite(f, pid, (size_t)len, 0) != len) {
        int e = errno;
        close(f);
        return lnf_fail(err, "%s: cannot write the lock file %s: %s", dir, path.s, strerror(e));
    }
    *fd = f;
    return 0;
}

void fs_unlock_dir(int fd)
{
    if (fd >= 0) {
        close(fd); /* releases the flock */
    }
}

int fs_ensure_dir(const char *path, lnf_error *err)
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

int fs_remove_flat_dir(const char *path, lnf_error *err)
{
    DIR *d = opendir(path);
    if (d == NULL) {
        return errno == ENOENT ? 0 : lnf_fail(err, "%s: cannot open: %s", path, strerror(errno));
    }
    struct dirent *e;
    lnf_path file;
    int rc = 0;
    while (rc == 0 && (e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) {
            continue;
        }
        if (path_join(&file, path, e->d_name, err) != 0) {
            rc = -1;
        } else if (unlink(file.s) != 0) {
            rc = lnf_fail(err, "%s: cannot remove: %s", file.s, strerror(errno));
        }
    }
    closedir(d);
    if (rc == 0 && rmdir(path) != 0) {
        rc = lnf_fail(err, "%s: cannot remove directory: %s", path, strerror(errno));
    }
    return rc;
}

int fs_replace_dir(const char *path, const char *fresh, lnf_error *err)
{
    lnf_path old;
    if (path_fmt(&old, err, "%s.old", path) != 0 || fs_remove_flat_dir(old.s, err) != 0) {
        return -1;
    }
    if (rename(path, old.s) != 0 && errno != ENOENT) {
        return lnf_fail(err, "%s: cannot move aside: %s", path, strerror(errno));
    }
    if (rename(fresh, path) != 0) {
        return lnf_fail(err, "%s: cannot move into place: %s", fresh, strerror(errno));
    }
    if (fsync_parent_dir(path) != 0) {
        return lnf_fail(err, "%s: cannot sync its directory: %s", path, strerror(errno));
    }
    return fs_remove_flat_dir(old.s, err);
}

int fs_dir_recover(const char *path, lnf_error *err)
{
    lnf_path old;
    struct stat st;
    if (path_fmt(&old, err, "%s.old", path) != 0) {
        return -1;
    }
    if (stat(path, &st) != 0 && errno == ENOENT && stat(old.s, &st) == 0) {
        if (rename(old.s, path) != 0) {
            return lnf_fail(err, "%s: cannot restore from %s: %s", path, old.s, strerror(errno));
        }
    }
    return 0;
}
