# libFuzzer targets (clang): every runner source (but the mains) with ASan+UBSan, one binary per tests/fuzz/fuzz_*.c.
FUZZ_BUILD   := build-fuzz
FUZZ_CFLAGS  := -std=gnu11 -g -O1 -D_GNU_SOURCE -Iguest/include $(RUNNER_INC) \
                -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined
FUZZ_SRCS    := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_BINS    := $(FUZZ_SRCS:tests/fuzz/%.c=$(FUZZ_BUILD)/%)
FUZZ_RUNNER_OBJS := $(RUNNER_SRCS:%.c=$(FUZZ_BUILD)/obj/%.o)
FUZZ_SECONDS ?= 300

$(FUZZ_BUILD)/obj/%.o: %.c | build/deps/lwip/.unpacked
	@mkdir -p $(dir $@)
	clang $(FUZZ_CFLAGS) -c $< -o $@

$(FUZZ_BUILD)/%: $(FUZZ_BUILD)/obj/tests/fuzz/%.o $(FUZZ_RUNNER_OBJS) $(BUILD)/liblwip.a
	clang -fsanitize=fuzzer,address,undefined -o $@ $^ $(LIBS)

.PHONY: fuzz-build
fuzz-build: $(FUZZ_BINS)

# `make fuzz`: each target for FUZZ_SECONDS (default 300) with its corpus in build-fuzz/corpus;
# a crashing input is written to build/fuzz-artifacts/TARGET-crash-HASH.
fuzz: fuzz-build
	@for f in $(FUZZ_BINS); do \
	  n=$$(basename $$f); mkdir -p $(FUZZ_BUILD)/corpus/$$n build/fuzz-artifacts; \
	  echo "== $$n for $(FUZZ_SECONDS) s"; \
	  $$f -max_total_time=$(FUZZ_SECONDS) -print_final_stats=1 -artifact_prefix=build/fuzz-artifacts/$$n- \
	    $(FUZZ_BUILD)/corpus/$$n tests/fuzz/seeds/$$n || exit 1; \
	done
