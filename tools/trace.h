/*
 * Trace files for `sphb replay` (docs/cli.md, "Replay"): parsing and replay.
 *
 * Two formats, recognised line by line, so one file may hold either or both:
 *  - the guest's ftrace lines (console log): `rtas_input: NAME arguments: {..}`
 *    / `rtas_output: NAME status: S, other outputs: {..}` pairs and
 *    `hcall_entry: opcode=N` / `hcall_exit: opcode=N retval=R` pairs;
 *  - QEMU 7.2 trace events (`[TID@SEC.USEC:]event args`): spapr_iommu_*,
 *    spapr_pci_*, pci_cfg_read / pci_cfg_write.
 * Everything else (kernel log, firmware output, other events) is ignored.
 * A line that looks like one of the above but cannot be parsed (truncated,
 * garbled, two lines run together), an unpaired input/output line, an RTAS
 * call name that is neither the PHB's nor a known RTAS service and an
 * unknown spapr_iommu_ / spapr_pci_ / pci_cfg_ event are *skipped*: counted,
 * with their file and line, in struct trace.skip.
 *
 * Internal to the CLI and the benchmark (not part of libsphb).
 * SPDX-License-Identifier: MIT
 */
#ifndef SPHB_TOOLS_TRACE_H
#define SPHB_TOOLS_TRACE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "sphb/sphb.h"

/* Where a record came from: index into trace.files, 1-based line number. */
struct trace_loc {
	uint32_t file;
	uint32_t line;
};

/* Linux's struct rtas_args holds 16 cells: nargs + nret <= 16. */
#define TRACE_RTAS_CELLS 16

/* One RTAS call of the guest (an rtas_input line and its rtas_output). */
struct trace_rtas {
	struct trace_loc in, out;
	const char *name;	/* static: sphb_rtas_name(token) or a known RTAS service */
	int token;		/* sphb_rtas_token(name); negative: not the PHB's */
	uint32_t nargs, nret;	/* nret = 1 + number of "other outputs" */
	uint32_t args[TRACE_RTAS_CELLS];
	uint32_t rets[TRACE_RTAS_CELLS];	/* rets[0] = status */
};

/* One TCE hypercall of the guest (hcall_entry + hcall_exit; other hcalls
 * are only counted). The guest trace has no arguments: they come from the
 * QEMU event the replay aligns with it. */
struct trace_hcall {
	struct trace_loc loc;	/* the hcall_exit line */
	uint32_t opcode;	/* 0x1C, 0x20, 0x138 or 0x13C */
	int64_t retval;
};

enum trace_gkind { TRACE_G_RTAS, TRACE_G_HCALL };

/* The guest's calls in order: kind + index into trace.rtas / trace.hcalls. */
struct trace_gev {
	uint32_t kind;
	uint32_t index;
};

enum trace_qkind {
	TRACE_Q_PUT,		/* liobn ioba tce ret */
	TRACE_Q_GET,		/* liobn ioba ret tce */
	TRACE_Q_STUFF,		/* liobn ioba(after the loop) value npages ret */
	TRACE_Q_INDIRECT,	/* liobn ioba tcelist iobaN(index) tceN ret */
	TRACE_Q_XLATE,		/* liobn addr(in window) translated perm mask */
	TRACE_Q_CFG_READ,	/* offset value; bdf, dev */
	TRACE_Q_CFG_WRITE,	/* offset value; bdf, dev */
	TRACE_Q_MSI_CHANGE,	/* cfg func requested first_irq */
	TRACE_Q_MSI_QUERY,	/* index irq */
	TRACE_Q_MSI_SETUP,	/* vector addr; dev */
	TRACE_Q_MSI_MSG,	/* cfg; dev = the message text */
	TRACE_Q_MSI_RETRY,	/* cfg requested max */
	TRACE_Q_MSI_WRITE,	/* addr data irq */
	TRACE_Q_LSI_SET,	/* buid pin irq */
	TRACE_Q_DDW_QUERY,	/* buid cfg avail winsize mask */
	TRACE_Q_DDW_CREATE,	/* buid cfg pgsize requested start liobn */
	TRACE_Q_DDW_REMOVE,	/* liobn */
	TRACE_Q_DDW_RESET,	/* buid cfg */
	TRACE_Q_NEW_TABLE,	/* liobn */
	TRACE_Q_NKINDS
};

#define TRACE_QF_VIO 1	/* TCE event of a VIO device (spapr_iommu_put, ...): not the PHB's */

/* One QEMU trace event; a[] per kind as listed above (ret as int64). */
struct trace_qev {
	struct trace_loc loc;
	uint16_t kind;
	uint16_t bdf;		/* cfg events: bus << 8 | slot << 3 | function */
	uint16_t flags;		/* TRACE_QF_* */
	const char *dev;	/* cfg / msi_setup events: QEMU's device name (interned) */
	uint64_t a[6];
};

/* A skipped line. */
struct trace_skip {
	struct trace_loc loc;
	const char *why;	/* static text */
};

struct trace {
	char **files;		/* the paths as given ("-" for stdin) */
	uint32_t nfiles;
	struct trace_rtas *rtas;
	uint32_t nrtas;
	struct trace_hcall *hcalls;
	uint32_t nhcalls;
	struct trace_gev *gev;	/* guest calls in order */
	uint32_t ngev;
	struct trace_qev *qev;	/* QEMU events in order */
	uint32_t nqev;
	uint64_t other_hcalls;	/* guest hcalls that are not TCE hcalls */
	uint64_t lines;		/* lines read */
	/* skipped lines: total, the first TRACE_SKIP_KEEP of them, and per
	 * reason a count and the first TRACE_SKIP_FIRST lines */
	uint64_t nskip;
#define TRACE_SKIP_KEEP 64
	struct trace_skip skip[TRACE_SKIP_KEEP];
#define TRACE_SKIP_REASONS 32
#define TRACE_SKIP_FIRST 5
	struct trace_skip_reason {
		const char *why;
		uint64_t count;
		struct trace_loc first[TRACE_SKIP_FIRST];
	} reason[TRACE_SKIP_REASONS];
	uint32_t nreasons;
	/* private */
	uint32_t cap_rtas, cap_hcalls, cap_gev, cap_qev;
	char **names;
	uint32_t nnames, cap_names;
};

/*
 * Read and parse the trace files `paths[0..n-1]` (in that order; "-" is
 * standard input; a name ending in ".xz", or a file starting with the xz
 * magic, is read through `xz -dc`). Returns 0 with *out set (free it with
 * trace_free), or -1 after writing one line "sphb: FILE: reason" to `err`
 * (may be NULL) when a file cannot be read or decompressed, or on out of
 * memory; *out is then NULL.
 */
int trace_load(const char *const *paths, int n, struct trace **out, FILE *err);
void trace_free(struct trace *t);

/* Record a skipped line (also used by the replay for lines it cannot use). */
void trace_skip(struct trace *t, struct trace_loc loc, const char *why);

/* ---- replay ----------------------------------------------------------- */

/* What a replay drives: a machine and its guest memory. The replay writes
 * RTAS argument buffers at rtas_buf_gpa (256 bytes) and the TCE lists of
 * H_PUT_TCE_INDIRECT at the guest's own addresses, through mem_write, and
 * reads results back through mem_read. */
struct replay_target {
	struct sphb_machine *m;
	int (*mem_read)(void *opaque, uint64_t gpa, void *buf, size_t len);
	int (*mem_write)(void *opaque, uint64_t gpa, const void *buf, size_t len);
	void *opaque;
	uint64_t rtas_buf_gpa;
};

/* The fixed rows of the report; one row per RTAS call name follows them
 * (created as names appear) and is printed first. */
enum replay_row_kind {
	REPLAY_ROW_H_PUT_TCE,
	REPLAY_ROW_H_STUFF_TCE,
	REPLAY_ROW_H_PUT_TCE_INDIRECT,
	REPLAY_ROW_H_GET_TCE,
	REPLAY_ROW_VIO_TCE,	/* TCE hcalls of VIO devices: not the PHB's */
	REPLAY_ROW_XLATE,	/* DMA translations observed by QEMU */
	REPLAY_ROW_QCFG_READ,	/* config reads in the QEMU trace only (firmware) */
	REPLAY_ROW_QCFG_WRITE,	/* config writes in the QEMU trace only (firmware) */
	REPLAY_ROW_MSI_FIRST_IRQ,	/* change-msi's first IRQ (QEMU trace) */
	REPLAY_ROW_FINAL_TCE,	/* final TCE table entries whose value the traces record */
	REPLAY_ROW_NFIXED
};

struct replay_row {
	const char *name;
	uint64_t calls;		/* records of this kind replayed or seen */
	uint64_t compared;	/* answers compared */
	uint64_t matched;	/* ... and equal */
	const char *note;	/* what is not compared, or NULL */
};

#define REPLAY_MAX_ROWS 96
#define REPLAY_KEEP_MISMATCH 20

struct replay_mismatch {
	struct trace_loc loc;	/* the guest line (or the QEMU line) */
	struct trace_loc qloc;	/* the aligned QEMU line, file UINT32_MAX if none */
	char text[200];
};

struct replay_stats {
	struct replay_row row[REPLAY_MAX_ROWS];
	unsigned nrows;
	/* QEMU events that carry no answer to compare, per trace_qkind (name:
	 * the QEMU event, note: why not compared); printed last */
	struct replay_row qemu_only[TRACE_Q_NKINDS];
	/* the PHB's RTAS calls (the library's tokens): total and compared */
	uint64_t rtas_phb_calls, rtas_phb_compared;
	uint64_t mismatches;	/* total; the first REPLAY_KEEP_MISMATCH kept */
	struct replay_mismatch mismatch[REPLAY_KEEP_MISMATCH];
	/* work done on the machine */
	uint64_t lib_rtas_calls;	/* sphb_rtas_call() made */
	uint64_t lib_hcalls;		/* sphb_hcall() made */
	uint64_t lib_translations;	/* sphb_dma_translate() made */
	uint64_t tce_entries_set;	/* TCEs written by the replayed hcalls */
	uint64_t tce_inferred;		/* ... of which values inferred (indirect lists) */
	uint64_t final_tce_not_compared;	/* entries written with inferred values */
	uint64_t skipped;	/* records the replay could not use (added to trace.nskip) */
	/* records addressed to a PHB (BUID, or a PHB LIOBN's BUID) that the
	 * machine does not have, and the first distinct such BUIDs */
	uint64_t foreign;
#define REPLAY_KEEP_FOREIGN 4
	uint64_t foreign_buid[REPLAY_KEEP_FOREIGN];
	unsigned nforeign_buid;
	double seconds;		/* wall time of replay_run */
};

/*
 * Replay the guest's calls of `t` against `tg`'s machine, interleaved with
 * the QEMU events in their order (docs/cli.md explains the alignment), and
 * compare every recorded answer the PHB determines. The machine must be
 * freshly created with the traced machine's devices (a replay changes its
 * state: use a new machine for each run). Returns 0 (counts in *st, zeroed
 * first), or -ENOMEM. Records it cannot use are added to t's skipped lines
 * (again on every run over the same trace).
 */
int replay_run(struct trace *t, const struct replay_target *tg, struct replay_stats *st);

/*
 * Is the replay a pass? 0 when every compared answer matched and the trace
 * is this machine's; else 1 with the reason in why[] (one line, no newline):
 *   - a mismatch;
 *   - the trace addresses a PHB the machine does not have (another layout:
 *     the machine was not built with the traced machine's -device list);
 *   - skipped lines outnumber the answers compared (the final TCE entries
 *     not counted): a replay that compares less than it skips proves little.
 */
int replay_verdict(const struct trace *t, const struct replay_stats *st, char *why, size_t len);

/* Print the report: rows, RTAS coverage, first mismatches, skipped lines
 * (replay_print_skipped: the last part only). */
void replay_print(const struct trace *t, const struct replay_stats *st, FILE *f);
void replay_print_skipped(const struct trace *t, FILE *f);

/* Convenience for in-process users (the benchmark): a machine with the
 * default PHB plus `specs` (QEMU -device syntax) over `ram_size` bytes of
 * zeroed guest RAM at 0. Returns 0, -EINVAL (a bad spec, message logged to
 * `err` if not NULL) or -ENOMEM. */
struct replay_machine {
	struct replay_target tg;
	uint8_t *ram;
	uint64_t ram_size;
	char last_error[256];	/* the library's last error message */
};
int replay_machine_new(const char *const *specs, int n, uint64_t ram_size,
		       struct replay_machine **out, FILE *err);
void replay_machine_free(struct replay_machine *rm);

/* sphb replay: the whole subcommand over an existing machine (tools/sphb.c). */
int sphb_cli_replay(const struct replay_target *tg, const char *const *paths, int n);

#endif
