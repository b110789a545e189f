/* A buffered writer to an fd (bufwrite.h). */
#include "bufwrite.h"

#include <string.h>

#include "util.h"

void bufwrite_flush(struct bufwrite *w)
{
	if (!w->failed && w->used && write_all(w->fd, w->buf, w->used) < 0)
		w->failed = true;
	w->used = 0;
}

void bufwrite_put(struct bufwrite *w, const void *p, size_t len)
{
	const uint8_t *s = p;
	w->total += len;
	while (len) {
		if (w->used == sizeof(w->buf))
			bufwrite_flush(w);
		size_t n = sizeof(w->buf) - w->used < len ? sizeof(w->buf) - w->used : len;
		memcpy(w->buf + w->used, s, n);
		w->used += n;
		s += n;
		len -= n;
	}
}
