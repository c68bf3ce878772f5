/* args: strict parsing of option values for the subcommands: the one place
 * that turns a user's option text into a value. */
#ifndef LNFREE_CLI_ARGS_H
#define LNFREE_CLI_ARGS_H

#include <jansson.h>
#include <stdint.h>
#include "model/config.h"
#include "model/ln_state.h"

/* Each returns 0, or prints "lnfree CMD: --OPT: ..." to stderr and returns -1. */
int arg_int(const char *cmd, const char *opt, const char *text, int min, int *out);
int arg_float(const char *cmd, const char *opt, const char *text, float *out);
int arg_u64(const char *cmd, const char *opt, const char *text, uint64_t *out);

/* A model config: a path (holding '/' or ending in .json) is an HF
 * config.json, anything else a preset name (model/config.h). */
int arg_model_config(const char *cmd, const char *opt, const char *text, gpt2_config *out);

/* A comma-separated list of LN site kinds (ln1qk, ln1v, ln2, lnf) into flags. */
int arg_site_kinds(const char *cmd, const char *opt, const char *text, int kinds[SITE_KINDS]);

/* Prints o as one JSON object on stdout (sorted keys, 10 significant digits)
 * and releases it; 0, or prints "lnfree CMD: ..." and returns -1. */
int print_json(const char *cmd, json_t *o);

#endif
