# lwIP, the TCP/IP stack behind AF_INET/AF_INET6 inside --linux VMs (runner/linux/linux_inet*.c).
# Source: Debian's source package lwip 2.1.3+dfsg1-2 (bookworm), fetched with apt-get source
# through a private source list (the system's apt configuration untouched; apt checks the .dsc's
# hashes, dpkg-source -x the tarballs' and applies Debian's patches). Not the binary liblwip-dev:
# it ships only a shared library built for the Hurd with NO_SYS=0 (its own thread), while
# lockvm-vmm is static-pie and serves the stack in its vCPU thread (NO_SYS=1). Built here as a
# static archive of core/, core/ipv4, core/ipv6 and netif/ethernet.c with our runner/linux/lwip/{lwipopts.h,arch/cc.h}.
LWIP_VERSION := 2.1.3+dfsg1-2
LWIP_DEPS    := build/deps/lwip
LWIP_DIR     := $(LWIP_DEPS)/src
LWIP_STAMP   := $(LWIP_DEPS)/.unpacked
# A directory already holding the three files (.dsc, .orig.tar.xz, .debian.tar.xz): used instead
# of the network; dpkg-source still checks the tarballs against the .dsc.
LWIP_DSC_DIR ?=
LWIP_INC     := -Irunner/linux/lwip -I$(LWIP_DIR)/src/include # as RUNNER_INC has them
LWIP_SRCS     = $(wildcard $(LWIP_DIR)/src/core/*.c $(LWIP_DIR)/src/core/ipv4/*.c \
                           $(LWIP_DIR)/src/core/ipv6/*.c) $(LWIP_DIR)/src/netif/ethernet.c
LWIP_OBJS     = $(LWIP_SRCS:$(LWIP_DIR)/%.c=$(OBJ)/lwip/%.o)
LWIP_LIB     := $(BUILD)/liblwip.a
# lwIP's own code is not ours to warn about: our flags minus -Werror and -Wshadow.
LWIP_CFLAGS   = -std=gnu11 -g $(OPT) -D_GNU_SOURCE $(HARDEN_CFLAGS) $(EXTRA_CFLAGS) $(LWIP_INC) \
                -Wno-address

$(LWIP_STAMP):
	@rm -rf $(LWIP_DEPS) && mkdir -p $(LWIP_DEPS)/dl $(LWIP_DEPS)/apt/lists/partial
	@if [ -n "$(LWIP_DSC_DIR)" ]; then cp $(LWIP_DSC_DIR)/lwip_* $(LWIP_DEPS)/dl/; else \
	  echo 'deb-src http://deb.debian.org/debian bookworm main' > $(LWIP_DEPS)/apt/src.list; \
	  apt_o="-o Dir::Etc::SourceList=$(CURDIR)/$(LWIP_DEPS)/apt/src.list -o Dir::Etc::SourceParts=/dev/null \
	    -o Dir::State::Lists=$(CURDIR)/$(LWIP_DEPS)/apt/lists"; \
	  apt-get -qq $$apt_o update && \
	  (cd $(LWIP_DEPS)/dl && apt-get -qq $$apt_o source --download-only lwip=$(LWIP_VERSION)); fi
	cd $(LWIP_DEPS) && dpkg-source -x dl/lwip_$(LWIP_VERSION).dsc src >/dev/null
	@touch $@

deps: $(LWIP_STAMP)

$(OBJ)/lwip/%.o: $(LWIP_DIR)/%.c runner/linux/lwip/lwipopts.h runner/linux/lwip/arch/cc.h | $(LWIP_STAMP)
	@mkdir -p $(dir $@)
	$(CC) $(LWIP_CFLAGS) -c $< -o $@

# The objects are known only once the source is unpacked: a sub-make lists them then
# (this make's wildcard saw no source) and archives them.
$(LWIP_LIB): $(LWIP_STAMP) runner/linux/lwip/lwipopts.h runner/linux/lwip/arch/cc.h
	$(MAKE) --no-print-directory lwip-archive

.PHONY: lwip-archive
lwip-archive: $(LWIP_OBJS)
	@test -n "$(LWIP_OBJS)" || { echo "lwip: no source in $(LWIP_DIR)" >&2; exit 1; }
	@rm -f $(LWIP_LIB)
	ar rcs $(LWIP_LIB) $(LWIP_OBJS)

# Our objects that include lwIP's headers need them unpacked first.
$(VMM_OBJS) $(HOST_OBJS): | $(LWIP_STAMP)
