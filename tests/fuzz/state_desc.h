/* The machine of the state fuzzer (fuzz_state.c) and of its seed generator
 * (gen_state.c): the streams in tests/fuzz/corpus/state are its states.
 * SPDX-License-Identifier: MIT */
#ifndef SPHB_FUZZ_STATE_DESC_H
#define SPHB_FUZZ_STATE_DESC_H

/* after the default PHB (index 0, id pci) */
static const char *const fuzz_state_desc[] = {
	"spapr-pci-host-bridge,index=1,id=g,pe-mode=per-group,error-log=on",
	"spapr-pci-host-bridge,index=2,id=s,pgsz=0x11000,dma_win_size=0x1000000",
	"sim-pci,addr=2,id=a,iommu-group=1,msi=4,msix=4",
	"sim-pci,addr=3,id=b,bar2=io:16,rom=2048",
	"sim-pci,bus=g.0,addr=2,id=c,iommu-group=2,pcie=on,msi=2",
	"sim-pci,bus=g.0,addr=3.0,id=d,iommu-group=3,multifunction=on,msix=2",
	"sim-pci,bus=g.0,addr=3.1,id=e,iommu-group=3,bar1=mem32:64",
	"sim-pci,bus=s.0,addr=1,id=f,iommu-group=4,msi=1",
	NULL,
};

#endif
