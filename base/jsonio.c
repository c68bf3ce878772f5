#include "base/jsonio.h"
#include <stdlib.h>
#include <string.h>
#include "base/fs.h"

int jsonio_write(const char *path, const json_t *obj, size_t flags, lnf_error *err)
{
    char *text = obj != NULL ? json_dumps(obj, flags) : NULL;
    if (text == NULL) {
        return lnf_fail(err, "%s: cannot serialise the JSON value", path);
    }
    size_t n = strlen(text);
    char *line = realloc(text, n + 2);
    if (line == NULL) {
        free(text);
        return lnf_fail(err, "%s: out of memory", path);
    }
    line[n] = '\n';
    line[n + 1] = '\0';
    int rc = fs_write_atomic(path, line, n + 1, err);
    free(line);
    return rc;
}

json_t *jsonio_read(const char *path, lnf_error *err)
{
    json_error_t jerr;
    json_t *v = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr);
    if (v == NULL) {
        lnf_fail(err, "%s: invalid JSON at line %d: %s", path, jerr.line, jerr.text);
    }
    return v;
}
