# --linux test programs (tests/linux/*.c): unmodified static Linux executables, built with
# glibc (gcc -static, and -static-pie for a few) and with musl (musl-gcc -static) when installed.
LINUX_TEST_SRCS  := $(wildcard tests/linux/*.c)
LINUX_TEST_GLIBC := $(LINUX_TEST_SRCS:tests/linux/%.c=$(BUILD)/tests/linux/%.glibc)
LINUX_TEST_PIE   := $(BUILD)/tests/linux/lx_hello.pie $(BUILD)/tests/linux/lx_fault.pie \
                    $(BUILD)/tests/linux/lx_malloc.pie $(BUILD)/tests/linux/lx_mm.pie
LINUX_TEST_MUSL  := $(if $(shell command -v musl-gcc),$(LINUX_TEST_SRCS:tests/linux/%.c=$(BUILD)/tests/linux/%.musl))
LINUX_PRIMES     := $(BUILD)/tests/linux/primes.glibc
# Dynamically linked (PT_INTERP): run under --fs / with the host's ld.so and libc.
LINUX_TEST_DYN   := $(BUILD)/tests/linux/lx_exec.dyn $(BUILD)/tests/linux/lx_fakeld.pie
LINUX_CFLAGS     := -O2 -g -Wall -Wextra -Werror -Wno-unused-parameter -Iguest/examples

all: $(LINUX_TEST_GLIBC) $(LINUX_TEST_PIE) $(LINUX_TEST_MUSL) $(LINUX_PRIMES) $(LINUX_TEST_DYN)

$(BUILD)/tests/linux/%.glibc: tests/linux/%.c $(wildcard tests/linux/*.h)
	@mkdir -p $(dir $@)
	gcc $(LINUX_CFLAGS) -static -o $@ $<

$(BUILD)/tests/linux/%.pie: tests/linux/%.c
	@mkdir -p $(dir $@)
	gcc $(LINUX_CFLAGS) -static-pie -fPIE -o $@ $<

$(BUILD)/tests/linux/%.dyn: tests/linux/%.c
	@mkdir -p $(dir $@)
	gcc $(LINUX_CFLAGS) -fPIE -pie -o $@ $<

# A freestanding static-PIE "ld.so" (no libc: it must not read the program's auxv as its own).
$(BUILD)/tests/linux/lx_fakeld.pie: tests/linux/fake/lx_fakeld.c
	@mkdir -p $(dir $@)
	gcc -O2 -Wall -Wextra -Werror -nostdlib -static-pie -fPIE -fno-stack-protector -o $@ $<

$(BUILD)/tests/linux/%.musl: tests/linux/%.c $(wildcard tests/linux/*.h)
	@mkdir -p $(dir $@)
	musl-gcc $(LINUX_CFLAGS) -static -o $@ $<

# The compute benchmark: the very binary bench/run.sh runs natively and in a VM.
$(LINUX_PRIMES): bench/primes_native.c guest/examples/primes_count.h
	@mkdir -p $(dir $@)
	gcc $(LINUX_CFLAGS) -static -o $@ $<
