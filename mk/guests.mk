# Guests: the SDK library, example guests (build/guests) and hostile test guests (build/tests/guests).
GUEST_CC     := gcc
GUEST_CFLAGS := -std=gnu11 -O2 -g -Wall -Wextra -Werror -Wno-unused-parameter \
                -ffreestanding -fno-builtin -fno-stack-protector -fno-pic -fno-pie \
                -fcf-protection=none -fno-asynchronous-unwind-tables -mno-avx \
                -Iguest/include -Iguest/examples
GUEST_LDFLAGS := -nostdlib -static -no-pie -Wl,-T,guest/lockvm.ld \
                 -Wl,-z,max-page-size=4096 -Wl,--build-id=none -Wl,-z,noexecstack
GUEST_LIB_SRCS := guest/lib/start.c guest/lib/fmt.c
GUEST_LIB_OBJS := $(GUEST_LIB_SRCS:%.c=$(OBJ)/guest/%.o) $(OBJ)/guest/guest/lib/crt0.o
GUEST_EXAMPLES := $(patsubst guest/examples/%.c,$(BUILD)/guests/%.elf,$(wildcard guest/examples/*.c))
HOSTILE_GUESTS := $(patsubst tests/guests/%.c,$(BUILD)/tests/guests/%.elf,$(wildcard tests/guests/*.c))

guests: $(GUEST_EXAMPLES) $(HOSTILE_GUESTS)

$(OBJ)/guest/%.o: %.c guest/include/lockvm/abi.h guest/include/lockvm/guest.h
	@mkdir -p $(dir $@)
	$(GUEST_CC) $(GUEST_CFLAGS) -MMD -MP -c $< -o $@

$(OBJ)/guest/%.o: %.S
	@mkdir -p $(dir $@)
	$(GUEST_CC) $(GUEST_CFLAGS) -MMD -MP -c $< -o $@

GUEST_LINK = $(GUEST_CC) $(GUEST_LDFLAGS) -o $@ $(OBJ)/guest/guest/lib/crt0.o $< \
             $(GUEST_LIB_SRCS:%.c=$(OBJ)/guest/%.o) -lgcc

$(BUILD)/guests/%.elf: $(OBJ)/guest/guest/examples/%.o $(GUEST_LIB_OBJS) guest/lockvm.ld
	@mkdir -p $(dir $@)
	$(GUEST_LINK)

$(BUILD)/tests/guests/%.elf: $(OBJ)/guest/tests/guests/%.o $(GUEST_LIB_OBJS) guest/lockvm.ld
	@mkdir -p $(dir $@)
	$(GUEST_LINK)

-include $(shell find $(OBJ)/guest -name "*.d" 2>/dev/null)
