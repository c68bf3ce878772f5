/* args: strict parsing of option values for the subcommands. */
#ifndef LNFREE_CLI_ARGS_H
#define LNFREE_CLI_ARGS_H

#include <stdint.h>

/* Each returns 0, or prints "lnfree CMD: --OPT: ..." to stderr and returns -1. */
int arg_int(const char *cmd, const char *opt, const char *text, int min, int *out);
int arg_float(const char *cmd, const char *opt, const char *text, float *out);
int arg_u64(const char *cmd, const char *opt, const char *text, uint64_t *out);

#endif
