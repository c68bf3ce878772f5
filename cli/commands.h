/* The subcommands of the lnfree executable; each returns the process exit code. */
#ifndef LNFREE_CLI_COMMANDS_H
#define LNFREE_CLI_COMMANDS_H

int cmd_init(int argc, char **argv);
int cmd_probe(int argc, char **argv);

#endif
