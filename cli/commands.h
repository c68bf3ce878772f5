/* The subcommands of the lnfree executable; each returns the process exit
 * code. dist: the ranks of an mpirun job (rank 0 of 1 when run alone); only
 * train and remove-ln use more than one. */
#ifndef LNFREE_CLI_COMMANDS_H
#define LNFREE_CLI_COMMANDS_H

#include "train/dist.h"
#include "train/train.h"

int cmd_init(int argc, char **argv, const dist_ctx *dist);
int cmd_probe(int argc, char **argv, const dist_ctx *dist);
int cmd_encode(int argc, char **argv, const dist_ctx *dist);
int cmd_decode(int argc, char **argv, const dist_ctx *dist);
int cmd_prepare(int argc, char **argv, const dist_ctx *dist);
int cmd_demo(int argc, char **argv, const dist_ctx *dist);
int cmd_eval(int argc, char **argv, const dist_ctx *dist);
int cmd_hellaswag(int argc, char **argv, const dist_ctx *dist);
int cmd_attribute(int argc, char **argv, const dist_ctx *dist);
int cmd_export(int argc, char **argv, const dist_ctx *dist);
int cmd_train(int argc, char **argv, const dist_ctx *dist);
int cmd_remove_ln(int argc, char **argv, const dist_ctx *dist);
int cmd_reproduce(int argc, char **argv, const dist_ctx *dist);

/* The end of a train, remove-ln or reproduce run: prints the summary (rank
 * 0) or the error (ending the whole job under MPI); the exit code. */
int report_training(const char *cmd, int rc, const train_result *res, const char *out_dir,
                    const lnf_error *err, const dist_ctx *dist);

/* The live progress line on stderr ("\rstep N/M  loss ..."): train's
 * progress callback, for train, remove-ln and demo. */
void progress_line(const train_progress *p, void *ctx);

#endif
