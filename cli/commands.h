/* The subcommands of the lnfree executable; each returns the process exit code. */
#ifndef LNFREE_CLI_COMMANDS_H
#define LNFREE_CLI_COMMANDS_H

int cmd_init(int argc, char **argv);
int cmd_probe(int argc, char **argv);
int cmd_encode(int argc, char **argv);
int cmd_decode(int argc, char **argv);
int cmd_prepare(int argc, char **argv);
int cmd_demo(int argc, char **argv);
int cmd_eval(int argc, char **argv);
int cmd_export(int argc, char **argv);
int cmd_train(int argc, char **argv);
int cmd_remove_ln(int argc, char **argv);

#endif
