# mk/fuzz.mk - libFuzzer targets for every parser of untrusted input
# (issue 10).  Sources: tests/fuzz/fuzz_<name>.c; seeds and regression
# inputs: tests/fuzz/corpus/<name>/ (checked in, never written by a run).
#
#   make fuzz-build               build every target into $(FUZZ_O)/
#   make check-fuzz               replay every checked-in input once (in
#                                 `make check`: a crash found once stays
#                                 fixed)
#   make fuzz-smoke               replay, then fuzz each target for
#                                 FUZZ_SMOKE_SECONDS (10) seconds (.ci/run)
#   make fuzz                     long runs: FUZZ_SECONDS (600) per target;
#                                 new inputs go to $(FUZZ_O)/corpus/<name>/
#   make fuzz FUZZ_TARGETS="api body" FUZZ_SECONDS=3600
#
# Everything is compiled again with clang into $(FUZZ_O) (never mixed with
# build/ objects): common/*.c, the memory and token (JWT, over libjwt)
# stores of stateless/, the embedded page and tests/fuzz/harness.c, with
# ASan + UBSan and libFuzzer's coverage.
# A crash leaves its input in $(FUZZ_O)/artifacts/; copy it into the
# target's corpus directory as regress-<what> once fixed.
#
# AFL++ (not required): its afl-clang-fast understands -fsanitize=fuzzer,
#   make fuzz-build FUZZ_CC=afl-clang-fast FUZZ_O=build/fuzz-afl
#   afl-fuzz -i tests/fuzz/corpus/api -o build/fuzz-afl/out -- \
#       build/fuzz-afl/fuzz_api

FUZZ_CC            ?= clang
FUZZ_O             ?= build/fuzz
FUZZ_SECONDS       ?= 600
FUZZ_SMOKE_SECONDS ?= 10
FUZZ_DEPS           = clang libclang-rt-dev
FUZZ_ALL           := $(patsubst tests/fuzz/fuzz_%.c,%,$(wildcard tests/fuzz/fuzz_*.c))
FUZZ_TARGETS       ?= $(FUZZ_ALL)
FUZZ_BINS           = $(FUZZ_TARGETS:%=$(FUZZ_O)/fuzz_%)

FUZZ_SAN     = -fsanitize=address,undefined -fno-sanitize-recover=all \
               -fno-omit-frame-pointer
FUZZ_CFLAGS  = -std=c11 -D_GNU_SOURCE -g -O1 -Wall -Wextra \
               -Wno-missing-field-initializers -Icommon -Istateless \
               -Itests/fuzz -I$(FUZZ_O) -DSTATELAB_VERSION='"$(VERSION)"' \
               $(shell $(PKG_CONFIG) --cflags $(PKGS_COMMON) $(PKGS_STATELESS)) \
               $(FUZZ_SAN) \
               -MMD -MP
FUZZ_LIBS    = $(shell $(PKG_CONFIG) --libs $(PKGS_STATELESS) $(PKGS_COMMON))
# libFuzzer's options for every run: a stuck input is a finding too.
FUZZ_OPTS    = -timeout=10 -rss_limit_mb=2048 -print_final_stats=0

# The stateless stores the targets drive (remote_doc.c lives in common/).
FUZZ_STORES  = $(filter-out stateless/main.c,$(wildcard stateless/*.c))
FUZZ_LIB_OBJ = $(COMMON_SRC:%.c=$(FUZZ_O)/%.o) \
               $(FUZZ_STORES:%.c=$(FUZZ_O)/%.o) $(FUZZ_O)/web_assets.o \
               $(FUZZ_O)/tests/fuzz/harness.o

# Through a variable, so that `make -n check` (tests/e2e/test_docs.sh)
# prints these recipes instead of running them.
FUZZ_SUBMAKE = $(MAKE)

# A probe: can FUZZ_CC link a libFuzzer target here?
FUZZ_PROBE = printf 'int LLVMFuzzerTestOneInput(const char *d, unsigned long n)\n{ (void)d; (void)n; return 0; }\n' | \
             $(FUZZ_CC) -x c -fsanitize=fuzzer -o /dev/null - >/dev/null 2>&1

fuzz-deps:
	@tools/deps $(DEPS_BUILD) $(FUZZ_DEPS) || \
	    echo "fuzz: could not install $(FUZZ_DEPS)" >&2

fuzz-build: fuzz-deps
	@$(FUZZ_SUBMAKE) --no-print-directory $(FUZZ_BINS)

# Replay only: every checked-in input once, no fuzzing.  Seconds.  Where
# no fuzzing compiler can be had, it says so and skips (never passes).
check-fuzz: fuzz-deps
	@if ! $(FUZZ_PROBE); then \
	    echo "SKIP: check-fuzz: $(FUZZ_CC) cannot build libFuzzer targets here (install $(FUZZ_DEPS))"; \
	    exit 0; fi; \
	$(FUZZ_SUBMAKE) --no-print-directory -s $(FUZZ_BINS) || exit 1; \
	bad=""; for t in $(FUZZ_TARGETS); do \
	    n=$$(find tests/fuzz/corpus/$$t -type f | wc -l); \
	    if $(FUZZ_O)/fuzz_$$t $(FUZZ_OPTS) \
	        $$(find tests/fuzz/corpus/$$t -type f | sort) \
	        >$(FUZZ_O)/replay-$$t.log 2>&1; then \
	        echo "fuzz: $$t replayed $$n input(s)"; \
	    else \
	        grep -E '^(harness|fuzz_[a-z_]+):|^Running:|^SUMMARY' \
	            $(FUZZ_O)/replay-$$t.log | tail -n 3 | sed 's/^/fuzz:   /'; \
	        echo "fuzz: $$t FAILED on a checked-in input (log: $(FUZZ_O)/replay-$$t.log)"; \
	        bad="$$bad $$t"; \
	    fi; \
	done; \
	[ -z "$$bad" ] || { echo "fuzz: regressions in:$$bad"; exit 1; }

# Bounded: the checked-in corpus first, then FUZZ_SMOKE_SECONDS of new
# inputs per target.  Finds land in $(FUZZ_O)/work/, not in the tree.
fuzz-smoke: fuzz-build
	@$(FUZZ_SUBMAKE) --no-print-directory fuzz-run FUZZ_RUN_SECONDS=$(FUZZ_SMOKE_SECONDS) \
	    FUZZ_RUN_DIR=$(FUZZ_O)/work

fuzz: fuzz-build
	@$(FUZZ_SUBMAKE) --no-print-directory fuzz-run FUZZ_RUN_SECONDS=$(FUZZ_SECONDS) \
	    FUZZ_RUN_DIR=$(FUZZ_O)/corpus

fuzz-run:
	@mkdir -p $(FUZZ_O)/artifacts; bad=""; for t in $(FUZZ_TARGETS); do \
	    mkdir -p $(FUZZ_RUN_DIR)/$$t; \
	    echo "fuzz: $$t for $(FUZZ_RUN_SECONDS) s"; \
	    if $(FUZZ_O)/fuzz_$$t $(FUZZ_OPTS) -max_total_time=$(FUZZ_RUN_SECONDS) \
	        -artifact_prefix=$(FUZZ_O)/artifacts/$$t- \
	        $(FUZZ_RUN_DIR)/$$t tests/fuzz/corpus/$$t >$(FUZZ_O)/run-$$t.log 2>&1; then \
	        grep -E '^Done [0-9]+ runs' $(FUZZ_O)/run-$$t.log | sed "s/^/fuzz: $$t: /"; \
	    else \
	        grep -E '^(harness|fuzz_[a-z_]+):|^SUMMARY|^Test unit written' \
	            $(FUZZ_O)/run-$$t.log | tail -n 3 | sed 's/^/fuzz:   /'; \
	        echo "fuzz: $$t CRASHED (log: $(FUZZ_O)/run-$$t.log)"; \
	        bad="$$bad $$t"; \
	    fi; \
	done; \
	[ -z "$$bad" ] || { echo "fuzz: crashes in:$$bad; inputs in $(FUZZ_O)/artifacts/"; exit 1; }

$(FUZZ_O)/fuzz_%: tests/fuzz/fuzz_%.c $(FUZZ_O)/libstatelab-fuzz.a
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer -o $@ $< \
	    $(FUZZ_O)/libstatelab-fuzz.a $(FUZZ_LIBS)

$(FUZZ_O)/libstatelab-fuzz.a: $(FUZZ_LIB_OBJ)
	rm -f $@
	$(AR) rcs $@ $^

$(FUZZ_O)/%.o: %.c
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -c -o $@ $<

# The page is part of the route table (GET /), so it is linked in too.
$(FUZZ_O)/embed: tools/embed.c
	@mkdir -p $(@D)
	$(FUZZ_CC) -std=c11 -O1 -o $@ $<

$(FUZZ_O)/web_assets.c: $(FUZZ_O)/embed $(WEB_ASSETS)
	$(FUZZ_O)/embed $(WEB_ASSETS) > $@.tmp && mv $@.tmp $@

$(FUZZ_O)/web_assets.o: $(FUZZ_O)/web_assets.c
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -c -o $@ $<

CHECK_EXTRA += check-fuzz

.PHONY: fuzz fuzz-build fuzz-deps fuzz-smoke fuzz-run check-fuzz

-include $(wildcard $(FUZZ_O)/*.d $(FUZZ_O)/common/*.d $(FUZZ_O)/stateless/*.d \
    $(FUZZ_O)/tests/fuzz/*.d)
