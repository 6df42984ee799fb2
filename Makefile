# Makefile - builds bin/stateless and bin/stateful and runs every test.
#
# The user's variables are honoured (CC, CFLAGS, CPPFLAGS, LDFLAGS, LDLIBS,
# PREFIX, DESTDIR); the project's own flags live in ALL_CFLAGS.  Objects go
# to $(O), binaries to $(B), so `make asan` never mixes with a normal build.
#
#   make            install missing Debian packages, build bin/*
#   make check      build, then unit suites, end-to-end tests, lints
#   make asan       the same tests under ASan + UBSan in build/asan
#   make demo       the side-by-side comparison (tools/demo)
#   make fmt        clang-format every C file in place

PREFIX     ?= /usr/local
BINDIR     ?= $(PREFIX)/bin
PKG_CONFIG ?= pkg-config
CFLAGS     ?= -O2 -g
O          ?= build
B          ?= bin
VERSION    := $(shell cat VERSION 2>/dev/null || echo 0.0.0)

# Debian packages: what the build needs, and what the tests need on top.
DEPS_BUILD  = make gcc pkg-config libevent-dev libsqlite3-dev \
              libjansson-dev libjwt-dev uthash-dev
DEPS_TEST   = check curl jq sqlite3 shellcheck clang-format procps prometheus \
              psmisc iproute2

PKGS_COMMON   = libevent jansson
PKGS_STATEFUL = sqlite3
PKGS_STATELESS = libjwt
PKGS_TEST     = check

WARN        = -Wall -Wextra -Werror -Wshadow -Wpointer-arith \
              -Wstrict-prototypes -Wmissing-prototypes -Wformat=2 \
              -Wno-missing-field-initializers
ALL_CFLAGS  = -std=c11 -D_GNU_SOURCE -Icommon -I$(O) $(WARN) \
              -DSTATELAB_VERSION='"$(VERSION)"' \
              $(shell $(PKG_CONFIG) --cflags $(PKGS_COMMON) $(PKGS_STATEFUL) $(PKGS_STATELESS)) \
              -MMD -MP $(CPPFLAGS) $(CFLAGS)
LIBS_COMMON    = $(shell $(PKG_CONFIG) --libs $(PKGS_COMMON))
LIBS_STATEFUL  = $(shell $(PKG_CONFIG) --libs $(PKGS_STATEFUL))
LIBS_STATELESS = $(shell $(PKG_CONFIG) --libs $(PKGS_STATELESS))
LIBS_TEST      = $(shell $(PKG_CONFIG) --libs $(PKGS_TEST))

WEB_ASSETS  = common/web/index.html common/web/app.js common/web/app.css
COMMON_SRC  = $(wildcard common/*.c)
COMMON_OBJ  = $(COMMON_SRC:%.c=$(O)/%.o) $(O)/web_assets.o
# main.c is the only file of a service that the test binary does not link.
STATELESS_LIB = $(filter-out $(O)/stateless/main.o,$(patsubst %.c,$(O)/%.o,$(wildcard stateless/*.c)))
STATEFUL_LIB  = $(filter-out $(O)/stateful/main.o,$(patsubst %.c,$(O)/%.o,$(wildcard stateful/*.c)))
TEST_SRC    = $(wildcard tests/*.c)
TEST_OBJ    = $(TEST_SRC:%.c=$(O)/%.o)
SUITES      = $(patsubst tests/check_%.c,%,$(filter-out tests/check_main.c,$(wildcard tests/check_*.c)))

# Extra test targets that mk/*.mk fragments append to (k8s, browser, ...).
CHECK_EXTRA :=

# Quiet by default; `make V=1` shows every command.
ifeq ($(V),1)
Q =
else
Q = @
endif

.DEFAULT_GOAL := all

all: deps
	@$(MAKE) --no-print-directory build

build: $(B)/stateless $(B)/stateful

deps:
	@tools/deps $(DEPS_BUILD) $(if $(filter check asan demo,$(MAKECMDGOALS)),$(DEPS_TEST))

$(B)/stateless: $(O)/stateless/main.o $(STATELESS_LIB) $(O)/libstatelab.a
	@mkdir -p $(@D)
	@$(if $(Q),echo "  LINK    $@")
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(LIBS_STATELESS) $(LIBS_COMMON) $(LDLIBS)

$(B)/stateful: $(O)/stateful/main.o $(STATEFUL_LIB) $(O)/libstatelab.a
	@mkdir -p $(@D)
	@$(if $(Q),echo "  LINK    $@")
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(LIBS_STATEFUL) $(LIBS_COMMON) $(LDLIBS)

$(O)/libstatelab.a: $(COMMON_OBJ)
	$(Q)$(AR) rcs $@ $^

$(O)/check_all: $(TEST_OBJ) $(STATELESS_LIB) $(STATEFUL_LIB) $(O)/libstatelab.a
	@$(if $(Q),echo "  LINK    $@")
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(LIBS_STATELESS) $(LIBS_STATEFUL) \
	    $(LIBS_COMMON) $(LIBS_TEST) $(LDLIBS)

$(O)/%.o: %.c
	@mkdir -p $(@D)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(ALL_CFLAGS) -c -o $@ $<

# The dashboard is compiled into the binary: no file to ship, no CDN.
$(O)/embed: tools/embed.c
	@mkdir -p $(@D)
	$(Q)$(CC) -std=c11 $(WARN) $(CFLAGS) $(LDFLAGS) -o $@ $<

$(O)/web_assets.c: $(O)/embed $(WEB_ASSETS)
	$(Q)$(O)/embed $(WEB_ASSETS) > $@.tmp && mv $@.tmp $@

$(O)/web_assets.o: $(O)/web_assets.c
	$(Q)$(CC) $(ALL_CFLAGS) -c -o $@ $<

# Check suites are found by name: tests/check_<m>.c exports <m>_suite().
$(O)/suites.h: FORCE
	@mkdir -p $(@D)
	@printf 'SUITE(%s)\n' $(SUITES) > $@.tmp
	@cmp -s $@.tmp $@ && rm -f $@.tmp || mv $@.tmp $@

$(TEST_OBJ): $(O)/suites.h

# Tests reach the backends' headers too.
$(O)/tests/%.o: ALL_CFLAGS += -Istateless -Istateful -Itests

check: deps
	@$(MAKE) --no-print-directory check-unit check-e2e check-lint $(CHECK_EXTRA)

check-unit: build $(O)/check_all
	CK_DEFAULT_TIMEOUT=$${CK_DEFAULT_TIMEOUT:-30} $(O)/check_all

check-e2e: build
	@$(MAKE) --no-print-directory bench-ceiling
	STATELAB_BIN=$(B) STATELAB_BENCH_CEILING=$(BENCH_CEILING) tests/e2e/run

check-lint:
	tools/lint

asan: deps
	@$(MAKE) --no-print-directory O=build/asan B=build/asan/bin \
	    CFLAGS="-O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all" \
	    LDFLAGS="-fsanitize=address,undefined" \
	    STATELAB_SANITIZED=1 check-unit check-e2e

fmt:
	clang-format -i $$(git ls-files '*.c' '*.h') tools/embed.c

install: all
	mkdir -p $(DESTDIR)$(BINDIR)
	cp $(B)/stateless $(B)/stateful $(DESTDIR)$(BINDIR)/

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/stateless $(DESTDIR)$(BINDIR)/stateful

clean:
	rm -rf $(O) $(B)

FORCE:

.PHONY: all build deps check check-unit check-e2e check-lint asan fmt \
    install uninstall clean FORCE

-include mk/*.mk
-include $(wildcard $(O)/*.d $(O)/*/*.d)
