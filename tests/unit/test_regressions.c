/* Regression tests for bugs found after the features landed. */
#include "harness.h"

#define BUID1 (T_BUID0 + 1)
#define WORKBUF 0x200000u
#define LOGBUF 0x300000u

static uint32_t call(struct sphb_machine *m, struct t_host *h, const char *name,
		     uint32_t nargs, uint32_t nret, const uint32_t *args, uint32_t *rets)
{
	t_rtas_n(m, h, (uint32_t)t_token(name), nargs, nret, args, rets);
	return rets[0];
}

/* An injected error's type must not stick to a later, plain hardware freeze:
 * the log of the plain freeze says "internal device failure" (type 3). */
static void injected_type_does_not_stick(void)
{
	struct t_host h;
	struct sphb_machine *m = t_machine(&h,
		"spapr-pci-host-bridge,index=1,id=phb1,pe-mode=per-group",
		"sim-pci,bus=phb1.0,addr=2,id=a,iommu-group=1,pcie=on", NULL);
	uint32_t r[4], tok;
	const uint32_t pe = t_cfgaddr(0, 2, 0, 0);

	call(m, &h, "ibm,open-errinjct", 0, 2, NULL, r);
	tok = r[0];
	CHECK_EQ(r[1], 0);
	/* ioa-bus-error, operation 13: DMA read data parity */
	t_st32(&h, WORKBUF + 0, 0);
	t_st32(&h, WORKBUF + 4, 0);
	t_st32(&h, WORKBUF + 8, pe);
	t_st32(&h, WORKBUF + 12, (uint32_t)(BUID1 >> 32));
	t_st32(&h, WORKBUF + 16, (uint32_t)BUID1);
	t_st32(&h, WORKBUF + 20, 13);
	{
		uint32_t a[3] = { 7, tok, WORKBUF };
		CHECK_EQ(call(m, &h, "ibm,errinjct", 3, 1, a, r), 0);
	}
	{
		uint32_t a[1] = { tok };
		CHECK_EQ(call(m, &h, "ibm,close-errinjct", 1, 1, a, r), 0);
	}
	/* reset the PE back to normal */
	{
		uint32_t a[4] = { pe, (uint32_t)(BUID1 >> 32), (uint32_t)BUID1, 1 };
		CHECK_EQ(call(m, &h, "ibm,set-slot-reset", 4, 1, a, r), 0);
		a[3] = 0;
		CHECK_EQ(call(m, &h, "ibm,set-slot-reset", 4, 1, a, r), 0);
	}
	CHECK_EQ(sphb_host_freeze(m, "a", NULL), 0);
	{
		uint32_t a[8] = { pe, (uint32_t)(BUID1 >> 32), (uint32_t)BUID1, 0, 0, LOGBUF, 2048, 1 };
		CHECK_EQ(call(m, &h, "ibm,slot-error-detail", 8, 1, a, r), 0);
	}
	CHECK_EQ(h.ram[LOGBUF], 6);	/* version 6 */
	CHECK_EQ(h.ram[LOGBUF + 3], 3);	/* internal device failure, not data parity (5) */
	t_free(m, &h);
}

/* A big MSI-X BAR put the PBA beyond the BAR's RAM-backed first 1 MiB, and a
 * masked vector's pending bit was written out of bounds (heap overflow). */
static void msix_pba_in_big_bar(void)
{
	struct t_host h;
	struct sphb_machine *m = t_machine(&h, "sim-pci,addr=2,id=x,bar0=mem32:0x80000000,msix=4,msix-bar=0", NULL);
	uint32_t pos = 0, id = 0, pba = 0;
	uint64_t v = 0;

	for (pos = 0x40; pos; ) {
		CHECK_EQ(t_cfg_read(m, &h, T_BUID0, 0x1000 | pos, 1, &id), 0);
		if (id == 0x11)
			break;
		CHECK_EQ(t_cfg_read(m, &h, T_BUID0, 0x1000 | (pos + 1), 1, &pos), 0);
	}
	CHECK(pos != 0);
	CHECK_EQ(t_cfg_read(m, &h, T_BUID0, 0x1000 | (pos + 8), 4, &pba), 0);
	CHECK_EQ(pba & 7, 0);					/* BIR 0 */
	CHECK((pba & ~7u) < (1u << 20));			/* inside the backed part */
	CHECK_EQ(t_cfg_write(m, &h, T_BUID0, 0x1000 | 0x04, 2, 0x0002), 0);
	CHECK_EQ(t_cfg_write(m, &h, T_BUID0, 0x1000 | (pos + 2), 2, 0x8000), 0);
	CHECK_EQ(sphb_dev_msi(m, "x", 3), -EAGAIN);		/* masked: pending */
	CHECK_EQ(sphb_mmio_read(m, "x", 0, pba & ~7u, 1, &v), 0);
	CHECK_EQ(v, 0x08);					/* the guest sees the bit */
	t_free(m, &h);
}

/* A call that changes state must not run when its outputs cannot be
 * written: the VMM is told -EFAULT and nothing happened. */
static uint64_t ro_start, ro_end;
static int ro_write(void *o, uint64_t gpa, const void *buf, size_t len)
{
	if (gpa < ro_end && gpa + len > ro_start)
		return -EFAULT;
	return t_mem_write(o, gpa, buf, len);
}

static void readonly_outputs(void)
{
	struct t_host h;
	struct sphb_host_ops ops = t_ops();
	struct sphb_machine *m;
	uint32_t r[2];

	memset(&h, 0, sizeof(h));
	h.ram_size = T_RAM_SIZE;
	h.ram = calloc(1, h.ram_size);
	ops.mem_write = ro_write;
	if (!h.ram || sphb_machine_new_default(&ops, &h, &m))
		exit(1);
	ro_start = T_BUF + 12;	/* open-errinjct: no args, its outputs start here */
	ro_end = T_BUF + 20;
	t_st32(&h, T_BUF, (uint32_t)t_token("ibm,open-errinjct"));
	t_st32(&h, T_BUF + 4, 0);
	t_st32(&h, T_BUF + 8, 2);
	CHECK_EQ(sphb_rtas_call(m, T_BUF, NULL), -EFAULT);
	ro_start = ro_end = 0;
	/* the session was not opened: the next open succeeds */
	CHECK_EQ(t_rtas_n(m, &h, (uint32_t)t_token("ibm,open-errinjct"), 0, 2, NULL, r), 0);
	CHECK_EQ(r[1], 0);
	CHECK(r[0] != 0);
	sphb_machine_free(m);
	free(h.ram);
}

/* The shared PE's permanent mark described one IOMMU group; after hot plug
 * swapped the group it froze the new group's devices. */
static void shared_permanent_follows_the_pe(void)
{
	struct t_host h;
	struct sphb_machine *m = t_machine(&h, "spapr-pci-host-bridge,index=1,id=s,error-log=on",
					   "sim-pci,bus=s.0,addr=2,id=a,iommu-group=1", NULL);
	uint32_t a[8] = { 1, 0x8000000, 0x20000001, 0, 0, 0x300000, 2048, 2 }, r[4], v;

	t_rtas_n(m, &h, (uint32_t)t_token("ibm,slot-error-detail"), 8, 1, a, r);
	CHECK_EQ(r[0], 0);
	CHECK_EQ(sphb_machine_del(m, "a"), 0);
	CHECK_EQ(sphb_machine_add(m, "sim-pci,bus=s.0,addr=3,id=b,iommu-group=2"), 0);
	CHECK_EQ(t_cfg_read(m, &h, T_BUID0 + 1, 0x1800, 2, &v), 0);
	CHECK_EQ(v, 0x1014);					/* not frozen */
	t_rtas_n(m, &h, (uint32_t)t_token("ibm,read-slot-reset-state2"), 3, 4, a, r);
	CHECK_EQ(r[0], 0);
	CHECK_EQ(r[1], 0);
	t_free(m, &h);
}

/* ids share one namespace; vfio-pci accepted the id of a PHB (id=pci) */
static void one_id_namespace(void)
{
	struct t_host h;
	struct sphb_machine *m = t_machine(&h, "sim-pci,addr=2,id=a", NULL);

	CHECK_EQ(sphb_machine_add(m, "sim-pci,addr=3,id=pci"), -EEXIST);
	CHECK_EQ(sphb_machine_add(m, "sim-pci,addr=3,id=pci.0"), -EEXIST);
	CHECK_EQ(sphb_machine_add(m, "spapr-pci-host-bridge,index=1,id=a"), -EEXIST);
#if SPHB_VFIO
	CHECK_EQ(sphb_machine_add(m, "vfio-pci,host=0000:01:00.0,bus=pci.0,addr=3,id=pci"), -EEXIST);
	CHECK(strstr(h.last_log, "id=pci: id already in use") != NULL);
#endif
	t_free(m, &h);
}

/* fuzz_model: a function released while the host was busy with its frozen PE
 * leaves the PE frozen (the busy host does not thaw it); plugging a function
 * of that group back in opens it, and the host's eeh_dev_open() thaws a frozen
 * PE it takes over (Linux 6.12 arch/powerpc/kernel/eeh.c, eeh_dev_open() ->
 * eeh_pe_change_owner()), so the guest finds the new function's
 * PE active (state 0) — not frozen by an error it never saw. */
static void plugged_function_starts_thawed(void)
{
	struct t_host h;
	struct sphb_machine *m = t_machine(&h,
		"spapr-pci-host-bridge,index=1,id=phb1,pe-mode=per-group",
		"sim-pci,bus=phb1.0,addr=4,id=p,iommu-group=13", NULL);
	const uint32_t pe = t_cfgaddr(0, 4, 0, 0);
	uint32_t a[3] = { pe, (uint32_t)(BUID1 >> 32), (uint32_t)BUID1 }, r[4];
	const char *state = NULL;

	CHECK_EQ(sphb_host_freeze(m, "p", NULL), 0);
	CHECK_EQ(sphb_host_busy(m, "p", 2207), 0);
	CHECK_EQ(sphb_machine_del(m, "p"), 0);	/* released while busy: still frozen */
	CHECK_EQ(sphb_clock_advance(m, 2300), 0);
	CHECK_EQ(sphb_machine_reset(m), 0);	/* the group has no function: untouched */
	CHECK_EQ(sphb_machine_add(m, "sim-pci,bus=phb1.0,addr=4,id=p,iommu-group=13"), 0);
	CHECK_EQ(sphb_host_state(m, "p", &state), 0);
	CHECK(state && !strcmp(state, "normal"));
	CHECK_EQ(call(m, &h, "ibm,read-slot-reset-state2", 3, 4, a, r), 0);
	CHECK_EQ(r[1], 0);
	/* a second function opened while the host is busy with a frozen PE
	 * does not thaw it (the host reports it unavailable meanwhile) */
	CHECK_EQ(sphb_host_freeze(m, "p", NULL), 0);
	CHECK_EQ(sphb_host_busy(m, "p", 1000), 0);
	CHECK_EQ(sphb_machine_add(m, "sim-pci,bus=phb1.0,addr=5,id=q,iommu-group=13"), 0);
	CHECK_EQ(sphb_clock_advance(m, 1000), 0);
	CHECK_EQ(call(m, &h, "ibm,read-slot-reset-state2", 3, 4, a, r), 0);
	CHECK_EQ(r[1], 2);
	t_free(m, &h);
}

int main(void)
{
	one_id_namespace();
	msix_pba_in_big_bar();
	readonly_outputs();
	shared_permanent_follows_the_pe();
	injected_type_does_not_stick();
	plugged_function_starts_thawed();
	return t_result();
}
