# Benchmark helpers: the raw KVM baseline, the native twins of primes.elf and memtouch.elf, the host copy baseline.
BENCH_BINS := $(BUILD)/bench/rawkvm $(BUILD)/bench/primes_native $(BUILD)/bench/hostcopy $(BUILD)/bench/tapsend \
              $(BUILD)/bench/memtouch_native
all: $(BENCH_BINS)
$(BUILD)/bench/%: bench/%.c guest/examples/primes_count.h guest/examples/memtouch_loop.h guest/examples/netsend_frame.h
	@mkdir -p $(dir $@)
	$(CC) -O2 -g -Wall -Wextra -Werror -Iguest/examples -o $@ $<
