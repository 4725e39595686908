/* sphb — command-line front end of libsphb (contract: docs/cli.md).
 *   sphb run [-v] [-device SPEC]... [SCRIPT|-]
 *   sphb dt  [-v] [-device SPEC]... -o FILE.dtb
 *   sphb replay [-v] [-device SPEC]... TRACE...
 *   sphb [run|dt|replay] --help | -h;  sphb --version
 * SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sphb/sphb.h"
#include "cli.h"
#include "trace.h"

static const char usage_spec[] =
	"\n"
	"SPEC is QEMU's -device syntax: spapr-pci-host-bridge,index=N[,id=ID][,...],\n"
	"sim-pci,bus=B,addr=SLOT[.FN][,...] or vfio-pci,host=DDDD:BB:DD.F,bus=B.\n"
	"A default PHB (index 0, bus pci.0) always exists. See docs/cli.md and sphb(1).\n";

static void usage(FILE *f)
{
	fputs("usage: sphb run [-v] [-device SPEC]... [SCRIPT|-]\n"
	      "       sphb dt [-v] [-device SPEC]... -o FILE.dtb\n"
	      "       sphb replay [-v] [-device SPEC]... TRACE...\n"
	      "       sphb [run|dt|replay] --help | -h\n"
	      "       sphb --version\n", f);
	fputs(usage_spec, f);
}

/* `sphb CMD --help`: the command's own synopsis line and what it does. */
static void usage_cmd(FILE *f, const char *cmd)
{
	if (!strcmp(cmd, "run")) {
		fputs("usage: sphb run [-v] [-device SPEC]... [SCRIPT|-]\n"
		      "\n"
		      "Builds the machine, then runs SCRIPT (standard input when it is - or\n"
		      "absent) one statement per line: rtas, hcall, mem, mmio, dma, host,\n"
		      "guest recover, echo. Results go to standard output; a statement that\n"
		      "cannot run stops with exit status 2. -v adds the library's messages on\n"
		      "standard error and the RTAS calls under 'guest recover DEV log's phases.\n", f);
	} else if (!strcmp(cmd, "dt")) {
		fputs("usage: sphb dt [-v] [-device SPEC]... -o FILE.dtb\n"
		      "\n"
		      "Writes the machine's device tree (/rtas and one pci@BUID node per PHB)\n"
		      "to FILE.dtb; decode it with 'dtc -I dtb -O dts FILE.dtb'.\n", f);
	} else {
		fputs("usage: sphb replay [-v] [-device SPEC]... TRACE...\n"
		      "\n"
		      "Replays a Linux guest's RTAS trace and QEMU's trace log (files, - for\n"
		      "standard input, .xz read through xz -dc) against the machine and\n"
		      "compares every answer. Exit status 0: everything compared matched;\n"
		      "1: a mismatch, a trace of another machine (a PHB it lacks), or more\n"
		      "lines skipped than answers compared; 2: bad input.\n", f);
	}
	fputs(usage_spec, f);
}

static bool is_help(const char *a)
{
	return !strcmp(a, "--help") || !strcmp(a, "-h");
}

/* ---- main ---- */

int main(int argc, char **argv)
{
	struct cli c;
	const char *cmd, *out = NULL;
	const char *rest[64];
	int nrest = 0, i, rc;

	memset(&c, 0, sizeof(c));
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	cmd = argv[1];
	if (is_help(cmd)) {
		usage(stdout);
		return 0;
	}
	if (!strcmp(cmd, "--version")) {
		printf("sphb %s\n", sphb_version());
		return 0;
	}
	if (strcmp(cmd, "run") && strcmp(cmd, "dt") && strcmp(cmd, "replay")) {
		fprintf(stderr, "sphb: unknown command '%s' (run, dt, replay)\n", cmd);
		return 2;
	}
	/* --help anywhere (but as the value of -device or -o): the usage, exit 0,
	 * before any -device is built */
	for (i = 2; i < argc; i++) {
		if ((!strcmp(argv[i], "-device") || !strcmp(argv[i], "--device") ||
		     !strcmp(argv[i], "-o")) && i + 1 < argc) {
			i++;
			continue;
		}
		if (is_help(argv[i])) {
			usage_cmd(stdout, cmd);
			return 0;
		}
	}
	if (cli_init(&c)) {
		fprintf(stderr, "sphb: cannot create the machine: out of memory\n");
		return 2;
	}
	for (i = 2; i < argc; i++) {
		const char *a = argv[i];
		if (!strcmp(a, "-device") || !strcmp(a, "--device")) {
			if (i + 1 >= argc) {
				fprintf(stderr, "sphb: -device: missing SPEC\n");
				rc = 2;
				goto done;
			}
			c.last_error[0] = '\0';
			if (sphb_machine_add(c.m, argv[++i])) {
				fprintf(stderr, "sphb: -device %s\n",
					c.last_error[0] ? c.last_error : argv[i]);
				rc = 2;
				goto done;
			}
		} else if (!strcmp(a, "-o") && !strcmp(cmd, "dt")) {
			if (i + 1 >= argc) {
				fprintf(stderr, "sphb: -o: missing FILE\n");
				rc = 2;
				goto done;
			}
			out = argv[++i];
		} else if (!strcmp(a, "-v")) {
			c.verbose = true;
		} else if (a[0] == '-' && a[1]) {
			fprintf(stderr, "sphb: %s: unknown option '%s'\n", cmd, a);
			rc = 2;
			goto done;
		} else if (nrest < (int)(sizeof(rest) / sizeof(rest[0]))) {
			rest[nrest++] = a;
		} else {
			fprintf(stderr, "sphb: %s: too many arguments\n", cmd);
			rc = 2;
			goto done;
		}
	}
	if (!strcmp(cmd, "run")) {
		if (nrest > 1) {
			fprintf(stderr, "sphb: run: one SCRIPT at most (got '%s' and '%s')\n",
				rest[0], rest[1]);
			rc = 2;
			goto done;
		}
		rc = cli_run_script(&c, nrest ? rest[0] : "-");
	} else if (!strcmp(cmd, "dt")) {
		if (!out || nrest) {
			fprintf(stderr, "sphb: dt: expected -o FILE.dtb and no other argument\n");
			rc = 2;
			goto done;
		}
		rc = sphb_cli_dt(c.m, out);
	} else if (!strcmp(cmd, "replay")) {
		struct replay_target tg = { c.m, cli_mem_read, cli_mem_write, &c, CLI_RTAS_BUF_GPA };
		rc = sphb_cli_replay(&tg, rest, nrest);
	} else {
		fprintf(stderr, "sphb: %s: not supported yet\n", cmd);
		rc = 2;
	}
done:
	cli_fini(&c);
	return rc;
}
