/* Fuzz target: provenance.json as `lnfree reproduce` reads it
 * (train/provenance.h, train/settings.h).
 *
 * The fuzz bytes are the file. Reading it (jsonio_read, prov_check_format:
 * prov_read's two steps) must fail with a message naming it,
 * or give a record; its "settings" then parse into train_options or fail
 * with a message. Settings that parse must survive train_settings_json →
 * train_settings_parse unchanged (the same JSON again), since reproduce
 * re-runs exactly what they say. */
#include <string.h>
#include "base/jsonio.h"
#include "fuzz/fuzz_util.h"
#include "train/provenance.h"
#include "train/settings.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *path = fz_write_file("provenance.json", data, size);
    lnf_error err;
    err.msg[0] = '\0';
    json_t *prov = jsonio_read(path, &err);
    if (prov != NULL && prov_check_format(prov, path, &err) != 0) {
        json_decref(prov);
        prov = NULL;
    }
    if (prov == NULL) {
        if (strstr(err.msg, path) == NULL) {
            fz_finding("prov_read failed without naming the file: '%s'", err.msg);
        }
        return 0;
    }
    train_options o, back;
    train_settings_store st, st2;
    if (train_settings_parse(json_object_get(prov, "settings"), &o, &st, "provenance.json",
                             &err) == 0) {
        json_t *once = train_settings_json(&o);
        if (train_settings_parse(once, &back, &st2, "again", &err) != 0) {
            fz_finding("settings written by train_settings_json do not parse: %s", err.msg);
        }
        json_t *twice = train_settings_json(&back);
        if (!json_equal(once, twice)) {
            char *a = json_dumps(once, JSON_SORT_KEYS), *b = json_dumps(twice, JSON_SORT_KEYS);
            fz_finding("settings changed on a round trip:\n%s\n%s", a, b);
        }
        json_decref(once);
        json_decref(twice);
        train_settings_free(&st2);
    } else if (err.msg[0] == '\0') {
        fz_finding("train_settings_parse failed without a message");
    }
    train_settings_free(&st);
    json_decref(prov);
    return 0;
}
