/* sphb_bench: the benchmark program (make bench, make bench-callgrind).
 *
 *   sphb_bench [--quick] [--callgrind] [--json FILE] [--section NAME]...
 *
 * Runs every section of the table below (or the named ones; the floor is
 * always measured, every time is also given as a ratio to it), prints one
 * table per section with its method under it, and writes the same figures
 * to FILE as JSON. --callgrind first runs the program twice more under
 * valgrind's callgrind (internal option --instr-pass) for the instruction
 * counts. --quick: few and short runs (for the smoke test; figures are not
 * meaningful). Method: bench.h and docs/performance.md.
 * SPDX-License-Identifier: MIT */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <spawn.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench.h"

/* The sections, in the order they run and print. A new section: one file
 * bench/bench_NAME.c and one line here. */
static const struct bench_section *const sections[] = {
	&bench_floor,
	&bench_ops,
	&bench_open,
	&bench_scale,
	&bench_memory,
	&bench_hostops,
	&bench_recovery,
	&bench_trace,
	&bench_trace_hostops,
	&bench_trace_memory,
};
#define NSECTIONS (sizeof(sections) / sizeof(sections[0]))

#define ROUNDS 15
#define QUICK_ROUNDS 3
#define MAXVALS 24
#define MAXSEL 16

struct bench_val {
	const char *key;	/* a string constant */
	bool is_str;
	double num;
	char str[48];
};

struct bench_row {
	char name[64];
	char label[96];
	unsigned nval;
	struct bench_val val[MAXVALS];
};

struct table {
	const struct bench_section *sec;
	struct bench_row *rows;
	unsigned nrows;
	bool ran;
};

/* instruction counts of one probe's loop or empty loop, from the two passes */
struct icount {
	char label[96];
	double loop_pass, entry_pass;
};

struct bench_ctx {
	bool quick, instr_pass, callgrind;
	FILE *labels;			/* --instr-pass: the measured loops, in call order */
	struct table tables[NSECTIONS];
	struct table *cur;
	struct icount *ic;
	unsigned nic;
	double floor_store, floor_memcpy;
};

/* ---- measurement ---- */

/* Every measured loop runs inside this function: the callgrind passes zero
 * the counters before it, collect inside it (or inside the library's entry
 * points) and dump after it. */
__attribute__((noinline, used)) void bench_measure_loop(bench_loop_fn *fn, void *arg, unsigned long n);
__attribute__((noinline, used)) void bench_measure_loop(bench_loop_fn *fn, void *arg, unsigned long n)
{
	fn(arg, n);
	__asm__ volatile("" ::: "memory");
}

bool bench_quick(const struct bench_ctx *ctx) { return ctx->quick; }
bool bench_instr_pass(const struct bench_ctx *ctx) { return ctx->instr_pass; }

void bench_set_floor(struct bench_ctx *ctx, double store_ns, double memcpy_ns)
{
	ctx->floor_store = store_ns;
	ctx->floor_memcpy = memcpy_ns;
}

/* operations of one timed run, and of the run callgrind counts */
static unsigned long timed_n(const struct bench_ctx *ctx, const struct bench_probe *p)
{
	unsigned long n = ctx->quick ? p->n / 100 : p->n;
	return n ? n : 1;
}

static unsigned long instr_n(const struct bench_ctx *ctx, const struct bench_probe *p)
{
	unsigned long n = ctx->quick ? p->n / 1000 : p->n / 10;
	return n ? n : 1;
}

static double run_ns(bench_loop_fn *fn, void *arg, unsigned long n)
{
	double t0 = bench_now_ns();
	bench_measure_loop(fn, arg, n);
	return (bench_now_ns() - t0) / (double)n;
}

static int cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static double median(double *v, unsigned n)
{
	qsort(v, n, sizeof(v[0]), cmp_d);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* copy a string, cut to sz - 1 characters */
static void copy(char *dst, size_t sz, const char *src)
{
	size_t n = strlen(src);

	if (n >= sz)
		n = sz - 1;
	memcpy(dst, src, n);
	dst[n] = '\0';
}

static const struct icount *icount_find(const struct bench_ctx *ctx, const char *label)
{
	for (unsigned i = 0; i < ctx->nic; i++)
		if (!strcmp(ctx->ic[i].label, label))
			return &ctx->ic[i];
	return NULL;
}

static void probe_label(const struct bench_ctx *ctx, const struct bench_probe *p, const char *what,
			char *buf, size_t sz)
{
	snprintf(buf, sz, "%s/%s/%s", ctx->cur->sec->name, p->name, what);
}

/* under callgrind: each loop once, after a warm-up run (first-call costs:
 * lazy binding, first allocations, cold caches of the handles) */
static void instr_run(struct bench_ctx *ctx, const struct bench_probe *p)
{
	unsigned long n = instr_n(ctx, p);
	char label[96];

	p->loop(p->arg, n);
	probe_label(ctx, p, "loop", label, sizeof(label));
	bench_measure_loop(p->loop, p->arg, n);
	fprintf(ctx->labels, "%s\n", label);
	if (p->empty) {
		p->empty(p->arg, n);
		probe_label(ctx, p, "empty", label, sizeof(label));
		bench_measure_loop(p->empty, p->arg, n);
		fprintf(ctx->labels, "%s\n", label);
	}
	fflush(ctx->labels);
}

static void instr_figures(const struct bench_ctx *ctx, const struct bench_probe *p,
			  struct bench_figure *f)
{
	char label[96];
	const struct icount *l, *e = NULL;
	double div = (double)instr_n(ctx, p) * (p->per ? p->per : 1);

	probe_label(ctx, p, "loop", label, sizeof(label));
	l = icount_find(ctx, label);
	if (p->empty) {
		probe_label(ctx, p, "empty", label, sizeof(label));
		e = icount_find(ctx, label);
		if (!e)
			return;
	}
	if (!l)
		return;
	f->instr = (l->loop_pass - (e ? e->loop_pass : 0)) / div;
	if (l->entry_pass > 0)
		f->instr_entry = (l->entry_pass - (e ? e->entry_pass : 0)) / div;
}

void bench_measure(struct bench_ctx *ctx, const struct bench_probe *p, unsigned k,
		   struct bench_figure *out)
{
	const unsigned rounds = ctx->quick ? QUICK_ROUNDS : ROUNDS;
	double (*loop)[ROUNDS] = calloc(k, sizeof(*loop)), (*empty)[ROUNDS] = calloc(k, sizeof(*empty));

	for (unsigned i = 0; i < k; i++)
		out[i].ns = out[i].ns_min = out[i].instr = out[i].instr_entry = NAN;
	if (ctx->instr_pass) {
		for (unsigned i = 0; i < k; i++)
			instr_run(ctx, &p[i]);
		free(loop);
		free(empty);
		return;
	}
	if (!loop || !empty) {
		free(loop);
		free(empty);
		return;
	}
	for (unsigned i = 0; i < k; i++) { /* warm up */
		unsigned long n = timed_n(ctx, &p[i]) / 4 + 1;
		run_ns(p[i].loop, p[i].arg, n);
		if (p[i].empty)
			run_ns(p[i].empty, p[i].arg, n);
	}
	for (unsigned r = 0; r < rounds; r++)
		for (unsigned i = 0; i < k; i++) {
			unsigned long n = timed_n(ctx, &p[i]);
			loop[i][r] = run_ns(p[i].loop, p[i].arg, n);
			empty[i][r] = p[i].empty ? run_ns(p[i].empty, p[i].arg, n) : 0;
		}
	for (unsigned i = 0; i < k; i++) {
		double per = p[i].per ? p[i].per : 1, e = median(empty[i], rounds);
		out[i].ns = (median(loop[i], rounds) - e) / per;
		out[i].ns_min = (loop[i][0] - e) / per; /* sorted by median() */
		instr_figures(ctx, &p[i], &out[i]);
	}
	free(loop);
	free(empty);
}

/* ---- rows ---- */

struct bench_row *bench_row(struct bench_ctx *ctx, const char *name, const char *label)
{
	struct table *t = ctx->cur;
	struct bench_row *rows = realloc(t->rows, (t->nrows + 1) * sizeof(*rows)), *r;

	if (!rows) {
		fprintf(stderr, "sphb_bench: out of memory\n");
		exit(1);
	}
	t->rows = rows;
	r = &rows[t->nrows++];
	memset(r, 0, sizeof(*r));
	copy(r->name, sizeof(r->name), name);
	copy(r->label, sizeof(r->label), label);
	return r;
}

static struct bench_val *slot(struct bench_row *r, const char *key)
{
	for (unsigned i = 0; i < r->nval; i++)
		if (!strcmp(r->val[i].key, key))
			return &r->val[i];
	if (r->nval == MAXVALS) {
		fprintf(stderr, "sphb_bench: row %s: too many values\n", r->name);
		exit(1);
	}
	r->val[r->nval].key = key;
	return &r->val[r->nval++];
}

void bench_num(struct bench_row *r, const char *key, double v)
{
	struct bench_val *s = slot(r, key);
	s->is_str = false;
	s->num = v;
}

void bench_str(struct bench_row *r, const char *key, const char *str)
{
	struct bench_val *v = slot(r, key);
	v->is_str = true;
	copy(v->str, sizeof(v->str), str);
}

void bench_fig(struct bench_ctx *ctx, struct bench_row *r, const struct bench_figure *f, unsigned per)
{
	bench_num(r, "ns", f->ns);
	bench_num(r, "ns_min", f->ns_min);
	bench_num(r, "x_store", f->ns / ctx->floor_store);
	bench_num(r, "x_memcpy", f->ns * (per ? per : 1) / ctx->floor_memcpy);
	bench_num(r, "instr", f->instr);
	bench_num(r, "instr_entry", f->instr_entry);
}

/* ---- output ---- */

static void print_table(const struct table *t)
{
	const struct bench_col *c;

	printf("\n== %s (%s)\n", t->sec->title, t->sec->name);
	for (c = t->sec->cols; c->key; c++)
		printf(c == t->sec->cols ? "%-*s" : " %*s", c->width, c->head);
	printf("\n");
	for (unsigned i = 0; i < t->nrows; i++) {
		const struct bench_row *r = &t->rows[i];
		for (c = t->sec->cols; c->key; c++) {
			const char *fmt = c == t->sec->cols ? "%-*s" : " %*s";
			char buf[128];
			if (!strcmp(c->key, "label")) {
				snprintf(buf, sizeof(buf), "%s", r->label);
			} else {
				const struct bench_val *v = NULL;
				for (unsigned j = 0; j < r->nval; j++)
					if (!strcmp(r->val[j].key, c->key))
						v = &r->val[j];
				if (!v)
					snprintf(buf, sizeof(buf), "-");
				else if (v->is_str)
					snprintf(buf, sizeof(buf), "%s", v->str);
				else if (isnan(v->num))
					snprintf(buf, sizeof(buf), "-");
				else
					snprintf(buf, sizeof(buf), "%.*f", c->prec, v->num);
			}
			printf(fmt, c->width, buf);
		}
		printf("\n");
	}
	printf("%s\n", t->sec->method);
}

static void json_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			fprintf(f, "\\%c", *s);
		else if (*s == '\n')
			fputs("\\n", f);
		else if ((unsigned char)*s < 0x20)
			fprintf(f, "\\u%04x", *s);
		else
			fputc(*s, f);
	}
	fputc('"', f);
}

static void json_num(FILE *f, double v)
{
	if (isnan(v) || isinf(v))
		fputs("null", f);
	else if (fabs(v) < 9e15 && (double)(long long)v == v)
		fprintf(f, "%lld", (long long)v); /* counts and bytes exactly */
	else
		fprintf(f, "%.6g", v);
}

/* the first line of a file, trimmed ("" if unreadable) */
static void first_line(const char *path, const char *prefix, char *buf, size_t sz)
{
	FILE *f = fopen(path, "r");
	char line[512];

	buf[0] = '\0';
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		if (prefix && strncmp(line, prefix, strlen(prefix)))
			continue;
		char *p = prefix ? strchr(line, ':') : line;
		p = p ? p + (prefix ? 1 : 0) : line;
		while (*p == ' ' || *p == '\t')
			p++;
		copy(buf, sz, p);
		buf[strcspn(buf, "\n")] = '\0';
		break;
	}
	fclose(f);
}

static unsigned cpus(void)
{
	FILE *f = fopen("/proc/cpuinfo", "r");
	char line[256];
	unsigned n = 0;

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, "processor", 9))
			n++;
	fclose(f);
	return n;
}

static int write_json(const struct bench_ctx *ctx, const char *path, const char *load0, const char *load1)
{
	FILE *f = fopen(path, "w");
	char cpu[256], date[64];
	time_t now = time(NULL);
	struct tm tm;

	if (!f) {
		fprintf(stderr, "sphb_bench: %s: %s\n", path, strerror(errno));
		return -errno;
	}
	first_line("/proc/cpuinfo", "model name", cpu, sizeof(cpu));
	gmtime_r(&now, &tm);
	strftime(date, sizeof(date), "%Y-%m-%dT%H:%M:%SZ", &tm);
	fprintf(f, "{\n  \"program\": \"sphb_bench\",\n  \"library_version\": ");
	json_str(f, sphb_version());
	fprintf(f, ",\n  \"date\": \"%s\",\n  \"mode\": \"%s\",\n  \"rounds\": %u,\n  \"callgrind\": %s,\n",
		date, ctx->quick ? "quick" : "full", ctx->quick ? QUICK_ROUNDS : ROUNDS,
		ctx->callgrind ? "true" : "false");
	fprintf(f, "  \"machine\": {\"cpu\": ");
	json_str(f, cpu);
	fprintf(f, ", \"cpus\": %u, \"compiler\": ", cpus());
	json_str(f, __VERSION__);
	fprintf(f, ", \"loadavg_start\": ");
	json_str(f, load0);
	fprintf(f, ", \"loadavg_end\": ");
	json_str(f, load1);
	fprintf(f, "},\n  \"floor_ns\": {\"store8\": ");
	json_num(f, ctx->floor_store);
	fprintf(f, ", \"memcpy4k\": ");
	json_num(f, ctx->floor_memcpy);
	fprintf(f, "},\n  \"sections\": [");
	for (unsigned s = 0, first = 1; s < NSECTIONS; s++) {
		const struct table *t = &ctx->tables[s];
		if (!t->ran)
			continue;
		fprintf(f, "%s\n    {\"name\": ", first ? "" : ",");
		first = 0;
		json_str(f, t->sec->name);
		fprintf(f, ", \"title\": ");
		json_str(f, t->sec->title);
		fprintf(f, ", \"method\": ");
		json_str(f, t->sec->method);
		fprintf(f, ",\n     \"rows\": [");
		for (unsigned i = 0; i < t->nrows; i++) {
			const struct bench_row *r = &t->rows[i];
			fprintf(f, "%s\n       {\"name\": ", i ? "," : "");
			json_str(f, r->name);
			fprintf(f, ", \"label\": ");
			json_str(f, r->label);
			for (unsigned j = 0; j < r->nval; j++) {
				fprintf(f, ", ");
				json_str(f, r->val[j].key);
				fprintf(f, ": ");
				if (r->val[j].is_str)
					json_str(f, r->val[j].str);
				else
					json_num(f, r->val[j].num);
			}
			fprintf(f, "}");
		}
		fprintf(f, "]}");
	}
	fprintf(f, "\n  ]\n}\n");
	if (fclose(f)) {
		fprintf(stderr, "sphb_bench: %s: %s\n", path, strerror(errno));
		return -EIO;
	}
	return 0;
}

/* ---- the callgrind passes ---- */

extern char **environ;

/* run argv with stdout and stderr to log; its exit status, or -1 */
static int spawn(char *const *argv, const char *log)
{
	posix_spawn_file_actions_t fa;
	pid_t pid;
	int st = -1, rc;

	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 1, log, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	posix_spawn_file_actions_adddup2(&fa, 1, 2);
	rc = posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	if (rc) {
		fprintf(stderr, "sphb_bench: cannot run %s: %s\n", argv[0], strerror(rc));
		return -1;
	}
	if (waitpid(pid, &st, 0) < 0 || !WIFEXITED(st))
		return -1;
	return WEXITSTATUS(st);
}

/* A dump's "summary:" is callgrind's count of the events it collected (what
 * it prints as "Collected" at exit); "totals:" sums the per-function costs
 * and can exceed it by a few instructions per toggle of collection. */
static double dump_total(const char *path)
{
	char buf[64];

	first_line(path, "summary", buf, sizeof(buf));
	if (!buf[0])
		first_line(path, "totals", buf, sizeof(buf));
	return buf[0] ? strtod(buf, NULL) : -1;
}

/* One pass: the program under callgrind with --instr-pass; every dump
 * (one per measured loop) is matched with the label the child wrote. */
static int cg_pass(struct bench_ctx *ctx, const char *dir, bool entry, char *const *extra,
		   unsigned nextra)
{
	static const char *const entries[] = { "sphb_rtas_call", "sphb_hcall", "sphb_dma_translate",
					       "sphb_dma_xlate", "sphb_mmio_load", "sphb_dma_read" };
	char self[4096], out[4200], labels[4200], log[4200], line[256];
	char toggles[6][64], o_out[4300], *argv[32];
	unsigned a = 0, n = 0;
	ssize_t len = readlink("/proc/self/exe", self, sizeof(self) - 1);
	FILE *lf;
	int rc;

	if (len <= 0)
		return -ENOENT;
	self[len] = '\0';
	snprintf(out, sizeof(out), "%s/%s.out", dir, entry ? "entry" : "loop");
	snprintf(labels, sizeof(labels), "%s/%s.labels", dir, entry ? "entry" : "loop");
	snprintf(log, sizeof(log), "%s/%s.log", dir, entry ? "entry" : "loop");
	snprintf(o_out, sizeof(o_out), "--callgrind-out-file=%s", out);
	argv[a++] = "valgrind";
	argv[a++] = "--tool=callgrind";
	argv[a++] = o_out;
	if (entry) {
		for (unsigned i = 0; i < 6; i++) {
			snprintf(toggles[i], sizeof(toggles[i]), "--toggle-collect=%s", entries[i]);
			argv[a++] = toggles[i];
		}
	} else {
		argv[a++] = "--toggle-collect=bench_measure_loop";
	}
	argv[a++] = "--zero-before=bench_measure_loop";
	argv[a++] = "--dump-after=bench_measure_loop";
	argv[a++] = self;
	argv[a++] = "--instr-pass";
	argv[a++] = "--labels";
	argv[a++] = labels;
	for (unsigned i = 0; i < nextra; i++)
		argv[a++] = extra[i];
	argv[a] = NULL;
	fprintf(stderr, "sphb_bench: callgrind pass (%s) ...\n", entry ? "inside the entry points" : "loops");
	rc = spawn(argv, log);
	if (rc != 0) {
		fprintf(stderr, "sphb_bench: valgrind failed (status %d); its output: %s\n", rc, log);
		return -EIO;
	}
	lf = fopen(labels, "r");
	if (!lf)
		return -EIO;
	while (fgets(line, sizeof(line), lf)) {
		char dump[4300];
		struct icount *ic;
		double v;

		line[strcspn(line, "\n")] = '\0';
		snprintf(dump, sizeof(dump), "%s.%u", out, ++n);
		v = dump_total(dump);
		unlink(dump);
		if (v < 0) {
			fprintf(stderr, "sphb_bench: no callgrind dump %s for %s\n", dump, line);
			fclose(lf);
			return -EIO;
		}
		ic = (struct icount *)icount_find(ctx, line);
		if (!ic) {
			struct icount *grown = realloc(ctx->ic, (ctx->nic + 1) * sizeof(*grown));
			if (!grown) {
				fclose(lf);
				return -ENOMEM;
			}
			ctx->ic = grown;
			ic = &ctx->ic[ctx->nic++];
			memset(ic, 0, sizeof(*ic));
			copy(ic->label, sizeof(ic->label), line);
		}
		if (entry)
			ic->entry_pass = v;
		else
			ic->loop_pass = v;
	}
	fclose(lf);
	unlink(labels);
	unlink(log);
	unlink(out);
	return 0;
}

static int callgrind(struct bench_ctx *ctx, char *const *extra, unsigned nextra)
{
	char dir[] = "/tmp/sphb_bench.XXXXXX";
	int rc;

	if (!mkdtemp(dir)) {
		fprintf(stderr, "sphb_bench: mkdtemp: %s\n", strerror(errno));
		return -errno;
	}
	rc = cg_pass(ctx, dir, false, extra, nextra);
	if (!rc)
		rc = cg_pass(ctx, dir, true, extra, nextra);
	if (!rc)
		rmdir(dir);
	return rc;
}

/* ---- main ---- */

static void usage(void)
{
	fprintf(stderr, "usage: sphb_bench [--quick] [--callgrind] [--json FILE] [--section NAME]...\n"
			"sections:");
	for (unsigned s = 0; s < NSECTIONS; s++)
		fprintf(stderr, " %s", sections[s]->name);
	fprintf(stderr, "\n");
}

int main(int argc, char **argv)
{
	static struct bench_ctx ctx;
	const char *json = NULL, *labels = NULL, *sel[MAXSEL];
	char *extra[2 * MAXSEL + 1], load0[128], load1[128];
	unsigned nsel = 0, nextra = 0;
	int rc = 0;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--quick")) {
			ctx.quick = true;
			extra[nextra++] = argv[i];
		} else if (!strcmp(argv[i], "--callgrind")) {
			ctx.callgrind = true;
		} else if (!strcmp(argv[i], "--instr-pass")) {
			ctx.instr_pass = true;
		} else if (!strcmp(argv[i], "--labels") && i + 1 < argc) {
			labels = argv[++i];
		} else if (!strcmp(argv[i], "--json") && i + 1 < argc) {
			json = argv[++i];
		} else if (!strcmp(argv[i], "--section") && i + 1 < argc && nsel < MAXSEL) {
			unsigned s;
			for (s = 0; s < NSECTIONS && strcmp(sections[s]->name, argv[i + 1]); s++)
				;
			if (s == NSECTIONS) {
				fprintf(stderr, "sphb_bench: no section '%s'\n", argv[i + 1]);
				usage();
				return 2;
			}
			extra[nextra++] = argv[i];
			extra[nextra++] = argv[i + 1];
			sel[nsel++] = argv[++i];
		} else {
			usage();
			return 2;
		}
	}
	if (ctx.instr_pass && (!labels || !(ctx.labels = fopen(labels, "w")))) {
		fprintf(stderr, "sphb_bench: --instr-pass needs a writable --labels FILE\n");
		return 2;
	}
	first_line("/proc/loadavg", NULL, load0, sizeof(load0));
	if (ctx.callgrind && !ctx.instr_pass && (rc = callgrind(&ctx, extra, nextra)) != 0)
		return 1;
	for (unsigned s = 0; s < NSECTIONS && !rc; s++) {
		bool want = s == 0 || nsel == 0; /* the floor always */
		for (unsigned i = 0; i < nsel; i++)
			want = want || !strcmp(sel[i], sections[s]->name);
		if (!want)
			continue;
		ctx.cur = &ctx.tables[s];
		ctx.cur->sec = sections[s];
		ctx.cur->ran = true;
		rc = sections[s]->run(&ctx);
		if (rc)
			fprintf(stderr, "sphb_bench: section %s failed: %s\n", sections[s]->name,
				strerror(-rc));
	}
	first_line("/proc/loadavg", NULL, load1, sizeof(load1));
	if (ctx.instr_pass) {
		fclose(ctx.labels);
		return rc ? 1 : 0;
	}
	if (!rc) {
		printf("sphb_bench %s: %s run, %u rounds per figure, instructions %s; load average %s (start), %s (end)\n",
		       sphb_version(), ctx.quick ? "quick" : "full", ctx.quick ? QUICK_ROUNDS : ROUNDS,
		       ctx.callgrind ? "from callgrind" : "not measured (make bench-callgrind)", load0, load1);
		for (unsigned s = 0; s < NSECTIONS; s++)
			if (ctx.tables[s].ran)
				print_table(&ctx.tables[s]);
	}
	if (!rc && json) {
		rc = write_json(&ctx, json, load0, load1);
		if (!rc)
			printf("\nresults: %s\n", json);
	}
	for (unsigned s = 0; s < NSECTIONS; s++)
		free(ctx.tables[s].rows);
	free(ctx.ic);
	return rc ? 1 : 0;
}
