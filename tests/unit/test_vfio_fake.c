/* The VFIO backend against a model of the Linux kernel (drivers/vfio/vfio_iommu_spapr_tce.c, vfio_spapr_eeh.c):
 * the exact system-call sequence of an add (sPAPR TCE v2 and the v1
 * fallback), the container policy of both PE modes, RTAS in -> ioctls out on
 * exactly the right container, QEMU's statuses for failing ioctls (§5.3),
 * groups that lose their PE, every failure message, the per-PHB TCE
 * mirroring helper, and a failure injected at every call in turn with no file
 * descriptor leaked. White-box: uses the backend's internal seam. */
#include "harness.h"
#include "internal.h"

#if !SPHB_VFIO
int main(void) { puts("built without the VFIO backend"); return 77; }
#else

#define HI 0x8000000u
#define LO 0x20000000u

#include "vfio_fake_kernel.h"

/* ================= helpers ================= */

static struct t_host h;
static struct sphb_machine *m;
static unsigned ranges_registered;

static int two_ranges(void *opaque, int (*fn)(void *ctx, uint64_t gpa, void *hva, uint64_t size), void *ctx)
{
	struct t_host *hh = opaque;
	int rc = fn(ctx, 0, hh->ram, T_RAM_SIZE / 2);

	if (!rc)
		rc = fn(ctx, T_RAM_SIZE / 2, hh->ram + T_RAM_SIZE / 2, T_RAM_SIZE / 2);
	ranges_registered += 2;
	return rc;
}

/* A machine with the default PHB, a per-group PHB "g" (index 1), and
 * optionally a RAM iterator for pre-registration. */
static struct sphb_machine *machine(bool ram)
{
	struct sphb_host_ops ops = t_ops();
	struct sphb_machine *mm = NULL;

	memset(&h, 0, sizeof(h));
	h.ram_size = T_RAM_SIZE;
	h.ram = calloc(1, h.ram_size);
	if (ram)
		ops.ram_iterate = two_ranges;
	if (!h.ram || sphb_machine_new_default(&ops, &h, &mm) ||
	    sphb_machine_add(mm, "spapr-pci-host-bridge,index=1,id=g,pe-mode=per-group")) {
		fprintf(stderr, "cannot create the machine\n");
		exit(1);
	}
	return mm;
}

static unsigned count(const char *s, const char *what)
{
	unsigned n = 0;

	for (const char *p = s; (p = strstr(p, what)); p++)
		n++;
	return n;
}

#define CHECK_TRACE(expect) do { \
	if (strcmp(trace, (expect))) { \
		fprintf(stderr, "%s:%d: trace\n  got:  %s\n  want: %s\n", __FILE__, __LINE__, trace, (expect)); \
		t_failures++; \
	} \
} while (0)

#define CHECK_LOG(what) do { \
	if (!strstr(h.last_log, (what))) { \
		fprintf(stderr, "%s:%d: log '%s' lacks '%s'\n", __FILE__, __LINE__, h.last_log, (what)); \
		t_failures++; \
	} \
} while (0)

static int32_t rtas(const char *name, uint32_t nargs, uint32_t nret, uint32_t cfg, uint32_t lo, uint32_t o, uint32_t *r)
{
	uint32_t a[4] = { cfg, HI, lo, o };

	t_rtas_n(m, &h, (uint32_t)t_token(name), nargs, nret, a, r);
	return (int32_t)r[0];
}

/* the PE calls of a PHB (lo: BUID low word) on PE/config address cfg */
static int32_t set_option(uint32_t cfg, uint32_t lo, uint32_t opt) { uint32_t r[1]; return rtas("ibm,set-eeh-option", 4, 1, cfg, lo, opt, r); }
static int32_t slot_reset(uint32_t cfg, uint32_t lo, uint32_t opt) { uint32_t r[1]; return rtas("ibm,set-slot-reset", 4, 1, cfg, lo, opt, r); }
static int32_t configure(uint32_t cfg, uint32_t lo) { uint32_t r[1]; return rtas("ibm,configure-pe", 3, 1, cfg, lo, 0, r); }
/* read-slot-reset-state2: the state, or -1000 + status */
static int state(uint32_t cfg, uint32_t lo)
{
	uint32_t r[4];
	int32_t st = rtas("ibm,read-slot-reset-state2", 3, 4, cfg, lo, 0, r);
	return st ? -1000 + st : (int)r[1];
}

static void end_machine(void)
{
	t_free(m, &h);
	m = NULL;
	CHECK_EQ(open_fds, 0);
	CHECK_EQ(pe_bad, 0);
}

/* ================= tests ================= */

#define ADD_V2 \
	"readlink /sys/bus/pci/devices/0001:01:00.0/iommu_group;open /dev/vfio/5;GROUP_GET_STATUS;" \
	"open /dev/vfio/vfio;GET_API_VERSION;GROUP_SET_CONTAINER;CHECK_EXTENSION(7);SET_IOMMU(7);" \
	"CHECK_EXTENSION(5);SPAPR_TCE_GET_INFO;"
/* the device, its config region, then its BARs 0..5 and ROM from their regions */
#define ADD_DEV(name) "GROUP_GET_DEVICE_FD(" name ");DEVICE_GET_INFO;DEVICE_GET_REGION_INFO;" \
	"DEVICE_GET_REGION_INFO;DEVICE_GET_REGION_INFO;DEVICE_GET_REGION_INFO;DEVICE_GET_REGION_INFO;" \
	"DEVICE_GET_REGION_INFO;DEVICE_GET_REGION_INFO;DEVICE_GET_REGION_INFO;"
/* a new v2 container gets the PHB's windows: the pending default window is
 * cancelled and the guest's default window (nothing mapped yet) created */
#define REPLAY_V2 "SPAPR_TCE_REMOVE;SPAPR_TCE_CREATE;"

/* pe-mode=shared: the exact add, config through the device fd, RTAS in ->
 * VFIO_EEH_PE_OP out on the PHB's one container. */
static void shared_mode(void)
{
	uint32_t v, r[4];
	int c5;

	reset_kernel();
	m = machine(false);
	CHECK_EQ(sphb_machine_add(m, "vfio-pci,host=0001:01:00.0,bus=pci.0,addr=2,id=nic"), 0);
	CHECK_TRACE(ADD_V2 REPLAY_V2 ADD_DEV("0001:01:00.0"));
	CHECK_EQ(open_fds, 3);	/* container, group, device */
	c5 = kgroup(5)->container;
	CHECK(c5 >= 0 && fds[c5].iommu == VFIO_SPAPR_TCE_v2_IOMMU);

	/* config space reaches the device through pread/pwrite on the device fd */
	trace[0] = '\0';
	CHECK_EQ(t_cfg_read(m, &h, T_BUID0, 0x1000, 4, &v), 0);
	CHECK_EQ(v, 0x0ace1014);
	CHECK_EQ(t_cfg_read(m, &h, T_BUID0, 0x1002, 2, &v), 0);
	CHECK_EQ(v, 0x0ace);
	CHECK_EQ(t_cfg_write(m, &h, T_BUID0, 0x103c, 1, 0x21), 0);
	CHECK_EQ(t_cfg_read(m, &h, T_BUID0, 0x103c, 1, &v), 0);
	CHECK_EQ(v, 0x21);
	CHECK_EQ(t_cfg_read(m, &h, T_BUID0, t_cfgaddr(0, 2, 0, 0x100), 4, &v), 0);	/* extended config */
	CHECK_TRACE("");	/* no ioctl for config accesses */

	/* the boot-time enable, state, and a guest recovery after a host freeze */
	CHECK_EQ(set_option(0x1000, LO, 1), 0);
	CHECK_EQ(last_pe.op, VFIO_EEH_PE_ENABLE);
	CHECK_EQ(pe_fd, c5);
	CHECK_EQ(state(1, LO), 0);
	kgroup(5)->frozen_mmio = kgroup(5)->frozen_dma = true;	/* the hardware froze the PE */
	CHECK_EQ(t_cfg_read(m, &h, T_BUID0, 0x1000, 4, &v), 0);
	CHECK_EQ(v, 0xffffffff);
	CHECK_EQ(state(1, LO), 2);
	CHECK_EQ(set_option(1, LO, 2), 0);			/* thaw MMIO for the log */
	CHECK_EQ(state(1, LO), 4);

	/* one guest hot reset: exactly one VFIO_EEH_PE_OP(RESET_HOT) on the container */
	trace[0] = '\0';
	CHECK_EQ(slot_reset(1, LO, 1), 0);
	CHECK_TRACE("EEH_PE_OP(6);");
	CHECK_EQ(pe_fd, c5);
	CHECK(kgroup(5)->reset);
	CHECK_EQ(state(1, LO), 1);
	trace[0] = '\0';
	CHECK_EQ(slot_reset(1, LO, 0), 0);
	CHECK_EQ(configure(1, LO), 0);
	CHECK_TRACE("EEH_PE_OP(5);EEH_PE_OP(8);");
	CHECK_EQ(state(1, LO), 0);
	CHECK_EQ(t_cfg_read(m, &h, T_BUID0, 0x1000, 4, &v), 0);
	CHECK_EQ(v, 0x0ace1014);
	/* fundamental reset and the remaining options */
	trace[0] = '\0';
	CHECK_EQ(slot_reset(1, LO, 3), 0);
	CHECK_EQ(slot_reset(1, LO, 0), 0);
	CHECK_EQ(set_option(1, LO, 3), 0);
	CHECK_EQ(set_option(1, LO, 0), 0);
	CHECK_TRACE("EEH_PE_OP(7);EEH_PE_OP(5);EEH_PE_OP(3);EEH_PE_OP(0);");
	/* bad options never reach the kernel */
	trace[0] = '\0';
	CHECK_EQ(slot_reset(1, LO, 2), -3);
	CHECK_EQ(set_option(1, LO, 9), -3);
	CHECK_TRACE("");

	/* machine reset: ENABLE on the PE (QEMU §5.4 step 3) */
	trace[0] = '\0';
	CHECK_EQ(sphb_machine_reset(m), 0);
	/* the default DMA window re-created in the container, then ENABLE */
	CHECK_TRACE("SPAPR_TCE_REMOVE;SPAPR_TCE_CREATE;EEH_PE_OP(1);");

	/* a second function of the same group joins the group: no new container */
	trace[0] = '\0';
	CHECK_EQ(sphb_machine_add(m, "vfio-pci,host=0001:01:00.1,bus=pci.0,addr=2.1,id=nic1"), 0);
	CHECK_TRACE("readlink /sys/bus/pci/devices/0001:01:00.1/iommu_group;" ADD_DEV("0001:01:00.1"));
	CHECK_EQ(open_fds, 4);
	CHECK_EQ(state(1, LO), 0);

	/* a second group behind the shared PHB: one container, two groups ->
	 * EEH unavailable (-3) and not a single EEH ioctl (QEMU §5.1) */
	trace[0] = '\0';
	CHECK_EQ(sphb_machine_add(m, "vfio-pci,host=0001:02:00.0,bus=pci.0,addr=3,id=disk"), 0);
	CHECK_TRACE("readlink /sys/bus/pci/devices/0001:02:00.0/iommu_group;open /dev/vfio/6;GROUP_GET_STATUS;"
		    "GROUP_SET_CONTAINER;" ADD_DEV("0001:02:00.0"));
	CHECK_EQ(kgroup(6)->container, c5);
	trace[0] = '\0';
	CHECK_EQ(state(1, LO), -1003);
	CHECK_EQ(slot_reset(1, LO, 1), -3);
	CHECK_EQ(configure(1, LO), -3);
	CHECK_EQ(rtas("ibm,get-config-addr-info2", 4, 2, 0x1000, LO, 1, r), -3);
	CHECK_TRACE("");
	CHECK_EQ(open_fds, 6);	/* one container, two groups, three devices */
	/* unplug releases what the device held, and EEH is back */
	trace[0] = '\0';
	CHECK_EQ(sphb_machine_del(m, "disk"), 0);
	CHECK_TRACE("close device;GROUP_UNSET_CONTAINER;close group;");
	CHECK_EQ(open_fds, 4);
	CHECK_EQ(kgroup(6)->container, -1);
	CHECK_EQ(state(1, LO), 0);
	CHECK_EQ(sphb_machine_del(m, "nic1"), 0);
	CHECK_EQ(sphb_machine_del(m, "nic"), 0);
	CHECK_EQ(open_fds, 0);	/* the last group closes the container */
	trace[0] = '\0';
	CHECK_EQ(state(1, LO), -1003);
	CHECK_TRACE("");
	end_machine();
}

/* pe-mode=per-group: one container per group, every op on exactly the
 * group's container, pre-registration in every new v2 container. */
static void per_group_mode(void)
{
	uint32_t r[4];
	const uint32_t G = LO + 1;
	int c5, c6;

	reset_kernel();
	m = machine(true);
	ranges_registered = 0;
	CHECK_EQ(sphb_machine_add(m, "vfio-pci,host=0001:01:00.0,bus=g.0,addr=2,id=a0"), 0);
	CHECK_TRACE(ADD_V2 "SPAPR_REGISTER_MEMORY;SPAPR_REGISTER_MEMORY;" REPLAY_V2 ADD_DEV("0001:01:00.0"));
	CHECK_EQ(sphb_machine_add(m, "vfio-pci,host=0001:01:00.1,bus=g.0,addr=2.1,id=a1"), 0);
	CHECK_EQ(sphb_machine_add(m, "vfio-pci,host=0001:02:00.0,bus=g.0,addr=3,id=b"), 0);
	CHECK_EQ(open_fds, 2 + 2 + 3);		/* a container and a group fd per group, 3 devices */
	CHECK_EQ(count(trace, "SPAPR_REGISTER_MEMORY"), 4);	/* 2 ranges x 2 containers */
	CHECK_EQ(ranges_registered, 4);
	c5 = kgroup(5)->container;
	c6 = kgroup(6)->container;
	CHECK(c5 >= 0 && c6 >= 0 && c5 != c6);
	CHECK_EQ(fds[c5].registered, 2);
	CHECK_EQ(fds[c6].registered, 2);
	{
		int list[4];
		CHECK_EQ(sphb_vfio_phb_containers(m->phbs[1], list, 4), 2);
		CHECK((list[0] == c5 && list[1] == c6) || (list[0] == c6 && list[1] == c5));
		CHECK_EQ(sphb_vfio_phb_containers(m->phbs[0], list, 4), 0);
	}
	/* PE addresses and modes */
	CHECK_EQ(rtas("ibm,get-config-addr-info2", 4, 2, 0x1100, G, 0, r), 0);
	CHECK_EQ(r[1], 0x1000);
	CHECK_EQ(rtas("ibm,get-config-addr-info2", 4, 2, 0x1100, G, 1, r), 0);
	CHECK_EQ(r[1], 2);
	CHECK_EQ(rtas("ibm,get-config-addr-info2", 4, 2, 0x1800, G, 1, r), 0);
	CHECK_EQ(r[1], 1);
	/* one guest hot reset of group 5's PE: PAPR's state check, then RESET_HOT,
	 * both on group 5's container only */
	trace[0] = '\0';
	CHECK_EQ(slot_reset(0x1000, G, 1), 0);
	CHECK_TRACE("EEH_PE_OP(4);EEH_PE_OP(6);");
	CHECK_EQ(pe_fd, c5);
	CHECK(kgroup(5)->reset);
	CHECK(!kgroup(6)->reset);
	CHECK_EQ(state(0x1800, G), 0);
	CHECK_EQ(pe_fd, c6);
	CHECK_EQ(state(0x1000, G), 1);
	CHECK_EQ(slot_reset(0x1000, G, 0), 0);
	CHECK(!kgroup(5)->reset);
	/* group 6 frozen: its own PE only */
	kgroup(6)->frozen_mmio = kgroup(6)->frozen_dma = true;
	CHECK_EQ(state(0x1000, G), 0);
	CHECK_EQ(state(0x1800, G), 2);
	trace[0] = '\0';
	CHECK_EQ(set_option(0x1800, G, 2), 0);
	CHECK_TRACE("EEH_PE_OP(4);EEH_PE_OP(2);");
	CHECK_EQ(pe_fd, c6);
	CHECK_EQ(set_option(0x1800, G, 3), 0);
	CHECK_EQ(state(0x1800, G), 0);
	/* unplugging group 6's only device closes its container */
	CHECK_EQ(sphb_machine_del(m, "b"), 0);
	CHECK_EQ(open_fds, 2 + 2);
	CHECK_EQ(sphb_vfio_phb_containers(m->phbs[1], NULL, 0), 1);
	end_machine();
}

/* A host built against an older sphb.h (struct sphb_host_ops without
 * ram_iterate, a smaller sz): its garbage past sz is never read, and v2
 * containers simply skip pre-registration. */
static void old_host_ops(void)
{
	struct { struct sphb_host_ops ops; } big;
	struct sphb_host_ops ops = t_ops();

	reset_kernel();
	memset(&h, 0, sizeof(h));
	h.ram_size = T_RAM_SIZE;
	h.ram = calloc(1, h.ram_size);
	memset(&big, 0xa5, sizeof(big));	/* what lies past the old struct */
	memcpy(&big.ops, &ops, offsetof(struct sphb_host_ops, ram_iterate));
	big.ops.sz = offsetof(struct sphb_host_ops, ram_iterate);
	if (!h.ram || sphb_machine_new_default(&big.ops, &h, &m))
		exit(1);
	CHECK_EQ(sphb_machine_add(m, "vfio-pci,host=0001:01:00.0,bus=pci.0,addr=2"), 0);
	CHECK_TRACE(ADD_V2 REPLAY_V2 ADD_DEV("0001:01:00.0"));
	CHECK_EQ(state(1, LO), 0);
	end_machine();
}

/* A host without sPAPR TCE v2: the v1 IOMMU, enabled (locked memory), no
 * pre-registration; one group per container (shared PHB refuses a second). */
static void v1_fallback(void)
{
	uint64_t args[3], rets[1];
	int64_t hret;

	reset_kernel();
	v1_only = true;
	m = machine(true);
	CHECK_EQ(sphb_machine_add(m, "vfio-pci,host=0001:01:00.0,bus=pci.0,addr=2,id=a"), 0);
	CHECK_TRACE("readlink /sys/bus/pci/devices/0001:01:00.0/iommu_group;open /dev/vfio/5;GROUP_GET_STATUS;"
		    "open /dev/vfio/vfio;GET_API_VERSION;GROUP_SET_CONTAINER;CHECK_EXTENSION(7);CHECK_EXTENSION(2);"
		    "SET_IOMMU(2);CHECK_EXTENSION(5);SPAPR_TCE_GET_INFO;IOMMU_ENABLE;" ADD_DEV("0001:01:00.0"));
	CHECK_EQ(fds[kgroup(5)->container].iommu, VFIO_SPAPR_TCE_IOMMU);
	CHECK(fds[kgroup(5)->container].enabled);
	CHECK_EQ(state(1, LO), 0);
	/* DMA maps on a v1 container once enabled */
	args[0] = 0x80000000u; args[1] = 0x1000; args[2] = 0x400000 | 3;
	CHECK_EQ(sphb_hcall(m, 0x20, args, 3, rets, 0, &hret), 0);
	CHECK_EQ(hret, 0);
	/* a second group cannot join a v1 container */
	trace[0] = '\0';
	CHECK_EQ(sphb_machine_add(m, "vfio-pci,host=0001:02:00.0,bus=pci.0,addr=3,id=b"), -EBUSY);
	CHECK_LOG("one group per container");
	CHECK_LOG("pe-mode=per-group");
	CHECK_EQ(open_fds, 3);
	CHECK_EQ(state(1, LO), 0);	/* the first device is untouched */
	/* ... but gets its own container on a per-group PHB */
	CHECK_EQ(sphb_machine_add(m, "vfio-pci,host=0001:02:00.0,bus=g.0,addr=3,id=b"), 0);
	CHECK_EQ(open_fds, 6);
	CHECK_EQ(count(trace, "SPAPR_REGISTER_MEMORY"), 0);
	end_machine();
}

/* A failing VFIO_EEH_PE_OP (EIO, EINTR, ENODEV) answers QEMU's status
 * (QEMU 7.2 hw/ppc/spapr_pci_vfio.c, spapr_phb_vfio_eeh_*()): -1, except GET_STATE and CONFIGURE: -3; the
 * host's state is unchanged and the next call works. */
static void errno_mapping(void)
{
	static const int errs[] = { EIO, EINTR, ENODEV };
	struct { const char *what; int32_t (*fn)(uint32_t, uint32_t, uint32_t); uint32_t opt; int32_t st; } calls_[] = {
		{ "set-eeh-option 0", set_option, 0, -1 },
		{ "set-eeh-option 1", set_option, 1, -1 },
		{ "set-eeh-option 2", set_option, 2, -1 },
		{ "set-eeh-option 3", set_option, 3, -1 },
		{ "set-slot-reset 0", slot_reset, 0, -1 },
		{ "set-slot-reset 1", slot_reset, 1, -1 },
		{ "set-slot-reset 3", slot_reset, 3, -1 },
	};

	for (unsigned e = 0; e < 3; e++) {
		reset_kernel();
		m = machine(false);
		CHECK_EQ(sphb_machine_add(m, "vfio-pci,host=0001:01:00.0,bus=pci.0,addr=2"), 0);
		CHECK_EQ(sphb_machine_add(m, "vfio-pci,host=0001:02:00.0,bus=g.0,addr=3"), 0);
		fail_errno = errs[e];
		for (unsigned i = 0; i < sizeof(calls_) / sizeof(calls_[0]); i++) {
			uint32_t cfg = calls_[i].fn == set_option && calls_[i].opt == 1 ? 0x1000 : 1;
			int32_t st;
			fail_at = calls;
			st = calls_[i].fn(cfg, LO, calls_[i].opt);
			if (st != calls_[i].st) {
				fprintf(stderr, "shared %s errno %d: status %d, expected %d\n", calls_[i].what,
					errs[e], st, calls_[i].st);
				t_failures++;
			}
			CHECK_LOG("failed: errno");
			CHECK(!kgroup(5)->reset && !kgroup(5)->frozen_mmio);	/* nothing changed */
			fail_at = -1;
			CHECK_EQ(state(1, LO), 0);	/* and the next call works */
		}
		fail_at = calls;
		CHECK_EQ(state(1, LO), -1003);
		fail_at = calls;
		CHECK_EQ(configure(1, LO), -3);
		/* per-group: the state check comes first; either ioctl failing is -1 */
		for (int k = 0; k < 2; k++) {
			kgroup(6)->frozen_mmio = kgroup(6)->frozen_dma = true;
			fail_at = calls + k;
			CHECK_EQ(set_option(0x1800, LO + 1, 2), -1);
			fail_at = calls + k;
			CHECK_EQ(slot_reset(0x1800, LO + 1, 1), -1);
			CHECK(!kgroup(6)->reset);
			fail_at = -1;
			CHECK_EQ(state(0x1800, LO + 1), 2);
			CHECK_EQ(set_option(0x1800, LO + 1, 2), 0);
			CHECK_EQ(set_option(0x1800, LO + 1, 3), 0);
		}
		fail_at = calls;
		CHECK_EQ(state(0x1800, LO + 1), -1003);
		fail_at = calls;
		CHECK_EQ(configure(0x1800, LO + 1), -3);
		fail_at = -1;
		CHECK_EQ(state(0x1800, LO + 1), 0);
		end_machine();
	}
}

/* The host's EEH core loses the group's PE (the device went away on the
 * host, EEH disabled on the host...): -ENODEV from the kernel, -3/-1 to the
 * guest, nothing breaks, and it comes back when the PE does. A group whose
 * kernel stops answering EEH globally (ENABLE -> EIO) is -1. */
static void vanishing_group(void)
{
	reset_kernel();
	m = machine(false);
	CHECK_EQ(sphb_machine_add(m, "vfio-pci,host=0001:01:00.0,bus=pci.0,addr=2,id=a"), 0);
	CHECK_EQ(state(1, LO), 0);
	kgroup(5)->has_pe = false;
	CHECK_EQ(state(1, LO), -1003);
	CHECK_EQ(slot_reset(1, LO, 1), -1);
	CHECK_EQ(configure(1, LO), -3);
	CHECK_EQ(set_option(0x1000, LO, 1), -1);
	CHECK_LOG("errno 19");
	kgroup(5)->has_pe = true;
	CHECK_EQ(state(1, LO), 0);
	eeh_enabled = false;	/* EEH switched off on the host after the add */
	CHECK_EQ(set_option(0x1000, LO, 1), -1);
	CHECK_LOG("errno 5");
	/* the host device disappears under the open fds: config reads fail -> all-ones */
	{
		uint32_t v;
		fail_errno = ENODEV;
		fail_at = calls;
		CHECK_EQ(t_cfg_read(m, &h, T_BUID0, 0x1000, 4, &v), 0);
		CHECK_EQ(v, 0xffffffff);
		fail_at = calls;
		CHECK_EQ(t_cfg_write(m, &h, T_BUID0, 0x1004, 2, 0x6), 0);	/* dropped */
		CHECK_EQ(t_cfg_read(m, &h, T_BUID0, 0x1004, 2, &v), 0);
		CHECK_EQ(v, 0);
	}
	CHECK_EQ(sphb_machine_del(m, "a"), 0);
	CHECK_EQ(open_fds, 0);
	end_machine();
}

/* ibm,errinjct reaches VFIO_EEH_PE_INJECT_ERR with err.type/func/addr/mask */
static void inject_err(void)
{
	uint32_t a[3], r[2];
	const uint32_t wb = 0x200000;

	reset_kernel();
	m = machine(false);
	CHECK_EQ(sphb_machine_add(m, "vfio-pci,host=0001:01:00.0,bus=pci.0,addr=2"), 0);
	t_rtas_n(m, &h, (uint32_t)t_token("ibm,open-errinjct"), 0, 2, NULL, r);
	CHECK_EQ(r[1], 0);
	a[0] = 0xf;	/* ioa-bus-error-64 */
	a[1] = r[0];
	a[2] = wb;
	t_st32(&h, wb, 0x12);		/* addr 0x12_3456_7000 */
	t_st32(&h, wb + 4, 0x34567000);
	t_st32(&h, wb + 8, 0xffffffff);	/* mask */
	t_st32(&h, wb + 12, 0xfffff000);
	t_st32(&h, wb + 16, 0x1000);	/* cfg */
	t_st32(&h, wb + 20, HI);
	t_st32(&h, wb + 24, LO);
	t_st32(&h, wb + 28, 16);	/* DMA write address */
	trace[0] = '\0';
	t_rtas_n(m, &h, (uint32_t)t_token("ibm,errinjct"), 3, 1, a, r);
	CHECK_EQ(r[0], 0);
	CHECK_TRACE("EEH_PE_OP(9);");
	CHECK_EQ(last_pe.argsz, sizeof(struct vfio_eeh_pe_op));
	CHECK_EQ(last_pe.flags, 0);
	CHECK_EQ(last_pe.err.type, 1);
	CHECK_EQ(last_pe.err.func, 16);
	CHECK_EQ(last_pe.err.addr, 0x1234567000ull);
	CHECK_EQ(last_pe.err.mask, 0xfffffffffffff000ull);
	CHECK_EQ(state(1, LO), 2);
	/* the kernel refusing it (e.g. no platform support) is -1 */
	fail_errno = ENXIO;
	fail_at = calls;
	t_rtas_n(m, &h, (uint32_t)t_token("ibm,errinjct"), 3, 1, a, r);
	CHECK_EQ((int32_t)r[0], -1);
	end_machine();
}

/* Every RTAS call, the CPU-side entry points and the guest-recovery driver
 * against a pass-through device: no crash, sane answers. */
static void robustness(void)
{
	struct sphb_guest_opts go;
	struct sphb_guest_ops gops;
	struct sphb_guest *g = NULL;
	struct sphb_guest_result res;
	uint64_t val;

	reset_kernel();
	m = machine(false);
	CHECK_EQ(sphb_machine_add(m, "vfio-pci,host=0001:01:00.0,bus=pci.0,addr=2,id=p"), 0);
	CHECK_EQ(sphb_machine_add(m, "sim-pci,bus=pci.0,addr=4,id=emu"), 0);
	/* a simulated device may not claim the vfio-pci device's group */
	CHECK_EQ(sphb_machine_add(m, "sim-pci,bus=pci.0,addr=5,iommu-group=5"), -EEXIST);
	CHECK_LOG("vfio-pci");
	for (uint32_t tok = 0x2000; tok < 0x2040; tok++) {
		uint32_t nargs, nret, a[16], r[16];
		if (!sphb_rtas_name(tok) || sphb_rtas_counts(tok, &nargs, &nret))
			continue;
		for (unsigned i = 0; i < 16; i++)
			a[i] = 1;
		a[0] = 0x1000;
		a[1] = HI;
		a[2] = LO;
		if (nargs <= 16 && nret <= 16)
			(void)t_rtas_n(m, &h, tok, nargs, nret, a, r);
	}
	CHECK_EQ(sphb_dev_msi(m, "p", 0) < 0, 1);
	CHECK_EQ(sphb_dev_intx(m, "p", 1) <= 0, 1);
	CHECK_EQ(sphb_mmio_read(m, "p", 0, 0, 4, &val), 0);	/* through the device's region */
	CHECK_EQ(sphb_host_freeze(m, "p", NULL), -ENODEV);	/* the real host freezes it */
	CHECK_EQ(sphb_machine_reset(m), 0);

	/* the guest's recovery of a frozen pass-through device, end to end (the
	 * loop above may have left the PE in reset: only DEACTIVATE ends that) */
	CHECK_EQ(slot_reset(1, LO, 0), 0);
	CHECK_EQ(state(1, LO), 0);
	kgroup(5)->frozen_mmio = kgroup(5)->frozen_dma = true;
	memset(&go, 0, sizeof(go));
	go.sz = sizeof(go);
	go.scratch_gpa = 0x300000;
	memset(&gops, 0, sizeof(gops));
	gops.sz = sizeof(gops);
	gops.mem_read = t_mem_read;
	gops.mem_write = t_mem_write;
	CHECK_EQ(sphb_guest_new(m, &go, &gops, &h, &g), 0);
	memset(&res, 0, sizeof(res));
	res.sz = sizeof(res);
	trace[0] = '\0';
	CHECK_EQ(sphb_guest_recover(g, "p", &res), 0);
	if (res.outcome != SPHB_GUEST_RECOVERED)
		fprintf(stderr, "guest: %s\n", trace);
	CHECK_EQ(res.outcome, SPHB_GUEST_RECOVERED);
	CHECK(strstr(trace, "EEH_PE_OP(6);") && strstr(trace, "EEH_PE_OP(5);"));
	CHECK(!kgroup(5)->frozen_mmio && !kgroup(5)->reset);
	sphb_guest_free(g);
	end_machine();
}

/* The per-PHB mirror: one sPAPR TCE op applied to every container of a PHB. */
static void tce_mirror(void)
{
	struct sphb_phb *g;
	struct vfio_iommu_spapr_tce_create cr;
	struct vfio_iommu_spapr_tce_remove rm;
	struct vfio_iommu_type1_dma_map map;
	struct vfio_iommu_type1_dma_unmap unmap;
	unsigned n;

	reset_kernel();
	m = machine(true);
	CHECK_EQ(sphb_machine_add(m, "vfio-pci,host=0001:01:00.0,bus=g.0,addr=2"), 0);
	CHECK_EQ(sphb_machine_add(m, "vfio-pci,host=0001:02:00.0,bus=g.0,addr=3"), 0);
	g = m->phbs[1];
	memset(&cr, 0, sizeof(cr));
	cr.argsz = sizeof(cr);
	cr.page_shift = 16;
	cr.window_size = 1ull << 30;
	cr.levels = 1;
	trace[0] = '\0';
	CHECK_EQ(sphb_vfio_phb_tce_op(g, VFIO_IOMMU_SPAPR_TCE_CREATE, &cr, &n), 0);
	CHECK_EQ(n, 2);
	CHECK_TRACE("SPAPR_TCE_CREATE;SPAPR_TCE_CREATE;");
	CHECK_EQ(cr.start_addr, 1ull << 59);
	CHECK(fds[kgroup(5)->container].win[1] && fds[kgroup(6)->container].win[1]);
	memset(&map, 0, sizeof(map));
	map.argsz = sizeof(map);
	map.flags = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE;
	map.vaddr = (uint64_t)(uintptr_t)h.ram;
	map.iova = 1ull << 59;
	map.size = 0x20000;
	CHECK_EQ(sphb_vfio_phb_tce_op(g, VFIO_IOMMU_MAP_DMA, &map, &n), 0);
	CHECK_EQ(n_map, 2);
	map.iova = (1ull << 59) + 0x1000;	/* not 64K-aligned: the kernel refuses */
	CHECK_EQ(sphb_vfio_phb_tce_op(g, VFIO_IOMMU_MAP_DMA, &map, &n), -EINVAL);
	CHECK_EQ(n, 2);				/* every container was still tried */
	/* the second container failing: its errno, the first container done */
	fail_errno = EIO;
	fail_at = calls + 1;
	memset(&unmap, 0, sizeof(unmap));
	unmap.argsz = sizeof(unmap);
	unmap.iova = 1ull << 59;
	unmap.size = 0x20000;
	CHECK_EQ(sphb_vfio_phb_tce_op(g, VFIO_IOMMU_UNMAP_DMA, &unmap, &n), -EIO);
	CHECK_EQ(n_unmap, 1);
	CHECK_EQ(sphb_vfio_phb_tce_op(g, VFIO_IOMMU_UNMAP_DMA, &unmap, &n), 0);
	CHECK_EQ(n_unmap, 3);
	memset(&rm, 0, sizeof(rm));
	rm.argsz = sizeof(rm);
	rm.start_addr = 1ull << 59;
	CHECK_EQ(sphb_vfio_phb_tce_op(g, VFIO_IOMMU_SPAPR_TCE_REMOVE, &rm, &n), 0);
	CHECK_EQ(n_remove, 2);
	CHECK_EQ(sphb_vfio_phb_tce_op(g, VFIO_IOMMU_SPAPR_TCE_REMOVE, &rm, &n), -EINVAL);
	/* not a TCE op, or a bad argsz: refused without a call */
	trace[0] = '\0';
	CHECK_EQ(sphb_vfio_phb_tce_op(g, VFIO_EEH_PE_OP, &rm, &n), -EINVAL);
	rm.argsz = 4;
	CHECK_EQ(sphb_vfio_phb_tce_op(g, VFIO_IOMMU_SPAPR_TCE_REMOVE, &rm, &n), -EINVAL);
	CHECK_TRACE("");
	/* a PHB without containers: nothing to do */
	rm.argsz = sizeof(rm);
	CHECK_EQ(sphb_vfio_phb_tce_op(m->phbs[0], VFIO_IOMMU_SPAPR_TCE_REMOVE, &rm, &n), 0);
	CHECK_EQ(n, 0);
	end_machine();
}

/* TCE hypercalls become host mappings in every container of the PHB, coalesced */
static void dma_mapping(void)
{
	uint64_t args[4], rets[1];
	int64_t hret;
	uint32_t r[4];

	reset_kernel();
	m = machine(true);
	if (sphb_machine_add(m, "vfio-pci,host=0001:01:00.0,bus=g.0,addr=2") ||
	    sphb_machine_add(m, "vfio-pci,host=0001:02:00.0,bus=g.0,addr=3"))
		exit(1);
	/* 512 contiguous read-write pages in one H_PUT_TCE_INDIRECT: one MAP_DMA
	 * per container (2), where a per-entry policy (QEMU) issues 512 each */
	for (unsigned i = 0; i < 512; i++) {
		t_st32(&h, 0x200000 + 8 * i, 0);
		t_st32(&h, 0x200000 + 8 * i + 4, 0x400000u + 0x1000u * i + 3);
	}
	n_map = n_unmap = 0;
	args[0] = 0x80000100u; args[1] = 0; args[2] = 0x200000; args[3] = 512;
	CHECK_EQ(sphb_hcall(m, 0x13c, args, 4, rets, 0, &hret), 0);
	CHECK_EQ(hret, 0);
	CHECK_EQ(n_map, 2);
	CHECK_EQ(n_unmap, 0);
	/* a permission change and a gap split the run */
	t_st32(&h, 0x200000 + 8 * 100 + 4, 0x400000u + 0x1000u * 100 + 1);	/* read-only */
	t_st32(&h, 0x200000 + 8 * 300 + 4, 0x900000u + 3);			/* elsewhere */
	n_map = 0;
	CHECK_EQ(sphb_hcall(m, 0x13c, args, 4, rets, 0, &hret), 0);
	CHECK_EQ(n_map, 2 * 5);	/* [0,100) [100] [101,300) [300] [301,512) */
	/* clearing: one UNMAP_DMA per container */
	n_unmap = 0;
	args[0] = 0x80000100u; args[1] = 0; args[2] = 0; args[3] = 512;
	CHECK_EQ(sphb_hcall(m, 0x138, args, 4, rets, 0, &hret), 0);
	CHECK_EQ(n_unmap, 2);
	/* a TCE pointing outside guest RAM is never mapped on the host */
	n_map = n_unmap = 0;
	args[0] = 0x80000100u; args[1] = 0x1000; args[2] = 0x7000000000ull | 3;
	CHECK_EQ(sphb_hcall(m, 0x20, args, 3, rets, 0, &hret), 0);
	CHECK_EQ(n_map, 0);
	CHECK_EQ(n_unmap, 2);
	/* a dynamic window appears and goes away in every container */
	n_create = n_remove = 0;
	CHECK_EQ(rtas("ibm,get-config-addr-info2", 4, 2, 0x1000, LO + 1, 0, r), 0);
	{
		uint32_t a[5] = { 0x1000, HI, LO + 1, 16, 30 }, rr[4];
		t_rtas_n(m, &h, (uint32_t)t_token("ibm,create-pe-dma-window"), 5, 4, a, rr);
		CHECK_EQ(rr[0], 0);
		CHECK_EQ(rr[2], 0x08000000);	/* 1 << 59, where the host put it too */
		CHECK_EQ(n_create, 2);
		n_map = 0;
		args[0] = rr[1]; args[1] = 1ull << 59; args[2] = 0x400000 | 3;
		CHECK_EQ(sphb_hcall(m, 0x20, args, 3, rets, 0, &hret), 0);
		CHECK_EQ(n_map, 2);
		{
			uint32_t ra[1] = { rr[1] }, rs[1];
			t_rtas_n(m, &h, (uint32_t)t_token("ibm,remove-pe-dma-window"), 1, 1, ra, rs);
			CHECK_EQ(rs[0], 0);
		}
		CHECK_EQ(n_remove, 2);
	}
	end_machine();
}

/* A container created after the guest set up DMA (a function plugged
 * later; in per-group mode every group's own container) gets the PHB's
 * windows and every mapping in use, coalesced, in that container alone. */
static void late_container(void)
{
	uint64_t args[4], rets[1];
	int64_t hret;
	uint32_t r[4];
	int c5, c6;

	reset_kernel();
	m = machine(true);
	/* before any pass-through function: 512 contiguous pages, and one more
	 * page further on, in g's default window (no container yet) */
	for (unsigned i = 0; i < 512; i++) {
		t_st32(&h, 0x200000 + 8 * i, 0);
		t_st32(&h, 0x200000 + 8 * i + 4, 0x400000u + 0x1000u * i + 3);
	}
	args[0] = 0x80000100u; args[1] = 0x10000; args[2] = 0x200000; args[3] = 512;
	CHECK_EQ(sphb_hcall(m, 0x13c, args, 4, rets, 0, &hret), 0);
	CHECK_EQ(hret, 0);
	args[1] = 0x3000000; args[2] = 0x900000 | 1;
	CHECK_EQ(sphb_hcall(m, 0x20, args, 3, rets, 0, &hret), 0);
	CHECK_EQ(hret, 0);
	n_map = 0;
	trace[0] = '\0';
	CHECK_EQ(sphb_machine_add(m, "vfio-pci,host=0001:01:00.0,bus=g.0,addr=2"), 0);
	/* default window created where the guest has it, two runs mapped */
	CHECK(strstr(trace, "SPAPR_TCE_REMOVE;SPAPR_TCE_CREATE;MAP_DMA;MAP_DMA;GROUP_GET_DEVICE_FD") != NULL);
	CHECK_EQ(n_map, 2);
	c5 = kgroup(5)->container;
	CHECK(c5 >= 0 && fds[c5].win[0] && !fds[c5].win[1] && fds[c5].win_start[0] == 0);
	CHECK_EQ(fds[c5].mapped, 513 * 0x1000ull);
	/* a dynamic window with one 64 KiB page mapped, in c5 as usual */
	CHECK_EQ(rtas("ibm,get-config-addr-info2", 4, 2, 0x1000, LO + 1, 0, r), 0);
	{
		uint32_t a[5] = { 0x1000, HI, LO + 1, 16, 30 }, rr[4];
		t_rtas_n(m, &h, (uint32_t)t_token("ibm,create-pe-dma-window"), 5, 4, a, rr);
		CHECK_EQ(rr[0], 0);
		args[0] = rr[1]; args[1] = (1ull << 59) + 0x20000; args[2] = 0x800000 | 3;
		CHECK_EQ(sphb_hcall(m, 0x20, args, 3, rets, 0, &hret), 0);
		CHECK_EQ(hret, 0);
	}
	CHECK_EQ(fds[c5].mapped, 513 * 0x1000ull + 0x10000);
	/* another group joins g: its own container gets both windows and all
	 * three runs, and c5 is not touched */
	n_map = 0;
	trace[0] = '\0';
	CHECK_EQ(sphb_machine_add(m, "vfio-pci,host=0001:02:00.0,bus=g.0,addr=3,id=b"), 0);
	c6 = kgroup(6)->container;
	CHECK(c6 >= 0 && c6 != c5);
	CHECK(strstr(trace, "SPAPR_TCE_REMOVE;SPAPR_TCE_CREATE;MAP_DMA;MAP_DMA;SPAPR_TCE_CREATE;MAP_DMA;") != NULL);
	CHECK_EQ(n_map, 3);
	CHECK(fds[c6].win[0] && fds[c6].win[1] && fds[c6].win_start[1] == 1ull << 59 &&
	      fds[c6].win_shift[1] == 16);
	CHECK_EQ(fds[c6].mapped, fds[c5].mapped);
	/* the host cannot create a window: the add fails, says why, holds nothing */
	CHECK_EQ(sphb_machine_del(m, "b"), 0);
	CHECK_EQ(kgroup(6)->container, -1);
	{
		int before = open_fds;
		create_enospc = true;
		CHECK_EQ(sphb_machine_add(m, "vfio-pci,host=0001:02:00.0,bus=g.0,addr=3,id=b"), -ENOSPC);
		create_enospc = false;
		CHECK_LOG("cannot create the PHB's DMA window at 0x0");
		CHECK_EQ(open_fds, before);
		CHECK_EQ(kgroup(6)->container, -1);
	}
	end_machine();
}

/* Hosts that cannot do this: one distinct, actionable message each, a
 * negative errno, nothing held. */
static void failures(void)
{
	static const struct { const char *name, *host, *log; int rc; } cases[] = {
		{ "no /dev/vfio", "0001:01:00.0", "/dev/vfio/vfio does not exist", -ENOENT },
		{ "no access", "0001:01:00.0", "grant access to /dev/vfio", -EACCES },
		{ "x86", "0001:01:00.0", "the host IOMMU is not sPAPR TCE", -ENOTSUP },
		{ "not viable", "0001:03:00.0", "IOMMU group 7 is not viable", -EPERM },
		{ "group busy", "0001:01:00.0", "in use by another process", -EBUSY },
		{ "device busy", "0001:01:00.0", "the device is in use", -EBUSY },
		{ "not bound", "0001:04:00.0", "/dev/vfio/8 does not exist: bind", -ENOENT },
		{ "no such device", "0001:09:00.0", "no such PCI device on this host", -ENODEV },
		{ "not pci", "0001:01:00.0", "not a vfio-pci device", -ENODEV },
		{ "v2 locked memory", "0001:01:00.0", "guest RAM pre-registration failed", -ENOMEM },
		{ "v1 locked memory", "0001:01:00.0", "ulimit -l", -ENOMEM },
		{ "bad host=", "1:1:0.0", "expected DDDD:BB:DD.F", -EINVAL },
		{ "no host=", NULL, "host: missing", -EINVAL },
	};
	char seen[16][sizeof(h.last_log)];

	for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char spec[80];
		reset_kernel();
		switch (i) {
		case 0: no_dev_vfio = true; break;
		case 1: dev_vfio_eacces = true; break;
		case 2: spapr = false; break;
		case 4: kgroup(5)->busy = true; break;
		case 5: kgroup(5)->dev_busy = true; break;
		case 8: not_pci = true; break;
		case 9: lock_limit = true; break;
		case 10: lock_limit = v1_only = true; break;
		default: break;
		}
		m = machine(true);
		if (cases[i].host)
			snprintf(spec, sizeof(spec), "vfio-pci,host=%s,bus=pci.0,addr=2", cases[i].host);
		else
			snprintf(spec, sizeof(spec), "vfio-pci,bus=pci.0,addr=2");
		{
			int rc = sphb_machine_add(m, spec);
			if (rc != cases[i].rc) {
				fprintf(stderr, "%s: rc %d, expected %d\n", cases[i].name, rc, cases[i].rc);
				t_failures++;
			}
		}
		if (!strstr(h.last_log, cases[i].log) || h.last_level != SPHB_LOG_ERROR) {
			fprintf(stderr, "%s: log '%s' lacks '%s'\n", cases[i].name, h.last_log, cases[i].log);
			t_failures++;
		}
		memcpy(seen[i], h.last_log, sizeof(seen[i]));
		for (unsigned j = 0; j < i; j++)
			CHECK(strcmp(seen[i], seen[j]) != 0);	/* distinct */
		CHECK_EQ(open_fds, 0);
		CHECK(kgroup(5)->container < 0);
		/* EEH is unavailable, as in QEMU */
		CHECK_EQ(state(1, LO), -1003);
		end_machine();
	}
	/* no VFIO EEH on the host: the device works, a warning says why, and EEH
	 * answers -3 as QEMU does, without an ioctl */
	reset_kernel();
	eeh_enabled = false;
	m = machine(false);
	CHECK_EQ(sphb_machine_add(m, "vfio-pci,host=0001:01:00.0,bus=pci.0,addr=2"), 0);
	CHECK(h.nlogs == 1 && h.last_level == SPHB_LOG_WARN);
	CHECK_LOG("no VFIO EEH support");
	trace[0] = '\0';
	CHECK_EQ(state(1, LO), -1003);
	CHECK_EQ(slot_reset(1, LO, 1), -1);
	CHECK_EQ(configure(1, LO), -3);
	CHECK_TRACE("");
	{
		uint32_t v;
		CHECK_EQ(t_cfg_read(m, &h, T_BUID0, 0x1000, 4, &v), 0);
		CHECK_EQ(v, 0x0ace1014);
	}
	end_machine();
	/* a group cannot span PHBs */
	reset_kernel();
	m = machine(false);
	CHECK_EQ(sphb_machine_add(m, "vfio-pci,host=0001:01:00.0,bus=pci.0,addr=2"), 0);
	CHECK_EQ(sphb_machine_add(m, "vfio-pci,host=0001:01:00.1,bus=g.0,addr=2"), -EINVAL);
	CHECK_LOG("cannot span PHBs");
	CHECK_EQ(open_fds, 3);
	end_machine();
}

/* One scenario for fault injection: set up (no fault), then the operation
 * under test. Returns the operation's result. */
typedef int scenario_fn(bool setup);

static int sc_first_v2(bool setup)
{
	return setup ? 0 : sphb_machine_add(m, "vfio-pci,host=0001:01:00.0,bus=pci.0,addr=2,id=d");
}
static int sc_first_v1(bool setup)
{
	v1_only = true;
	return setup ? 0 : sphb_machine_add(m, "vfio-pci,host=0001:01:00.0,bus=pci.0,addr=2,id=d");
}
static int sc_same_group(bool setup)
{
	return setup ? sphb_machine_add(m, "vfio-pci,host=0001:01:00.0,bus=pci.0,addr=2")
		     : sphb_machine_add(m, "vfio-pci,host=0001:01:00.1,bus=pci.0,addr=2.1,id=d");
}
static int sc_shared_second_group(bool setup)
{
	return setup ? sphb_machine_add(m, "vfio-pci,host=0001:01:00.0,bus=pci.0,addr=2")
		     : sphb_machine_add(m, "vfio-pci,host=0001:02:00.0,bus=pci.0,addr=3,id=d");
}
static int sc_pergroup_second(bool setup)
{
	return setup ? sphb_machine_add(m, "vfio-pci,host=0001:01:00.0,bus=g.0,addr=2")
		     : sphb_machine_add(m, "vfio-pci,host=0001:02:00.0,bus=g.0,addr=3,id=d");
}

/* Fail the k-th system call of the operation, for every k and several
 * errnos: the add fails cleanly (or succeeds when the call was not fatal),
 * no fd leaks, the machine still works, and the same add then succeeds. */
static void fault_injection(void)
{
	static scenario_fn *const sc[] = { sc_first_v2, sc_first_v1, sc_same_group,
					   sc_shared_second_group, sc_pergroup_second };
	static const int errs[] = { EIO, EINTR, ENODEV, EBUSY };
	unsigned total = 0;

	for (unsigned s = 0; s < sizeof(sc) / sizeof(sc[0]); s++) {
		int before, ncalls, base;

		/* the length of the operation's call sequence, without faults */
		reset_kernel();
		m = machine(true);
		CHECK_EQ(sc[s](true), 0);
		base = calls;
		CHECK_EQ(sc[s](false), 0);
		ncalls = calls - base;
		CHECK(ncalls >= 4);
		end_machine();
		for (unsigned e = 0; e < sizeof(errs) / sizeof(errs[0]); e++) {
			for (int k = 0; k < ncalls; k++) {
				int rc;
				reset_kernel();
				m = machine(true);
				CHECK_EQ(sc[s](true), 0);
				before = open_fds;
				fail_at = calls + k;
				fail_errno = errs[e];
				rc = sc[s](false);
				fail_at = -1;
				total++;
				if (rc == 0) {
					/* the failed call was not fatal (CHECK_EXTENSION(EEH)) */
					CHECK_EQ(sphb_machine_del(m, "d"), 0);
				} else {
					CHECK(rc < 0);
					CHECK(h.nlogs > 0);
				}
				if (open_fds != before) {
					fprintf(stderr, "scenario %u errno %d call %d: %d fds, expected %d\n",
						s, errs[e], k, open_fds, before);
					t_failures++;
				}
				CHECK_EQ(sc[s](false), 0);
				CHECK_EQ(sphb_machine_del(m, "d"), 0);
				CHECK_EQ(open_fds, before);
				end_machine();
			}
		}
	}
	fprintf(stderr, "fault injection: %u failing adds, no fd leaked\n", total);

	/* a guest EEH cycle with every ioctl failing in turn: statuses are
	 * success or QEMU's failure codes, and the next cycle works */
	for (int k = 0; k < 12; k++) {
		static const int ok_or[][2] = { { 0, -1 }, { 2, -1003 }, { 0, -1 }, { 0, -1 },
						 { 0, -1 }, { 0, -3 }, { 0, -1003 } };
		int got[7];
		reset_kernel();
		m = machine(false);
		CHECK_EQ(sphb_machine_add(m, "vfio-pci,host=0001:01:00.0,bus=pci.0,addr=2"), 0);
		kgroup(5)->frozen_mmio = kgroup(5)->frozen_dma = true;
		fail_at = calls + k;
		got[0] = set_option(0x1000, LO, 1);
		kgroup(5)->frozen_mmio = kgroup(5)->frozen_dma = true;	/* ENABLE thawed it */
		got[1] = state(1, LO);
		got[2] = set_option(1, LO, 2);
		got[3] = slot_reset(1, LO, 1);
		got[4] = slot_reset(1, LO, 0);
		got[5] = configure(1, LO);
		got[6] = state(1, LO);
		for (int i = 0; i < 7; i++)
			if (got[i] != ok_or[i][0] && got[i] != ok_or[i][1] &&
			    !(i == 6 && (got[i] == 1 || got[i] == 2))) {
				fprintf(stderr, "cycle fault %d: call %d answered %d\n", k, i, got[i]);
				t_failures++;
			}
		fail_at = -1;
		CHECK_EQ(slot_reset(1, LO, 1), 0);
		CHECK_EQ(slot_reset(1, LO, 0), 0);
		CHECK_EQ(state(1, LO), 0);
		end_machine();
	}
}

/* Save/restore (docs/migration.md) refuses a machine with a pass-through
 * function: its state is in the host device. Nothing reaches the kernel. */
static void migration_refused(void)
{
	struct t_host h2;
	struct sphb_machine *plain = t_machine(&h2, "spapr-pci-host-bridge,index=1,id=g,pe-mode=per-group",
					       "sim-pci,addr=3,id=s", NULL);
	uint8_t buf[16384];
	size_t need = 1, n = 0;

	reset_kernel();
	m = machine(false);
	CHECK_EQ(sphb_machine_add(m, "sim-pci,addr=3,id=s"), 0);
	CHECK_EQ(sphb_machine_add(m, "vfio-pci,host=0001:01:00.0,bus=pci.0,addr=2,id=nic"), 0);
	trace[0] = '\0';
	CHECK_EQ(sphb_machine_save(m, NULL, 0, &need), -ENOTSUP);
	CHECK_EQ(need, 0);
	CHECK_LOG("save: vfio-pci device 'nic'");
	CHECK_EQ(sphb_machine_save(plain, buf, sizeof(buf), &n), 0);
	CHECK_EQ(sphb_machine_load(m, buf, n), -ENOTSUP);
	CHECK_LOG("load: vfio-pci device 'nic': a pass-through function's state lives in the host device");
	CHECK_TRACE("");
	/* unplugged, the machine migrates */
	CHECK_EQ(sphb_machine_del(m, "nic"), 0);
	CHECK_EQ(sphb_machine_load(m, buf, n), 0);
	CHECK_EQ(sphb_machine_save(m, NULL, 0, &need), -ENOSPC);
	CHECK_EQ(need, n);
	end_machine();
	t_free(plain, &h2);
}

int main(void)
{
	sphb_vfio_set_sys(&fake);
	migration_refused();
	shared_mode();
	per_group_mode();
	old_host_ops();
	v1_fallback();
	errno_mapping();
	vanishing_group();
	inject_err();
	robustness();
	tce_mirror();
	dma_mapping();
	late_container();
	failures();
	fault_injection();
	sphb_vfio_set_sys(NULL);
	return t_result();
}
#endif
