/* VMM functions: PCI functions whose configuration space, BARs and reset
 * the VMM implements (struct sphb_func_ops), plugged with sphb_func_add().
 * Every callback runs with the machine marked "in a callback", so that a
 * VMM calling back into the library gets -EDEADLK instead of changing the
 * state the library is in the middle of using. SPDX-License-Identifier: MIT */
#include <stdlib.h>

#include "internal.h"

struct vmm {
	struct sphb_func f;
	struct sphb_func_ops ops;
	void *opaque;
};

static struct vmm *vmm_of(struct sphb_func *f)
{
	return (struct vmm *)f;
}

static uint32_t vmm_cfg_read(struct sphb_func *f, uint32_t off, unsigned size)
{
	struct vmm *v = vmm_of(f);
	uint32_t val;

	f->m->cb_depth++;
	val = v->ops.cfg_read(v->opaque, off, size);
	f->m->cb_depth--;
	return size == 4 ? val : val & (uint32_t)ones(size);
}

static void vmm_cfg_write(struct sphb_func *f, uint32_t off, unsigned size, uint32_t val)
{
	struct vmm *v = vmm_of(f);

	f->m->cb_depth++;
	v->ops.cfg_write(v->opaque, off, size, val);
	f->m->cb_depth--;
}

static int vmm_bar_read(struct sphb_func *f, unsigned bar, uint64_t off, unsigned size, uint64_t *val)
{
	struct vmm *v = vmm_of(f);
	int rc;

	if (!v->ops.bar_read)
		return -ENOSYS;
	*val = 0;
	f->m->cb_depth++;
	rc = v->ops.bar_read(v->opaque, bar, off, size, val);
	f->m->cb_depth--;
	if (rc > 0)
		rc = -EIO; /* not the documented answer: treat as a failure */
	*val &= ones(size);
	return rc;
}

static int vmm_bar_write(struct sphb_func *f, unsigned bar, uint64_t off, unsigned size, uint64_t val)
{
	struct vmm *v = vmm_of(f);
	int rc;

	if (!v->ops.bar_write)
		return -ENOSYS;
	f->m->cb_depth++;
	rc = v->ops.bar_write(v->opaque, bar, off, size, val & ones(size));
	f->m->cb_depth--;
	return rc > 0 ? -EIO : rc;
}

static void vmm_reset(struct sphb_func *f, enum sphb_reset_kind kind)
{
	struct vmm *v = vmm_of(f);

	f->m->cb_depth++;
	v->ops.reset(v->opaque, kind);
	f->m->cb_depth--;
}

static void vmm_bar_map(struct sphb_func *f, unsigned bar, uint64_t gpa, uint64_t size)
{
	struct vmm *v = vmm_of(f);

	if (!v->ops.bar_map)
		return;
	f->m->cb_depth++;
	v->ops.bar_map(v->opaque, bar, gpa, size);
	f->m->cb_depth--;
}

static void vmm_free(struct sphb_func *f)
{
	struct vmm *v = vmm_of(f);

	if (v->ops.release && f->plugged) { /* a failed plug does not release */
		f->m->cb_depth++;
		v->ops.release(v->opaque);
		f->m->cb_depth--;
	}
	free(v);
}

/* Save/restore: the device model is the VMM's to migrate (its configuration
 * space, BAR registers, MSI/MSI-X state, INTx level); the library's part of
 * the function (identity, PE and MSI allocation, INTx accounting) is the
 * DEVICE section's common part and the PHB's sections. Nothing of the
 * kind's own, so the kind's part of the section is empty. On the target the
 * VMM restores its device models before sphb_machine_load(), which then
 * reads their decode state (Command, BARs) through cfg_read. */
static void vmm_save(struct sphb_func *f, struct sphb_wr *w)
{
	(void)f;
	(void)w;
}

static void *vmm_load(struct sphb_func *f, struct sphb_rd *r, bool intx_counted)
{
	static char nothing; /* a non-NULL staging that holds nothing */

	(void)f;
	(void)r;
	(void)intx_counted;
	return &nothing;
}

static void vmm_commit(struct sphb_func *f, void *staging)
{
	(void)f;
	(void)staging;
}

static void vmm_discard(void *staging)
{
	(void)staging;
}

static const struct sphb_func_kind vmm_kind = {
	.name = "vmm",
	.cfg_read = vmm_cfg_read,
	.cfg_write = vmm_cfg_write,
	.bar_read = vmm_bar_read,
	.bar_write = vmm_bar_write,
	.reset = vmm_reset,
	.free = vmm_free,
	.bar_map = vmm_bar_map,
	.save = vmm_save,
	.load = vmm_load,
	.commit = vmm_commit,
	.discard = vmm_discard,
};

int sphb_vmm_func_create(struct sphb_machine *m, struct sphb_opts *o,
			 const struct sphb_func_ops *ops, void *opaque, struct sphb_func **out)
{
	const char *pcie = sphb_opts_get(o, "pcie");
	struct vmm *v = calloc(1, sizeof(*v));
	bool on;
	int rc;

	if (!v)
		return -ENOMEM;
	rc = sphb_struct_in(&v->ops, sizeof(v->ops), ops, ops->sz,
			    offsetof(struct sphb_func_ops, reset) + sizeof(ops->reset));
	if (rc) {
		sphb_log(m, SPHB_LOG_ERROR, "%s: struct sphb_func_ops of %zu bytes: %s", o->type, ops->sz,
			 rc == -E2BIG ? "it sets members this library does not know (a newer sphb.h?)"
				      : "too small for the required members");
		free(v);
		return rc;
	}
	if (!v->ops.cfg_read || !v->ops.cfg_write || !v->ops.reset) {
		sphb_log(m, SPHB_LOG_ERROR, "%s: struct sphb_func_ops: cfg_read, cfg_write and reset are required",
			 o->type);
		free(v);
		return -EINVAL;
	}
	v->opaque = opaque;
	sphb_func_init(&v->f, &vmm_kind, m, o->type);
	v->f.cfg_size = 0; /* from the capability list, unless pcie= says */
	if (pcie) {
		rc = sphb_opts_bool(m, o, "pcie", false, &on);
		if (rc) {
			free(v);
			return rc;
		}
		v->f.cfg_size = on ? PCIE_CFG_SIZE : PCI_CFG_SIZE;
	}
	*out = &v->f;
	return 0;
}
