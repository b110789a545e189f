/* The snapshot and migration stream: a versioned header and tagged sections, written by the VMM and parsed only by a confined VMM. */
#include "snapshot.h"

#include <errno.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "control_wire.h"
#include "arch.h"
#include "util.h"

/* Fixed little-endian layout of the 64-byte header. */
struct snapshot_header {
	char magic[8];
	uint32_t version;
	uint32_t arch;
	uint32_t flags;
	uint32_t vcpus;
	uint64_t mem_size;
	uint32_t page_size;
	uint32_t disk_count;
	uint8_t salt[16];
	uint8_t reserved[8];
};
_Static_assert(sizeof(struct snapshot_header) == SNAPSHOT_HEADER_SIZE, "header layout");

struct section_header {
	uint32_t type;
	uint32_t index;
	uint64_t length;
};

/* Upper bounds per section type (memory: gpa + one run). */
static uint64_t section_max(uint32_t type)
{
	switch (type) {
	case SNAPSHOT_SEC_MEMORY: return 8 + SNAPSHOT_RUN_MAX;
	case SNAPSHOT_SEC_DEVICES: return 4 + LOCKVM_MAX_DISKS * (16 + SNAPSHOT_PATH_MAX);
	case SNAPSHOT_SEC_CLOCK: return 24;
	case SNAPSHOT_SEC_VCPU: return 8 + arch_snapshot_size();
	case SNAPSHOT_SEC_NIC: return SNAPSHOT_NIC_SIZE;
	default: return 0; /* END, and unknown types */
	}
}

_Static_assert(CONTROL_KEY_SIZE == SNAPSHOT_KEY_SIZE, "the control message carries a stream key");

void snapshot_derive_key(const void *file, size_t len, uint8_t key[SNAPSHOT_KEY_SIZE])
{
	static const uint8_t context[] = "lockvm snapshot key v1";
	crypto_generichash(key, SNAPSHOT_KEY_SIZE, file, len, context, sizeof(context) - 1);
}

/* tag = BLAKE2b-256(key or none; chain || a || b || c). Chaining the
 * previous tag makes dropped, reordered or spliced sections fail. */
static void tag_parts(const uint8_t *key, const uint8_t chain[SNAPSHOT_TAG_SIZE], const void *a,
		      size_t alen, const void *b, size_t blen, const void *c, size_t clen,
		      uint8_t out[SNAPSHOT_TAG_SIZE])
{
	crypto_generichash_state h;
	crypto_generichash_init(&h, key, key ? SNAPSHOT_KEY_SIZE : 0, SNAPSHOT_TAG_SIZE);
	crypto_generichash_update(&h, chain, SNAPSHOT_TAG_SIZE);
	if (alen)
		crypto_generichash_update(&h, a, alen);
	if (blen)
		crypto_generichash_update(&h, b, blen);
	if (clen)
		crypto_generichash_update(&h, c, clen);
	crypto_generichash_final(&h, out, SNAPSHOT_TAG_SIZE);
}

/* ---- writing ------------------------------------------------------------ */

static int writer_fail(struct snapshot_writer *w, const char *fmt, ...) PRINTF_LIKE(2, 3);
static int writer_fail(struct snapshot_writer *w, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(w->err, sizeof(w->err), fmt, ap);
	va_end(ap);
	return -1;
}

static int writer_put(struct snapshot_writer *w, const void *buf, size_t len)
{
	const uint8_t *p = buf;
	while (len) {
		ssize_t n = write(w->fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return writer_fail(w, "writing the stream: %s",
					   n < 0 ? strerror(errno) : "short write");
		p += n;
		len -= (size_t)n;
		w->bytes += (uint64_t)n;
	}
	return 0;
}

int snapshot_write_header(struct snapshot_writer *w, int fd, const uint8_t *key,
			  const uint8_t *nonce, unsigned vcpus, uint64_t mem_size,
			  unsigned disk_count)
{
	struct snapshot_header h = {
	    .version = SNAPSHOT_VERSION,
	    .arch = SNAPSHOT_ARCH_X86_64,
	    .flags = (key ? SNAPSHOT_FLAG_KEYED : 0) | (nonce ? SNAPSHOT_FLAG_NONCE : 0),
	    .vcpus = vcpus,
	    .mem_size = mem_size,
	    .page_size = (uint32_t)LOCKVM_PAGE_SIZE,
	    .disk_count = disk_count,
	};
	memcpy(h.magic, SNAPSHOT_MAGIC, sizeof(h.magic));
	w->fd = fd;
	w->bytes = 0;
	w->progress = NULL; /* the caller sets it after the header, if anyone asks */
	w->keyed = key != NULL;
	if (key)
		memcpy(w->key, key, SNAPSHOT_KEY_SIZE);
	if (getrandom(h.salt, sizeof(h.salt), GRND_NONBLOCK) != (ssize_t)sizeof(h.salt))
		return writer_fail(w, "getrandom(stream salt): %s", strerror(errno));
	/* The header's tag chains from the target's nonce (migration) or zero. */
	memset(w->chain, 0, sizeof(w->chain));
	if (nonce)
		memcpy(w->chain, nonce, SNAPSHOT_NONCE_SIZE);
	tag_parts(key, w->chain, &h, sizeof(h), NULL, 0, NULL, 0, w->chain);
	if (writer_put(w, &h, sizeof(h)) < 0 || writer_put(w, w->chain, sizeof(w->chain)) < 0)
		return -1;
	return 0;
}

int snapshot_write_section(struct snapshot_writer *w, uint32_t type, uint32_t index, const void *a,
			   size_t alen, const void *b, size_t blen)
{
	struct section_header sh = {.type = type, .index = index, .length = alen + blen};
	tag_parts(w->keyed ? w->key : NULL, w->chain, &sh, sizeof(sh), a, alen, b, blen, w->chain);
	if (writer_put(w, &sh, sizeof(sh)) < 0 || (alen && writer_put(w, a, alen) < 0) ||
	    (blen && writer_put(w, b, blen) < 0) || writer_put(w, w->chain, sizeof(w->chain)) < 0)
		return -1;
	if (w->progress)
		w->progress->tick(w->progress, w->bytes);
	return 0;
}

int snapshot_write_memory(struct snapshot_writer *w, const struct guest_mem *mem, uint64_t gpa,
			  uint64_t len)
{
	/* A running guest may change its pages while they are sent: each run
	 * is copied first, so that the tag and the bytes written agree (the
	 * page is sent again if it was dirtied). */
	static uint8_t copy[SNAPSHOT_RUN_MAX];
	while (len) {
		uint64_t chunk = len < SNAPSHOT_RUN_MAX ? len : SNAPSHOT_RUN_MAX;
		const void *src = guest_mem_ptr(mem, gpa, chunk);
		if (!src)
			return writer_fail(w, "memory [0x%llx, +0x%llx) outside RAM",
					   (unsigned long long)gpa, (unsigned long long)chunk);
		memcpy(copy, src, (size_t)chunk);
		if (snapshot_write_section(w, SNAPSHOT_SEC_MEMORY, 0, &gpa, sizeof(gpa), copy,
					   (size_t)chunk) < 0)
			return -1;
		gpa += chunk;
		len -= chunk;
	}
	return 0;
}

static bool page_is_zero(const uint8_t *page)
{
	const uint64_t *word = (const uint64_t *)page;
	uint64_t acc = 0;
	for (size_t i = 0; i < LOCKVM_PAGE_SIZE / 8; i += 8)
		acc |= word[i] | word[i + 1] | word[i + 2] | word[i + 3] | word[i + 4] |
		       word[i + 5] | word[i + 6] | word[i + 7];
	return acc == 0;
}

uint64_t snapshot_nonzero_pages(const struct guest_mem *mem, uint64_t *bits)
{
	uint64_t count = 0;
	for (uint64_t page = 0; page < mem->size / LOCKVM_PAGE_SIZE; page++)
		if (!page_is_zero(mem->host + page * LOCKVM_PAGE_SIZE)) {
			bits[page / 64] |= 1ULL << (page % 64);
			count++;
		}
	return count;
}

uint64_t snapshot_memory_bytes(uint64_t len)
{
	uint64_t sections = (len + SNAPSHOT_RUN_MAX - 1) / SNAPSHOT_RUN_MAX;
	return len + sections * (sizeof(struct section_header) + 8 + SNAPSHOT_TAG_SIZE);
}

/* ---- reading ------------------------------------------------------------ */

static int reader_fail(struct snapshot_reader *r, const char *fmt, ...) PRINTF_LIKE(2, 3);
static int reader_fail(struct snapshot_reader *r, const char *fmt, ...)
{
	if (r->err[0])
		return -1; /* the first reason is the one reported */
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(r->err, sizeof(r->err), fmt, ap);
	va_end(ap);
	return -1;
}

int snapshot_read_exact(struct snapshot_reader *r, void *out, size_t len, const char *what)
{
	uint8_t *p = out;
	if (r->fd < 0) {
		if (len > r->len - r->pos)
			return reader_fail(r, "truncated stream (it ends inside %s)", what);
		memcpy(out, r->buf + r->pos, len);
		r->pos += len;
		return 0;
	}
	while (len) {
		ssize_t n = read(r->fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return reader_fail(r, "the stream stalled (no data for 30 s inside %s)",
					   what);
		if (n < 0)
			return reader_fail(r, "reading the stream: %s", strerror(errno));
		if (n == 0)
			return reader_fail(r, "truncated stream (it ends inside %s)", what);
		p += n;
		len -= (size_t)n;
		r->bytes += (uint64_t)n;
	}
	return 0;
}

static int read_header(struct snapshot_reader *r, const uint8_t *key, const uint8_t *nonce,
		       unsigned vcpus, uint64_t mem_size, struct snapshot_state *st)
{
	struct snapshot_header h = {0};
	uint8_t tag[SNAPSHOT_TAG_SIZE] = {0}, start[SNAPSHOT_TAG_SIZE] = {0};
	_Static_assert(SNAPSHOT_NONCE_SIZE == SNAPSHOT_TAG_SIZE, "the nonce starts the chain");
	if (snapshot_read_exact(r, &h, sizeof(h), "the header") < 0)
		return -1;
	if (memcmp(h.magic, SNAPSHOT_MAGIC, sizeof(h.magic)) != 0)
		return reader_fail(r, "not a lockvm snapshot or migration stream (bad magic)");
	if (h.version != SNAPSHOT_VERSION)
		return reader_fail(r, "stream format version %u, this lockvm reads version %d",
				   h.version, SNAPSHOT_VERSION);
	if (h.arch != SNAPSHOT_ARCH_X86_64)
		return reader_fail(r, "stream is for architecture %u, this host is x86-64 (1)",
				   h.arch);
	if (h.flags & ~(SNAPSHOT_FLAG_KEYED | SNAPSHOT_FLAG_NONCE))
		return reader_fail(r, "unknown header flags 0x%x", h.flags);
	if ((h.flags & SNAPSHOT_FLAG_NONCE) && !nonce)
		return reader_fail(r, "a migration stream (bound to its target's nonce) cannot be "
				      "restored: it is a recording of a migration");
	if (!(h.flags & SNAPSHOT_FLAG_NONCE) && nonce)
		return reader_fail(r, "the stream does not answer this target's nonce (a saved "
				      "file? give it to lockvm restore)");
	if ((h.flags & SNAPSHOT_FLAG_KEYED) && !key)
		return reader_fail(r, "the stream is authenticated: give its --key");
	if (!(h.flags & SNAPSHOT_FLAG_KEYED) && key)
		return reader_fail(r, "--key given but the stream carries no MAC (refusing an "
				      "unauthenticated stream)");
	r->keyed = key != NULL;
	if (key)
		memcpy(r->key, key, SNAPSHOT_KEY_SIZE);
	if (snapshot_read_exact(r, tag, sizeof(tag), "the header tag") < 0)
		return -1;
	if (nonce)
		memcpy(start, nonce, SNAPSHOT_NONCE_SIZE);
	tag_parts(key, start, &h, sizeof(h), NULL, 0, NULL, 0, r->chain);
	if (sodium_memcmp(tag, r->chain, sizeof(tag)) != 0) {
		if (key && nonce)
			return reader_fail(r, "authentication failed: wrong --key, an altered "
					      "header, or a replayed migration stream (its MAC "
					      "does not cover this target's nonce)");
		return reader_fail(r, key     ? "authentication failed: wrong --key, or the header "
						"was altered"
				      : nonce ? "header checksum mismatch (corrupted, or a replay "
						"not made for this target)"
					      : "header checksum mismatch (corrupted stream)");
	}
	if (h.page_size != LOCKVM_PAGE_SIZE)
		return reader_fail(r, "page size %u, want %llu", h.page_size, LOCKVM_PAGE_SIZE);
	if (h.vcpus < 1 || h.vcpus > LOCKVM_MAX_VCPUS || h.disk_count > LOCKVM_MAX_DISKS)
		return reader_fail(r, "header: %u vCPUs and %u disks are out of range", h.vcpus,
				   h.disk_count);
	if (guest_mem_size_problem(h.mem_size))
		return reader_fail(r, "header: RAM size %llu is out of range",
				   (unsigned long long)h.mem_size);
	if (h.vcpus != vcpus)
		return reader_fail(r, "the stream has %u vCPUs, this VM %u (give --vcpus %u)",
				   h.vcpus, vcpus, h.vcpus);
	if (h.mem_size != mem_size)
		return reader_fail(r,
				   "the stream has %llu MiB of RAM, this VM %llu MiB (give --mem "
				   "%lluM)",
				   (unsigned long long)(h.mem_size >> 20),
				   (unsigned long long)(mem_size >> 20),
				   (unsigned long long)(h.mem_size >> 20));
	st->vcpu_count = h.vcpus;
	st->mem_size = h.mem_size;
	st->disk_count = h.disk_count;
	return 0;
}

static uint64_t get64(const uint8_t *p)
{
	uint64_t v;
	memcpy(&v, p, sizeof(v));
	return v;
}

static uint32_t get32(const uint8_t *p)
{
	uint32_t v;
	memcpy(&v, p, sizeof(v));
	return v;
}

static int parse_memory(struct snapshot_reader *r, const uint8_t *p, uint64_t len,
			struct guest_mem *mem, struct snapshot_state *st)
{
	if (len < 8 || (len - 8) % LOCKVM_PAGE_SIZE)
		return reader_fail(r,
				   "memory section of %llu bytes is not an address and whole "
				   "pages",
				   (unsigned long long)len);
	uint64_t gpa = get64(p), bytes = len - 8;
	void *dst = guest_mem_ptr(mem, gpa, bytes);
	if (gpa % LOCKVM_PAGE_SIZE || !dst)
		return reader_fail(
		    r, "memory section [0x%llx, +0x%llx) is not page-aligned inside RAM",
		    (unsigned long long)gpa, (unsigned long long)bytes);
	memcpy(dst, p + 8, bytes);
	st->memory_bytes += bytes;
	return 0;
}

static int parse_devices(struct snapshot_reader *r, const uint8_t *p, uint64_t len,
			 struct snapshot_state *st)
{
	uint64_t pos = 4;
	if (len < 4 || get32(p) != st->disk_count)
		return reader_fail(r, "devices section disagrees with the header's disk count");
	for (unsigned i = 0; i < st->disk_count; i++) {
		struct snapshot_disk *d = &st->disks[i];
		if (len - pos < 16)
			return reader_fail(r, "devices section: disk %u is cut short", i);
		d->sectors = get64(p + pos);
		uint32_t ro = get32(p + pos + 8), path_len = get32(p + pos + 12);
		pos += 16;
		if (ro > 1 || path_len > SNAPSHOT_PATH_MAX || path_len > len - pos ||
		    d->sectors > (UINT64_MAX / LOCKVM_SECTOR_SIZE))
			return reader_fail(r, "devices section: disk %u has bad fields", i);
		d->read_only = ro == 1;
		memcpy(d->path, p + pos, path_len);
		d->path[path_len] = '\0';
		if (strlen(d->path) != path_len)
			return reader_fail(r, "devices section: disk %u path holds a NUL byte", i);
		pos += path_len;
	}
	if (pos != len)
		return reader_fail(r, "devices section has %llu trailing bytes",
				   (unsigned long long)(len - pos));
	return 0;
}

static int parse_nic(struct snapshot_reader *r, const uint8_t *p, uint64_t len,
		     struct snapshot_state *st)
{
	static const uint8_t zero_mac[6];
	if (st->has_nic)
		return reader_fail(r, "two NIC sections");
	if (len != SNAPSHOT_NIC_SIZE || p[6] || p[7])
		return reader_fail(r, "NIC section of %llu bytes is not a MAC and an MTU",
				   (unsigned long long)len);
	memcpy(st->nic_mac, p, 6);
	st->nic_mtu = get32(p + 8);
	/* What lockvm gives a NIC: a unicast, non-zero address (--mac). */
	if ((st->nic_mac[0] & 1) || memcmp(st->nic_mac, zero_mac, 6) == 0)
		return reader_fail(r, "NIC section: the MAC is multicast or zero");
	if (st->nic_mtu < 68 || st->nic_mtu > 65535)
		return reader_fail(r, "NIC section: MTU %u is out of range", st->nic_mtu);
	st->has_nic = true;
	return 0;
}

static int parse_vcpu(struct snapshot_reader *r, uint32_t index, const uint8_t *p, uint64_t len,
		      struct snapshot_state *st)
{
	char why[200];
	if (index >= st->vcpu_count)
		return reader_fail(r, "vCPU section for vCPU %u of %u", index, st->vcpu_count);
	if (st->arch[index])
		return reader_fail(r, "two sections for vCPU %u", index);
	if (len != 8 + arch_snapshot_size())
		return reader_fail(r, "vCPU %u section is %llu bytes, want %zu", index,
				   (unsigned long long)len, 8 + arch_snapshot_size());
	st->sleep_left_ns[index] = get64(p);
	if (st->sleep_left_ns[index] > 366ULL * 24 * 3600 * 1000000000ULL)
		return reader_fail(r, "vCPU %u sleeps for more than a year", index);
	if (arch_snapshot_check(p + 8, index, why, sizeof(why)) < 0)
		return reader_fail(r, "vCPU %u: %s", index, why);
	st->arch[index] = malloc(arch_snapshot_size());
	if (!st->arch[index])
		return reader_fail(r, "out of memory for vCPU %u", index);
	memcpy(st->arch[index], p + 8, arch_snapshot_size());
	return 0;
}

int snapshot_read(struct snapshot_reader *r, const uint8_t *key, const uint8_t *nonce,
		  unsigned vcpus, struct guest_mem *mem, struct snapshot_state *st)
{
	memset(st, 0, sizeof(*st));
	r->err[0] = '\0';
	if (read_header(r, key, nonce, vcpus, mem->size, st) < 0)
		return -1;
	r->section = malloc(8 + SNAPSHOT_RUN_MAX);
	if (!r->section)
		return reader_fail(r, "out of memory for a section buffer");
	bool have_devices = false, have_clock = false;
	int rc = -1;
	for (uint64_t n = 0;; n++) {
		struct section_header sh = {0};
		uint8_t tag[SNAPSHOT_TAG_SIZE] = {0}, want[SNAPSHOT_TAG_SIZE];
		if (snapshot_read_exact(r, &sh, sizeof(sh), "a section header") < 0)
			break;
		uint64_t max = section_max(sh.type);
		if (sh.type != SNAPSHOT_SEC_END && max == 0) {
			reader_fail(r, "unknown section type %u", sh.type);
			break;
		}
		if (sh.length > max) {
			reader_fail(r, "section type %u is %llu bytes, at most %llu", sh.type,
				    (unsigned long long)sh.length, (unsigned long long)max);
			break;
		}
		if (snapshot_read_exact(r, r->section, (size_t)sh.length, "a section") < 0 ||
		    snapshot_read_exact(r, tag, sizeof(tag), "a section tag") < 0)
			break;
		tag_parts(r->keyed ? r->key : NULL, r->chain, &sh, sizeof(sh), r->section,
			  (size_t)sh.length, NULL, 0, want);
		if (sodium_memcmp(tag, want, sizeof(tag)) != 0) {
			reader_fail(r,
				    r->keyed ? "authentication failed at section %llu (type %u): "
					       "altered stream or wrong --key"
					     : "checksum mismatch at section %llu (type %u): "
					       "corrupted stream",
				    (unsigned long long)n, sh.type);
			break;
		}
		memcpy(r->chain, want, sizeof(want));
		if (r->progress)
			r->progress->tick(r->progress, r->bytes);
		if (sh.type != SNAPSHOT_SEC_VCPU && sh.index != 0) {
			reader_fail(r, "section type %u has index %u", sh.type, sh.index);
			break;
		}
		int ok = 0;
		switch (sh.type) {
		case SNAPSHOT_SEC_MEMORY:
			ok = parse_memory(r, r->section, sh.length, mem, st);
			break;
		case SNAPSHOT_SEC_DEVICES:
			ok = have_devices ? reader_fail(r, "two devices sections")
					  : parse_devices(r, r->section, sh.length, st);
			have_devices = true;
			break;
		case SNAPSHOT_SEC_CLOCK:
			if (have_clock || sh.length != 24) {
				ok = reader_fail(r, "bad or repeated clock section");
				break;
			}
			have_clock = true;
			st->guest_clock_ns = get64(r->section);
			st->timeout_left_ns = get64(r->section + 8);
			st->events = get64(r->section + 16);
			if (st->events & ~(uint64_t)LOCKVM_EVENT_SHUTDOWN)
				ok = reader_fail(r, "clock section: unknown events 0x%llx",
						 (unsigned long long)st->events);
			break;
		case SNAPSHOT_SEC_VCPU:
			ok = parse_vcpu(r, sh.index, r->section, sh.length, st);
			break;
		case SNAPSHOT_SEC_NIC: ok = parse_nic(r, r->section, sh.length, st); break;
		default: /* END */
			if (!have_devices || !have_clock) {
				ok = reader_fail(r, "stream ends without %s section",
						 have_devices ? "a clock" : "a devices");
				break;
			}
			for (unsigned i = 0; i < st->vcpu_count && ok == 0; i++)
				if (!st->arch[i])
					ok = reader_fail(r, "stream ends without vCPU %u", i);
			if (ok == 0)
				rc = 0;
			break;
		}
		if (ok < 0 || sh.type == SNAPSHOT_SEC_END)
			break;
	}
	free(r->section);
	r->section = NULL;
	return rc;
}

void snapshot_state_free(struct snapshot_state *st)
{
	for (unsigned i = 0; i < LOCKVM_MAX_VCPUS; i++) {
		free(st->arch[i]);
		st->arch[i] = NULL;
	}
}
