/* Pieces of the sphb CLI that live in their own files. */
#ifndef SPHB_CLI_H
#define SPHB_CLI_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "sphb/sphb.h"

/* Big-endian 32-bit cells in guest memory (RTAS buffers, script words). */
static inline void cli_put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static inline uint32_t cli_get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* sphb dt: write the machine's /rtas and PHB nodes as a .dtb (libfdt).
 * Returns the exit status: 0, or 2 with a message on stderr (a file that
 * cannot be written, out of memory; exit status 1 is replay's mismatch). */
int sphb_cli_dt(struct sphb_machine *m, const char *path);

/* ---- the script interpreter (script.c; contract: docs/cli.md) ---- */

/* Guest RAM the CLI gives its machine: 1 GiB at guest physical address 0. */
#define CLI_GUEST_RAM_SIZE (1ull << 30)
/* The RTAS argument buffer: above the first 16 MiB, which scripts own. */
#define CLI_RTAS_BUF_GPA 0x3fff0000ull

/* The guest-recovery driver's freeze limit the CLI gives it (Linux's
 * eeh_max_freezes default): the 6th freeze within an hour is permanent. */
#define CLI_GUEST_MAX_FREEZES 5

/* One RTAS call of the guest-recovery driver, kept for `guest recover DEV log`. */
#define CLI_GCALL_CELLS 16
struct cli_gcall {
	const char *name;		/* the library's static name */
	uint32_t nargs, nret, written;	/* written: bit i = ret[i] stored */
	uint32_t args[CLI_GCALL_CELLS], rets[CLI_GCALL_CELLS];
	uint64_t ms;			/* virtual time after the call */
};

enum cli_guest_mode {
	CLI_GUEST_CALLS,		/* 'guest recover DEV': every RTAS call */
	CLI_GUEST_QUIET,		/* '... quiet': the summary line only */
	CLI_GUEST_LOG,			/* '... log': one line per phase (-v: and the calls) */
};

struct cli {
	uint8_t *ram;			/* CLI_GUEST_RAM_SIZE bytes, zero-filled */
	struct sphb_machine *m;		/* the default PHB; -device adds the rest */
	struct sphb_guest *guest;	/* created by the first guest statement */
	enum cli_guest_mode guest_mode;	/* of the running guest statement */
	struct cli_gcall *gcalls;	/* CLI_GUEST_LOG: the statement's calls */
	size_t ngcalls, capgcalls, gcalls_lost;
	char last_error[512];		/* the library's last ERROR log message */
	bool verbose;			/* -v: INFO/DEBUG log messages to err */
	const char *script;		/* name in error messages */
	unsigned line;
	FILE *out;			/* statement results (stdout) */
	FILE *err;			/* diagnostics and warnings (stderr) */
};

/* Guest RAM and a machine with the default PHB; out/err = stdout/stderr.
 * Returns 0 or -ENOMEM (nothing to free then). */
int cli_init(struct cli *c);
/* The machine's guest-memory callbacks (opaque = the struct cli), bounded
 * by CLI_GUEST_RAM_SIZE; also what `sphb replay` drives the machine with. */
int cli_mem_read(void *opaque, uint64_t gpa, void *buf, size_t len);
int cli_mem_write(void *opaque, uint64_t gpa, const void *buf, size_t len);
void cli_fini(struct cli *c);
/* Run the script file `path` ("-": stdin), or `len` bytes at `buf` named
 * `name` in messages, statement by statement until the first error.
 * Returns the exit status: 0, or 2 after a message on c->err. */
int cli_run_script(struct cli *c, const char *path);
/* "rtas NAME -> S R1 ...": S signed decimal, Ri 0x%08x, "-" when not written */
void cli_print_rtas_line(FILE *out, const char *name, uint32_t nret, const uint32_t *rets,
			 uint32_t rets_written);
/* `guest recover DEV log`: tell c->gcalls (the statement's calls, the clock
 * at its start t0) and its result as kernel-log lines on c->out (guestlog.c) */
void cli_guest_log(struct cli *c, const char *dev, const struct sphb_guest_result *res, uint64_t t0);
int cli_run_script_mem(struct cli *c, const char *name, const char *buf, size_t len);

#endif
