# lockvm build. `make` builds the runner, the VMM and the guests; see README.
# Parts owned by separate modules add rules in mk/*.mk (included below).

SHELL   := /bin/bash
CC      ?= gcc
BUILD   := build
OBJ     := $(BUILD)/obj

HARDEN_CFLAGS := -D_FORTIFY_SOURCE=3 -fstack-protector-strong \
                 -fstack-clash-protection -fcf-protection -fPIE
HARDEN_LDFLAGS := -pie -Wl,-z,relro,-z,now -Wl,-z,noexecstack
WARN    := -Wall -Wextra -Werror -Wformat=2 -Wshadow -Wvla -Wno-unused-parameter
OPT     ?= -O2
CFLAGS_BASE := -std=gnu11 -g $(OPT) $(WARN) -D_GNU_SOURCE -Iguest/include -Irunner
CFLAGS  := $(CFLAGS_BASE) $(HARDEN_CFLAGS) $(EXTRA_CFLAGS)
LDFLAGS := $(HARDEN_LDFLAGS) $(EXTRA_LDFLAGS)
LIBS    := -lseccomp -lcap-ng -lselinux -lapparmor -lsepol -ljson-c -linih \
           -lsodium -lpthread

# Every runner/*.c except the two mains goes into one static library.
RUNNER_MAINS := runner/cli_main.c runner/vmm_main.c
RUNNER_SRCS  := $(filter-out $(RUNNER_MAINS),$(wildcard runner/*.c))
RUNNER_OBJS  := $(RUNNER_SRCS:%.c=$(OBJ)/%.o)
LIB          := $(BUILD)/liblockvm.a

UNIT_SRCS := $(wildcard tests/unit/test_*.c)
UNIT_BINS := $(UNIT_SRCS:tests/unit/%.c=$(BUILD)/tests/unit/%)
HELPER_SRCS := $(wildcard tests/helpers/*.c)
HELPER_BINS := $(HELPER_SRCS:tests/helpers/%.c=$(BUILD)/tests/helpers/%)

.PHONY: all deps test demo bench lint asan fuzz clean guests unit format
all: $(BUILD)/lockvm $(BUILD)/lockvm-vmm guests $(UNIT_BINS) $(HELPER_BINS)

-include mk/*.mk

$(OBJ)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -MMD -MP -c $< -o $@

$(LIB): $(RUNNER_OBJS)
	@rm -f $@
	ar rcs $@ $^

$(BUILD)/lockvm: $(OBJ)/runner/cli_main.o $(LIB)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LIBS)

$(BUILD)/lockvm-vmm: $(OBJ)/runner/vmm_main.o $(LIB)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LIBS)

$(BUILD)/tests/unit/%: $(OBJ)/tests/unit/%.o $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LIBS) -lcmocka

$(BUILD)/tests/helpers/%: $(OBJ)/tests/helpers/%.o $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LIBS)

unit: $(UNIT_BINS)

# Debian packages needed to build and test; idempotent.
DEPS := build-essential clang llvm libclang-rt-14-dev clang-format clang-tidy \
        cppcheck libseccomp-dev libcap-ng-dev libselinux1-dev libsepol-dev \
        libapparmor-dev apparmor libcmocka-dev libjson-c-dev libinih-dev \
        libsodium-dev selinux-policy-dev selinux-policy-default \
        semodule-utils checkpolicy policycoreutils iproute2 python3 \
        busybox-static musl-tools openvswitch-switch iputils-ping \
        $(EXTRA_DEPS)
deps:
	@missing=$$(dpkg-query -W -f='$${Package} $${Status}\n' $(DEPS) 2>/dev/null \
	  | awk '$$NF!="installed"{print $$1}'; \
	  for p in $(DEPS); do dpkg-query -W $$p >/dev/null 2>&1 || echo $$p; done); \
	missing=$$(echo $$missing | tr ' ' '\n' | sort -u | tr '\n' ' '); \
	if [ -n "$${missing// /}" ]; then \
	  echo "deps: installing $$missing"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
	    apt-get install -y -qq --no-install-recommends $$missing; \
	else echo "deps: all installed"; fi

test: deps
	$(MAKE) all
	tests/run.sh

demo: deps
	$(MAKE) all
	tests/demo.sh

bench: deps
	$(MAKE) all
	bench/run.sh

asan:
	$(MAKE) BUILD=build-asan OPT=-O1 \
	  EXTRA_CFLAGS="-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined" \
	  EXTRA_LDFLAGS="-fsanitize=address,undefined" all
	LOCKVM_BUILD=build-asan ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 \
	  UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 tests/run.sh

LINT_SRCS = $(wildcard runner/*.c runner/*.h tests/unit/*.c tests/fuzz/*.c tests/helpers/*.c)
lint:
	clang-format --dry-run --Werror $(LINT_SRCS)
	cppcheck --quiet --error-exitcode=1 --enable=warning,portability \
	  --inline-suppr --suppress=missingIncludeSystem -Iguest/include -Irunner \
	  -D__x86_64__ runner
	clang-tidy --quiet $(wildcard runner/*.c) -- $(CFLAGS_BASE) -Wno-format-nonliteral

format:
	clang-format -i $(LINT_SRCS)

clean:
	rm -rf build build-asan build-fuzz

-include $(RUNNER_OBJS:.o=.d) $(OBJ)/runner/cli_main.d $(OBJ)/runner/vmm_main.d
