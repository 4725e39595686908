/* Save/restore (docs/migration.md).
 *  - property: random states on machine A (TCE puts/stuffs/indirects, DDW
 *    create/remove/reset, MSI allocations, LSIs, EEH freezes/resets/
 *    permanent failures, host busy/failure injection, errinjct sessions,
 *    config and BAR writes, unplug), saved and loaded into a machine B built
 *    from the same description in another order (sometimes dirtied first by
 *    other random operations): every observable answer is compared, then both
 *    run the same random operations in lockstep, answer for answer, and B's
 *    save equals A's byte for byte;
 *  - corruption: every single-byte flip and every truncation fails and leaves
 *    the target unchanged; flips with the checksum recomputed either fail
 *    (target unchanged) or are a canonical valid stream;
 *  - targeted invalid fields (one per validation rule) name the field;
 *  - another description is refused naming the field; format details (the
 *    documented byte layout, CRC-32, size query, optional sections).
 * The test reads the stream with its own parser written from
 * docs/migration.md, and uses the library's internals only to find the DMA
 * windows in place (to choose addresses), never to build expectations. */
#include <stdbool.h>
#include <unistd.h>

#include "state_ops.h"
#include "stream.h"

static const char *const phb_desc[] = {
	"spapr-pci-host-bridge,index=1,id=g,pe-mode=per-group,error-log=on",
	"spapr-pci-host-bridge,index=2,id=s,error-log=on,dma_win_size=0x8000000,pgsz=0x11000",
	"spapr-pci-host-bridge,index=3,id=n,ddw=off",
};
static const char *const dev_desc[] = {
	"sim-pci,addr=2,id=a,iommu-group=1,pcie=on,msi=4,msix=8,bar0=mem64:64K",
	"sim-pci,addr=3,id=b,msi=2,bar2=io:256,rom=4096",
	"sim-pci,bus=g.0,addr=2,id=c,iommu-group=2,pcie=on,msix=16",
	"sim-pci,bus=g.0,addr=3.0,id=d,iommu-group=3,multifunction=on,msi=8",
	"sim-pci,bus=g.0,addr=3.1,id=e,iommu-group=3,bar1=mem32:4K,msix=2",
	"sim-pci,bus=s.0,addr=1,id=f,iommu-group=4,msix=4,bar4=mem32pref:8K",
	"sim-pci,bus=n.0,addr=5,id=x,msi=1",
};
#define UNPLUG_DESC "sim-pci,bus=g.0,addr=4,id=u,iommu-group=7,msi=2"

/* Cloned functions (sim-pci,config=FILE): QEMU's nvme (MSI-X, PM, PCIe), and
 * a function with power management (D2 but not D1) and per-vector-maskable
 * MSI, whose Pending bits the function sets. */
static const char clone_dump[] =
	"00:04.0 Ethernet controller: Example Corp. Device 4321 (rev 02)\n"
	"\tRegion 0: Memory at fe000000 (32-bit, non-prefetchable) [size=4K]\n"
	"\n"
	"00: 34 12 21 43 00 00 10 00 02 00 00 02 00 00 00 00\n"
	"10: 00 00 00 fe 00 00 00 00 00 00 00 00 00 00 00 00\n"
	"20: 00 00 00 00 00 00 00 00 00 00 00 00 34 12 02 00\n"
	"30: 00 00 00 00 40 00 00 00 00 00 00 00 00 01 00 00\n"
	"40: 01 50 03 04 00 00 00 00 00 00 00 00 00 00 00 00\n"
	"50: 05 00 86 01 00 00 00 00 00 00 00 00 00 00 00 00\n"
	"60: 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00\n"
	"70: 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00\n";
static char clone_k[512], clone_v[512], clone_path[300];

static void clones_prepare(void)
{
	const char *top = getenv("SPHB_TOP");
	char dir[] = "/tmp/sphb-migrate-XXXXXX";
	FILE *f;

	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		exit(1);
	}
	snprintf(clone_path, sizeof(clone_path), "%s/pm-msi.lspci", dir);
	f = fopen(clone_path, "w");
	if (!f || fputs(clone_dump, f) < 0 || fclose(f)) {
		perror(clone_path);
		exit(1);
	}
	snprintf(clone_k, sizeof(clone_k), "sim-pci,bus=s.0,addr=3,id=k,iommu-group=4,config=%s", clone_path);
	snprintf(clone_v, sizeof(clone_v),
		 "sim-pci,bus=g.0,addr=5,id=v,iommu-group=6,config=%s/tests/conformance/traces/dumps/nvme.lspci",
		 top ? top : ".");
}

static void clones_remove(void)
{
	char *slash = strrchr(clone_path, '/');

	remove(clone_path);
	if (slash) {
		*slash = '\0';
		rmdir(clone_path);
	}
}

/* The compact machine of the corruption tests (a small stream). */
static const char *const small_desc[] = {
	"spapr-pci-host-bridge,index=1,id=g,pe-mode=per-group",
	"sim-pci,addr=2,id=a,iommu-group=1,msi=4,msix=4",
	"sim-pci,addr=3,id=b",
	"sim-pci,bus=g.0,addr=2,id=c,iommu-group=2,msi=2",
	"sim-pci,bus=g.0,addr=3.0,id=d,iommu-group=3,multifunction=on",
	"sim-pci,bus=g.0,addr=3.1,id=e,iommu-group=3,bar1=mem32:64",
	NULL,
};


/* The property tests' machine; `order` shuffles the description (PHBs
 * first, then the devices), `with_u` adds the device that gets unplugged. */
static struct sphb_machine *build(struct mh *H, uint64_t order, bool with_u)
{
	struct sphb_machine *m = new_machine(H);
	const char *d[ARRAY_SIZE(dev_desc) + 3];
	unsigned n = 0, p[ARRAY_SIZE(phb_desc)];

	for (unsigned i = 0; i < ARRAY_SIZE(phb_desc); i++)
		p[i] = i;
	for (unsigned i = 0; i < ARRAY_SIZE(dev_desc); i++)
		d[n++] = dev_desc[i];
	d[n++] = clone_k;
	d[n++] = clone_v;
	if (with_u)
		d[n++] = UNPLUG_DESC;
	if (order) {
		for (unsigned i = ARRAY_SIZE(p) - 1; i > 0; i--) {
			unsigned j = rn(&order, i + 1), t = p[i];
			p[i] = p[j];
			p[j] = t;
		}
		for (unsigned i = n - 1; i > 0; i--) {
			unsigned j = rn(&order, i + 1);
			const char *t = d[i];
			d[i] = d[j];
			d[j] = t;
		}
	}
	for (unsigned i = 0; i < ARRAY_SIZE(p); i++)
		add(m, H, phb_desc[p[i]]);
	for (unsigned i = 0; i < n; i++)
		add(m, H, d[i]);
	return m;
}


/* ---- every observable answer of two machines ---- */

static unsigned mism;

#define SAME(what, x, y) do { \
	uint64_t _x = (uint64_t)(x), _y = (uint64_t)(y); \
	if (_x != _y) { \
		if (mism++ < 10) \
			fprintf(stderr, "%s:%d: %s differs: A 0x%llx, B 0x%llx\n", __FILE__, __LINE__, \
				what, (unsigned long long)_x, (unsigned long long)_y); \
	} \
} while (0)

static void compare(struct sphb_machine *A, struct mh *HA, struct sphb_machine *B, struct mh *HB,
		    uint64_t seed)
{
	uint64_t s = seed | 1;
	uint32_t a[8], ra[8], rb[8];

	SAME("clock", sphb_clock_ms(A), sphb_clock_ms(B));
	for (unsigned i = 0; i < ARRAY_SIZE(HA->lsi); i++)
		SAME("LSI level", HA->lsi[i], HB->lsi[i]);
	/* H_GET_TCE over every used entry and samples of every window */
	for (unsigned idx = 0; idx < 4; idx++) {
		for (unsigned w = 0; w < 2; w++) {
			struct win W = win_of(A, idx, w), WB = win_of(B, idx, w);
			struct sphb_tce_table *t = W.ok ? atomic_load(&A->phbs[idx]->win[w]) : NULL;
			uint64_t i = 0;

			SAME("window exists", W.ok, WB.ok);
			SAME("window offset", W.off, WB.off);
			SAME("window size", W.nb, WB.nb);
			SAME("window shift", W.shift, WB.shift);
			while (t && (i = sphb_tce_next_used(t, i)) < W.nb) {
				uint64_t end = sphb_tce_used_end(t, i);
				for (; i < end; i++) {
					uint64_t ioba = W.off + (i << W.shift);
					SAME("H_GET_TCE", hcall(A, 0x1c, W.liobn, ioba, 0, 0),
					     hcall(B, 0x1c, W.liobn, ioba, 0, 0));
				}
			}
			for (unsigned k = 0; k < 64; k++) {
				uint64_t ioba = W.off + (pick_index(&W, &s) << W.shift);
				uint64_t ga = 0, gb = 0;
				unsigned pa = 0, pb = 0;
				const char *id = dev_ids[rn(&s, ARRAY_SIZE(dev_ids))];
				uint64_t buid;
				uint32_t cfg;

				SAME("H_GET_TCE sample", hcall(A, 0x1c, W.liobn, ioba, 0, 0),
				     hcall(B, 0x1c, W.liobn, ioba, 0, 0));
				dev_addr(A, id, &buid, &cfg);
				ioba += rn(&s, 1u << 12);
				SAME("translate rc", sphb_dma_translate(A, buid_of(idx), cfg, ioba, &ga, &pa),
				     sphb_dma_translate(B, buid_of(idx), cfg, ioba, &gb, &pb));
				SAME("translate gpa", ga, gb);
				SAME("translate perm", pa, pb);
			}
		}
		a[0] = 0; a[1] = (uint32_t)(buid_of(idx) >> 32); a[2] = (uint32_t)buid_of(idx);
		SAME("query-pe-dma-window", rtas(A, HA, "ibm,query-pe-dma-window", 3, 6, a, NULL),
		     rtas(B, HB, "ibm,query-pe-dma-window", 3, 6, a, NULL));
	}
	for (unsigned k = 0; k < ARRAY_SIZE(dev_ids); k++) {
		const char *id = dev_ids[k], *na = "", *nb = "";
		uint64_t buid;
		uint32_t cfg;

		dev_addr(A, id, &buid, &cfg);
		a[0] = cfg; a[1] = (uint32_t)(buid >> 32); a[2] = (uint32_t)buid;
		SAME("read-slot-reset-state2", rtas(A, HA, "ibm,read-slot-reset-state2", 3, 5, a, NULL),
		     rtas(B, HB, "ibm,read-slot-reset-state2", 3, 5, a, NULL));
		for (uint32_t f = 0; f < 2; f++) {
			a[3] = f;
			SAME("get-config-addr-info2", rtas(A, HA, "ibm,get-config-addr-info2", 4, 2, a, NULL),
			     rtas(B, HB, "ibm,get-config-addr-info2", 4, 2, a, NULL));
		}
		a[3] = 0; a[4] = 0; a[5] = 7;
		SAME("change-msi query", rtas(A, HA, "ibm,change-msi", 6, 4, a, NULL),
		     rtas(B, HB, "ibm,change-msi", 6, 4, a, NULL));
		for (uint32_t v = 0; v < 20; v++) {
			a[3] = v;
			SAME("query-interrupt-source-number",
			     rtas(A, HA, "ibm,query-interrupt-source-number", 4, 3, a, NULL),
			     rtas(B, HB, "ibm,query-interrupt-source-number", 4, 3, a, NULL));
		}
		/* the error log of function 1 changes nothing; both buffers equal */
		a[3] = DRV_GPA; a[4] = 16; a[5] = LOG_GPA; a[6] = 2048; a[7] = 1;
		memset(HA->h.ram + LOG_GPA, 0, 2048);
		memset(HB->h.ram + LOG_GPA, 0, 2048);
		SAME("slot-error-detail", rtas(A, HA, "ibm,slot-error-detail", 8, 1, a, NULL),
		     rtas(B, HB, "ibm,slot-error-detail", 8, 1, a, NULL));
		SAME("error log bytes", memcmp(HA->h.ram + LOG_GPA, HB->h.ram + LOG_GPA, 2048), 0);
		SAME("host state rc", sphb_host_state(A, id, &na), sphb_host_state(B, id, &nb));
		SAME("host state", strcmp(na ? na : "", nb ? nb : ""), 0);
		/* every dword of the first 256 bytes, samples of the extended space */
		for (uint32_t off = 0; off < 4096; off += off < 256 ? 4 : 4 * (1 + rn(&s, 64))) {
			uint32_t c = cfg | (off & 0xff) | (off & 0xf00) << 20;
			int32_t sa = t_cfg_read(A, &HA->h, buid, c, 4, ra), sb = t_cfg_read(B, &HB->h, buid, c, 4, rb);
			SAME("config read status", sa, sb);
			SAME("config read", ra[0], rb[0]);
		}
	}
}

/* ---- the property test ---- */

/* what the saved states held, read from the stream (docs/migration.md) */
struct stats {
	unsigned ddw, tces, msi, frozen, reset, permanent, busy, ej_open, intx, chunks, empty_groups;
	unsigned pm_low, msi_pending;	/* the clone 'k': D2/D3, MSI Pending bits set */
};


static void stats(const uint8_t *p, size_t n, struct stats *st)
{
	struct sec sv[64];
	bool whole;
	unsigned ns = sections(p, n, sv, 64, &whole);
	uint64_t now = le(sv[0].body, 8);

	CHECK(whole);

	st->ej_open += sv[0].body[8];
	for (unsigned i = 0; i < ns; i++) {
		const uint8_t *b = sv[i].body;
		size_t o;

		switch (sv[i].type) {
		case 2:
			o = phb_state(&sv[i]);
			st->permanent += b[o];
			for (uint64_t k = 0; k < le(b + o + 1, 4); k++)
				st->permanent += b[o + 5 + 9 * k + 8];
			st->msi += (unsigned)le(b + phb_msi(&sv[i]) - 4, 4);
			break;
		case 3:
			st->ddw += !b[5];
			o = 35;
			for (uint64_t k = le(b + 27, 8); k; k--) {
				uint32_t c = (uint32_t)le(b + o + 8, 4);
				st->tces += c;
				o += 12 + 8ull * c;
			}
			break;
		case 4:
			st->intx += b[dev_intx(&sv[i])];
			if (b[5] == 1 && b[6] == 'k') {
				st->pm_low += (b[dev_cfg(&sv[i]) + 0x44] & 3) != 0;
				st->msi_pending += le(b + dev_cfg(&sv[i]) + 0x64, 4) != 0;
			}
			o = dev_cfg(&sv[i]) + le(b + dev_fixed(&sv[i]) + 10, 4);
			for (unsigned bar = 0; bar < 7; bar++) {
				uint32_t c = (uint32_t)le(b + o, 4), csz = 256;
				uint64_t size = le(b + dev_fixed(&sv[i]) + 31 + 9 * bar + 1, 8);
				if (size < csz)
					csz = (uint32_t)size;
				st->chunks += c;
				o += 4 + (size_t)c * (4 + csz);
			}
			CHECK_EQ(o, sv[i].len);
			break;
		case 5:
			st->frozen += b[8] || b[9];
			st->reset += b[10];
			st->busy += le(b + 12, 8) > now;
			st->empty_groups += !le(b + 4, 4);
			break;
		}
	}
}

static unsigned env_count(const char *name, unsigned dflt)
{
	const char *v = getenv(name);
	return v && atoi(v) > 0 ? (unsigned)atoi(v) : dflt;
}


/* The clone 'k' with an MSI Pending bit set (MSI on, its vector masked, a
 * message sent) and then in D3hot: the random walk reaches these states too
 * rarely for every run of the property test to save one. */
static void clone_k_low_power(struct sphb_machine *m, struct mh *H)
{
	struct sphb_func *d = sphb_func_find(m, "k");
	uint64_t buid;
	uint32_t cfg;
	unsigned mo;

	if (!d || !d->msi_cap || !d->pm_cap)
		return;
	dev_addr(m, "k", &buid, &cfg);
	mo = d->msi_cap + ((sphb_func_cfg_read(d, d->msi_cap + 2u, 2) & 0x80) ? 0x10u : 0xcu);
	(void)t_cfg_write(m, &H->h, buid, cfg | (d->msi_cap + 2u), 2, 1);
	(void)t_cfg_write(m, &H->h, buid, cfg | mo, 4, 0xffffffffu);
	(void)sphb_dev_msi(m, "k", 0);
	(void)t_cfg_write(m, &H->h, buid, cfg | (d->pm_cap + 4u), 2, 3);
}
static void property(void)
{
	unsigned seeds = env_count("SPHB_MIGRATE_SEEDS", 48), loaded = 0, dirty = 0, unplugged = 0;
	uint64_t bytes = 0;
	struct stats st;

	memset(&st, 0, sizeof(st));

	for (unsigned seed = 1; seed <= seeds; seed++) {
		struct mh HA, HB;
		uint64_t s = 0x9e3779b97f4a7c15ull * seed, sl;
		bool unplug = seed % 4 == 0;
		unsigned nops = 50 + rn(&s, 300), at_unplug = rn(&s, nops);
		struct sphb_machine *A = build(&HA, 0, true), *B;
		uint8_t *sa;
		size_t la;
		int rc;

		for (unsigned i = 0; i < nops; i++) {
			if (unplug && i == at_unplug)
				CHECK_EQ(sphb_machine_del(A, "u"), 0);
			(void)step(A, &HA, &s);
		}
		if (seed % 3 == 0) /* states the random walk reaches rarely */
			clone_k_low_power(A, &HA);
		sa = save(A, &la);
		bytes += la;
		stats(sa, la, &st);
		B = build(&HB, s | 1, !unplug);
		if (seed % 2) { /* B had a life of its own before the load */
			uint64_t s2 = s ^ 0xabcdef;
			for (unsigned i = 0; i < 100; i++)
				(void)step(B, &HB, &s2);
			dirty++;
		}
		unplugged += unplug;
		memcpy(HB.h.ram, HA.h.ram, HA.h.ram_size); /* guest RAM migrates separately */
		HB.ej_token = HA.ej_token;		    /* so does the guest's memory of it */
		rc = sphb_machine_load(B, sa, la);
		CHECK_EQ(rc, 0);
		if (rc) {
			fprintf(stderr, "seed %u: load failed: %s\n", seed, HB.last_error);
		} else {
			loaded++;
			mism = 0;
			CHECK(same_save(B, sa, la));
			compare(A, &HA, B, &HB, s);
			/* the same operations from here give the same answers */
			sl = s;
			for (unsigned i = 0; i < 150; i++) {
				uint64_t s1 = sl, s2 = sl;
				uint64_t da = step(A, &HA, &s1), db = step(B, &HB, &s2);
				SAME("lockstep answer", da, db);
				CHECK_EQ(s1, s2);
				sl = s1;
			}
			compare(A, &HA, B, &HB, sl);
			free(sa);
			sa = save(A, &la);
			CHECK(same_save(B, sa, la));
			if (mism)
				fprintf(stderr, "seed %u: %u observable differences\n", seed, mism);
			CHECK_EQ(mism, 0);
		}
		free(sa);
		free_machine(A, &HA);
		free_machine(B, &HB);
	}
	printf("property: %u seeds, %u loaded (%u into dirtied machines, %u after an unplug), %llu stream bytes\n",
	       seeds, loaded, dirty, unplugged, (unsigned long long)bytes);
	printf("property: the states held %u DDWs, %u TCEs in use, %u MSI allocations, %u frozen PEs, %u held resets, %u permanent PEs, %u busy hosts, %u open errinjct sessions, %u asserted INTx, %u BAR chunks, %u groups without functions, %u clones in D2/D3, %u with MSI Pending bits\n",
	       st.ddw, st.tces, st.msi, st.frozen, st.reset, st.permanent, st.busy, st.ej_open, st.intx,
	       st.chunks, st.empty_groups, st.pm_low, st.msi_pending);
	if (seeds >= 48) /* the default run reaches every kind of state */
		CHECK(st.ddw && st.tces && st.msi && st.frozen && st.reset && st.permanent && st.busy &&
		      st.ej_open && st.intx && st.chunks && st.empty_groups && st.pm_low && st.msi_pending);
}


/* ---- a deterministic state with something in every section ---- */

static void rich_state(struct sphb_machine *m, struct mh *H, bool small)
{
	uint64_t g = buid_of(1);
	uint32_t a[8], r[8];

	/* TCEs in the default window of PHB 0: runs with gaps, across leaves */
	for (uint64_t i = 0; i < 10; i++)
		(void)hcall(m, 0x20, 0x80000000u, i << 12, 0x1000 * (i + 1) | 3, 0);
	(void)hcall(m, 0x138, 0x80000000u, 510ull << 12, 0x5000 | 1, 5);
	(void)hcall(m, 0x20, 0x80000000u, 2000ull << 12, 0x77000 | 2, 0);
	/* a DDW on PHB g (64 KiB pages, 1 GiB) with a few TCEs */
	a[0] = 2u << 11; a[1] = (uint32_t)(g >> 32); a[2] = (uint32_t)g; a[3] = 16; a[4] = 30;
	(void)rtas(m, H, "ibm,create-pe-dma-window", 5, 4, a, r);
	CHECK_EQ(r[0], 0);
	(void)hcall(m, 0x20, r[1], ((uint64_t)r[2] << 32 | r[3]) + (3ull << 16), 0xabc0000 | 3, 0);
	(void)hcall(m, 0x20, r[1], ((uint64_t)r[2] << 32 | r[3]) + (4ull << 16), 0xabd0000 | 1, 0);
	/* MSIs: 4 MSI vectors for a, 2 MSI vectors for c */
	a[0] = 2u << 11; a[1] = (uint32_t)(T_BUID0 >> 32); a[2] = (uint32_t)T_BUID0; a[3] = 3; a[4] = 4;
	a[5] = 0;
	(void)rtas(m, H, "ibm,change-msi", 6, 4, a, r);
	CHECK_EQ(r[0], 0);
	a[0] = 2u << 11; a[1] = (uint32_t)(g >> 32); a[2] = (uint32_t)g; a[3] = small ? 3 : 4; a[4] = 2;
	(void)rtas(m, H, "ibm,change-msi", 6, 4, a, r);
	CHECK_EQ(r[0], 0);
	/* b drives INTx (enabled) */
	CHECK_EQ(sphb_dev_intx(m, "b", 1), 0);
	/* e's BAR1 holds data (memory decoding on) */
	CHECK_EQ(t_cfg_write(m, &H->h, g, 3u << 11 | 1u << 8 | 4, 2, 0x0002), 0);
	CHECK_EQ(sphb_mmio_write(m, "e", 1, 8, 4, 0x12345678), 0);
	/* group 3 (d, e) frozen by the host, an error injected into group 2 (c) */
	CHECK_EQ(sphb_host_freeze(m, "d", NULL), 0);
	CHECK_EQ(sphb_host_busy(m, "c", 4000), 0);
	CHECK_EQ(sphb_clock_advance(m, 1500), 0);
	/* a's PE (shared, PHB 0) has its reset held */
	a[0] = 2u << 11; a[1] = (uint32_t)(T_BUID0 >> 32); a[2] = (uint32_t)T_BUID0; a[3] = 1;
	(void)rtas(m, H, "ibm,set-slot-reset", 4, 1, a, r);
	CHECK_EQ(r[0], 0);
	/* errinjct session open; c's PE permanently failed (function 2) */
	(void)rtas(m, H, "ibm,open-errinjct", 0, 2, a, r);
	CHECK_EQ(r[1], 0);
	H->ej_token = r[0];
	a[0] = 2u << 11; a[1] = (uint32_t)(g >> 32); a[2] = (uint32_t)g; a[3] = 0; a[4] = 0;
	a[5] = LOG_GPA; a[6] = 1024; a[7] = 2;
	(void)rtas(m, H, "ibm,slot-error-detail", 8, 1, a, r);
	CHECK_EQ(r[0], 0);
	/* a host failure armed for group 3 */
	CHECK_EQ(sphb_host_fail(m, "d", 5, 2), 0);
}

/* ---- corruption ---- */

static void corruption(void)
{
	struct mh HA, HB;
	struct sphb_machine *A = build_list(&HA, small_desc), *B = build_list(&HB, small_desc);
	uint8_t *s, *sb, *x;
	size_t n, nb;
	unsigned flips = 0, fixed_refused = 0, fixed_accepted = 0, truncs = 0, ns;
	struct sec sv[64];
	uint64_t seed = 7;

	rich_state(A, &HA, true);
	s = save(A, &n);
	/* B has another state; every failed load must leave it as it is */
	for (unsigned i = 0; i < 200; i++)
		(void)step(B, &HB, &seed);
	sb = save(B, &nb);
	x = malloc(n);
	if (!x)
		exit(1);
	ns = sections(s, n, sv, 64, NULL);
	/* every single-byte flip (two patterns per byte) */
	for (size_t i = 0; i < n; i++) {
		for (unsigned pat = 0; pat < 2; pat++) {
			unsigned e0 = HB.errors;
			int rc;
			memcpy(x, s, n);
			x[i] ^= pat ? 0xff : 0x01;
			rc = sphb_machine_load(B, x, n);
			CHECK(rc == -EBADMSG);
			CHECK_EQ(HB.errors, e0 + 1); /* one message */
			flips++;
		}
		if (i % 64 == 0)
			CHECK(same_save(B, sb, nb));
	}
	CHECK(same_save(B, sb, nb));
	CHECK(strstr(HB.last_error, "load: header: ") == HB.last_error);
	/* every truncation, as is and with length and checksum made consistent */
	for (size_t len = 0; len < n; len++) {
		int rc = sphb_machine_load(B, s, len);
		CHECK(rc == -EBADMSG);
		if (len >= 32) {
			memcpy(x, s, len);
			fix(x, len);
			rc = sphb_machine_load(B, x, len);
			CHECK(rc == -EBADMSG || rc == -ENXIO);
		}
		truncs++;
		if (len % 64 == 0)
			CHECK(same_save(B, sb, nb));
	}
	CHECK(same_save(B, sb, nb));
	/* flips behind a valid checksum: refused with B unchanged, or a valid
	 * stream that B then saves byte for byte (the format is canonical) */
	for (size_t i = 0; i < n; i++) {
		if (i >= 16 && i < 28)
			continue; /* length and checksum themselves */
		for (unsigned pat = 0; pat < 2; pat++) {
			int rc;
			unsigned e0 = HB.errors;
			memcpy(x, s, n);
			x[i] ^= pat ? 0x80 : 0x01;
			fix(x, n);
			rc = sphb_machine_load(B, x, n);
			if (rc) {
				CHECK(rc == -EBADMSG || rc == -ENXIO || rc == -ENOTSUP);
				CHECK_EQ(HB.errors, e0 + 1);
				CHECK(!strncmp(HB.last_error, "load: ", 6));
				fixed_refused++;
				if (i % 16 == 0)
					CHECK(same_save(B, sb, nb));
			} else {
				/* canonical, but for the optional bit of a known section */
				bool flag = false;
				for (unsigned k = 0; k < ns; k++)
					flag |= i == sv[k].at + 2 && pat == 0;
				CHECK(same_save(B, flag ? s : x, n));
				CHECK_EQ(sphb_machine_load(B, sb, nb), 0); /* back */
				fixed_accepted++;
			}
		}
	}
	CHECK(same_save(B, sb, nb));
	/* and the untouched stream loads */
	CHECK_EQ(sphb_machine_load(B, s, n), 0);
	CHECK(same_save(B, s, n));
	printf("corruption: %zu-byte stream; %u flips refused; %u truncations refused (twice each); with the checksum fixed %u flips refused, %u accepted as valid canonical streams\n",
	       n, flips, truncs, fixed_refused, fixed_accepted);
	free(x);
	free(s);
	free(sb);
	free_machine(A, &HA);
	free_machine(B, &HB);
}

/* ---- one invalid field per validation rule ---- */

struct edit_ctx {
	uint8_t *p;
	size_t n;
	struct sec sv[64];
	unsigned ns;
};

static void reparse(struct edit_ctx *E)
{
	bool whole;

	E->ns = sections(E->p, E->n, E->sv, 64, &whole);
	CHECK(whole);
}

static uint8_t *at(struct edit_ctx *E, unsigned type, uint64_t key, size_t off)
{
	return (uint8_t *)find(E->sv, E->ns, type, key)->body + off;
}

/* insert `len` bytes at stream offset `pos` (section lengths are not touched) */
static void insert(struct edit_ctx *E, size_t pos, const void *bytes, size_t len)
{
	uint8_t *q = malloc(E->n + len);
	if (!q)
		exit(1);
	memcpy(q, E->p, pos);
	memcpy(q + pos, bytes, len);
	memcpy(q + pos + len, E->p + pos, E->n - pos);
	free(E->p);
	E->p = q;
	E->n += len;
}

/* remove one section (the header's count follows) */
static void drop(struct edit_ctx *E, unsigned type, uint64_t key)
{
	struct sec *x = find(E->sv, E->ns, type, key);
	size_t at = x->at, len = 12 + x->len;

	memmove(E->p + at, E->p + at + len, E->n - at - len);
	E->n -= len;
	st_put_le(E->p + 12, le(E->p + 12, 4) - 1, 4);
	reparse(E);
}

static void expect(struct sphb_machine *B, struct mh *HB, struct edit_ctx *E, const uint8_t *ref,
		   size_t ref_len, int err, const char *needle, int line)
{
	int rc;

	fix(E->p, E->n);
	rc = sphb_machine_load(B, E->p, E->n);
	if (rc != err || !strstr(HB->last_error, needle)) {
		fprintf(stderr, "%s:%d: load returned %d (expected %d), message '%s' (expected to contain '%s')\n",
			__FILE__, line, rc, err, HB->last_error, needle);
		t_failures++;
	}
	if (!same_save(B, ref, ref_len)) {
		fprintf(stderr, "%s:%d: the refused load changed the machine\n", __FILE__, line);
		t_failures++;
	}
}

#define EXPECT(err, needle) expect(B, &HB, &E, sb, nb, err, needle, __LINE__)

static void start(struct edit_ctx *E, const uint8_t *s, size_t n)
{
	free(E->p);
	E->p = malloc(n);
	if (!E->p)
		exit(1);
	memcpy(E->p, s, n);
	E->n = n;
	reparse(E);
}

static void targeted(void)
{
	struct mh HA, HB;
	struct sphb_machine *A = build_list(&HA, small_desc), *B = build_list(&HB, small_desc);
	struct edit_ctx E = { 0 };
	uint8_t *s, *sb, *p;
	size_t n, nb, o;
	uint64_t seed = 99;

	rich_state(A, &HA, true);
	s = save(A, &n);
	for (unsigned i = 0; i < 100; i++)
		(void)step(B, &HB, &seed);
	sb = save(B, &nb);

	/* the header */
	start(&E, s, n); E.p[0] = 'X';
	EXPECT(-EBADMSG, "bad magic");
	start(&E, s, n); st_put_le(E.p + 8, 1, 2);
	EXPECT(-ENOTSUP, "format version 1");
	start(&E, s, n); st_put_le(E.p + 8, 3, 2);
	EXPECT(-ENOTSUP, "format version 3");
	start(&E, s, n); st_put_le(E.p + 10, 1, 2);
	EXPECT(-EBADMSG, "reserved header fields");
	start(&E, s, n); st_put_le(E.p + 28, 1, 4);
	EXPECT(-EBADMSG, "reserved header fields");
	start(&E, s, n); st_put_le(E.p + 12, le(E.p + 12, 4) + 1, 4);
	EXPECT(-EBADMSG, "announces");
	start(&E, s, n); st_put_le(E.p + 16, n + 1, 8);
	CHECK_EQ(sphb_machine_load(B, E.p, n), -EBADMSG); /* no fix(): the length is the point */
	CHECK(strstr(HB.last_error, "the header says") != NULL);
	start(&E, s, n); E.p[40] ^= 1; /* checksum left stale */
	CHECK_EQ(sphb_machine_load(B, E.p, n), -EBADMSG);
	CHECK(strstr(HB.last_error, "checksum") != NULL);

	/* machine */
	start(&E, s, n); st_put_le(at(&E, 1, 0, 9), 0, 4);
	EXPECT(-EBADMSG, "token 0");
	start(&E, s, n); *at(&E, 1, 0, 8) = 2;
	EXPECT(-EBADMSG, "errinjct session open is 2");
	start(&E, s, n); st_put_le(at(&E, 1, 0, 21), 9, 4);
	EXPECT(-EBADMSG, "announces 9 IOMMU groups");

	/* PHB: description, PEs, MSIs */
	start(&E, s, n); p = at(&E, 2, 1, 0); st_put_le(p + 13 + p[12] + 20, 0x20000000, 8);
	EXPECT(-ENXIO, "dma_win_size is 0x20000000 in the stream, 0x40000000 on this machine");
	start(&E, s, n); p = at(&E, 2, 1, 0); p[13] = 'q';
	EXPECT(-ENXIO, "id is 'q' in the stream, 'g' on this machine");
	start(&E, s, n); p = at(&E, 2, 0, 0); p[phb_state(find(E.sv, E.ns, 2, 0))] = 3;
	EXPECT(-EBADMSG, "shared PE permanent is 3");
	start(&E, s, n); p = at(&E, 2, 1, 0); p[phb_state(find(E.sv, E.ns, 2, 1))] = 1;
	EXPECT(-EBADMSG, "shared PE is marked permanently unavailable");
	start(&E, s, n); p = at(&E, 2, 1, 0); o = phb_state(find(E.sv, E.ns, 2, 1)) + 5;
	st_put_le(p + o, 9, 4); /* first PE's group */
	EXPECT(-ENXIO, "no such group");
	/* MSI allocations: PHB 0 holds a's (4 MSI at 0x1300), PHB 1 c's (2 MSI) */
	start(&E, s, n); p = at(&E, 2, 0, 0); o = phb_msi(find(E.sv, E.ns, 2, 0));
	CHECK_EQ(le(p + o + 1, 4), 0x1300); CHECK_EQ(le(p + o + 5, 2), 4);
	st_put_le(p + o + 5, 5, 2);
	EXPECT(-EBADMSG, "5 MSI vectors (the function has 4)");
	start(&E, s, n); p = at(&E, 2, 0, 0); o = phb_msi(find(E.sv, E.ns, 2, 0));
	st_put_le(p + o + 1, 0x1302, 4);
	EXPECT(-EBADMSG, "not 4-aligned");
	start(&E, s, n); p = at(&E, 2, 1, 0); o = phb_msi(find(E.sv, E.ns, 2, 1));
	st_put_le(p + o + 1, 0x1302, 4); /* c's block onto a's */
	EXPECT(-EBADMSG, "allocated twice");
	start(&E, s, n); p = at(&E, 2, 1, 0); o = phb_msi(find(E.sv, E.ns, 2, 1));
	st_put_le(p + o + 1, 0x1fff, 4);
	EXPECT(-EBADMSG, "outside the pool");
	start(&E, s, n); p = at(&E, 2, 1, 0); o = phb_msi(find(E.sv, E.ns, 2, 1));
	p[o + 7] = 3;
	EXPECT(-EBADMSG, "type 3");
	start(&E, s, n); p = at(&E, 2, 1, 0); o = phb_msi(find(E.sv, E.ns, 2, 1));
	p[o] = 9 << 3; /* no function at 09.0 */
	EXPECT(-EBADMSG, "no function there");

	/* windows: PHB 0's default window holds runs 0-9, 510-514, 2000 */
	start(&E, s, n); p = at(&E, 3, 0, 0);
	CHECK_EQ(le(p + 27, 8), 3);
	CHECK_EQ(le(p + 35, 8), 0); CHECK_EQ(le(p + 43, 4), 10);
	st_put_le(p + 43 + 4 + 8 * 3, 0, 8);
	EXPECT(-EBADMSG, "entry 3 is 0");
	start(&E, s, n); p = at(&E, 3, 0, 0);
	st_put_le(p + 35 + 12 + 80, 10, 8); /* second run starts right after the first */
	EXPECT(-EBADMSG, "plus a gap");
	start(&E, s, n); p = at(&E, 3, 0, 0);
	st_put_le(p + 35 + 12 + 80 + 12 + 40, 262143, 8); /* third run from the last entry, 1 long: ok */
	fix(E.p, E.n);
	CHECK_EQ(sphb_machine_load(B, E.p, E.n), 0);
	CHECK_EQ(sphb_machine_load(B, sb, nb), 0);
	start(&E, s, n); p = at(&E, 3, 0, 0);
	st_put_le(p + 35 + 12 + 80 + 12 + 40, 262144, 8);
	EXPECT(-EBADMSG, "outside the window");
	start(&E, s, n); p = at(&E, 3, 0, 0); st_put_le(p + 6, 0x80000001, 4);
	EXPECT(-EBADMSG, "LIOBN 0x80000001");
	start(&E, s, n); p = at(&E, 3, 0, 0); p[18] = 16;
	EXPECT(-EBADMSG, "default window at");
	start(&E, s, n); p = at(&E, 3, 0x101, 0); p[18] = 20; st_put_le(p + 19, 512, 8);
	EXPECT(-EBADMSG, "page shift 20 is not offered");
	start(&E, s, n); p = at(&E, 3, 0x101, 0); st_put_le(p + 19, 12345, 8);
	EXPECT(-EBADMSG, "a power of two");
	start(&E, s, n); p = at(&E, 3, 0x101, 0); st_put_le(p + 10, 0x1000000, 8);
	EXPECT(-EBADMSG, "dynamic windows are at");
	start(&E, s, n); p = at(&E, 3, 0x101, 0); st_put_le(p + 10, 0, 8);
	EXPECT(-EBADMSG, "overlaps window 0");
	start(&E, s, n); p = at(&E, 3, 0x101, 0); p[5] = 2;
	EXPECT(-EBADMSG, "default window is 2");

	/* devices: a (PHB 0 02.0), b (03.0) drives INTx, e (PHB 1 03.1) */
	start(&E, s, n); p = at(&E, 4, 0x10, 0); p[dev_intx(find(E.sv, E.ns, 4, 0x10))] = 2;
	EXPECT(-EBADMSG, "INTx level is 2");
	start(&E, s, n); p = at(&E, 4, 0x18, 0); p[dev_counted(find(E.sv, E.ns, 4, 0x18))] = 0;
	EXPECT(-EBADMSG, "not counted");
	start(&E, s, n); p = at(&E, 4, 0x18, 0); p[dev_intx(find(E.sv, E.ns, 4, 0x18))] = 0;
	EXPECT(-EBADMSG, "Status.Interrupt");
	start(&E, s, n); p = at(&E, 4, 0x18, 0); p[dev_cfg(find(E.sv, E.ns, 4, 0x18)) + 0] ^= 1;
	EXPECT(-EBADMSG, "config byte 0x000");
	start(&E, s, n); p = at(&E, 4, 0x18, 0); p[dev_cfg(find(E.sv, E.ns, 4, 0x18)) + 0x3d] = 2;
	EXPECT(-EBADMSG, "config byte 0x03d");
	start(&E, s, n); p = at(&E, 4, 0x10, 0); o = dev_cfg(find(E.sv, E.ns, 4, 0x10));
	CHECK_EQ(p[o + 0x40], 0x05);
	CHECK_EQ(p[o + 0x42], 0x84); /* 64-bit, MMC 2 (4 vectors), off */
	p[o + 0x42] = 0xb5; /* on, MME 3 (8 vectors) */
	EXPECT(-EBADMSG, "Multiple Message Enable 3 above Capable 2");
	start(&E, s, n); p = at(&E, 4, 0x10, 0); p[dev_fixed(find(E.sv, E.ns, 4, 0x10)) + 14] = 8;
	EXPECT(-ENXIO, "msi is 0x8 in the stream, 0x4 on this machine");
	start(&E, s, n); p = at(&E, 4, 0x10, 0); st_put_le(p + dev_fixed(find(E.sv, E.ns, 4, 0x10)) + 6, 0x8086, 2);
	EXPECT(-ENXIO, "vendor is 0x8086");
	start(&E, s, n); p = at(&E, 4, 0x10, 0); p[dev_fixed(find(E.sv, E.ns, 4, 0x10)) + 2] = 9;
	EXPECT(-ENXIO, "iommu-group is 0x9");
	/* e's BAR1 chunk (64-byte BAR: one chunk of 64 bytes) */
	{
		struct sec *x = find(E.sv, E.ns, 4, 0x119);
		size_t c = dev_cfg(x) + 256;
		CHECK_EQ(le(x->body + c, 4), 0);	/* bar0: none */
		CHECK_EQ(le(x->body + c + 4, 4), 1);	/* bar1: one chunk */
		CHECK_EQ(le(x->body + c + 8, 4), 0);	/* at offset 0 */
		CHECK_EQ(le(x->body + c + 12 + 8, 4), 0x12345678);
		start(&E, s, n); p = at(&E, 4, 0x119, 0); st_put_le(p + c + 12 + 8, 0, 4);
		EXPECT(-EBADMSG, "all zeros");
		start(&E, s, n); p = at(&E, 4, 0x119, 0); st_put_le(p + c + 8, 64, 4);
		EXPECT(-EBADMSG, "chunk 0 at offset 0x40");
	}

	/* groups: 1 (reset held), 2 (busy, permanent PE), 3 (frozen, failure armed) */
	start(&E, s, n); p = at(&E, 5, 1, 0); CHECK_EQ(p[10], 1); p[8] = 0;
	EXPECT(-EBADMSG, "reset is held");
	start(&E, s, n); p = at(&E, 5, 3, 0); st_put_le(p + 24, 20, 4);
	EXPECT(-EBADMSG, "Table 7-75");
	start(&E, s, n); p = at(&E, 5, 3, 0); st_put_le(p + 36, 1ull << 40, 8);
	EXPECT(-EBADMSG, "after the machine's clock");
	start(&E, s, n); p = at(&E, 5, 3, 0); CHECK_EQ(le(p + 44, 4), 2); st_put_le(p + 48, 0, 4);
	EXPECT(-EBADMSG, "host failure injection errno 0");
	start(&E, s, n); p = at(&E, 5, 3, 0); st_put_le(p + 4, 3, 4);
	EXPECT(-ENXIO, "3 functions in the stream, 2 on this machine");

	/* sections: order, trailing bytes, flags, unknown types */
	start(&E, s, n);
	{
		struct sec *w0 = find(E.sv, E.ns, 3, 0x100), *w1 = find(E.sv, E.ns, 3, 0x101);
		size_t l0 = 12 + w0->len, l1 = 12 + w1->len;
		uint8_t *tmp = malloc(l0 + l1);
		if (!tmp)
			exit(1);
		CHECK_EQ(w0->at + l0, w1->at);
		memcpy(tmp, E.p + w1->at, l1); /* w1 then w0 */
		memcpy(tmp + l1, E.p + w0->at, l0);
		memcpy(E.p + w0->at, tmp, l0 + l1);
		free(tmp);
		EXPECT(-EBADMSG, "out of order");
	}
	start(&E, s, n);
	{
		struct sec *g1 = find(E.sv, E.ns, 5, 1);
		static const uint8_t z[3];
		size_t pos = g1->at + 12 + g1->len;
		st_put_le(E.p + g1->at + 4, g1->len + 3, 8);
		insert(&E, pos, z, sizeof(z));
		EXPECT(-EBADMSG, "3 bytes left at the end of the group section");
	}
	start(&E, s, n); st_put_le(E.p + E.sv[0].at + 2, 2, 2);
	EXPECT(-EBADMSG, "unknown section flags 0x2");
	{
		/* an unknown section: refused when mandatory, skipped when optional */
		uint8_t sec[12 + 5] = { 99, 0, 0, 0, 5, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3, 4, 5 };
		start(&E, s, n);
		insert(&E, E.sv[3].at, sec, sizeof(sec));
		st_put_le(E.p + 12, le(E.p + 12, 4) + 1, 4);
		EXPECT(-ENOTSUP, "section type 99 is not optional");
		sec[2] = 1; /* optional */
		start(&E, s, n);
		insert(&E, E.sv[3].at, sec, sizeof(sec));
		st_put_le(E.p + 12, le(E.p + 12, 4) + 1, 4);
		fix(E.p, E.n);
		CHECK_EQ(sphb_machine_load(B, E.p, E.n), 0);
		CHECK(same_save(B, s, n)); /* what v1 knows, saved without the unknown section */
		CHECK_EQ(sphb_machine_load(B, sb, nb), 0);
	}
	/* missing sections, misplaced ones */
	start(&E, s, n); drop(&E, 2, 1);
	EXPECT(-ENXIO, "PHB 1 'g' of this machine is not in the stream");
	start(&E, s, n); drop(&E, 4, 0x18);
	EXPECT(-ENXIO, "device 'b' (PHB 0 03.0) of this machine is not in the stream");
	start(&E, s, n); drop(&E, 5, 2);
	st_put_le(at(&E, 1, 0, 21), 2, 4);
	EXPECT(-ENXIO, "IOMMU group 2 of this machine is not in the stream");
	start(&E, s, n); E.n = 32; st_put_le(E.p + 12, 0, 4);
	EXPECT(-EBADMSG, "no machine section");
	start(&E, s, n);
	{
		size_t l0 = 12 + E.sv[0].len, l1 = 12 + E.sv[1].len;
		uint8_t *tmp = malloc(l0 + l1);
		if (!tmp)
			exit(1);
		memcpy(tmp, E.p + E.sv[1].at, l1); /* PHB 0, then the machine */
		memcpy(tmp + l1, E.p + E.sv[0].at, l0);
		memcpy(E.p + E.sv[0].at, tmp, l0 + l1);
		free(tmp);
		EXPECT(-EBADMSG, "PHB section before the machine section");
	}
	{
		static const uint8_t stub[12 + 2] = { 2, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 1, 0 };
		start(&E, s, n);
		insert(&E, E.sv[1].at, stub, sizeof(stub));
		st_put_le(E.p + 12, le(E.p + 12, 4) + 1, 4);
		EXPECT(-EBADMSG, "PHB section of 2 bytes is too short");
	}
	start(&E, s, n); p = at(&E, 2, 1, 0); p[13] = 0;
	EXPECT(-EBADMSG, "id contains byte 0x00");
	start(&E, s, n); p = at(&E, 4, 0x18, 0); p[6] = '\n';
	EXPECT(-EBADMSG, "load: device 'b' (PHB 0 03.0): id contains byte 0x0a (ids are");
	start(&E, s, n);
	{
		/* PHB 1's MSI allocation twice: the list must ascend */
		struct sec *x = find(E.sv, E.ns, 2, 1);
		size_t m0 = x->at + 12 + phb_msi(x), sat = x->at;
		uint8_t dup[8];
		memcpy(dup, E.p + m0, 8);
		st_put_le(E.p + m0 - 4, 2, 4);
		st_put_le(E.p + sat + 4, x->len + 8, 8);
		insert(&E, m0 + 8, dup, 8);
		EXPECT(-EBADMSG, "MSI allocation for 02.0 after 02.0");
	}
	start(&E, s, n);
	{
		/* a section announced longer than the stream */
		st_put_le(E.p + E.sv[E.ns - 1].at + 4, E.sv[E.ns - 1].len + 1, 8);
		EXPECT(-EBADMSG, "only");
	}
	free(E.p);
	free(s);
	free(sb);
	free_machine(A, &HA);
	free_machine(B, &HB);
}

/* windows a DDW could never have made */
static void edge_windows(void)
{
	static const char *const desc[] = {
		"spapr-pci-host-bridge,index=3,id=n,ddw=off",
		"spapr-pci-host-bridge,index=4,id=w,dma64_win_addr=0xffffffff00000000",
		NULL,
	};
	struct mh HB;
	struct sphb_machine *B = build_list(&HB, desc);
	struct edit_ctx E = { 0 };
	uint8_t *sb, *p;
	size_t nb;

	sb = save(B, &nb);
	start(&E, sb, nb); p = at(&E, 3, 0x300, 0); p[5] = 0;
	EXPECT(-EBADMSG, "a dynamic window on a PHB with ddw=off");
	start(&E, sb, nb); drop(&E, 3, 0x300);
	EXPECT(-EBADMSG, "PHB 3 'n' has ddw=off but no default window");
	start(&E, sb, nb); p = at(&E, 3, 0x400, 0); p[5] = 0;
	st_put_le(p + 10, 0xffffffff00000000ull, 8);
	st_put_le(p + 19, 1u << 21, 8);
	EXPECT(-EBADMSG, "wraps past 2^64");
	free(E.p);
	free(sb);
	free_machine(B, &HB);
}

/* the clone 'k': power states and MSI Pending bits */
static void clone_fields(void)
{
	const char *desc[] = { "spapr-pci-host-bridge,index=2,id=s", clone_k, NULL };
	struct mh HB;
	struct sphb_machine *B = build_list(&HB, desc);
	struct edit_ctx E = { 0 };
	uint8_t *sb, *p;
	size_t nb, c;

	sb = save(B, &nb);
	start(&E, sb, nb);
	c = dev_cfg(find(E.sv, E.ns, 4, 0x218));
	p = at(&E, 4, 0x218, 0);
	CHECK_EQ(p[c + 0x40], 0x01);	/* PM */
	CHECK_EQ(p[c + 0x50], 0x05);	/* MSI, 64-bit, maskable: Pending at 0x64 */
	p[c + 0x44] = 1;
	EXPECT(-EBADMSG, "power state D1, which the function does not support");
	start(&E, sb, nb); p = at(&E, 4, 0x218, 0); p[c + 0x44] = 2;
	fix(E.p, E.n);
	CHECK_EQ(sphb_machine_load(B, E.p, E.n), 0);
	CHECK(same_save(B, E.p, E.n));
	CHECK_EQ(sphb_machine_load(B, sb, nb), 0);
	start(&E, sb, nb); p = at(&E, 4, 0x218, 0); p[c + 0x65] = 1; /* vector 8 of 8 */
	EXPECT(-EBADMSG, "config byte 0x065");
	start(&E, sb, nb); p = at(&E, 4, 0x218, 0); p[c + 0x64] = 0x81;
	fix(E.p, E.n);
	CHECK_EQ(sphb_machine_load(B, E.p, E.n), 0);
	CHECK(same_save(B, E.p, E.n));
	free(E.p);
	free(sb);
	free_machine(B, &HB);
}

/* ---- another description ---- */

static void other_description(void)
{
	static const struct { const char *replace, *with, *needle; } cases[] = {
		{ "spapr-pci-host-bridge,index=1,id=g,pe-mode=per-group",
		  "spapr-pci-host-bridge,index=1,id=g", "pe-mode=per-group is on in the stream, off on this machine" },
		{ "spapr-pci-host-bridge,index=1,id=g,pe-mode=per-group",
		  "spapr-pci-host-bridge,index=2,id=g,pe-mode=per-group", "this machine has no PHB of index 1" },
		{ "sim-pci,addr=3,id=b", "sim-pci,addr=3,id=b,vendor=0x8086", "vendor is 0x1014 in the stream, 0x8086" },
		{ "sim-pci,addr=3,id=b", "sim-pci,addr=3,id=bb", "id is 'b' in the stream, 'bb' on this machine" },
		{ "sim-pci,addr=3,id=b", "sim-pci,addr=4,id=b", "this machine has no function there" },
		{ "sim-pci,addr=3,id=b", "sim-pci,addr=3,id=b,pcie=on", "pcie is off in the stream, on" },
		{ "sim-pci,addr=3,id=b", NULL, "the stream's machine has 5 devices, this one 4" },
		{ "sim-pci,bus=g.0,addr=3.1,id=e,iommu-group=3,bar1=mem32:64",
		  "sim-pci,bus=g.0,addr=3.1,id=e,iommu-group=3,bar1=mem32:128", "bar1 size is 0x40 in the stream, 0x80" },
		{ "sim-pci,bus=g.0,addr=2,id=c,iommu-group=2,msi=2",
		  "sim-pci,bus=g.0,addr=2,id=c,iommu-group=5,msi=2", "PE of IOMMU group 2: no such group" },
	};
	struct mh HA, HB;
	struct sphb_machine *A = build_list(&HA, small_desc);
	uint8_t *s, *sb;
	size_t n, nb;

	rich_state(A, &HA, true);
	s = save(A, &n);
	for (unsigned k = 0; k < ARRAY_SIZE(cases); k++) {
		const char *specs[ARRAY_SIZE(small_desc)];
		struct sphb_machine *B;
		unsigned j = 0;
		int rc;

		for (unsigned i = 0; small_desc[i]; i++) {
			if (!strcmp(small_desc[i], cases[k].replace)) {
				if (cases[k].with)
					specs[j++] = cases[k].with;
			} else {
				specs[j++] = small_desc[i];
			}
		}
		specs[j] = NULL;
		B = build_list(&HB, specs);
		sb = save(B, &nb);
		rc = sphb_machine_load(B, s, n);
		CHECK(rc == -ENXIO);
		if (!strstr(HB.last_error, cases[k].needle))
			fprintf(stderr, "case %u: message '%s' lacks '%s'\n", k, HB.last_error, cases[k].needle);
		CHECK(strstr(HB.last_error, cases[k].needle) != NULL);
		CHECK(same_save(B, sb, nb));
		free(sb);
		free_machine(B, &HB);
	}
	free(s);
	free_machine(A, &HA);
}

/* sphb_machine_describe: a target rebuilt from the source's own description
 * (after unplugs and a device placed by the PHB) takes the source's stream,
 * and then saves the same bytes; the size query follows sphb_machine_save. */
static void described_target(void)
{
	struct mh HA, HB;
	struct sphb_machine *A = build(&HA, 0x5eed, true), *B = NULL;
	struct sphb_host_ops ops = t_ops();
	char *desc, *line, *next;
	size_t need = 0, n, lines = 0;
	uint8_t *s;

	rich_state(A, &HA, false);
	CHECK_EQ(sphb_machine_del(A, "u"), 0);
	add(A, &HA, "sim-pci,id=late,msi=2");		/* the PHB picks the slot */
	CHECK_EQ(sphb_machine_del(A, "b"), 0);		/* addr=3 is free again */
	CHECK_EQ(sphb_machine_describe(A, NULL, 0, &need), -ENOSPC);
	CHECK(need > 1);
	desc = malloc(need);
	if (!desc)
		exit(1);
	CHECK_EQ(sphb_machine_describe(A, desc, need - 1, NULL), -ENOSPC);
	CHECK_EQ(sphb_machine_describe(A, desc, need, &n), 0);
	CHECK_EQ(n, need);
	CHECK_EQ(strlen(desc), need - 1);
	CHECK(strstr(desc, "id=u,") == NULL && strstr(desc, "id=b,") == NULL);
	CHECK(strstr(desc, "sim-pci,id=late,msi=2,bus=pci.0,addr=") != NULL);
	CHECK(strncmp(desc, "spapr-pci-host-bridge,index=0,id=pci\n", 37) == 0);

	memset(&HB, 0, sizeof(HB));
	HB.h.ram_size = T_RAM_SIZE;
	HB.h.ram = calloc(1, HB.h.ram_size);
	ops.log = m_log;
	ops.irq_set = m_irq_set;
	ops.irq_pulse = m_irq_pulse;
	CHECK_EQ(sphb_machine_new(&ops, &HB, &B), 0);
	for (line = desc; *line; line = next + 1) {
		next = strchr(line, '\n');
		if (!next)
			break;
		*next = '\0';
		CHECK_EQ(sphb_machine_add(B, line), 0);
		lines++;
	}
	CHECK_EQ(lines, 4 + ARRAY_SIZE(dev_desc) + 2 - 1 + 1); /* PHBs, devices, clones, -b, +late */
	s = save(A, &n);
	CHECK_EQ(sphb_machine_load(B, s, n), 0);
	CHECK(same_save(B, s, n));
	compare(A, &HA, B, &HB, 77);
	free(s);
	free(desc);
	free_machine(B, &HB);
	free_machine(A, &HA);
}

/* ---- the documented layout, the API's edges ---- */

static void format(void)
{
	struct mh HA, HB;
	struct sphb_machine *A = build_list(&HA, small_desc), *B = build_list(&HB, small_desc);
	struct sec sv[64];
	uint8_t *s, *t, small[16];
	size_t n, n2, need = 1;
	unsigned ns, count[6] = { 0 };
	bool whole;
	static const uint8_t check[] = "123456789";

	CHECK_EQ(crc32_bits(check, 9), 0xcbf43926u); /* the test's own CRC is CRC-32/IEEE */
	/* a fresh machine: header, machine section, PHBs, windows, devices, groups */
	s = save(A, &n);
	CHECK(!memcmp(s, "SPHBSTAT", 8));
	CHECK_EQ(le(s + 8, 2), 2);
	CHECK_EQ(le(s + 10, 2), 0);
	CHECK_EQ(le(s + 16, 8), n);
	CHECK_EQ(le(s + 28, 4), 0);
	{
		uint32_t crc = (uint32_t)le(s + 24, 4);
		memcpy(small, s + 24, 4);
		st_put_le(s + 24, 0, 4);
		CHECK_EQ(crc32_bits(s, n), crc);
		memcpy(s + 24, small, 4);
	}
	ns = sections(s, n, sv, 64, &whole);
	CHECK(whole);
	CHECK_EQ(le(s + 12, 4), ns);
	for (unsigned i = 0; i < ns; i++) {
		CHECK(sv[i].type >= 1 && sv[i].type <= 5);
		CHECK_EQ(sv[i].flags, 0);
		if (i)
			CHECK(sv[i].type >= sv[i - 1].type);
		if (sv[i].type <= 5)
			count[sv[i].type]++;
	}
	CHECK_EQ(sv[0].type, 1);
	CHECK_EQ(sv[0].len, 25);
	CHECK_EQ(count[1], 1);
	CHECK_EQ(count[2], 2);	/* PHBs 0 and 1 */
	CHECK_EQ(count[3], 2);	/* their default windows */
	CHECK_EQ(count[4], 5);	/* a b c d e */
	CHECK_EQ(count[5], 3);	/* groups 1 2 3 */
	CHECK_EQ(le(sv[0].body + 13, 4), 2);
	CHECK_EQ(le(sv[0].body + 17, 4), 5);
	CHECK_EQ(le(sv[0].body + 21, 4), 3);
	/* a fresh machine's default window: no runs */
	{
		struct sec *w = find(sv, ns, 3, 0);
		CHECK_EQ(w->len, 35);
		CHECK_EQ(w->body[5], 1);
		CHECK_EQ(le(w->body + 6, 4), 0x80000000u);
		CHECK_EQ(le(w->body + 10, 8), 0);
		CHECK_EQ(w->body[18], 12);
		CHECK_EQ(le(w->body + 19, 8), 0x40000);
		CHECK_EQ(le(w->body + 27, 8), 0);
	}
	/* a device: b at PHB 0 03.0, 256-byte config, no BAR contents */
	{
		struct sec *d = find(sv, ns, 4, 0x18);
		size_t f = dev_fixed(d);
		CHECK_EQ(d->body[5], 1);
		CHECK_EQ(d->body[6], 'b');
		CHECK_EQ(le(d->body + f + 2, 4), 0xffffffffu);	/* iommu-group -1 */
		CHECK_EQ(le(d->body + f + 6, 2), 0x1014);
		CHECK_EQ(le(d->body + f + 8, 2), 0x5348);
		CHECK_EQ(le(d->body + f + 10, 4), 256);
		CHECK_EQ(d->len, dev_cfg(d) + 256 + 7 * 4);
		CHECK_EQ(le(d->body + dev_cfg(d), 2), 0x1014);
	}
	{
		/* group 3: two functions, a saved header each (PHB, devfn, 16 dwords) */
		struct sec *g = find(sv, ns, 5, 3);
		CHECK_EQ(g->len, 52 + 4 + 2 * (2 + 64));
		CHECK_EQ(le(g->body + 4, 4), 2);
		CHECK_EQ(le(g->body + 52, 4), 2);
	}
	/* save: size query, short buffer, bad arguments */
	CHECK_EQ(sphb_machine_save(A, NULL, 0, NULL), -ENOSPC);
	CHECK_EQ(sphb_machine_save(A, small, sizeof(small), &need), -ENOSPC);
	CHECK_EQ(need, n);
	CHECK_EQ(sphb_machine_save(A, NULL, 5, &need), -EINVAL);
	CHECK_EQ(sphb_machine_save(NULL, small, sizeof(small), &need), -EINVAL);
	CHECK_EQ(need, 0);
	t = malloc(n + 100);
	if (!t)
		exit(1);
	memset(t, 0xee, n + 100);
	CHECK_EQ(sphb_machine_save(A, t, n + 100, &n2), 0);
	CHECK_EQ(n2, n);
	CHECK(!memcmp(t, s, n));
	CHECK_EQ(t[n], 0xee);
	CHECK_EQ(sphb_machine_load(NULL, s, n), -EINVAL);
	CHECK_EQ(sphb_machine_load(B, NULL, n), -EINVAL);
	CHECK_EQ(sphb_machine_load(B, s, 0), -EBADMSG);
	/* a loaded state saves identically, and loading twice is the same */
	rich_state(A, &HA, true);
	free(s);
	s = save(A, &n);
	CHECK_EQ(sphb_machine_load(B, s, n), 0);
	CHECK_EQ(sphb_machine_load(B, s, n), 0);
	CHECK(same_save(B, s, n));
	CHECK(strstr(HB.h.last_log, "load: machine state restored") != NULL);
	/* the LSI: b drives INTx on A, so B's line 0x1203 rose during the load */
	CHECK_EQ(HB.lsi[3], 1);
	CHECK_EQ(HA.lsi[3], 1);
	free(t);
	free(s);
	free_machine(A, &HA);
	free_machine(B, &HB);
}

/* After a load, DMA handles answer from the restored tables and PE states
 * (their cached translations were dropped), and so does translation. */
static void dma_handles(void)
{
	struct mh HA, HB;
	struct sphb_machine *A = build_list(&HA, small_desc), *B = build_list(&HB, small_desc);
	struct sphb_dma *h = NULL;
	uint64_t gpa = 0;
	unsigned perm = 0;
	uint8_t *s;
	size_t n;

	/* B: entry 5 maps 0x5000 rw, and a handle caches it */
	(void)hcall(B, 0x20, 0x80000000u, 5ull << 12, 0x5000 | 3, 0);
	CHECK_EQ(sphb_dma_open(B, T_BUID0, 2u << 11, &h), 0);
	CHECK_EQ(sphb_dma_xlate(h, 0x5010, &gpa, &perm), 0);
	CHECK_EQ(gpa, 0x5010);
	/* A: entry 5 maps 0x9000 read-only, and a's PE is frozen */
	(void)hcall(A, 0x20, 0x80000000u, 5ull << 12, 0x9000 | 1, 0);
	s = save(A, &n);
	CHECK_EQ(sphb_machine_load(B, s, n), 0);
	CHECK_EQ(sphb_dma_xlate(h, 0x5010, &gpa, &perm), 0);
	CHECK_EQ(gpa, 0x9010);
	CHECK_EQ(perm, 1);
	free(s);
	CHECK_EQ(sphb_host_freeze(A, "a", NULL), 0);
	s = save(A, &n);
	CHECK_EQ(sphb_machine_load(B, s, n), 0);
	CHECK_EQ(sphb_dma_xlate(h, 0x5010, &gpa, &perm), -EIO);
	CHECK_EQ(sphb_dma_translate(B, T_BUID0, 2u << 11, 0x5010, &gpa, &perm), -EIO);
	/* config reads of the frozen function answer all-ones on B too */
	{
		uint32_t v = 0;
		CHECK_EQ(t_cfg_read(B, &HB.h, T_BUID0, 2u << 11, 4, &v), 0);
		CHECK_EQ(v, 0xffffffffu);
	}
	sphb_dma_close(h);
	free(s);
	free_machine(A, &HA);
	free_machine(B, &HB);
}

int main(void)
{
	clones_prepare();
	format();
	dma_handles();
	targeted();
	edge_windows();
	clone_fields();
	other_description();
	described_target();
	corruption();
	property();
	clones_remove();
	return t_result();
}
