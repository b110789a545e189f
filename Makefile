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
# The C program lives in runner/, one folder per concern (docs/ARCHITECTURE.md).
RUNNER_DIRS := common vmm vmm/devices arch arch/x86_64 linux migrate confine mac audit registry host net cli \
               oci
RUNNER_INC  := $(addprefix -Irunner/,$(RUNNER_DIRS))
# lwIP's headers and our configuration of it (mk/lwip.mk unpacks the source).
RUNNER_INC  += -Irunner/linux/lwip -Ibuild/deps/lwip/src/src/include
# libnl-route-3's headers, for net/netns_adopt.c (host side only: the VMM
# links none of it, VMM_LIBS below).
RUNNER_INC  += -I/usr/include/libnl3
CFLAGS_BASE := -std=gnu11 -g $(OPT) $(WARN) -D_GNU_SOURCE -Iguest/include $(RUNNER_INC)
CFLAGS  := $(CFLAGS_BASE) $(HARDEN_CFLAGS) $(EXTRA_CFLAGS)
LDFLAGS := $(HARDEN_LDFLAGS) $(EXTRA_LDFLAGS)
LIBS    := -lseccomp -lcap-ng -lselinux -lapparmor -lsepol -ljson-c -linih \
           -lsodium -lpthread -lnl-route-3 -lnl-3
# lockvm itself (and lockvm-oci) starts once per VM: the libraries above are
# linked in from their archives and only glibc stays shared (NSS and the
# resolver need it). Twelve shared objects fewer to map and relocate at
# each start: 0.7 ms of CPU and 70 page faults less per `lockvm run` on the
# development hosts, where a page fault is a trip to the outer hypervisor.
# The price: a security fix in one of them needs lockvm rebuilt, as
# lockvm-vmm (static-pie) always has. libselinux.a needs libpcre2-8.a.
HOST_LIBS := -Wl,-Bstatic -lseccomp -lcap-ng -lselinux -lpcre2-8 -lapparmor -lsepol \
             -ljson-c -linih -lsodium -lnl-route-3 -lnl-3 -Wl,-Bdynamic -lpthread
# What the VMM really runs: libsodium (the snapshot stream's keyed MAC,
# --record's SHA-256 on a CPU without SHA instructions),
# pthreads, and libseccomp for one call only: seccomp_trap.c names the
# refused syscall under --seccomp=trap (seccomp_syscall_resolve_num_arch).
# Installing its filters from fds (seccomp_install.c) is plain seccomp(2).
# No json-c: --record's JSON is written by the supervisor (host/record_json.c)
# from the VMM's binary record (common/record_wire.h); tests/integration/
# layering.sh fails when lockvm-vmm holds a json_* symbol.
VMM_LIBS := -lseccomp -lsodium -lpthread

# Two programs, two sides. The confined VMM (lockvm-vmm) links only the
# VMM side plus common/; everything else is the host side (the CLI and the
# supervisor, lockvm). `make layering` fails when a VMM-side object needs
# a host-side symbol (docs/ARCHITECTURE.md, "Who may link whom").
RUNNER_MAINS := runner/cli/cli_main.c runner/vmm/vmm_main.c runner/oci/oci_main.c
RUNNER_SRCS  := $(filter-out $(RUNNER_MAINS),$(foreach d,$(RUNNER_DIRS),$(wildcard runner/$(d)/*.c)))
# confine/: the VMM applies its own layers (landlock, seccomp install, trap);
# the policy parser and compiler (seccomp_{table,rule,parse,compile}.c) are host side.
VMM_CONFINE_SRCS := runner/confine/landlock.c runner/confine/seccomp_trap.c \
                    runner/confine/sandbox_vmm.c runner/confine/seccomp_install.c
VMM_DIRS     := common vmm vmm/devices arch/x86_64 linux migrate
VMM_SRCS     := $(filter-out $(RUNNER_MAINS),$(foreach d,$(VMM_DIRS),$(wildcard runner/$(d)/*.c))) \
                $(VMM_CONFINE_SRCS)
HOST_SRCS    := $(filter-out $(VMM_SRCS),$(RUNNER_SRCS))
RUNNER_OBJS  := $(RUNNER_SRCS:%.c=$(OBJ)/%.o)
VMM_OBJS     := $(VMM_SRCS:%.c=$(OBJ)/%.o)
HOST_OBJS    := $(HOST_SRCS:%.c=$(OBJ)/%.o)
VMM_LIB      := $(BUILD)/libvmm.a
HOST_LIB     := $(BUILD)/libhost.a
# The host side still reaches some VMM-side code (see ARCHITECTURE.md):
# lockvm links both libraries, host first.
LIB          := $(HOST_LIB) $(VMM_LIB)

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

$(VMM_LIB): $(VMM_OBJS)
	@rm -f $@
	ar rcs $@ $^

$(HOST_LIB): $(HOST_OBJS)
	@rm -f $@
	ar rcs $@ $^

$(BUILD)/lockvm: $(OBJ)/runner/cli/cli_main.o $(LIB)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(HOST_LIBS)

# Only the VMM side: a call into host-side code fails to link here.
$(BUILD)/lockvm-vmm: $(OBJ)/runner/vmm/vmm_main.o $(VMM_LIB) $(LWIP_LIB)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(VMM_LIBS)

$(BUILD)/tests/unit/%: $(OBJ)/tests/unit/%.o $(LIB) $(LWIP_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LIBS) -lcmocka

$(BUILD)/tests/helpers/%: $(OBJ)/tests/helpers/%.o $(LIB) $(LWIP_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LIBS)

unit: $(UNIT_BINS)

# Debian packages needed to build and test; idempotent.
DEPS := build-essential clang llvm libclang-rt-14-dev clang-format clang-tidy \
        cppcheck libseccomp-dev libcap-ng-dev libselinux1-dev libsepol-dev \
        libapparmor-dev apparmor libcmocka-dev libjson-c-dev libinih-dev \
        libsodium-dev selinux-policy-dev selinux-policy-default \
        semodule-utils checkpolicy policycoreutils setools iproute2 python3 \
        busybox-static musl-tools openvswitch-switch iputils-ping bubblewrap zsh \
        dnsmasq-base curl passt libnl-route-3-dev rustc golang-go libasan8 valgrind \
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

# Security mutants (tests/mutants/): each breaks one SECURITY.md claim in a
# scratch copy of the tree (build/mutate/tree); its named test must fail.
.PHONY: mutate print-cflags
mutate: deps
	tests/mutate.sh

# The flags lint compiles each file with (tests/mutate.sh --lines uses them).
print-cflags:
	@echo $(CFLAGS_BASE)

asan:
	$(MAKE) BUILD=build-asan OPT=-O1 \
	  EXTRA_CFLAGS="-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined" \
	  EXTRA_LDFLAGS="-fsanitize=address,undefined" all
	LOCKVM_BUILD=build-asan ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 \
	  UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 tests/run.sh

LINT_SRCS = $(foreach d,$(RUNNER_DIRS),$(wildcard runner/$(d)/*.c runner/$(d)/*.h)) \
            $(wildcard tests/unit/*.c tests/fuzz/*.c tests/helpers/*.c)
# Lint's analysers run one file at a time on every core (CI's time is short):
# xargs fails (123) when any file fails, so make stops as before.
LINT_JOBS ?= $(shell nproc)
lint: $(LWIP_STAMP)
	clang-format --dry-run --Werror $(LINT_SRCS)
	cppcheck -j$(LINT_JOBS) --quiet --error-exitcode=1 --enable=warning,portability \
	  --inline-suppr --suppress=missingIncludeSystem -Iguest/include $(RUNNER_INC) \
	  -D__x86_64__ runner
	printf '%s\n' $(RUNNER_SRCS) $(RUNNER_MAINS) | xargs -P$(LINT_JOBS) -n4 \
	  sh -c 'exec clang-tidy --quiet "$$@" -- $(CFLAGS_BASE) -Wno-format-nonliteral' clang-tidy
	@# every function outside its file is declared in a header
	@printf '%s\n' $(RUNNER_SRCS) $(RUNNER_MAINS) | xargs -P$(LINT_JOBS) -n1 \
	  $(CC) $(CFLAGS_BASE) -Wmissing-prototypes -fsyntax-only

format:
	clang-format -i $(LINT_SRCS)

clean:
	rm -rf build build-asan build-fuzz

-include $(RUNNER_OBJS:.o=.d) $(OBJ)/runner/cli/cli_main.d $(OBJ)/runner/vmm/vmm_main.d
# Unit tests and helpers use runner headers (struct layouts) too.
-include $(UNIT_SRCS:tests/unit/%.c=$(OBJ)/tests/unit/%.d) $(HELPER_SRCS:tests/helpers/%.c=$(OBJ)/tests/helpers/%.d)

# The VMM side never needs host-side code (see mk/layering.sh);
# LAYERING_EXTRA_VMM lets tests/integration/layering.sh show it failing.
.PHONY: layering
layering: $(VMM_OBJS) $(HOST_OBJS)
	@mk/layering.sh $(VMM_OBJS) $(LAYERING_EXTRA_VMM) -- $(HOST_OBJS)
