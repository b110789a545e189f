# make deb: the Debian package build/lockvm_VERSION_amd64.deb (debian/, debhelper).
#
# dpkg-buildpackage writes its results into the parent of the source tree,
# so it runs on a copy of the sources in $(BUILD)/deb/lockvm-VERSION: every
# output stays under $(BUILD), and the build's own make clean touches only
# the copy. The version is debian/changelog's.

DEB_VERSION = $(shell dpkg-parsechangelog -l debian/changelog -S Version)
DEB_ARCH    = $(shell dpkg-architecture -qDEB_HOST_ARCH)
EXTRA_DEPS  += debhelper lintian dpkg-dev

.PHONY: deb
deb:
	@rm -rf $(BUILD)/deb && mkdir -p $(BUILD)/deb/lockvm-$(DEB_VERSION)
	@# The sources as git sees them (tracked and new, not ignored), present in the tree.
	git ls-files -z -co --exclude-standard | \
	  xargs -0 sh -c 'for f; do [ -e "$$f" ] && printf "%s\0" "$$f"; done' sh | \
	  tar --null -T - -cf - | tar -C $(BUILD)/deb/lockvm-$(DEB_VERSION) -xf -
	cd $(BUILD)/deb/lockvm-$(DEB_VERSION) && dpkg-buildpackage -b -us -uc -j2 >../build.log 2>&1 || \
	  { tail -n 30 $(abspath $(BUILD))/deb/build.log; exit 1; }
	cp $(BUILD)/deb/lockvm_$(DEB_VERSION)_$(DEB_ARCH).deb $(BUILD)/
	@echo "deb: $(BUILD)/lockvm_$(DEB_VERSION)_$(DEB_ARCH).deb"
