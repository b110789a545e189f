/* Guest console bytes made safe to show on the operator's terminal: control characters and escape sequences shown, not obeyed. */
#ifndef LOCKVM_TERMFILTER_H
#define LOCKVM_TERMFILTER_H

#include <stddef.h>
#include <stdint.h>

/*
 * The state kept between chunks: the start of a UTF-8 character whose
 * remaining bytes have not arrived yet. Zero-initialise one per stream.
 */
struct term_filter {
	uint8_t pending[4];
	unsigned npending; /* bytes in pending */
	unsigned need;	   /* total length of the character being read */
};

/* Room term_filter() or term_filter_flush() may need for n input bytes. */
#define TERM_FILTER_OUT_MAX(n) (4 * (size_t)(n) + 16)

/*
 * Copies in[0..n) to out (TERM_FILTER_OUT_MAX(n) bytes of room), passing
 * printable ASCII, \n, \t, \r and well-formed UTF-8 text, and showing what
 * a terminal would obey instead: C0 controls and DEL in caret notation
 * (ESC as "^["), C1 controls (U+0080..U+009F) and bytes that are not
 * UTF-8 as "\xHH". A character split across chunks is held until its end
 * arrives, so a sequence cannot slip through between two calls. Returns
 * the length written.
 */
size_t term_filter(struct term_filter *f, const void *in, size_t n, char *out);

/* At the end of the stream: what is held, shown as "\xHH". Returns the
 * length written to out (at most 16 bytes). */
size_t term_filter_flush(struct term_filter *f, char *out);

#endif
