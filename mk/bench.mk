# mk/bench.mk - `make bench`: the benchmark harness (issue 9).  Not part of
# `make check`: it takes a few minutes and wants a quiet machine.
#
#   make bench                    build, measure every row, print the table
#                                 and rewrite docs/benchmarks.md
#   make bench BENCH_QUICK=1      a short run to try the harness (its report
#                                 goes to $(O)/bench/benchmarks.md only)
#   make bench BENCH_ONLY=callgrind
#                                 instructions per request only: a quick
#                                 check of a change, fine on a busy machine
#   make bench-ceiling            just build the ceiling server
#
# The ceiling server is built from bench/ceiling.c into $(O)/bench/ with
# pkg-config libevent only.  A binary that does not build (stateful before
# its issue lands, say) makes its rows say "not available" instead of
# stopping the run.  bench/run documents every BENCH_* knob.

BENCH_DIR     = $(O)/bench
BENCH_CEILING = $(BENCH_DIR)/ceiling

bench: deps
	@$(MAKE) --no-print-directory $(BENCH_CEILING)
	@$(MAKE) --no-print-directory $(B)/stateless || \
	    echo "bench: $(B)/stateless did not build; its rows will say so" >&2
	@$(MAKE) --no-print-directory $(B)/stateful || \
	    echo "bench: $(B)/stateful did not build; its rows will say so" >&2
	BENCH_BIN=$(B) BENCH_CEILING=$(BENCH_CEILING) BENCH_WORK=$(BENCH_DIR) \
	    bench/run

bench-ceiling: $(BENCH_CEILING)

$(BENCH_CEILING): bench/ceiling.c
	@mkdir -p $(@D)
	$(CC) -std=c11 $(WARN) $(shell $(PKG_CONFIG) --cflags libevent) \
	    $(CPPFLAGS) $(CFLAGS) $(LDFLAGS) -o $@ bench/ceiling.c \
	    $(shell $(PKG_CONFIG) --libs libevent) $(LDLIBS)

.PHONY: bench bench-ceiling
