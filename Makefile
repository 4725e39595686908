# sphb — one non-recursive GNU Makefile.
#   make [all] | demo | demo-config | check | check-one | bench | bench-callgrind | fuzz |
#        qemu | check-baseline | check-guest | install | clean
#   O=DIR build directory (default build; it keeps the SAN and SPHB_VFIO it was
#   built with), SAN=address,undefined, V=1 verbose,
#   PREFIX=/usr/local, DESTDIR= for staged installs, JOBS=N for make check.
O ?= build
# A tree remembers the SAN and SPHB_VFIO it was built with, so a later
# `make O=DIR ...` without them (tests/abi/install.sh, a user) builds that
# tree the same way instead of mixing objects of two configurations.
-include $(O)/.config
SAN ?=
V ?= 0
PREFIX ?= /usr/local
LIBDIR ?= $(PREFIX)/lib
INCLUDEDIR ?= $(PREFIX)/include
BINDIR ?= $(PREFIX)/bin
MANDIR ?= $(PREFIX)/share/man
CC ?= cc
# The Linux VFIO backend: on by default on Linux; SPHB_VFIO=0 leaves it out.
SPHB_VFIO ?= $(if $(filter Linux,$(shell uname -s)),1,0)

comma := ,

ifeq ($(V),1)
Q :=
else
Q := @
endif

VERSION := $(shell sed -n 's/^\#define SPHB_VERSION_STRING "\(.*\)"/\1/p' include/sphb/sphb.h)
# The ABI major (the soname) and the file it names on install: libsphb.so.0 ->
# libsphb.so.0.1.0 for VERSION 0.1.0 (the usual MAJOR.MINOR.PATCH real name; the
# version script's node SPHB_0.1 is the same MAJOR.MINOR), libsphb.so -> libsphb.so.0.
SONAME := libsphb.so.0
REALNAME := libsphb.so.$(VERSION)

WARN := -Wall -Wextra -Werror -Wshadow -Wconversion
BASE_CFLAGS := -std=c11 -g -O2 $(WARN) -Iinclude -D_POSIX_C_SOURCE=200809L
ifneq ($(SAN),)
BASE_CFLAGS += -fsanitize=$(SAN) -fno-omit-frame-pointer -fno-sanitize-recover=all
SAN_LDFLAGS := -fsanitize=$(SAN)
endif
CFLAGS ?=
LDFLAGS ?=
ALL_CFLAGS := $(BASE_CFLAGS) $(CFLAGS)
LIB_CFLAGS := $(ALL_CFLAGS) -fPIC -fvisibility=hidden -DSPHB_BUILDING_LIBRARY -Isrc -DSPHB_VFIO=$(SPHB_VFIO)

# $(O)/.config: the tree's configuration; when it changes (another SAN,
# SPHB_VFIO, compiler or flags given explicitly), everything is rebuilt.
TREE_CONFIG := SAN ?= $(SAN)\nSPHB_VFIO ?= $(SPHB_VFIO)\n\# $(CC) $(LIB_CFLAGS) $(LDFLAGS)\n
$(shell mkdir -p '$(O)' && printf '$(TREE_CONFIG)' >'$(O)/.config.new' && \
	{ cmp -s '$(O)/.config.new' '$(O)/.config' && rm -f '$(O)/.config.new' || mv -f '$(O)/.config.new' '$(O)/.config'; })
$(O)/.config: ;

# The library, by layer: util < pci < host < phb < papr < src/*.c (tests/abi/layers.sh checks it)
LIB_DIRS := util pci host phb papr guest
LIB_HDRS := $(wildcard src/*.h $(LIB_DIRS:%=src/%/*.h))
LIB_SRCS := $(wildcard src/*.c $(LIB_DIRS:%=src/%/*.c))
ifneq ($(SPHB_VFIO),1)
LIB_SRCS := $(filter-out src/host/vfio%.c,$(LIB_SRCS))
endif
LIB_OBJS := $(LIB_SRCS:%.c=$(O)/%.o)
CLI_SRCS := $(wildcard tools/*.c)
CLI_OBJS := $(CLI_SRCS:%.c=$(O)/%.o)
UNIT_SRCS := $(wildcard tests/unit/*.c)
UNIT_BINS := $(UNIT_SRCS:%.c=$(O)/%)
BENCH_SRCS := $(wildcard bench/*.c)
FUZZ_SRCS := $(wildcard tests/fuzz/fuzz_*.c)
BENCH_BIN := $(O)/bench/sphb_bench

.PHONY: all lib cli tests demo demo-config check check-one bench bench-callgrind fuzz install clean \
	deps-demo deps-check

all: lib cli

lib: $(O)/libsphb.a $(O)/$(SONAME)
cli: $(O)/sphb

$(O)/src/%.o: src/%.c $(LIB_HDRS) include/sphb/sphb.h $(O)/.config
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $@")
	$(Q)$(CC) $(LIB_CFLAGS) -c $< -o $@

$(O)/libsphb.a: $(LIB_OBJS)
	@$(if $(Q),echo "  AR      $@")
	$(Q)rm -f $@ && ar rcs $@ $^

$(O)/$(SONAME): $(LIB_OBJS) src/libsphb.map
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) -shared -Wl,-soname,$(SONAME) -Wl,--version-script=src/libsphb.map \
		$(SAN_LDFLAGS) $(LDFLAGS) -o $@ $(LIB_OBJS)

$(O)/tools/%.o: tools/%.c $(wildcard tools/*.h) include/sphb/sphb.h $(O)/.config
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $@")
	$(Q)$(CC) $(ALL_CFLAGS) -c $< -o $@

$(O)/sphb: $(CLI_OBJS) $(O)/libsphb.a
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(SAN_LDFLAGS) $(LDFLAGS) -o $@ $(CLI_OBJS) $(O)/libsphb.a -lfdt

$(O)/tests/unit/%: tests/unit/%.c $(wildcard tests/*.h) $(O)/libsphb.a
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $@")
	$(Q)$(CC) $(ALL_CFLAGS) -Itests -Isrc -DSPHB_VFIO=$(SPHB_VFIO) $(SAN_LDFLAGS) $(LDFLAGS) -o $@ $< $(O)/libsphb.a \
		$(UNIT_LIBS_$*)
# libraries a unit test links besides libsphb (libfdt: an oracle for the DT sizes)
UNIT_LIBS_test_fdt_tree := -lfdt

# The benchmark: one program, its sections in bench/*.c (docs/performance.md)
BENCH_TOOLS := tools/trace.c tools/replay.c
$(BENCH_BIN): $(BENCH_SRCS) $(BENCH_TOOLS) $(wildcard bench/*.h) tools/trace.h tools/cli.h tests/harness.h tests/vfio_fake_kernel.h $(O)/libsphb.a
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $@")
	$(Q)$(CC) $(ALL_CFLAGS) -Itests -Isrc -DSPHB_VFIO=$(SPHB_VFIO) $(SAN_LDFLAGS) $(LDFLAGS) \
		-o $@ $(BENCH_SRCS) $(BENCH_TOOLS) $(O)/libsphb.a

# The embedding example (examples/vmm.c), built against the public header
# only, and run by tests/abi/example-vmm.sh
EXAMPLE_BINS := $(O)/examples/vmm
$(O)/examples/%: examples/%.c include/sphb/sphb.h $(O)/libsphb.a
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(ALL_CFLAGS) $(SAN_LDFLAGS) $(LDFLAGS) -o $@ $< $(O)/libsphb.a

# The replay API test compiles the CLI's trace parser and replayer in
$(O)/tests/unit/test_replay_api: tools/trace.c tools/replay.c tools/trace.h tools/cli.h

# Fuzz corpora replayed with the normal compiler (no libFuzzer needed).
# FUZZ_EXTRA_<name>: more sources a target links (fuzz_script: the CLI's
# script interpreter, without its libfdt-based dt writer).
FUZZ_EXTRA_script := tools/script.c tools/guestlog.c
REPLAY_BINS := $(FUZZ_SRCS:tests/fuzz/fuzz_%.c=$(O)/tests/fuzz/replay_%)
$(O)/tests/fuzz/replay_script $(O)/fuzz/fuzz_script: $(FUZZ_EXTRA_script) tools/cli.h
$(O)/tests/fuzz/replay_%: tests/fuzz/fuzz_%.c tests/fuzz/replay_main.c $(wildcard tests/*.h tests/fuzz/*.h) $(O)/libsphb.a
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $@")
	$(Q)$(CC) $(ALL_CFLAGS) -Wno-conversion -Itests -Isrc -Itools -DSPHB_VFIO=$(SPHB_VFIO) \
		$(SAN_LDFLAGS) $(LDFLAGS) -o $@ $< $(FUZZ_EXTRA_$*) tests/fuzz/replay_main.c $(O)/libsphb.a

# The concurrency tests once more under ThreadSanitizer (normal build only)
TSAN_TESTS := test_tce_threads
TSAN_BINS := $(if $(SAN),,$(TSAN_TESTS:%=$(O)/tests/tsan/%))
$(O)/tests/tsan/%: tests/unit/%.c tests/harness.h $(LIB_SRCS) $(LIB_HDRS)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  TSAN    $@")
	$(Q)$(CC) -std=c11 -g -O1 -D_POSIX_C_SOURCE=200809L -Iinclude -Isrc -Itests -fsanitize=thread \
		-o $@ $< $(LIB_SRCS) -pthread

# Only the ThreadSanitizer tests (make check runs them too)
.PHONY: check-tsan
check-tsan: $(TSAN_TESTS:%=$(O)/tests/tsan/%)
	$(Q)set -e; for t in $^; do echo "TSAN $$t"; TSAN_OPTIONS="halt_on_error=1 exitcode=1" $$t; done

tests: all $(UNIT_BINS) $(REPLAY_BINS) $(TSAN_BINS) $(BENCH_BIN) $(EXAMPLE_BINS)

# Debian packages each goal needs; installed when run as root, else printed.
DEMO_PKGS := gcc make libc6-dev libfdt-dev
CHECK_PKGS := $(DEMO_PKGS) g++ pkg-config qemu-system-ppc device-tree-compiler python3 valgrind \
	man-db xz-utils ipxe-qemu
deps-demo:
	@scripts/deps.sh $(DEMO_PKGS)
deps-check:
	@scripts/deps.sh $(CHECK_PKGS)

# The main job: an EEH story on two PHBs and three IOMMU groups.
demo: deps-demo all
	$(O)/sphb run $$(cat examples/eeh-recovery.args) examples/eeh-recovery.sphb

# A guest probing one function's config space through RTAS.
demo-config: all
	$(O)/sphb run $$(cat examples/config-probe.args) examples/config-probe.sphb

# Every test, in three builds: normal ($(O)), ASan+UBSan ($(O)/san) and
# without the VFIO backend ($(O)/novfio). One make -jJOBS (default: every CPU;
# make's own -jN wins) builds the three trees side by side, and each tree's
# tests start as soon as that tree is built, JOBS at a time per tree, the
# slowest first, results collected
# in $(O)/.results; the last line sums them up (docs/testing.md).
JOBS ?= $(or $(patsubst -j%,%,$(filter -j%,$(MAKEFLAGS))),$(shell nproc 2>/dev/null || echo 2))
# job slots of the make that runs the three trees: each tree's recipe holds one
# while it builds (its compiles share the rest) and while its tests run
CHECK_SLOTS = $(shell echo $$(( $(JOBS) + 1 > 3 ? $(JOBS) + 1 : 3 )))
CHECK_RESULTS := $(O)/.results
check: deps-check
	@echo "== make check: building $(O) (normal), $(O)/san (ASan+UBSan), $(O)/novfio (SPHB_VFIO=0) side by side; each tree's tests start when it is built, $(JOBS) at a time"
	$(Q)rm -rf $(CHECK_RESULTS) && mkdir -p $(CHECK_RESULTS)
	-$(Q)$(MAKE) --no-print-directory -j$(CHECK_SLOTS) JOBS=$(JOBS) check-trees
	$(Q)tests/run-tests.sh --summary $(CHECK_RESULTS)

# check-tree-NAME: build one tree, then run its tests; a build that fails is
# one failed test in the summary. '+': the sub-make is recursive even though
# $(MAKE) only appears once check_tree is expanded (it shares the jobserver).
.PHONY: check-trees check-tree-normal check-tree-san check-tree-novfio
check-trees: check-tree-normal check-tree-san check-tree-novfio
define check_tree
	+$(Q)$(MAKE) --no-print-directory $(1) tests || \
		{ echo "FAIL 0 build:$(2)" > $(CHECK_RESULTS)/build-$(3).res; echo "FAIL build of $(2)"; exit 1; }
	@echo "== built $(2): its tests start"
	$(Q)SPHB_RESULTS=$(abspath $(CHECK_RESULTS)) SPHB_JOBS=$(JOBS) $(4) tests/run-tests.sh $(2)
endef
check-tree-normal:
	$(call check_tree,,$(O),normal,SPHB_VALGRIND=1)
check-tree-san:
	$(call check_tree,O=$(O)/san SAN=address$(comma)undefined,$(O)/san,san,)
check-tree-novfio:
	$(call check_tree,O=$(O)/novfio SPHB_VFIO=0,$(O)/novfio,novfio,)

# The suite for one build directory only (no dependency installation).
check-one: tests
	$(Q)SPHB_JOBS=$(JOBS) tests/run-tests.sh $(O)

# A real QEMU hosting a real Linux guest through libsphb (docs/qemu.md):
# QEMU 7.2 with contrib/qemu's patches, built and cached outside the checkout
# (contrib/qemu/build.sh, keyed by its inputs); the guest checks boot Debian's
# ppc64le kernel under TCG (tests/guest/README.md). A script's exit 77 means
# the guest kernel could not be fetched: reported, not a failure.
.PHONY: qemu check-baseline check-guest
qemu:
	contrib/qemu/build.sh
check-baseline:
	$(Q)tests/guest/check-baseline.sh; rc=$$?; \
	if [ $$rc = 77 ]; then echo "check-baseline: SKIPPED (see above)"; exit 0; fi; exit $$rc
check-guest:
	$(Q)tests/guest/check-guest.sh; rc=$$?; \
	if [ $$rc = 77 ]; then echo "check-guest: SKIPPED (see above)"; exit 0; fi; exit $$rc

# Times (make bench) and, with valgrind's callgrind, instruction counts too
bench: all $(BENCH_BIN)
	$(Q)$(BENCH_BIN) --json $(O)/bench/results.json
bench-callgrind: all $(BENCH_BIN)
	$(Q)$(BENCH_BIN) --callgrind --json $(O)/bench/results.json

# libFuzzer targets (clang): make fuzz [FUZZ_TIME=seconds per target]
# [FUZZ_TARGETS="rtas model ..."]; a dictionary tests/fuzz/dict/NAME.dict is
# passed when there is one. New inputs go to BUILD/fuzz/corpus-NAME.
FUZZ_TIME ?= 60
FUZZ_CC ?= clang
FUZZ_BINS := $(FUZZ_SRCS:tests/fuzz/%.c=$(O)/fuzz/%)
FUZZ_TARGETS ?= $(FUZZ_SRCS:tests/fuzz/fuzz_%.c=%)
$(O)/fuzz/%: tests/fuzz/%.c $(LIB_SRCS) $(LIB_HDRS) include/sphb/sphb.h $(wildcard tests/*.h tests/fuzz/*.h)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  FUZZCC  $<")
	$(Q)$(FUZZ_CC) -std=c11 -g -O1 -D_POSIX_C_SOURCE=200809L -Iinclude -Isrc -Itests -Itools \
		-DSPHB_VFIO=$(SPHB_VFIO) -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
		-o $@ $< $(FUZZ_EXTRA_$(patsubst fuzz_%,%,$*)) $(LIB_SRCS)
fuzz: $(FUZZ_TARGETS:%=$(O)/fuzz/fuzz_%)
	@set -e; for name in $(FUZZ_TARGETS); do \
		mkdir -p $(O)/fuzz/corpus-$$name; \
		dict=; [ -f tests/fuzz/dict/$$name.dict ] && dict=-dict=tests/fuzz/dict/$$name.dict; \
		echo "fuzz: $$name for $(FUZZ_TIME) s"; \
		$(O)/fuzz/fuzz_$$name -max_total_time=$(FUZZ_TIME) -print_final_stats=1 $$dict \
			$(O)/fuzz/corpus-$$name tests/fuzz/corpus/$$name; \
	done

install: lib cli
	install -d $(DESTDIR)$(LIBDIR) $(DESTDIR)$(INCLUDEDIR)/sphb $(DESTDIR)$(BINDIR) \
		$(DESTDIR)$(LIBDIR)/pkgconfig $(DESTDIR)$(MANDIR)/man1
	install -m 644 $(O)/libsphb.a $(DESTDIR)$(LIBDIR)/
	install -m 755 $(O)/$(SONAME) $(DESTDIR)$(LIBDIR)/$(REALNAME)
	ln -sf $(REALNAME) $(DESTDIR)$(LIBDIR)/$(SONAME)
	ln -sf $(SONAME) $(DESTDIR)$(LIBDIR)/libsphb.so
	install -m 644 include/sphb/sphb.h $(DESTDIR)$(INCLUDEDIR)/sphb/
	install -m 755 $(O)/sphb $(DESTDIR)$(BINDIR)/
	install -m 644 docs/sphb.1 $(DESTDIR)$(MANDIR)/man1/
	sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@LIBDIR@|$(patsubst $(PREFIX)/%,$${prefix}/%,$(LIBDIR))|' \
		-e 's|@INCLUDEDIR@|$(patsubst $(PREFIX)/%,$${prefix}/%,$(INCLUDEDIR))|' \
		-e 's|@VERSION@|$(VERSION)|' sphb.pc.in > $(DESTDIR)$(LIBDIR)/pkgconfig/sphb.pc

clean:
	rm -rf $(O)
