# make install / make uninstall: the FHS layout of a packaged lockvm (docs/ARCHITECTURE.md,
# "Where lockvm finds its parts").
#
# lockvm finds its VMM, seccomp policies and SELinux allowlists through
# directories compiled into runner/common/install_dirs.c, never relative to
# argv[0]. build/lockvm has the build tree's directories (the tests run it
# in place); build/install/lockvm is the same program linked with an
# install_dirs.o that names PREFIX's, and is what `make install` copies.

PREFIX     ?= /usr
BINDIR     ?= $(PREFIX)/bin
LIBEXECDIR ?= $(PREFIX)/libexec
DATADIR    ?= $(PREFIX)/share
MANDIR     ?= $(DATADIR)/man
SYSCONFDIR ?= /etc
TMPFILESDIR ?= $(PREFIX)/lib/tmpfiles.d
DESTDIR    ?=

LOCKVM_LIBEXEC := $(LIBEXECDIR)/lockvm
LOCKVM_DATA    := $(DATADIR)/lockvm
INSTALL_BUILD  := $(BUILD)/install
# Set as mk/sepolicy.mk sets it: that fragment is read after this one.
SEPOLICY_OUT   ?= $(BUILD)/sepolicy

# The build tree's directories, for build/lockvm and every test binary
# (rebuilt when this file changes them).
$(OBJ)/runner/common/install_dirs.o: mk/install.mk
$(OBJ)/runner/common/install_dirs.o: CFLAGS += \
  -DLOCKVM_VMM_DIR='"$(abspath $(BUILD))"' \
  -DLOCKVM_BIN_DIR='"$(abspath $(BUILD))"' \
  -DLOCKVM_SECCOMP_DIR='"$(CURDIR)/policy/seccomp"' \
  -DLOCKVM_SELINUX_ALLOW_DIR='"$(CURDIR)/policy/selinux"'

INSTALLED_DIRS := -DLOCKVM_VMM_DIR='"$(LOCKVM_LIBEXEC)"' \
  -DLOCKVM_BIN_DIR='"$(BINDIR)"' \
  -DLOCKVM_SECCOMP_DIR='"$(LOCKVM_DATA)/seccomp"' \
  -DLOCKVM_SELINUX_ALLOW_DIR='"$(LOCKVM_DATA)/selinux"'

# Rebuilt when PREFIX (or another directory) changes, not only when the source does.
$(INSTALL_BUILD)/dirs: FORCE
	@mkdir -p $(dir $@)
	@echo '$(INSTALLED_DIRS)' | cmp -s - $@ || echo '$(INSTALLED_DIRS)' >$@

$(INSTALL_BUILD)/install_dirs.o: runner/common/install_dirs.c runner/common/install_dirs.h $(INSTALL_BUILD)/dirs
	$(CC) $(CFLAGS) $(INSTALLED_DIRS) -c $< -o $@

# install_dirs.o given first defines its symbols, so the linker never takes
# libvmm.a's build-tree copy.
$(INSTALL_BUILD)/lockvm: $(OBJ)/runner/cli/cli_main.o $(INSTALL_BUILD)/install_dirs.o $(LIB)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(HOST_LIBS)

$(INSTALL_BUILD)/lockvm-oci: $(OBJ)/runner/oci/oci_main.o $(INSTALL_BUILD)/install_dirs.o $(LIB)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(HOST_LIBS)

.PHONY: install-build install uninstall FORCE
FORCE:

# Everything make install copies, built as the invoking user (then
# `sudo make install` only copies).
install-build: $(INSTALL_BUILD)/lockvm $(INSTALL_BUILD)/lockvm-oci $(BUILD)/lockvm-vmm $(SEPOLICY_OUT)/lockvm.pp man

install: install-build
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(LOCKVM_LIBEXEC) \
	  $(DESTDIR)$(LOCKVM_DATA)/seccomp $(DESTDIR)$(LOCKVM_DATA)/selinux \
	  $(DESTDIR)$(LOCKVM_DATA)/examples $(DESTDIR)$(SYSCONFDIR)/lockvm \
	  $(DESTDIR)$(DATADIR)/selinux/packages/lockvm \
	  $(DESTDIR)$(SYSCONFDIR)/apparmor.d/abstractions $(DESTDIR)$(TMPFILESDIR) \
	  $(DESTDIR)$(DATADIR)/bash-completion/completions \
	  $(DESTDIR)$(DATADIR)/zsh/vendor-completions \
	  $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(MANDIR)/man8
	install -m 0755 $(INSTALL_BUILD)/lockvm $(DESTDIR)$(BINDIR)/lockvm
	install -m 0755 $(INSTALL_BUILD)/lockvm-oci $(DESTDIR)$(BINDIR)/lockvm-oci
	install -m 0755 $(BUILD)/lockvm-vmm $(DESTDIR)$(LOCKVM_LIBEXEC)/lockvm-vmm
	install -m 0644 policy/seccomp/*.policy $(DESTDIR)$(LOCKVM_DATA)/seccomp/
	install -m 0644 policy/selinux/*.allow $(DESTDIR)$(LOCKVM_DATA)/selinux/
	install -m 0644 policy/vms/example.conf $(DESTDIR)$(LOCKVM_DATA)/examples/vm-example.conf
	install -m 0644 profiles/lockvm-vm.template $(DESTDIR)$(LOCKVM_DATA)/lockvm-vm.template
	@# The administrator's configuration is never overwritten.
	test -e $(DESTDIR)$(SYSCONFDIR)/lockvm/lockvm.conf || \
	  install -m 0644 policy/lockvm.conf $(DESTDIR)$(SYSCONFDIR)/lockvm/lockvm.conf
	install -m 0644 $(SEPOLICY_OUT)/lockvm.pp sepolicy/lockvm.if $(DESTDIR)$(DATADIR)/selinux/packages/lockvm/
	install -m 0644 profiles/lockvm $(DESTDIR)$(SYSCONFDIR)/apparmor.d/usr.bin.lockvm
	install -m 0644 profiles/abstractions/lockvm-vm $(DESTDIR)$(SYSCONFDIR)/apparmor.d/abstractions/lockvm-vm
	install -m 0644 policy/tmpfiles.conf $(DESTDIR)$(TMPFILESDIR)/lockvm.conf
	install -m 0644 completion/lockvm.bash $(DESTDIR)$(DATADIR)/bash-completion/completions/lockvm
	install -m 0644 completion/_lockvm $(DESTDIR)$(DATADIR)/zsh/vendor-completions/_lockvm
	install -m 0644 $(MAN1_PAGES) $(DESTDIR)$(MANDIR)/man1/
	install -m 0644 $(MAN5_PAGES) $(DESTDIR)$(MANDIR)/man5/
	install -m 0644 $(MAN8_PAGES) $(DESTDIR)$(MANDIR)/man8/

# Removes what install put there; lockvm.conf only when it is still the
# shipped one (an edited configuration is the administrator's).
uninstall:
	rm -f $(DESTDIR)$(BINDIR)/lockvm $(DESTDIR)$(BINDIR)/lockvm-oci \
	  $(DESTDIR)$(LOCKVM_LIBEXEC)/lockvm-vmm \
	  $(DESTDIR)$(DATADIR)/selinux/packages/lockvm/lockvm.pp \
	  $(DESTDIR)$(DATADIR)/selinux/packages/lockvm/lockvm.if \
	  $(DESTDIR)$(SYSCONFDIR)/apparmor.d/usr.bin.lockvm \
	  $(DESTDIR)$(SYSCONFDIR)/apparmor.d/abstractions/lockvm-vm \
	  $(DESTDIR)$(TMPFILESDIR)/lockvm.conf \
	  $(DESTDIR)$(DATADIR)/bash-completion/completions/lockvm \
	  $(DESTDIR)$(DATADIR)/zsh/vendor-completions/_lockvm \
	  $(addprefix $(DESTDIR)$(MANDIR)/man1/,$(notdir $(MAN1_PAGES))) \
	  $(addprefix $(DESTDIR)$(MANDIR)/man5/,$(notdir $(MAN5_PAGES))) \
	  $(addprefix $(DESTDIR)$(MANDIR)/man8/,$(notdir $(MAN8_PAGES)))
	rm -f $(addprefix $(DESTDIR)$(LOCKVM_DATA)/seccomp/,$(notdir $(wildcard policy/seccomp/*.policy))) \
	  $(addprefix $(DESTDIR)$(LOCKVM_DATA)/selinux/,$(notdir $(wildcard policy/selinux/*.allow))) \
	  $(DESTDIR)$(LOCKVM_DATA)/examples/vm-example.conf $(DESTDIR)$(LOCKVM_DATA)/lockvm-vm.template
	if cmp -s policy/lockvm.conf $(DESTDIR)$(SYSCONFDIR)/lockvm/lockvm.conf; then \
	  rm -f $(DESTDIR)$(SYSCONFDIR)/lockvm/lockvm.conf; fi
	@# Directories only lockvm uses, when empty (an admin's guests/ keeps share/lockvm).
	-rmdir $(DESTDIR)$(LOCKVM_LIBEXEC) $(DESTDIR)$(DATADIR)/selinux/packages/lockvm \
	  $(DESTDIR)$(LOCKVM_DATA)/seccomp $(DESTDIR)$(LOCKVM_DATA)/selinux \
	  $(DESTDIR)$(LOCKVM_DATA)/examples $(DESTDIR)$(LOCKVM_DATA) \
	  $(DESTDIR)$(SYSCONFDIR)/lockvm 2>/dev/null
