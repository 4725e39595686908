/* libFuzzer target: the RTAS entry point with arbitrary guest memory.
 * Input: [0..3] buffer address offset, then bytes copied into guest RAM at
 * the argument buffer. Every call the library has is reachable (the token is
 * in the data), on a machine with shared and per-group PHBs and simulated
 * pass-through devices. Guest memory outside RAM is refused by the host. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

static struct t_host h;
static struct sphb_machine *m;

static void quiet(void *o, enum sphb_log_level l, const char *msg)
{
	(void)o; (void)l; (void)msg;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint32_t off;
	size_t n;

	if (!m) {
		struct sphb_host_ops ops = t_ops();
		ops.log = quiet;
		h.ram_size = 1u << 20;
		h.ram = calloc(1, h.ram_size);
		if (!h.ram || sphb_machine_new_default(&ops, &h, &m) ||
		    sphb_machine_add(m, "spapr-pci-host-bridge,index=1,id=g,pe-mode=per-group,error-log=on") ||
		    sphb_machine_add(m, "sim-pci,addr=2,id=a,iommu-group=1,pcie=on,msi=4,msix=8,bar0=mem64:64K") ||
		    sphb_machine_add(m, "sim-pci,addr=3,id=b") ||
		    sphb_machine_add(m, "sim-pci,bus=g.0,addr=2,id=c,iommu-group=2,pcie=on") ||
		    sphb_machine_add(m, "sim-pci,bus=g.0,addr=3.0,id=d,iommu-group=3,multifunction=on") ||
		    sphb_machine_add(m, "sim-pci,bus=g.0,addr=3.1,id=e,iommu-group=3"))
			abort();
	}
	if (size < 4)
		return 0;
	/* the buffer may sit anywhere, including across the end of RAM */
	off = ((uint32_t)data[0] << 16 | (uint32_t)data[1] << 8 | data[2]) % (uint32_t)(h.ram_size + 64);
	n = size - 4;
	if (off < h.ram_size)
		memcpy(h.ram + off, data + 4, n < h.ram_size - off ? n : h.ram_size - off);
	(void)sphb_rtas_call(m, off | ((uint64_t)(data[3] & 0xf0) << 56), NULL);
	if (data[3] & 1)
		(void)sphb_machine_reset(m);
	return 0;
}
