/* Pieces of the sphb CLI that live in their own files. */
#ifndef SPHB_CLI_H
#define SPHB_CLI_H
#include "sphb/sphb.h"

/* sphb dt: write the machine's /rtas and PHB nodes as a .dtb (libfdt).
 * Returns the exit status (0, or 1 with a message on stderr). */
int sphb_cli_dt(struct sphb_machine *m, const char *path);

#endif
