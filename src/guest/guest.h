/* The guest-recovery driver's constants: the values a Linux 6.12 pseries
 * guest uses (arch/powerpc/include/asm/eeh.h, arch/powerpc/kernel/eeh*.c). Internal to src/guest/, which is a
 * client of the public API only: nothing here may include src/internal.h.
 * SPDX-License-Identifier: MIT */
#ifndef SPHB_GUEST_GUEST_H
#define SPHB_GUEST_GUEST_H

#include "sphb/sphb.h"

/* eeh_ops->get_state() bits (arch/powerpc/include/asm/eeh.h) */
#define EEH_STATE_UNAVAILABLE	0x01
#define EEH_STATE_NOT_SUPPORT	0x02
#define EEH_STATE_RESET_ACTIVE	0x04
#define EEH_STATE_MMIO_ACTIVE	0x08
#define EEH_STATE_DMA_ACTIVE	0x10
#define EEH_STATE_MMIO_ENABLED	0x20
#define EEH_STATE_DMA_ENABLED	0x40

#define EEH_STATE_MIN_WAIT_TIME	1000		/* ms */
#define EEH_STATE_MAX_WAIT_TIME	(300 * 1000)	/* ms */
#define PCI_BUS_RESET_WAIT_MSEC	(5 * 60 * 1000)
#define MAX_WAIT_FOR_RECOVERY	300		/* s */
#define EEH_PE_RST_HOLD_TIME	250		/* ms */
#define EEH_PE_RST_SETTLE_TIME	1800		/* ms */
#define EEH_MAX_FREEZES		5		/* eeh_max_freezes default */
#define EEH_FREEZE_WINDOW_S	3600
#define EEH_RESET_ATTEMPTS	3
#define EEH_CONFIGURE_MAX_WAIT	200		/* ms, configure-pe budget */

/* ibm,set-eeh-option functions, ibm,set-slot-reset functions, log severity */
#define EEH_OPT_ENABLE		1
#define EEH_OPT_THAW_MMIO	2
#define EEH_OPT_THAW_DMA	3
#define EEH_RESET_DEACTIVATE	0
#define EEH_RESET_HOT		1
#define EEH_RESET_FUNDAMENTAL	3
#define EEH_LOG_TEMP		1
#define EEH_LOG_PERM		2

/* RTAS statuses */
#define RTAS_HW_ERROR		(-1)
#define RTAS_BUSY		(-2)
#define RTAS_EXTENDED_DELAY_MIN	9900
#define RTAS_EXTENDED_DELAY_MAX	9905

#define RTAS_ERROR_LOG_MAX	2048
#define EEH_PCI_REGS_LOG_LEN	8192

/* Layout of the scratch area (SPHB_GUEST_SCRATCH_SIZE bytes). */
#define SCR_ARGS	0x0000u	/* RTAS argument buffer, 3 + 16 cells at most */
#define SCR_LASTERR	0x0800u	/* rtas-last-error buffer, RTAS_ERROR_LOG_MAX */
#define SCR_SLOTERR	0x1000u	/* slot-error-detail return buffer */
#define SCR_DRVLOG	0x2000u	/* driver log (config dump), EEH_PCI_REGS_LOG_LEN */

/* PCI config space */
#define PCI_VENDOR_ID		0x00
#define PCI_COMMAND		0x04
#define PCI_STATUS		0x06
#define PCI_CACHE_LINE_SIZE	0x0c
#define PCI_LATENCY_TIMER	0x0d
#define PCI_SEC_STATUS		0x1e
#define PCI_CAPABILITY_LIST	0x34
#define PCI_BRIDGE_CONTROL	0x3e
#define PCI_COMMAND_IO		0x001
#define PCI_COMMAND_MEMORY	0x002
#define PCI_COMMAND_MASTER	0x004
#define PCI_COMMAND_PARITY	0x040
#define PCI_COMMAND_SERR	0x100
#define PCI_STATUS_CAP_LIST	0x10
#define PCI_CAP_ID_PCIX		0x07
#define PCI_CAP_ID_EXP		0x10
#define PCI_EXT_CAP_ID_ERR	0x0001
#define PCI_CLASS_BRIDGE_PCI	0x0604

#endif
