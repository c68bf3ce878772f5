/* provenance: DIR/provenance.json, the record of how a checkpoint or an
 * export was made, so that anyone with the same inputs can make it again and
 * compare (`lnfree reproduce`).
 *
 *   {"format": "lnfree-provenance", "version": 1,
 *    "command": "remove-ln", "origin": {recipe, overrides, ...},
 *    "settings": {every setting, resolved (train/settings.h)},
 *    "inputs": {"model": INPUT, "train_data": INPUT, "val_data": INPUT,
 *               "schedule": INPUT},          (those the run has)
 *    "environment": {version, git commit, build, BLAS, CPU, threads, ranks},
 *    "steps_done": N,
 *    "outputs": {"config.json": SHA256, "model.safetensors": SHA256, ...}}
 *
 * INPUT = {"path": as given, "absolute": its absolute path,
 *          "files": {name relative to path: SHA256}}.
 * "outputs" lists every regular file of DIR but provenance.json itself. */
#ifndef LNFREE_TRAIN_PROVENANCE_H
#define LNFREE_TRAIN_PROVENANCE_H

#include <jansson.h>
#include "base/error.h"
#include "data/stream.h"

#define PROV_FILE "provenance.json"

/* SHA-256 of the file's bytes as 64 lowercase hex digits and a NUL. */
int prov_hash_file(const char *path, char hex[65], lnf_error *err);

/* INPUT for a model directory: the files a checkpoint load reads
 * (config.json, model.safetensors, lnfree.json when present). */
json_t *prov_model_input(const char *dir, lnf_error *err);

/* INPUT for a token stream opened from `path` (a file or a data directory):
 * every file of the stream. */
json_t *prov_stream_input(const token_stream *s, const char *path, lnf_error *err);

/* INPUT for the named files of a directory. */
json_t *prov_dir_input(const char *dir, const char *const *names, int n, lnf_error *err);

/* INPUT for one file. */
json_t *prov_file_input(const char *path, lnf_error *err);

/* Checks that INPUT's files, read from `path` (NULL: the recorded path),
 * still have their recorded SHA-256; fails naming the first file that
 * differs or is missing, with both hashes. */
int prov_check_input(const json_t *input, const char *path, const char *what, lnf_error *err);

/* The build and the machine: lnfree version and git commit, compiler and
 * target (native or portable), matmul backend and OpenBLAS core (and
 * OPENBLAS_CORETYPE), CPU vendor, model and vector extensions,
 * OMP_NUM_THREADS and the OpenMP thread count, the number of ranks. */
json_t *prov_environment(int ranks);

/* Puts the SHA-256 of every regular file of dir (but provenance.json) into
 * prov's "outputs" and writes DIR/provenance.json atomically. */
int prov_write(const char *dir, json_t *prov, lnf_error *err);

/* DIR/provenance.json, checked by prov_check_format (a new reference; NULL
 * after lnf_fail). */
json_t *prov_read(const char *dir, lnf_error *err);

/* Fails, naming `where`, unless prov has format lnfree-provenance, version
 * 1, and its settings, inputs, outputs and environment (those present) are
 * objects. */
int prov_check_format(const json_t *prov, const char *where, lnf_error *err);

#endif
