/* Translation on device threads while vCPU work updates TCEs and creates,
 * removes and resets DMA windows on the same PHB: no lock on the read path,
 * and no use of freed memory (run under ThreadSanitizer by make check, and
 * under ASan in the sanitizer build). Every translation must return either
 * a fault or a mapping the guest actually installed at some point. A device
 * thread also moves bytes (sphb_dma_read/write) and sends MSIs through its
 * handle while its mappings come and go and its PE freezes and thaws. */
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <time.h>

#include "harness.h"
#include "internal.h"	/* sphb_tce_retired: the backlog of unpublished tables */

#define HI 0x8000000u
#define LO 0x20000000u
#define READERS 3
#define ROUNDS 3000
#define DMA_BUS 0x3000000ull	/* the device thread's 16 pages, mapped to DMA_RAM */
#define DMA_RAM 0x800000ull

static struct t_host h;
static struct sphb_machine *m;
static atomic_int stop, started;
static atomic_long translations, bad;
static struct sphb_dma *handle[READERS + 1];	/* reader 2 translates through its own handle */
static struct sphb_dma *dev_handle;		/* the device thread's */
static atomic_long moved, dma_faults, dma_stopped, msis;

/* host memory callbacks that device threads may call concurrently (the
 * harness's count accesses, which would be a race) */
static int mt_read(void *opaque, uint64_t gpa, void *buf, size_t len)
{
	struct t_host *th = opaque;
	if (gpa > th->ram_size || len > th->ram_size - gpa)
		return -EFAULT;
	memcpy(buf, th->ram + gpa, len);
	return 0;
}

static int mt_write(void *opaque, uint64_t gpa, const void *buf, size_t len)
{
	struct t_host *th = opaque;
	if (gpa > th->ram_size || len > th->ram_size - gpa)
		return -EFAULT;
	memcpy(th->ram + gpa, buf, len);
	return 0;
}

static void mt_pulse(void *opaque, uint32_t irq)
{
	(void)opaque;
	(void)irq;
	atomic_fetch_add(&msis, 1);
}

/* a device's DMA engine: copies pages around its window, sends MSIs */
static void *device(void *arg)
{
	unsigned seed = 4242;
	uint8_t buf[8192];

	(void)arg;
	atomic_fetch_add(&started, 1);
	do {
		uint64_t bus;
		int rc;

		seed = seed * 1103515245u + 12345u;
		bus = DMA_BUS + ((seed >> 8) % (15 * 4096));
		rc = (seed & 1) ? sphb_dma_read(dev_handle, bus, buf, 1 + (seed >> 20) % 4096)
				: sphb_dma_write(dev_handle, bus, buf, 1 + (seed >> 20) % 4096);
		if (rc == 0)
			atomic_fetch_add(&moved, 1);
		else if (rc == -EFAULT)
			atomic_fetch_add(&dma_faults, 1);
		else if (rc == -EIO)
			atomic_fetch_add(&dma_stopped, 1);
		else
			atomic_fetch_add(&bad, 1);
		if ((seed & 0xff) == 0) { /* an MSI; no interrupt is allocated: -ERANGE unless stopped */
			rc = sphb_dma_write(dev_handle, 0x40000000000ull, "\0\x13\0\0", 4);
			if (rc != -ERANGE && rc != -EIO)
				atomic_fetch_add(&bad, 1);
		}
	} while (!atomic_load(&stop));
	return NULL;
}

static void *reader(void *arg)
{
	unsigned seed = (unsigned)(uintptr_t)arg * 7919u;
	/* reader 1 never yields, so translations are nearly always in flight
	 * and window removals have to wait for them (the retired backlog) */
	bool yields = (uintptr_t)arg != 1;
	atomic_fetch_add(&started, 1);
	do {
		uint64_t gpa, bus;
		unsigned perm;
		int rc;
		seed = seed * 1103515245u + 12345u;
		/* default window (4K pages) or the DDW one at 1 << 59 (64K pages) */
		bus = (seed & 1) ? (1ull << 59) + ((uint64_t)(seed >> 4) & 0xffff000) : (uint64_t)(seed >> 8) & 0x3fff000;
		if (handle[(uintptr_t)arg])
			rc = sphb_dma_xlate(handle[(uintptr_t)arg], bus | 0x10, &gpa, &perm);
		else
			rc = sphb_dma_translate(m, T_BUID0, 0x1000, bus | 0x10, &gpa, &perm);
		if (rc == 0 && (perm != 3 || (gpa & 0xfff) != 0x10 || gpa >> 32 != 0xab))
			atomic_fetch_add(&bad, 1);
		else if (rc != 0 && rc != -EFAULT)
			atomic_fetch_add(&bad, 1);
		if ((atomic_fetch_add(&translations, 1) & 255) == 0 && yields)
			sched_yield(); /* let the writer run on a serializing scheduler (valgrind) */
	} while (!atomic_load(&stop));
	return NULL;
}

/* waits (yielding, at most about 20 s) until the device thread has counted
 * one more event than before: with more threads than cores, the vCPU loop
 * can otherwise run from start to end while the device thread waits for a
 * core, and the test would prove nothing about what it saw */
static bool device_saw(atomic_long *counter, long before)
{
	for (long i = 0; i < 20000 && atomic_load(counter) <= before; i++) {
		struct timespec ts = { 0, 1000000 };
		nanosleep(&ts, NULL);
	}
	return atomic_load(counter) > before;
}

static int32_t rtas5(uint32_t token, uint32_t nargs, uint32_t nret, uint32_t a3, uint32_t a4, uint32_t *r)
{
	uint32_t a[5] = { 0, HI, LO, a3, a4 };
	t_rtas_n(m, &h, token, nargs, nret, a, r);
	return (int32_t)r[0];
}

int main(void)
{
	static const char *const specs[] = { "sim-pci,addr=2,id=d", "sim-pci,addr=3,id=dev,iommu-group=5", NULL };
	struct sphb_host_ops ops = t_ops();
	pthread_t th[READERS], dt;
	uint32_t r[6];

	ops.mem_read = mt_read;
	ops.mem_write = mt_write;
	ops.irq_pulse = mt_pulse;
	m = t_machine_ops(&h, &ops, specs);
	/* a TCE list for H_PUT_TCE_INDIRECT: 64 pages at 0xab_0000_0000 + ... */
	for (unsigned k = 0; k < 64; k++) {
		t_st32(&h, 0x200000 + 8 * k, 0xab);
		t_st32(&h, 0x200000 + 8 * k + 4, (k << 16) | 3);
	}
	/* handles are opened while no vCPU work runs (they are writer-side state) */
	CHECK_EQ(sphb_dma_open(m, T_BUID0, 0x1000, &handle[2]), 0);
	CHECK_EQ(sphb_func_dma_open(sphb_func_find(m, "dev"), &dev_handle), 0);
	for (int i = 0; i < READERS; i++)
		if (pthread_create(&th[i], NULL, reader, (void *)(uintptr_t)(i + 1)))
			return 77;
	if (pthread_create(&dt, NULL, device, NULL))
		return 77;
	/* the churn starts once every thread runs (valgrind schedules threads one at a time) */
	while (atomic_load(&started) < READERS + 1)
		sched_yield();
	for (unsigned round = 0; round < ROUNDS; round++) {
		uint64_t args[4], rets[1];
		int64_t hret;
		/* map a few pages of the default window to 0xab_0000_0000 + ... */
		for (unsigned k = 0; k < 8; k++) {
			args[0] = 0x80000000u; args[1] = ((round * 8 + k) % 16384) << 12;
			args[2] = 0xab00000000ull | (args[1] << 4) | 3;
			CHECK_EQ(sphb_hcall(m, 0x20, args, 3, rets, 0, &hret), 0);
			CHECK_EQ(hret, 0);
		}
		/* window churn: create a 64K-page DDW window, map into it, remove it, reset */
		if (rtas5(0x2027, 5, 4, 16, 28, r) == 0) {
			args[0] = r[1]; args[1] = (1ull << 59) + ((round % 4096) << 16);
			args[2] = 0xab00000000ull | 3;
			CHECK_EQ(sphb_hcall(m, 0x20, args, 3, rets, 0, &hret), 0);
			CHECK_EQ(hret, 0);
			if (round % 3 == 0) {
				uint32_t a[1] = { r[1] }, rr[1];
				t_rtas_n(m, &h, 0x2028, 1, 1, a, rr);
				CHECK_EQ(rr[0], 0);
			}
		}
		if (round % 5 == 0)
			CHECK_EQ(rtas5(0x2029, 3, 1, 0, 0, r), 0);
		/* runs: INDIRECT maps 64 pages, STUFF clears some of them again */
		args[0] = 0x80000000u; args[1] = 0x2000000 + ((uint64_t)(round % 64) << 18);
		args[2] = 0x200000; args[3] = 64;
		CHECK_EQ(sphb_hcall(m, 0x13c, args, 4, rets, 0, &hret), 0);
		CHECK_EQ(hret, 0);
		if (round % 2) {
			args[2] = 0; args[3] = 32;
			CHECK_EQ(sphb_hcall(m, 0x138, args, 4, rets, 0, &hret), 0);
			CHECK_EQ(hret, 0);
		}
		/* the device thread's pages: mapped and unmapped by turns (the
		 * reset above clears the window, so map them every round), and its
		 * PE frozen and thawed */
		for (unsigned k = 0; k < 16; k++) {
			args[0] = 0x80000000u;
			args[1] = DMA_BUS + ((uint64_t)k << 12);
			args[2] = (round + k) % 7 ? (DMA_RAM + ((uint64_t)k << 12)) | 3 : 0;
			CHECK_EQ(sphb_hcall(m, 0x20, args, 3, rets, 0, &hret), 0);
		}
		if (round % 50 == 10) {
			CHECK_EQ(sphb_host_freeze(m, "dev", NULL), 0);
			if (round == 10) /* the device's next DMA is refused */
				CHECK(device_saw(&dma_stopped, atomic_load(&dma_stopped)));
		}
		if (round % 50 == 20) {
			uint32_t a[4] = { 0x1800, HI, LO, 2 }, rr[1];
			t_rtas_n(m, &h, 0x2020, 4, 1, a, rr); /* thaw MMIO, then DMA */
			a[3] = 3;
			t_rtas_n(m, &h, 0x2020, 4, 1, a, rr);
		}
		/* retired tables wait for running translations, but never pile up */
		CHECK(sphb_tce_retired(m) <= 8);
	}
	/* all 16 pages mapped and the PE running: the device moves bytes */
	for (unsigned k = 0; k < 16; k++) {
		uint64_t args[3] = { 0x80000000u, DMA_BUS + ((uint64_t)k << 12), (DMA_RAM + ((uint64_t)k << 12)) | 3 }, rets[1];
		int64_t hret;
		CHECK_EQ(sphb_hcall(m, 0x20, args, 3, rets, 0, &hret), 0);
		CHECK_EQ(hret, 0);
	}
	CHECK(device_saw(&moved, atomic_load(&moved)));
	atomic_store(&stop, 1);
	for (int i = 0; i < READERS; i++)
		pthread_join(th[i], NULL);
	pthread_join(dt, NULL);
	CHECK(atomic_load(&moved) > 0);
	fprintf(stderr, "device thread: %ld DMAs moved, %ld faulted, %ld refused while stopped, %ld MSIs\n",
		(long)atomic_load(&moved), (long)atomic_load(&dma_faults), (long)atomic_load(&dma_stopped),
		(long)atomic_load(&msis));
	sphb_dma_close(dev_handle);
	CHECK_EQ(atomic_load(&bad), 0);
	CHECK(atomic_load(&translations) > 0);
	fprintf(stderr, "%ld translations\n", (long)atomic_load(&translations));
	sphb_dma_close(handle[2]);
	t_free(m, &h);
	return t_result();
}
