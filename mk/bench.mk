# Benchmark helpers: the raw KVM baseline, the native twin of primes.elf, the host copy baseline.
BENCH_BINS := $(BUILD)/bench/rawkvm $(BUILD)/bench/primes_native $(BUILD)/bench/hostcopy
all: $(BENCH_BINS)
$(BUILD)/bench/%: bench/%.c guest/examples/primes_count.h
	@mkdir -p $(dir $@)
	$(CC) -O2 -g -Wall -Wextra -Werror -Iguest/examples -o $@ $<
