/* Guest console bytes made safe for a terminal (termfilter.h): a pure filter, no I/O. */
#include "termfilter.h"

#include <stdbool.h>

static const char hex[] = "0123456789abcdef";

static size_t show_byte(uint8_t b, char *out)
{
	out[0] = '\\';
	out[1] = 'x';
	out[2] = hex[b >> 4];
	out[3] = hex[b & 15];
	return 4;
}

size_t term_filter_flush(struct term_filter *f, char *out)
{
	size_t o = 0;
	for (unsigned i = 0; i < f->npending; i++)
		o += show_byte(f->pending[i], out + o);
	f->npending = f->need = 0;
	return o;
}

/* The length of the UTF-8 character b starts, or 0 if b cannot start one
 * (a continuation byte, an overlong C0/C1 lead, or above U+10FFFF). */
static unsigned utf8_length(uint8_t b)
{
	return b >= 0xc2 && b <= 0xdf	? 2
	       : b >= 0xe0 && b <= 0xef ? 3
	       : b >= 0xf0 && b <= 0xf4 ? 4
					: 0;
}

/* Whether b may be byte i (from 1) of the character led by lead: the
 * second byte's range excludes overlong forms, surrogates and values
 * above U+10FFFF (RFC 3629 section 4). */
static bool utf8_continues(uint8_t lead, unsigned i, uint8_t b)
{
	uint8_t lo = 0x80, hi = 0xbf;
	if (i == 1) {
		if (lead == 0xe0)
			lo = 0xa0;
		else if (lead == 0xed)
			hi = 0x9f;
		else if (lead == 0xf0)
			lo = 0x90;
		else if (lead == 0xf4)
			hi = 0x8f;
	}
	return b >= lo && b <= hi;
}

size_t term_filter(struct term_filter *f, const void *in, size_t n, char *out)
{
	const uint8_t *p = in;
	size_t o = 0;
	for (size_t i = 0; i < n; i++) {
		uint8_t b = p[i];
		if (f->npending) {
			if (utf8_continues(f->pending[0], f->npending, b)) {
				f->pending[f->npending++] = b;
				if (f->npending < f->need)
					continue;
				/* U+0080..U+009F are the C1 controls (CSI is U+009B). */
				bool c1 = f->pending[0] == 0xc2 && f->pending[1] <= 0x9f;
				if (c1) {
					o += term_filter_flush(f, out + o);
				} else {
					for (unsigned k = 0; k < f->npending; k++)
						out[o++] = (char)f->pending[k];
					f->npending = f->need = 0;
				}
				continue;
			}
			/* Broken off: show what was held, then take b afresh. */
			o += term_filter_flush(f, out + o);
		}
		if ((b >= 0x20 && b < 0x7f) || b == '\n' || b == '\t' || b == '\r') {
			out[o++] = (char)b;
		} else if (b < 0x20 || b == 0x7f) {
			out[o++] = '^';
			out[o++] = (char)(b ^ 0x40); /* ESC 0x1b -> '[', DEL 0x7f -> '?' */
		} else if (utf8_length(b)) {
			f->pending[0] = b;
			f->npending = 1;
			f->need = utf8_length(b);
		} else {
			o += show_byte(b, out + o);
		}
	}
	return o;
}
