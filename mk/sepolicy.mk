# SELinux module build (`make sepolicy`) into a private policy store, and `make install-policy`.
#
# `make sepolicy` compiles sepolicy/lockvm.{te,if,fc} with the devel
# Makefile of Debian's selinux-policy-dev into $(SEPOLICY_OUT)/lockvm.pp,
# then installs it into a fresh PRIVATE copy of the installed reference
# policy store ($(SEPOLICY_OUT)/root, never the host's /etc/selinux or
# /var/lib/selinux) with `semodule -p`, which writes the full kernel policy.
# That policy is copied to $(SEPOLICY_OUT)/policy.NN (NN: the version
# semodule wrote) with a stable symlink $(SEPOLICY_OUT)/policy.bin.
# Tests override SEPOLICY_SRC/SEPOLICY_OUT to build a modified module into
# a separate store. `all` does not depend on this (it takes ~6 s).

SEPOLICY_SRC ?= sepolicy
SEPOLICY_OUT ?= $(BUILD)/sepolicy
# The policy type whose store is copied (SELINUXTYPE of /etc/selinux/config).
SEPOLICY_TYPE ?= $(or $(shell sed -n 's/^SELINUXTYPE=//p' /etc/selinux/config 2>/dev/null),default)
SEPOLICY_DEVEL_MK ?= $(firstword $(wildcard /usr/share/selinux/devel/Makefile \
                       /usr/share/selinux/$(SEPOLICY_TYPE)/include/Makefile))
SEPOLICY_STORE_SRC ?= /var/lib/selinux/$(SEPOLICY_TYPE)
SEPOLICY_ETC_SRC ?= /etc/selinux
SEPOLICY_FILES := $(SEPOLICY_SRC)/lockvm.te $(SEPOLICY_SRC)/lockvm.if $(SEPOLICY_SRC)/lockvm.fc

.PHONY: sepolicy install-policy
sepolicy: $(SEPOLICY_OUT)/policy.bin

$(SEPOLICY_OUT)/lockvm.pp: $(SEPOLICY_FILES)
	@test -n "$(SEPOLICY_DEVEL_MK)" || { echo "sepolicy: no SELinux devel Makefile (install selinux-policy-dev)" >&2; exit 1; }
	@rm -rf $(SEPOLICY_OUT)/src && mkdir -p $(SEPOLICY_OUT)/src
	cp $(SEPOLICY_FILES) $(SEPOLICY_OUT)/src/
	$(MAKE) --no-print-directory -C $(SEPOLICY_OUT)/src -f $(SEPOLICY_DEVEL_MK) lockvm.pp
	cp $(SEPOLICY_OUT)/src/lockvm.pp $@

# A fresh copy of the store each time, so a module built earlier (or by a
# test) never leaks into this policy.
$(SEPOLICY_OUT)/policy.bin: $(SEPOLICY_OUT)/lockvm.pp
	@test -d $(SEPOLICY_STORE_SRC) || { echo "sepolicy: no policy store $(SEPOLICY_STORE_SRC) (install selinux-policy-$(SEPOLICY_TYPE))" >&2; exit 1; }
	@rm -rf $(SEPOLICY_OUT)/root $(SEPOLICY_OUT)/policy.[0-9]* $@
	mkdir -p $(SEPOLICY_OUT)/root/etc/selinux $(SEPOLICY_OUT)/root/var/lib/selinux
	cp -a $(SEPOLICY_ETC_SRC)/config $(SEPOLICY_ETC_SRC)/semanage.conf \
	  $(SEPOLICY_ETC_SRC)/$(SEPOLICY_TYPE) $(SEPOLICY_OUT)/root/etc/selinux/
	cp -a $(SEPOLICY_STORE_SRC) $(SEPOLICY_OUT)/root/var/lib/selinux/
	semodule -p $(abspath $(SEPOLICY_OUT)/root) -s $(SEPOLICY_TYPE) -n -i $(abspath $<)
	@p=$$(ls $(SEPOLICY_OUT)/root/etc/selinux/$(SEPOLICY_TYPE)/policy/policy.* | sort -t. -k2 -n | tail -n 1); \
	  test -n "$$p" || { echo "sepolicy: semodule wrote no kernel policy" >&2; exit 1; }; \
	  cp "$$p" $(SEPOLICY_OUT)/ && ln -sf "$$(basename "$$p")" $@ && \
	  echo "sepolicy: $(SEPOLICY_OUT)/$$(basename "$$p") (-> $@)"

# Installs on the host's active MAC: SELinux (module + file contexts) or
# AppArmor (profiles); refuses when neither is enabled.
PROFILES_DIR ?= /etc/apparmor.d
install-policy:
	@if command -v selinuxenabled >/dev/null && selinuxenabled; then \
	  $(MAKE) --no-print-directory sepolicy && \
	  semodule -i $(SEPOLICY_OUT)/lockvm.pp && \
	  for p in /usr/bin/lockvm /usr/local/bin/lockvm /usr/bin/lockvm-vmm /usr/local/bin/lockvm-vmm \
	           /usr/lib/lockvm /usr/libexec/lockvm /etc/lockvm /var/lib/lockvm /run/lockvm /var/log/lockvm; do \
	    if [ -e $$p ]; then restorecon -R -v $$p || exit 1; fi; done && \
	  echo "install-policy: SELinux module lockvm installed"; \
	elif command -v aa-enabled >/dev/null && aa-enabled -q 2>/dev/null; then \
	  install -d $(PROFILES_DIR)/abstractions /usr/share/lockvm && \
	  install -m 0644 profiles/lockvm $(PROFILES_DIR)/usr.bin.lockvm && \
	  install -m 0644 profiles/abstractions/lockvm-vm $(PROFILES_DIR)/abstractions/lockvm-vm && \
	  install -m 0644 profiles/lockvm-vm.template /usr/share/lockvm/lockvm-vm.template && \
	  apparmor_parser -r $(PROFILES_DIR)/usr.bin.lockvm && \
	  echo "install-policy: AppArmor profiles installed"; \
	else \
	  echo "install-policy: neither SELinux nor AppArmor is enabled on this host; nothing installed (use 'make sepolicy' and tests/integration/apparmor.sh to check the policy offline)" >&2; \
	  exit 1; \
	fi
