/* jsonio: JSON files, read and written through jansson: the one place that
 * turns a JSON value into a file (atomically, base/fs.h) and a file into a
 * JSON value (duplicate keys rejected; errors name the file and line). */
#ifndef LNFREE_BASE_JSONIO_H
#define LNFREE_BASE_JSONIO_H

#include <jansson.h>
#include "base/error.h"

/* Serialises obj with jansson's `flags` (e.g. JSON_INDENT(2) | JSON_SORT_KEYS
 * | JSON_REAL_PRECISION(9)), adds a final newline, writes it atomically. */
int jsonio_write(const char *path, const json_t *obj, size_t flags, lnf_error *err);

/* A new reference to the file's value, or NULL after lnf_fail. */
json_t *jsonio_read(const char *path, lnf_error *err);

#endif
