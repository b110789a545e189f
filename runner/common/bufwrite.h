/* A buffered writer to an fd, 64 KiB at a time, for files written in many small pieces: the VMM's binary --record (linux/linux_record.c) and the supervisor's JSON of it (host/record_json.c). */
#ifndef LOCKVM_BUFWRITE_H
#define LOCKVM_BUFWRITE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct bufwrite {
	int fd;
	bool failed;	/* a write failed: later ones are dropped, errno says why */
	uint64_t total; /* bytes put so far, written or still buffered */
	size_t used;
	uint8_t buf[1u << 16];
};

/* Buffers len bytes of p, writing the buffer out whenever it is full. */
void bufwrite_put(struct bufwrite *w, const void *p, size_t len);

/* Writes out what is buffered (all of it, through short writes and EINTR). */
void bufwrite_flush(struct bufwrite *w);

#endif
