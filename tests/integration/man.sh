#!/usr/bin/env bash
# Man pages: each built from its one scdoc source (docs/man/), clean under
# man --warnings, with a NAME line lexgrog reads; every command of
# `lockvm help` is in lockvm(1), and every lockvm page a page names exists.
. "$(dirname "$0")/../lib.sh"

command -v scdoc >/dev/null && command -v lexgrog >/dev/null ||
	{ fail "man: scdoc or man-db missing (make deps installs them)"; exit 0; }
run_capture make -s -C "$TOP" BUILD="${LOCKVM_BUILD:-build}" man
[ "$rc" -eq 0 ] && pass "make man builds every page" || fail "make man: $(tail -n 3 <<<"$out" | tr '\n' '|')"

# man --warnings on a page: groff's warnings, or nothing.
man_warnings() { LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -E UTF-8 -l "$1" 2>&1 >/dev/null; }

# The check itself can fail: a page with an unknown request is reported.
printf '.TH BROKEN 1\n.SH NAME\nbroken \\- x\n.XQ bogus request\n' >"$T_TMP/broken.1"
[ -n "$(man_warnings "$T_TMP/broken.1")" ] && pass "man --warnings reports a broken page" ||
	fail "man --warnings found nothing wrong in a page with an unknown request"

pages=0
for src in "$TOP"/docs/man/*.scd; do
	page=$B/man/$(basename "$src" .scd)
	name=${page##*/}
	pages=$((pages + 1))
	w=$(man_warnings "$page")
	[ -z "$w" ] && pass "man --warnings: $name is clean" || fail "man --warnings $name: $(head -n 3 <<<"$w" | tr '\n' '|')"
	lexgrog "$page" 2>&1 | grep -qF "\"${name%.*} - " && pass "lexgrog reads the NAME of $name" ||
		fail "lexgrog $name: $(lexgrog "$page" 2>&1)"
	# Every lockvm page this one names has a source.
	for ref in $(grep -o 'lockvm[a-z.-]*([158])' "$page" | sort -u); do
		[ -f "$TOP/docs/man/${ref%(*}.${ref//[^0-9]/}.scd" ] ||
			fail "$name names $ref, which has no docs/man source"
	done
done
[ "$pages" -ge 16 ] && pass "$pages man pages" || fail "only $pages man pages"

# Every section a page is in is one make install installs.
for src in "$TOP"/docs/man/*.scd; do
	s=$(basename "$src" .scd)
	s=${s##*.}
	grep -q "MAN${s}_PAGES) \$(DESTDIR)\$(MANDIR)/man$s/" "$TOP/mk/install.mk" ||
		fail "$(basename "$src"): make install installs no man$s pages"
done

# Every command lockvm lists is described in lockvm(1).
missing=""
for c in $("$LOCKVM" help | awk '/^  [a-z]/ {print $1}'); do
	grep -qF "\\fB$c\\fR" "$B/man/lockvm.1" || missing="$missing $c"
done
[ -z "$missing" ] && pass "lockvm(1) describes every command of lockvm help" ||
	fail "lockvm(1) lacks:$missing"

# Every command lockvm-oci names is described in lockvm-oci(8).
if [ -x "$B/lockvm-oci" ]; then
	missing=""
	for c in $("$B/lockvm-oci" --help | sed -n 's/^commands: //p' | sed 's/ (not yet)//' | tr -d ,); do
		grep -qF "\\fB$c\\fR" "$B/man/lockvm-oci.8" || missing="$missing $c"
	done
	[ -z "$missing" ] && pass "lockvm-oci(8) describes every command of lockvm-oci --help" ||
		fail "lockvm-oci(8) lacks:$missing"
fi
