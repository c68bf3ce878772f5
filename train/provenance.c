#define _XOPEN_SOURCE 700
#include "train/provenance.h"
#include <dirent.h>
#include <limits.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "base/blas_env.h"
#include "base/fs.h"
#include "base/jsonio.h"
#include "base/path.h"
#include "base/sha256.h"
#include "kernels/matmul.h"
#include "train/version.h"
#include "train/dist.h"

int prov_hash_file(const char *path, char hex[65], lnf_error *err)
{
    fs_mapping map;
    if (fs_map(&map, path, err) != 0) {
        return -1;
    }
    sha256_hex(map.data, map.size, hex);
    fs_unmap(&map);
    return 0;
}

/* {"path", "absolute", "files": {}}: the files still to be added. */
static json_t *input_new(const char *path)
{
    char abs[PATH_MAX];
    json_t *in = json_pack("{s:s, s:{}}", "path", path, "files");
    json_object_set_new(in, "absolute",
                        realpath(path, abs) != NULL ? json_string(abs) : json_string(path));
    return in;
}

static int input_add(json_t *in, const char *name, const char *file, lnf_error *err)
{
    char hex[65];
    if (prov_hash_file(file, hex, err) != 0) {
        return -1;
    }
    json_object_set_new(json_object_get(in, "files"), name, json_string(hex));
    return 0;
}

json_t *prov_model_input(const char *dir, lnf_error *err)
{
    static const char *const files[] = {"config.json", "model.safetensors", "lnfree.json"};
    json_t *in = input_new(dir);
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        lnf_path p;
        struct stat st;
        if (path_join(&p, dir, files[i], err) != 0) {
            json_decref(in);
            return NULL;
        }
        if (i == 2 && stat(p.s, &st) != 0) {
            continue; /* no lnfree.json: every site real */
        }
        if (input_add(in, files[i], p.s, err) != 0) {
            json_decref(in);
            return NULL;
        }
    }
    return in;
}

/* file's name relative to the directory `path` (or its last component when
 * path is the file itself). */
static const char *relative_name(const char *file, const char *path)
{
    size_t n = strlen(path);
    if (strncmp(file, path, n) == 0 && file[n] == '/') {
        return file + n + 1;
    }
    const char *slash = strrchr(file, '/');
    return slash != NULL ? slash + 1 : file;
}

json_t *prov_stream_input(const token_stream *s, const char *path, lnf_error *err)
{
    json_t *in = input_new(path);
    for (int i = 0; i < s->n_files; i++) {
        if (input_add(in, relative_name(s->files[i].path, path), s->files[i].path, err) != 0) {
            json_decref(in);
            return NULL;
        }
    }
    return in;
}

json_t *prov_dir_input(const char *dir, const char *const *names, int n, lnf_error *err)
{
    json_t *in = input_new(dir);
    for (int i = 0; i < n; i++) {
        lnf_path p;
        if (path_join(&p, dir, names[i], err) != 0 || input_add(in, names[i], p.s, err) != 0) {
            json_decref(in);
            return NULL;
        }
    }
    return in;
}

json_t *prov_file_input(const char *path, lnf_error *err)
{
    json_t *in = input_new(path);
    if (input_add(in, relative_name(path, path), path, err) != 0) {
        json_decref(in);
        return NULL;
    }
    return in;
}

int prov_check_input(const json_t *input, const char *path, const char *what, lnf_error *err)
{
    const char *recorded = json_string_value(json_object_get(input, "path"));
    json_t *files = json_object_get(input, "files");
    if (recorded == NULL || !json_is_object(files)) {
        return lnf_fail(err, "the provenance's %s input has no path or files", what);
    }
    const char *base = path != NULL ? path : recorded;
    struct stat st;
    int is_dir = stat(base, &st) == 0 && S_ISDIR(st.st_mode);
    const char *name;
    json_t *want;
    json_object_foreach(files, name, want) {
        lnf_path file;
        char hex[65];
        if ((is_dir ? path_join(&file, base, name, err) : path_fmt(&file, err, "%s", base)) != 0) {
            return -1;
        }
        if (prov_hash_file(file.s, hex, err) != 0) {
            lnf_error inner = *err;
            return lnf_fail(err, "%s input: %s", what, inner.msg);
        }
        if (!json_is_string(want) || strcmp(hex, json_string_value(want)) != 0) {
            return lnf_fail(err, "%s input %s has changed: its sha256 is %s, the provenance "
                            "records %s", what, file.s, hex,
                            json_is_string(want) ? json_string_value(want) : "(none)");
        }
    }
    return 0;
}

/* The CPU's vendor, model name and vector extensions, from /proc/cpuinfo. */
static json_t *cpu_json(void)
{
    json_t *cpu = json_object(), *ext = json_array();
    FILE *fp = fopen("/proc/cpuinfo", "r");
    char line[8192];
    int have_flags = 0;
    while (fp != NULL && fgets(line, sizeof line, fp) != NULL) {
        char *colon = strchr(line, ':');
        if (colon == NULL) {
            continue;
        }
        char *value = colon + 1 + (colon[1] == ' ');
        value[strcspn(value, "\n")] = '\0';
        if (strncmp(line, "vendor_id", 9) == 0 && json_object_get(cpu, "vendor") == NULL) {
            json_object_set_new(cpu, "vendor", json_string(value));
        } else if (strncmp(line, "model name", 10) == 0 && json_object_get(cpu, "model") == NULL) {
            json_object_set_new(cpu, "model", json_string(value));
        } else if (strncmp(line, "flags", 5) == 0 && !have_flags) {
            have_flags = 1;
            for (char *save = NULL, *f = strtok_r(value, " ", &save); f != NULL;
                 f = strtok_r(NULL, " ", &save)) {
                /* what decides which kernels run: SIMD widths and FMA */
                if (strncmp(f, "sse", 3) == 0 || strncmp(f, "avx", 3) == 0 ||
                    strcmp(f, "fma") == 0 || strcmp(f, "f16c") == 0 || strncmp(f, "amx", 3) == 0) {
                    json_array_append_new(ext, json_string(f));
                }
            }
        }
    }
    if (fp != NULL) {
        fclose(fp);
    }
    json_object_set_new(cpu, "vector_extensions", ext);
    return cpu;
}

json_t *prov_environment(int ranks)
{
    const char *core = blas_core_in_use(), *env_core = getenv("OPENBLAS_CORETYPE");
    const char *omp_env = getenv("OMP_NUM_THREADS");
    return json_pack("{s:s, s:s, s:b, s:{s:s, s:b}, s:s, s:s?, s:s?, s:o, s:s?, s:i, s:s, s:i}",
                     "lnfree_version", LNFREE_VERSION, "git_commit", LNFREE_GIT_COMMIT,
                     "git_dirty", LNFREE_GIT_DIRTY, "build", "compiler", __VERSION__, "native",
                     LNFREE_BUILD_NATIVE, "matmul", matmul_backend(), "openblas_core", core,
                     "openblas_coretype_env", env_core, "cpu", cpu_json(), "omp_num_threads_env",
                     omp_env, "omp_threads", omp_get_max_threads(), "data_parallel",
                     dist_backend(), "ranks", ranks);
}

static int by_name(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

int prov_write(const char *dir, json_t *prov, lnf_error *err)
{
    DIR *d = opendir(dir);
    if (d == NULL) {
        return lnf_fail(err, "%s: cannot list the directory", dir);
    }
    char *names[256];
    int n = 0, rc = 0;
    struct dirent *e;
    while (rc == 0 && (e = readdir(d)) != NULL) {
        lnf_path p;
        struct stat st;
        if (strcmp(e->d_name, PROV_FILE) == 0 || e->d_name[0] == '.' ||
            path_join(&p, dir, e->d_name, err) != 0 || stat(p.s, &st) != 0 ||
            !S_ISREG(st.st_mode)) {
            continue;
        }
        if (n == 256 || (names[n++] = strdup(e->d_name)) == NULL) {
            rc = lnf_fail(err, "%s: too many files to record", dir);
        }
    }
    closedir(d);
    qsort(names, (size_t)n, sizeof *names, by_name);
    json_t *outputs = json_object();
    for (int i = 0; i < n && rc == 0; i++) {
        lnf_path p;
        char hex[65];
        rc = path_join(&p, dir, names[i], err) != 0 || prov_hash_file(p.s, hex, err) != 0 ? -1 : 0;
        if (rc == 0) {
            json_object_set_new(outputs, names[i], json_string(hex));
        }
    }
    for (int i = 0; i < n; i++) {
        free(names[i]);
    }
    json_object_set_new(prov, "outputs", outputs);
    lnf_path path;
    if (rc == 0) {
        rc = path_join(&path, dir, PROV_FILE, err) != 0 ||
                     jsonio_write(path.s, prov,
                                  JSON_INDENT(2) | JSON_SORT_KEYS | JSON_REAL_PRECISION(17), err) != 0
                 ? -1
                 : 0;
    }
    return rc;
}

json_t *prov_read(const char *dir, lnf_error *err)
{
    lnf_path path;
    if (path_join(&path, dir, PROV_FILE, err) != 0) {
        return NULL;
    }
    json_t *prov = jsonio_read(path.s, err);
    if (prov != NULL && prov_check_format(prov, path.s, err) != 0) {
        json_decref(prov);
        return NULL;
    }
    return prov;
}

int prov_check_format(const json_t *prov, const char *where, lnf_error *err)
{
    const char *format = json_string_value(json_object_get(prov, "format"));
    if (format == NULL || strcmp(format, "lnfree-provenance") != 0 ||
        json_integer_value(json_object_get(prov, "version")) != 1) {
        return lnf_fail(err, "%s: not an lnfree provenance record (format lnfree-provenance, "
                        "version 1)", where);
    }
    static const char *const objects[] = {"settings", "inputs", "outputs", "environment"};
    for (size_t i = 0; i < sizeof objects / sizeof objects[0]; i++) {
        json_t *v = json_object_get(prov, objects[i]);
        if (v != NULL && !json_is_object(v)) {
            return lnf_fail(err, "%s: \"%s\" is not an object", where, objects[i]);
        }
    }
    return 0;
}
