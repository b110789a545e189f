/* Unit tests of the console filter for terminals (runner/host/termfilter.c): escape sequences, C1 controls, UTF-8, chunk boundaries. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "termfilter.h"

/* in[0..n) filtered as one write and then as two writes split at every
 * position; each way must give want (checked inside). */
static void check(const char *in, size_t n, const char *want)
{
	char *out = malloc(2 * TERM_FILTER_OUT_MAX(n));
	assert_non_null(out);
	for (size_t cut = 0; cut <= n; cut++) {
		struct term_filter f = {0};
		size_t o = term_filter(&f, in, cut, out);
		o += term_filter(&f, in + cut, n - cut, out + o);
		o += term_filter_flush(&f, out + o);
		out[o] = '\0';
		if (strcmp(out, want) != 0)
			fail_msg("split at %zu: got \"%s\", want \"%s\"", cut, out, want);
	}
	free(out);
}
#define CHECK(in, want) check(in, sizeof(in) - 1, want)

static void plain_text_unchanged(void **state)
{
	CHECK("hello, world\n", "hello, world\n");
	CHECK("a\tb\r\nc", "a\tb\r\nc");
	CHECK("", "");
}

static void escape_sequences_shown(void **state)
{
	/* CSI: colour, clear screen, cursor moves */
	CHECK("\x1b[31mred\x1b[0m", "^[[31mred^[[0m");
	CHECK("\x1b[2J\x1b[H", "^[[2J^[[H");
	/* OSC ended by BEL and by ST (ESC \): window title, clipboard */
	CHECK("\x1b]0;pwned\x07", "^[]0;pwned^G");
	CHECK("\x1b]52;c;cm0gLXJmIC8=\x1b\\", "^[]52;c;cm0gLXJmIC8=^[\\");
	/* DCS, other C0 controls, DEL, NUL */
	CHECK("\x1bP+q\x1b\\", "^[P+q^[\\");
	CHECK("\x08\x0b\x0c\x0e\x7f", "^H^K^L^N^?");
	CHECK("a\0b", "a^@b");
}

static void c1_controls_shown(void **state)
{
	/* as raw bytes (an 8-bit terminal's CSI, OSC, ST) */
	CHECK("\x9b"
	      "31m\x9d"
	      "0;x\x9c",
	      "\\x9b31m\\x9d0;x\\x9c");
	/* as UTF-8 encoded U+009B, U+0085 */
	CHECK("\xc2\x9b"
	      "2J\xc2\x85",
	      "\\xc2\\x9b2J\\xc2\\x85");
}

static void utf8_text_kept(void **state)
{
	CHECK("caf\xc3\xa9 \xc2\xa0nbsp", "caf\xc3\xa9 \xc2\xa0nbsp");
	CHECK("\xe2\x82\xac 100", "\xe2\x82\xac 100");		 /* euro sign */
	CHECK("\xf0\x9f\x94\x92 lock", "\xf0\x9f\x94\x92 lock"); /* emoji */
	CHECK("\xe6\x97\xa5\xe6\x9c\xac", "\xe6\x97\xa5\xe6\x9c\xac");
}

static void broken_utf8_shown(void **state)
{
	/* stray continuation, overlong, surrogate, above U+10FFFF, cut short */
	CHECK("\x80x", "\\x80x");
	CHECK("\xc0\xaf", "\\xc0\\xaf");
	CHECK("\xed\xa0\x80", "\\xed\\xa0\\x80");
	CHECK("\xf4\x90\x80\x80", "\\xf4\\x90\\x80\\x80");
	CHECK("\xe2\x82"
	      "a",
	      "\\xe2\\x82a");
	/* a lead byte cut off by an ESC: both shown */
	CHECK("\xc3\x1b[1m", "\\xc3^[[1m");
	/* held at the end of the stream, then flushed */
	CHECK("end\xf0\x9f", "end\\xf0\\x9f");
}

static void worst_case_fits(void **state)
{
	/* every byte value, many times: never more than TERM_FILTER_OUT_MAX */
	char in[4096];
	for (size_t i = 0; i < sizeof(in); i++)
		in[i] = (char)(i * 37);
	char *out = malloc(TERM_FILTER_OUT_MAX(sizeof(in)));
	assert_non_null(out);
	struct term_filter f = {0};
	size_t o = term_filter(&f, in, sizeof(in), out);
	o += term_filter_flush(&f, out + o);
	assert_true(o <= TERM_FILTER_OUT_MAX(sizeof(in)));
	for (size_t i = 0; i < o; i++) /* no C0 control but \t \n \r, no DEL */
		assert_true(((unsigned char)out[i] >= 0x20 && out[i] != 0x7f) || out[i] == '\t' ||
			    out[i] == '\n' || out[i] == '\r');
	free(out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(plain_text_unchanged), cmocka_unit_test(escape_sequences_shown),
	    cmocka_unit_test(c1_controls_shown),    cmocka_unit_test(utf8_text_kept),
	    cmocka_unit_test(broken_utf8_shown),    cmocka_unit_test(worst_case_fits),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
