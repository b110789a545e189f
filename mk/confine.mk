# confine: binaries started by sandbox_spawn() run in an empty root, where
# there is no dynamic loader (PT_INTERP) and no library to load, so they
# are linked static-pie. libselinux.a needs libpcre2-8.a after it.
CONFINE_STATIC_LDFLAGS := $(patsubst -pie,-static-pie,$(HARDEN_LDFLAGS)) $(EXTRA_LDFLAGS)

# ASan/UBSan runtimes cannot be linked statically: sanitizer builds stay
# dynamic, and the tests that need an empty root say so and skip.
ifeq ($(findstring -fsanitize,$(EXTRA_LDFLAGS)),)
$(BUILD)/tests/helpers/probe_vmm $(BUILD)/lockvm-vmm: LDFLAGS := $(CONFINE_STATIC_LDFLAGS)
endif
$(BUILD)/tests/helpers/probe_vmm: LIBS += -lpcre2-8
