/* libFuzzer target: the snapshot/migration stream parser (snapshot.c), the vCPU state checks and the page-table walk of a restored VM (snapshot_x86_64.c). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "arch.h"
#include "snapshot.h"
#include "vm.h"

#define FUZZ_MEM (8ULL << 20)

static uint8_t *ram;

static void parse(int fd, const uint8_t *buf, size_t len, const uint8_t *key, const uint8_t *nonce)
{
	static struct snapshot_reader r;
	static struct snapshot_state st;
	static struct vm vm;
	memset(ram, 0, FUZZ_MEM);
	memset(&r, 0, sizeof(r));
	r.fd = fd;
	r.buf = buf;
	r.len = len;
	memset(&vm, 0, sizeof(vm));
	vm.mem.host = ram;
	vm.mem.size = FUZZ_MEM;
	vm.vcpu_count = 1;
	if (snapshot_read(&r, key, nonce, 1, &vm.mem, &st) == 0) {
		char err[256];
		(void)arch_snapshot_memory(&vm, err, sizeof(err));
	}
	snapshot_state_free(&st);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t key[SNAPSHOT_KEY_SIZE] = {1, 2, 3};
	static const uint8_t nonce[SNAPSHOT_NONCE_SIZE] = {4, 5, 6}; /* an incoming target's */
	if (!ram)
		ram = calloc(1, FUZZ_MEM);
	if (size < 1 || !ram)
		return 0;
	/* data[0]: bit 0 raw, bit 1 keyed, bit 2 a migration (nonce), bits 6-7 disks */
	const uint8_t *n = (data[0] & 4) ? nonce : NULL;
	if (data[0] & 1) { /* raw bytes: header, tags, truncation */
		parse(-1, data + 1, size - 1, (data[0] & 2) ? key : NULL, n);
		return 0;
	}
	/* Sections re-tagged by the writer, so the parser behind the tags is
	 * reached: [type u8][index u8][len u16][payload]... */
	int fd = memfd_create("fuzz-snapshot", MFD_CLOEXEC);
	if (fd < 0)
		return 0;
	struct snapshot_writer w;
	const uint8_t *k = (data[0] & 2) ? key : NULL;
	if (snapshot_write_header(&w, fd, k, n, 1, FUZZ_MEM, data[0] >> 6) == 0) {
		size_t pos = 1;
		while (pos + 4 <= size) {
			uint32_t type = data[pos], index = data[pos + 1];
			size_t len = (size_t)data[pos + 2] | (size_t)data[pos + 3] << 8;
			pos += 4;
			if (len > size - pos)
				len = size - pos;
			if (snapshot_write_section(&w, type, index, data + pos, len, NULL, 0) < 0)
				break;
			pos += len;
		}
		lseek(fd, 0, SEEK_SET);
		parse(fd, NULL, 0, k, n);
	}
	close(fd);
	return 0;
}
