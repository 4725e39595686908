/* libFuzzer target: the CLI's script interpreter (tools/script.c, contract
 * docs/cli.md) on arbitrary script text, with the machine `sphb run` would
 * have for "-device" options like those of examples/eeh-recovery.args: the
 * default PHB, a per-group PHB, emulated and simulated pass-through devices.
 * Statement output and diagnostics go to /dev/null. Checked: the run ends
 * with exit status 0 or 2 (docs/cli.md).
 * Scripts whose H_STUFF_TCE (or INDIRECT) asks for more than 65536 TCEs are
 * skipped: a guest may fill a 2^31-entry window it created (PAPR allows it,
 * QEMU does the same), which measures the host's memory, not the parser.
 * SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static const char *const specs[] = {
	"spapr-pci-host-bridge,index=1,id=g,pe-mode=per-group,error-log=on",
	"sim-pci,addr=2,id=a,pcie=on,msi=4,msix=8,bar0=mem64:64K,bar2=io:32",
	"sim-pci,addr=3,id=b,rom=4K",
	"sim-pci,bus=g.0,addr=2,id=c,iommu-group=2,pcie=on,msi=2",
	"sim-pci,bus=g.0,addr=3.0,id=d,iommu-group=3,multifunction=on,bar0=mem32:4K",
	"sim-pci,bus=g.0,addr=3.1,id=e,iommu-group=3",
};

/* the script's number syntax: decimal, 0x hex, or negative */
static bool small_count(const char *s)
{
	char *end;
	unsigned long long v;

	if (s[0] == '-')
		return true; /* two's complement: above any window, refused at once */
	errno = 0;
	v = (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) ? strtoull(s + 2, &end, 16)
							   : strtoull(s, &end, 10);
	return errno || *end || v <= 65536; /* not a number: the parser says so */
}

/* does any hcall statement carry a 4th argument (the npages of H_STUFF_TCE
 * and H_PUT_TCE_INDIRECT) above 65536? */
static bool huge_stuff(const uint8_t *data, size_t size)
{
	char line[512];
	size_t pos = 0;

	while (pos < size) {
		size_t n = 0;
		char *tok, *save = NULL;
		unsigned k = 0;

		while (pos < size && data[pos] != '\n') {
			if (n < sizeof(line) - 1)
				line[n++] = data[pos] ? (char)data[pos] : ' ';
			else
				return true; /* too long to tell: skip */
			pos++;
		}
		pos++;
		line[n] = '\0';
		if (strchr(line, '#'))
			*strchr(line, '#') = '\0';
		for (tok = strtok_r(line, " \t\r", &save); tok; tok = strtok_r(NULL, " \t\r", &save), k++) {
			if (k == 0 && strcmp(tok, "hcall"))
				break;
			if (k == 5 && !small_count(tok))
				return true;
		}
	}
	return false;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static FILE *sink;
	struct cli c;
	int rc;

	if (!sink && !(sink = fopen("/dev/null", "w")))
		abort();
	if (huge_stuff(data, size))
		return 0;
	if (cli_init(&c))
		abort();
	c.out = c.err = sink;
	for (unsigned i = 0; i < sizeof(specs) / sizeof(specs[0]); i++)
		if (sphb_machine_add(c.m, specs[i]))
			abort();
	rc = cli_run_script_mem(&c, "fuzz", (const char *)data, size);
	if (rc != 0 && rc != 2)
		abort();
	cli_fini(&c);
	return 0;
}
