/* The in-process trace replay API of tools/trace.h (what `sphb replay` and
 * the benchmark use): trace_load() on a small guest trace and QEMU trace
 * written here, with a wrong recorded answer, a call for a BUID the machine
 * lacks, an unknown call name, a truncated line and an unknown QEMU event;
 * replay_machine_new() + replay_run(): every row's calls / compared /
 * matched, the mismatch and skipped lines with their line numbers, the
 * firmware config cycles placed on their PHB through the paired guest read,
 * the final TCE table, the work counters; the limits on what a hostile
 * trace makes the replay track (LIOBNs, bus addresses, counts that would
 * wrap); trace_load() errors. */
#include "harness.h"

#include "../../tools/trace.c"
#include "../../tools/replay.c"

static char gpath[64], qpath[64];

static void write_file(char *path, const char *text)
{
	int fd;
	FILE *f;

	strcpy(path, "/tmp/sphb-replay-XXXXXX");
	fd = mkstemp(path);
	CHECK(fd >= 0);
	if (fd < 0)
		exit(1);
	f = fdopen(fd, "w");
	fputs(text, f);
	fclose(f);
}

#define FT "          init-1       [000] d....     1.000000: "
static const char guest[] =
	"[    0.291747] PCI host bridge /pci@800000020000000  ranges:\r\n"		/* 1 */
	FT "rtas_input: ibm,read-pci-config arguments: {0x1000,0x8000000,0x20000000,0x4}\r\n" /* 2 */
	FT "rtas_output: ibm,read-pci-config status: 0, other outputs: {0x100e8086}\r\n"	/* 3 */
	FT "hcall_entry: opcode=32\r\n"							/* 4 */
	FT "hcall_exit: opcode=32 retval=0\r\n"						/* 5 */
	FT "rtas_input: ibm,read-pci-config arguments: {0x1000,0x8000000,0x20000000,0x2}\r\n" /* 6 */
	FT "rtas_output: ibm,read-pci-config status: 0, other outputs: {0x1234}\r\n"	/* 7 */
	FT "rtas_input: ibm,read-pci-config arguments: {0x1000,0x8000000,0x20000001,0x4}\r\n" /* 8 */
	FT "rtas_output: ibm,read-pci-config status: -1, other outputs: {0x0}\r\n"	/* 9 */
	FT "hcall_entry: opcode=312\r\n"						/* 10 */
	FT "hcall_exit: opcode=312 retval=0\r\n"					/* 11 */
	FT "rtas_input: ibm,frobnicate arguments: {}\r\n"				/* 12 */
	FT "rtas_output: ibm,frobnicate status: 0, other outputs: {}\r\n"		/* 13 */
	FT "rtas_input: display-character arguments: {0x41}\r\n"			/* 14 */
	FT "rtas_output: display-character status: 0, other outputs: {}\r\n"		/* 15 */
	FT "hcall_entry: opcode=88\r\n"							/* 16 */
	FT "hcall_exit: opcode=88 retval=0\r\n"						/* 17 */
	FT "rtas_input: ibm,read-pci-con\r\n"						/* 18 */
	FT "hcall_entry: opcode=316\r\n"						/* 19 */
	FT "hcall_exit: opcode=316 retval=0\r\n"					/* 20 */
	FT "hcall_entry: opcode=316\r\n"						/* 21 */
	FT "hcall_exit: opcode=316 retval=-4\r\n";					/* 22 */

static const char qemu[] =
	"1@1.000000:pci_cfg_write sim 00:02.0 @0x4 <- 0x4\n"			/* 1: firmware */
	"1@1.000001:pci_cfg_read sim 00:02.0 @0x4 -> 0x4\n"			/* 2: firmware */
	"1@1.000002:pci_cfg_read sim 00:02.0 @0x0 -> 0x100e8086\n"		/* 3: guest line 2 */
	"1@1.000003:spapr_iommu_pci_put liobn=0x80000000 ioba=0x3000 tce=0x5003 ret=0\n" /* 4 */
	"1@1.000004:spapr_iommu_xlate liobn=0x80000000 0x3000 -> 0x5000 perm=3 mask=0xfff\n"
	"1@1.000005:pci_cfg_read sim 00:02.0 @0x0 -> 0x8086\n"			/* 6: no guest pair */
	"1@1.000006:spapr_iommu_pci_stuff liobn=0x80000000 ioba=0x4000 tcevalue=0x0 npages=4 ret=0\n"
	"1@1.000007:spapr_iommu_xlate liobn=0x80000000 0x3000 -> 0x0 perm=0 mask=0xfff\n"
	"1@1.000008:spapr_iommu_pci_frob x=1\n"					/* 9 */
	"1@1.000009:spapr_pci_lsi_set pci@800000020000000 PIN1 IRQ 4609\n"	/* 10 */
	/* 3 entries: 0x7003, 0x8003, 0x9003 (the list is rebuilt from the last) */
	"1@1.000010:spapr_iommu_pci_indirect liobn=0x80000000 ioba=0x10000 tcelist=0x20000 iobaN=0x2 tceN=0x9003 ret=0\n"
	"1@1.000011:spapr_iommu_xlate liobn=0x80000000 0x11000 -> 0x8000 perm=3 mask=0xfff\n"
	/* the last entry of the 1 GiB window stored, the next one out of it */
	"1@1.000012:spapr_iommu_pci_indirect liobn=0x80000000 ioba=0x3ffff000 tcelist=0x21000 iobaN=0x0 tceN=0xa003 ret=-4\n";

static const struct replay_row *row(const struct replay_stats *st, const char *name)
{
	for (unsigned i = 0; i < st->nrows; i++)
		if (!strcmp(st->row[i].name, name))
			return &st->row[i];
	fprintf(stderr, "no row %s\n", name);
	t_failures++;
	static const struct replay_row none;
	return &none;
}

#define ROW(st, name, c, k, m) do { \
	const struct replay_row *_r = row(st, name); \
	CHECK_EQ(_r->calls, c); \
	CHECK_EQ(_r->compared, k); \
	CHECK_EQ(_r->matched, m); \
} while (0)

/* the first line of skip reason `why`, or 0 */
static uint32_t skipped_at(const struct trace *t, const char *why, uint32_t file)
{
	for (uint32_t i = 0; i < t->nreasons; i++)
		if (!strcmp(t->reason[i].why, why) && t->reason[i].first[0].file == file)
			return t->reason[i].first[0].line;
	return 0;
}

/* trace_load() of what was written to `f`, an open_memstream() of *text */
static struct trace *load_memstream(FILE *f, char **text)
{
	char path[64];
	const char *p[1] = { path };
	struct trace *t;

	fclose(f);
	write_file(path, *text);
	free(*text);
	CHECK_EQ(trace_load(p, 1, &t, stderr), 0);
	unlink(path);
	if (!t)
		exit(1);
	return t;
}

int main(void)
{
	const char *paths[2];
	const char *specs[] = { "sim-pci,bus=pci.0,addr=2,vendor=0x8086,device=0x100e" };
	struct trace *t;
	struct replay_machine *rm;
	struct replay_stats st;
	char *buf = NULL;
	size_t len = 0;
	FILE *err;

	write_file(gpath, guest);
	write_file(qpath, qemu);
	paths[0] = gpath;
	paths[1] = qpath;

	/* ---- parsing ---- */
	CHECK_EQ(trace_load(paths, 2, &t, stderr), 0);
	if (!t)
		return 1;
	CHECK_EQ(t->nfiles, 2);
	CHECK_EQ(t->lines, 22 + 13);
	CHECK_EQ(t->nrtas, 4);		/* lines 2, 6, 8, 14: not frobnicate, not the cut one */
	CHECK_EQ(t->nhcalls, 4);
	CHECK_EQ(t->other_hcalls, 1);
	CHECK_EQ(t->ngev, 8);
	CHECK_EQ(t->nqev, 12);		/* not the frob event */
	CHECK_EQ(t->rtas[0].in.line, 2);
	CHECK_EQ(t->rtas[0].out.line, 3);
	CHECK_EQ(t->rtas[0].nargs, 4);
	CHECK_EQ(t->rtas[0].nret, 2);
	CHECK_EQ(t->rtas[0].rets[1], 0x100e8086);
	CHECK_EQ(t->rtas[2].rets[0], (uint32_t)-1);
	CHECK(t->rtas[3].token < 0);		/* display-character: not the PHB's */
	CHECK_EQ(t->hcalls[1].opcode, 0x138);
	CHECK_EQ(t->qev[0].kind, TRACE_Q_CFG_WRITE);
	CHECK_EQ(t->qev[0].bdf, 2 << 3);
	CHECK_EQ(t->qev[6].kind, TRACE_Q_STUFF);
	CHECK_EQ(t->qev[6].a[3], 4);
	CHECK_EQ(t->qev[8].kind, TRACE_Q_LSI_SET);
	CHECK_EQ(t->qev[8].a[0], 0x800000020000000ull);
	CHECK_EQ(t->nskip, 3);
	CHECK_EQ(skipped_at(t, "unknown RTAS call name", 0), 12);
	CHECK_EQ(skipped_at(t, "garbled rtas_input line", 0), 18);
	CHECK_EQ(skipped_at(t, "unknown QEMU event", 1), 9);

	/* ---- replay ---- */
	CHECK_EQ(replay_machine_new(specs, 1, 16u << 20, &rm, stderr), 0);
	if (!rm)
		return 1;
	CHECK_EQ(replay_run(t, &rm->tg, &st), 0);
	ROW(&st, "ibm,read-pci-config", 3, 2, 1);
	ROW(&st, "display-character", 1, 0, 0);
	ROW(&st, "H_PUT_TCE", 1, 1, 1);
	ROW(&st, "H_STUFF_TCE", 1, 1, 1);
	ROW(&st, "H_PUT_TCE_INDIRECT", 2, 2, 2);
	ROW(&st, "DMA translation (QEMU xlate)", 3, 3, 3);
	ROW(&st, "config write (QEMU trace only)", 1, 1, 1);
	ROW(&st, "config read (QEMU trace only)", 2, 2, 2);	/* lines 2 and 6 */
	/* the stuff's 4 entries, the indirects' recorded last entry; not the
	 * 3 entries whose values were inferred */
	ROW(&st, "final TCE table entries", 8, 5, 5);
	CHECK_EQ(st.final_tce_not_compared, 3);
	CHECK_EQ(st.qemu_only[TRACE_Q_LSI_SET].calls, 1);
	CHECK_EQ(st.rtas_phb_calls, 3);
	CHECK_EQ(st.rtas_phb_compared, 2);
	CHECK_EQ(st.mismatches, 1);
	CHECK_EQ(st.mismatch[0].loc.file, 0);
	CHECK_EQ(st.mismatch[0].loc.line, 6);
	CHECK(strstr(st.mismatch[0].text, "recorded 0 0x1234, replayed 0 0x8086") != NULL);
	CHECK_EQ(st.skipped, 1);
	CHECK_EQ(skipped_at(t, "RTAS call for a BUID that is not in the machine", 0), 8);
	CHECK_EQ(st.tce_entries_set, 1 + 4 + 3 + 1);
	CHECK_EQ(st.tce_inferred, 2 + 1);
	CHECK_EQ(st.lib_hcalls, 4 + 5);		/* 4 hcalls, 5 x H_GET_TCE at the end */
	CHECK_EQ(st.lib_translations, 3);
	/* reads 2 and 6 (one size each: 4, then 4 and 2), the write, line 2, line 6 */
	CHECK_EQ(st.lib_rtas_calls, 1 + 1 + 2 + 1 + 1);

	/* the report names the line */
	err = open_memstream(&buf, &len);
	replay_print(t, &st, err);
	fclose(err);
	CHECK(strstr(buf, "PHB RTAS calls: 3, compared 2 (66.67 %)\n") != NULL);
	CHECK(strstr(buf, "mismatches: 1\n") != NULL);
	CHECK(strstr(buf, "  1 RTAS call for a BUID that is not in the machine: ") != NULL);
	free(buf);
	replay_machine_free(rm);
	trace_free(t);

	/* ---- trace-controlled sizes: bounded shadows, no wrapped counts ---- */
	{
		/* more device names than are interned (4096), then an RTAS call:
		 * its name is the library's, never "out of memory" */
		char *q = NULL;
		size_t qlen = 0;
		FILE *qf = open_memstream(&q, &qlen);
		for (unsigned i = 0; i <= 4096; i++)
			fprintf(qf, "pci_cfg_read dev%u 00:02.0 @0x0 -> 0x0\n", i);
		fputs(FT "rtas_input: ibm,read-pci-config arguments: {0x1000,0x8000000,0x20000000,0x4}\n"
		      FT "rtas_output: ibm,read-pci-config status: 0, other outputs: {0x100e8086}\n", qf);
		t = load_memstream(qf, &q);
		CHECK_EQ(t->nrtas, 1);
		CHECK(t->nrtas == 1 && !strcmp(t->rtas[0].name, "ibm,read-pci-config"));
		CHECK_EQ(t->nqev, 4096);	/* the 4097th name's line is skipped */
		trace_free(t);
	}
	{
		char *q = NULL;
		size_t qlen = 0;
		FILE *qf = open_memstream(&q, &qlen);
		/* 510 LIOBNs with 4096 entries tracked each (lines 1-510) */
		for (unsigned i = 0; i < WIN_MAX_WINDOWS - 2; i++)
			fprintf(qf, "spapr_iommu_pci_put liobn=0x%x ioba=0x0 tce=0x3 ret=0\n", 0x1000 + i);
		fputs(/* 511: a whole window's WIN_MAX_ENTRIES tracked */
		      "spapr_iommu_pci_put liobn=0x80000000 ioba=0x3fffff000 tce=0x3 ret=0\n"
		      /* 512: past WIN_MAX_ENTRIES */
		      "spapr_iommu_pci_put liobn=0x80000000 ioba=0x400000000 tce=0x3 ret=0\n"
		      /* 513: the 512th window, past SHADOW_MAX_ENTRIES */
		      "spapr_iommu_pci_put liobn=0x80000001 ioba=0x3fffff000 tce=0x3 ret=0\n"
		      /* 514: a 513th window */
		      "spapr_iommu_pci_put liobn=0x2000 ioba=0x0 tce=0x3 ret=0\n"
		      /* 515: iobaN + 2 wraps to 1 */
		      "spapr_iommu_pci_indirect liobn=0x80000000 ioba=0x0 tcelist=0x20000 "
		      "iobaN=0xffffffffffffffff tceN=0x9003 ret=-4\n"
		      /* 516 */
		      "spapr_iommu_pci_stuff liobn=0x80000000 ioba=0x4000 tcevalue=0x0 npages=-1 ret=0\n",
		      qf);
		t = load_memstream(qf, &q);
		CHECK_EQ(replay_machine_new(NULL, 0, 16u << 20, &rm, stderr), 0);
		if (!rm)
			return 1;
		CHECK_EQ(replay_run(t, &rm->tg, &st), 0);
		for (uint32_t i = 0; i < t->nreasons; i++)
			if (!strcmp(t->reason[i].why,
				    "TCE entries beyond what the replay tracks (not in the final table)")) {
				CHECK_EQ(t->reason[i].count, 3);
				CHECK_EQ(t->reason[i].first[0].line, 512);
				CHECK_EQ(t->reason[i].first[1].line, 513);
				CHECK_EQ(t->reason[i].first[2].line, 514);
			}
		CHECK_EQ(skipped_at(t, "TCE entries beyond what the replay tracks (not in the final table)",
				    0), 512);
		CHECK_EQ(skipped_at(t, "H_PUT_TCE_INDIRECT whose list cannot be rebuilt", 0), 515);
		CHECK_EQ(skipped_at(t, "failed H_STUFF_TCE: its start is not in the trace", 0), 516);
		CHECK_EQ(st.skipped, 5);
		CHECK_EQ(row(&st, "final TCE table entries")->calls, 511);
		CHECK_EQ(st.tce_entries_set, 514);
		replay_machine_free(rm);
		trace_free(t);
	}

	/* ---- errors ---- */
	buf = NULL;
	err = open_memstream(&buf, &len);
	paths[1] = "/nonexistent/trace";
	CHECK_EQ(trace_load(paths, 2, &t, err), -1);
	CHECK(t == NULL);
	fclose(err);
	CHECK(strstr(buf, "sphb: /nonexistent/trace: No such file or directory\n") != NULL);
	free(buf);
	buf = NULL;
	err = open_memstream(&buf, &len);
	CHECK_EQ(replay_machine_new((const char *[]){ "sim-pci,addr=0x20" }, 1, 16u << 20, &rm, err),
		 -EINVAL);
	CHECK(rm == NULL);
	fclose(err);
	CHECK(strstr(buf, "sphb: -device sim-pci: addr=0x20: slot 0x20 out of range 0x0..0x1f (addr= is hex)\n") != NULL);
	free(buf);

	unlink(gpath);
	unlink(qpath);
	return t_result();
}
