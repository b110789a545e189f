# make e2e: MAC end-to-end tests under real enforcing kernels (SELinux, then AppArmor) in QEMU.
#
# The lockvm it boots is the Debian package's (make deb), unpacked into the
# initramfs. tests/e2e/run.sh fetches Debian's kernel image and QEMU with
# `apt-get download` + `dpkg -x` into $(BUILD)/e2e (never installed on the
# host), packs an initramfs with lockvm, the guests, the linked SELinux
# policy (make sepolicy) and the AppArmor profiles, and boots it twice.
# E2E_BOOT_TIMEOUT (seconds, default 600) bounds each boot.

.PHONY: e2e
e2e: deps
	$(MAKE) all sepolicy deb $(BUILD)/e2e/e2e_probe $(BUILD)/e2e/sepolicy/policy.bin e2e-store
	tests/e2e/run.sh

# The in-guest probe, static and libc-only: it must start under a per-VM
# AppArmor profile that grants no shared library.
$(BUILD)/e2e/e2e_probe: tests/helpers/e2e_probe.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_BASE) -static -o $@ $<

# The policy booted by make e2e: make sepolicy's store with the lockvm
# module, plus the test-only module tests/e2e/lockvm_e2e.te (the harness's
# own transitions; see its comments), linked in a copy of that store.
E2E_SEPOLICY := $(BUILD)/e2e/sepolicy
$(E2E_SEPOLICY)/policy.bin: tests/e2e/lockvm_e2e.te $(BUILD)/sepolicy/policy.bin
	@rm -rf $(E2E_SEPOLICY) && mkdir -p $(E2E_SEPOLICY)/src
	cp tests/e2e/lockvm_e2e.te $(E2E_SEPOLICY)/src/
	$(MAKE) --no-print-directory -C $(E2E_SEPOLICY)/src -f $(SEPOLICY_DEVEL_MK) lockvm_e2e.pp
	cp -a $(BUILD)/sepolicy/root $(E2E_SEPOLICY)/root
	semodule -p $(abspath $(E2E_SEPOLICY)/root) -s $(SEPOLICY_TYPE) -n -i $(abspath $(E2E_SEPOLICY)/src/lockvm_e2e.pp)
	@p=$$(ls $(E2E_SEPOLICY)/root/etc/selinux/$(SEPOLICY_TYPE)/policy/policy.* | sort -t. -k2 -n | tail -n 1); \
	  ln -sf "$$(realpath --relative-to=$(E2E_SEPOLICY) "$$p")" $@

# The module store the package's maintainer scripts act on in the SELinux
# boot (tests/e2e/pkg.sh: postinst's semodule -i, postrm's -r): a copy of
# the reference policy's store as Debian's selinux-policy-default installs
# it, without lockvm (pkg.sh checks that), made afresh each time (14 MB).
.PHONY: e2e-store
e2e-store:
	@test -d $(SEPOLICY_STORE_SRC) || { echo "e2e: no policy store $(SEPOLICY_STORE_SRC) (install selinux-policy-$(SEPOLICY_TYPE))" >&2; exit 1; }
	@rm -rf $(BUILD)/e2e/selinux-store && mkdir -p $(BUILD)/e2e
	cp -a $(SEPOLICY_STORE_SRC) $(BUILD)/e2e/selinux-store
