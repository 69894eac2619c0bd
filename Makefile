# gembatch: one binary, out-of-tree objects, no recursive make.
#   make            build build/gembatch
#   make test       unit (Criterion) + integration (GNU Parallel) + SDK (Node) suites
#                   + the HTML report in headless Chromium (make report-test)
#   make check      the same suites on an ASan+UBSan build in build/san/, then
#                   `make memcheck` (valgrind over a few scenarios)
#   make fuzz       libFuzzer harnesses (tests/fuzz/), FUZZ_SECONDS each
#   make soak       100,000 jobs under faults, and the kill -9 loop (tests/soak/)
#   make demo       install what is missing, build, run the sample pipelines
#   make bench      benchmarks (not part of test)
#   make install    PREFIX=/usr/local
VERSION  := 0.1.0
PREFIX   ?= /usr/local
BUILD    ?= build
PKGS     := libcurl jansson libarchive zlib libmicrohttpd libpcre2-8 libmagic libcrypto sqlite3

CC       ?= cc
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null)
WARN     := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wno-unused-parameter
CFLAGS   ?= -O2 -g
ALL_CFLAGS = -std=gnu11 $(WARN) $(CFLAGS) $(EXTRA_CFLAGS) -D_GNU_SOURCE \
             -DGEMBATCH_VERSION='"$(VERSION)"' -Isrc -Isrc/util $(PKG_CFLAGS) -MMD -MP
LDLIBS   := $(PKG_LIBS) -lpthread -lm

SRC      := $(sort $(wildcard src/*.c src/util/*.c))
LIB_SRC  := $(filter-out src/main.c,$(SRC))
OBJ      := $(patsubst src/%.c,$(BUILD)/obj/%.o,$(SRC))
LIB_OBJ  := $(patsubst src/%.c,$(BUILD)/obj/%.o,$(LIB_SRC))
# prices/gemini.json goes into the binary (gembatch works without the source
# tree); scripts/embed turns it into a C array at build time.
GEN_OBJ  := $(BUILD)/obj/gen/prices_data.o
LIB_OBJ  += $(GEN_OBJ)
UNIT_SRC := $(sort $(wildcard tests/unit/*.c))
UNIT_OBJ := $(patsubst tests/unit/%.c,$(BUILD)/obj/tests/%.o,$(UNIT_SRC))

.PHONY: all test unit integration sdk report-test check clean install demo bench bench-emulator fuzz deps

all: $(BUILD)/gembatch

$(BUILD)/obj/%.o: src/%.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(BUILD)/gen/prices_data.c: prices/gemini.json scripts/embed
	@mkdir -p $(dir $@)
	scripts/embed prices_builtin prices/gemini.json >$@.tmp && mv $@.tmp $@

$(GEN_OBJ): $(BUILD)/gen/prices_data.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(BUILD)/obj/tests/%.o: tests/unit/%.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(shell pkg-config --cflags criterion) -c -o $@ $<

$(BUILD)/libgembatch.a: $(LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(BUILD)/gembatch: $(BUILD)/obj/main.o $(BUILD)/libgembatch.a
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/unit-tests: $(UNIT_OBJ) $(BUILD)/libgembatch.a
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $^ $(shell pkg-config --libs criterion) $(LDLIBS)

-include $(OBJ:.o=.d) $(UNIT_OBJ:.o=.d)

# ---- tests ---------------------------------------------------------------
unit: $(BUILD)/unit-tests
	$(BUILD)/unit-tests --jobs 2 $(UNIT_ARGS)

integration: $(BUILD)/gembatch
	GEMBATCH=$(abspath $(BUILD)/gembatch) tests/integration/run.sh

sdk: $(BUILD)/gembatch
	GEMBATCH=$(abspath $(BUILD)/gembatch) tests/sdk/run.sh

# gembatch report's pages in Debian's chromium (playwright-core, network blocked)
report-test: $(BUILD)/gembatch
	GEMBATCH=$(abspath $(BUILD)/gembatch) tests/browser/run.sh

test: all $(BUILD)/unit-tests
	@$(MAKE) --no-print-directory unit
	@$(MAKE) --no-print-directory integration
	@$(MAKE) --no-print-directory sdk
	@$(MAKE) --no-print-directory report-test

SAN_FLAGS := -O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
check:
	$(MAKE) --no-print-directory BUILD=build/san CFLAGS="$(SAN_FLAGS)" LDFLAGS="-fsanitize=address,undefined" \
	    build/san/gembatch build/san/unit-tests
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
	    build/san/unit-tests --jobs 2
	ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 GEMBATCH_SAN=1 \
	    GEMBATCH=$(abspath build/san/gembatch) tests/integration/run.sh
	ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
	    GEMBATCH=$(abspath build/san/gembatch) tests/sdk/run.sh
	@$(MAKE) --no-print-directory memcheck

# ---- fuzzing, soak, memcheck (issue 8; not part of test) ------------------------
# `make fuzz` builds every tests/fuzz/fuzz_*.c harness with clang and libFuzzer
# against the sources (objects in build/fuzz/, never the gcc-built archive) and
# runs each for FUZZ_SECONDS (0: replay the corpus only); FUZZ_TARGETS=sse
# narrows the set. tests/fuzz/run.sh prints executions and findings per target.
FUZZ_CC      ?= clang
FUZZ_SECONDS ?= 60
FUZZ_BUILD   := build/fuzz
FUZZ_SAN     := -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined \
                -fno-sanitize-recover=undefined
FUZZ_CFLAGS   = -std=gnu11 $(WARN) $(FUZZ_SAN) -D_GNU_SOURCE -DGEMBATCH_VERSION='"$(VERSION)"' \
                -Isrc -Isrc/util $(PKG_CFLAGS) -MMD -MP
FUZZ_ALL     := $(patsubst tests/fuzz/fuzz_%.c,%,$(sort $(wildcard tests/fuzz/fuzz_*.c)))
FUZZ_TARGETS ?= $(FUZZ_ALL)
FUZZ_LIB_OBJ := $(patsubst src/%.c,$(FUZZ_BUILD)/obj/%.o,$(LIB_SRC)) $(FUZZ_BUILD)/obj/gen/prices_data.o

.PHONY: fuzz-cc
fuzz-cc:
	@command -v $(FUZZ_CC) >/dev/null 2>&1 || { \
	    echo "make fuzz: $(FUZZ_CC) is missing (scripts/install-deps --fuzz installs clang and libFuzzer)" >&2; \
	    exit 2; }

$(FUZZ_BUILD)/obj/%.o: src/%.c | fuzz-cc
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -c -o $@ $<

$(FUZZ_BUILD)/obj/gen/prices_data.o: $(BUILD)/gen/prices_data.c | fuzz-cc
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -c -o $@ $<

$(FUZZ_BUILD)/obj/harness/%.o: tests/fuzz/%.c | fuzz-cc
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -c -o $@ $<

.PRECIOUS: $(FUZZ_BUILD)/obj/harness/%.o

$(FUZZ_BUILD)/libgembatch.a: $(FUZZ_LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(FUZZ_BUILD)/fuzz_%: $(FUZZ_BUILD)/obj/harness/fuzz_%.o $(FUZZ_BUILD)/libgembatch.a
	$(FUZZ_CC) $(FUZZ_SAN) -fsanitize=fuzzer -o $@ $^ $(LDLIBS)

-include $(FUZZ_LIB_OBJ:.o=.d) $(patsubst %,$(FUZZ_BUILD)/obj/harness/fuzz_%.d,$(FUZZ_ALL))

.PHONY: fuzz-build soak memcheck
fuzz-build: $(patsubst %,$(FUZZ_BUILD)/fuzz_%,$(FUZZ_TARGETS))

fuzz: fuzz-build
	FUZZ_BUILD=$(FUZZ_BUILD) FUZZ_SECONDS=$(FUZZ_SECONDS) tests/fuzz/run.sh $(FUZZ_TARGETS)

# `make soak`: 100,000 jobs under every fault kind, then the kill -9 loop
# (tests/soak/soak.sh; SOAK_JOBS, SOAK_KILLS and SOAK_SEED adjust it).
soak: all
	GEMBATCH=$(abspath $(BUILD)/gembatch) tests/soak/soak.sh

# `make memcheck`: a few integration scenarios with every gembatch process
# under valgrind memcheck (plain build; errors and definite leaks fail).
MEMCHECK_TESTS ?= cli-basics run-mixed run-errors run-resume validate-exit-codes bad-inputs run-batch-small
MEMCHECK_DIR := build/memcheck
memcheck: all
	@mkdir -p $(MEMCHECK_DIR)
	printf '#!/bin/sh\nexec valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite --show-leak-kinds=definite --log-file=$(abspath $(MEMCHECK_DIR))/vg.%%p.log %s "$$@"\n' \
	    '$(abspath $(BUILD)/gembatch)' >$(MEMCHECK_DIR)/gembatch && chmod +x $(MEMCHECK_DIR)/gembatch
	rm -f $(MEMCHECK_DIR)/vg.*.log
	rc=0; for t in $(MEMCHECK_TESTS); do \
	    GEMBATCH=$(abspath $(MEMCHECK_DIR))/gembatch GEMBATCH_VALGRIND=1 TESTS=$$t tests/integration/run.sh || rc=1; \
	done; \
	for f in $(MEMCHECK_DIR)/vg.*.log; do [ -s "$$f" ] && { echo "---- $$f"; cat "$$f"; rc=1; }; done; \
	exit $$rc

# ---- the rest ----------------------------------------------------------------
deps:
	scripts/install-deps

demo:
	scripts/install-deps
	$(MAKE) --no-print-directory all
	scripts/demo

bench: all
	bench/run.sh
	bench/flex.sh
	bench/million-batch.sh
	bench/cache-run.sh

# 100,000 jobs served from the answer cache: time, RSS, cache size (issue 17)
.PHONY: bench-cache-run
bench-cache-run: all
	bench/cache-run.sh

bench-emulator: all
	bench/emulator.sh

# every line of a 1,000,000-line manifest sent; peak RSS against 64 MiB
.PHONY: bench-million
bench-million: all
	bench/million.sh

# flex under shedding beside standard: wall time against the ideal, CPU, RSS (issue 15)
.PHONY: bench-flex
bench-flex: all
	bench/flex.sh

# instructions (callgrind) for 2,000 jobs: compare builds on a noisy machine
.PHONY: bench-ir
bench-ir: all
	bench/instructions.sh

# the HTML report over 100,000 and 1,000,000 jobs: time, size, peak RSS (issue 18)
.PHONY: bench-report
bench-report: all
	bench/report.sh

# a 1,000,000-job run in Batch Mode; stage times, peak RSS against 64 MiB (issue 16)
.PHONY: bench-batch
bench-batch: all
	bench/million-batch.sh

# one answer with a 150 MiB image: today's run beside the streaming path (issue 14)
.PHONY: bench-imgstream
bench-imgstream: all $(BUILD)/libgembatch.a
	@mkdir -p $(BUILD)/bench
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $(BUILD)/bench/imgstream_rss bench/imgstream_rss.c \
	    $(BUILD)/libgembatch.a $(LDLIBS)
	bench/imgstream.sh

.PHONY: bench-schema
bench-schema: $(BUILD)/libgembatch.a
	@mkdir -p $(BUILD)/bench
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $(BUILD)/bench/schema_bench bench/schema_bench.c \
	    $(BUILD)/libgembatch.a $(LDLIBS)
	$(BUILD)/bench/schema_bench

# the answer cache: 100,000 puts and gets through cache.c, and its size on disk
.PHONY: bench-cache
bench-cache: $(BUILD)/libgembatch.a
	@mkdir -p $(BUILD)/bench
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $(BUILD)/bench/cache_bench bench/cache_bench.c \
	    $(BUILD)/libgembatch.a $(LDLIBS)
	$(BUILD)/bench/cache_bench

install: $(BUILD)/gembatch
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/man/man1
	install -m 0755 $(BUILD)/gembatch $(DESTDIR)$(PREFIX)/bin/gembatch
	if [ -f docs/gembatch.1 ]; then install -m 0644 docs/gembatch.1 $(DESTDIR)$(PREFIX)/share/man/man1/; fi
	install -d $(DESTDIR)$(PREFIX)/share/gembatch/prices
	install -m 0644 prices/gemini.json $(DESTDIR)$(PREFIX)/share/gembatch/prices/gemini.json

clean:
	rm -rf build
