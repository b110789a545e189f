/* Forges snapshot streams for the hostile-input tests: rewrites chosen fields of a saved (unkeyed) stream and re-tags every section (runner/migrate/SNAPSHOT.md), so the restoring VMM's rules, not its checksums, must refuse them. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "arch_x86_64.h"
#include "paths.h"
#include "snapshot.h"
#include "snapshot_x86_64.h"

static void usage(void)
{
	fprintf(stderr, "usage: snapedit IN OUT [--key FILE] [EDIT]...\n"
			"  re-tags IN's sections (with --key: keyed) after these edits:\n"
			"  vcpus=N         the header's vCPU count\n"
			"  cs-cpl0         every vCPU's CS is the kernel code segment (CPL 0)\n"
			"  cs-unusable     CS marked unusable\n"
			"  ss-np           SS not present (DPL 3)\n"
			"  ss-dpl0         SS not present with DPL 0 (CPL 0 on AMD)\n"
			"  ss-unusable     SS marked unusable\n"
			"  ds-dpl0         DS not present with DPL 0\n"
			"  tr-type=N       TR's descriptor type (a busy 64-bit TSS is 11)\n"
			"  sregs-irq       a pending interrupt (vector 0x20) in the sregs bitmap\n"
			"  iopl=N          RFLAGS.IOPL = N\n"
			"  rflags-vm       RFLAGS.VM set (virtual-8086 mode)\n"
			"  cr3=HEX         CR3\n"
			"  efer=HEX        EFER\n"
			"  inject-irq      an injected external interrupt (vector 0x20)\n"
			"  msr-lstar=HEX   the LSTAR MSR (SYSCALL entry)\n"
			"  mem-gpa=HEX     the first memory section's guest address\n"
			"  nic-mac=MAC     the NIC section's MAC (the stream must have one)\n"
			"  pte-user-rw=HEX the page-table entries mapping virtual address HEX\n"
			"                  (every level) made user-accessible and writable\n");
	exit(2);
}

static uint8_t *read_all(const char *path, size_t *len)
{
	char *data = paths_read_file(path, 1ULL << 32, len);
	if (!data) {
		fprintf(stderr, "snapedit: %s: %s\n", path, strerror(errno));
		exit(1);
	}
	return (uint8_t *)data;
}

static uint64_t hex(const char *text)
{
	char *end;
	errno = 0;
	unsigned long long v = strtoull(text, &end, 16);
	if (errno || *end || end == text) {
		fprintf(stderr, "snapedit: '%s' is not a hex number\n", text);
		exit(2);
	}
	return v;
}

/* Applies one EDIT to a vCPU blob; false if EDIT is not a vCPU edit. */
static bool edit_vcpu(const char *edit, struct x86_snapshot *s)
{
	if (strcmp(edit, "cs-cpl0") == 0) {
		s->sregs.cs.selector = X86_SEL_KERNEL_CS;
		s->sregs.cs.dpl = 0;
	} else if (strcmp(edit, "cs-unusable") == 0) {
		s->sregs.cs.unusable = 1;
	} else if (strcmp(edit, "ss-np") == 0) {
		s->sregs.ss.present = 0;
	} else if (strcmp(edit, "ss-dpl0") == 0) {
		s->sregs.ss.present = 0;
		s->sregs.ss.dpl = 0;
	} else if (strcmp(edit, "ss-unusable") == 0) {
		s->sregs.ss.unusable = 1;
	} else if (strcmp(edit, "ds-dpl0") == 0) {
		s->sregs.ds.present = 0;
		s->sregs.ds.dpl = 0;
	} else if (strncmp(edit, "tr-type=", 8) == 0) {
		s->sregs.tr.type = (uint8_t)hex(edit + 8);
	} else if (strcmp(edit, "sregs-irq") == 0) {
		s->sregs.interrupt_bitmap[0] = 1ULL << 0x20;
	} else if (strncmp(edit, "iopl=", 5) == 0) {
		s->regs.rflags = (s->regs.rflags & ~(3ULL << 12)) | (hex(edit + 5) & 3) << 12;
	} else if (strcmp(edit, "rflags-vm") == 0) {
		s->regs.rflags |= 1ULL << 17;
	} else if (strncmp(edit, "cr3=", 4) == 0) {
		s->sregs.cr3 = hex(edit + 4);
	} else if (strncmp(edit, "efer=", 5) == 0) {
		s->sregs.efer = hex(edit + 5);
	} else if (strcmp(edit, "inject-irq") == 0) {
		s->events.interrupt.injected = 1;
		s->events.interrupt.nr = 0x20;
	} else if (strncmp(edit, "msr-lstar=", 10) == 0) {
		s->msrs[X86_SNAPSHOT_MSR_LSTAR] = hex(edit + 10);
	} else {
		return false;
	}
	return true;
}

/*
 * pte-user-rw: the guest-physical addresses of the page-table entries
 * (PML4 down to the leaf) that map VA, found by walking the tables in
 * the stream's memory sections (later sections win, as on restore).
 * Returns how many were found (0 when VA is not mapped).
 */
static int find_ptes(const uint8_t *buf, size_t len, uint64_t mem, uint64_t va, uint64_t entries[4])
{
	uint8_t *ram = calloc(1, (size_t)mem);
	if (!ram) {
		fprintf(stderr, "snapedit: out of memory for %llu bytes\n",
			(unsigned long long)mem);
		exit(1);
	}
	for (size_t pos = SNAPSHOT_HEADER_SIZE + SNAPSHOT_TAG_SIZE; pos + 16 <= len;) {
		uint32_t type;
		uint64_t length, gpa;
		memcpy(&type, buf + pos, 4);
		memcpy(&length, buf + pos + 8, 8);
		pos += 16;
		if (length > len - pos)
			break;
		if (type == SNAPSHOT_SEC_MEMORY && length >= 8) {
			memcpy(&gpa, buf + pos, 8);
			if (gpa <= mem && length - 8 <= mem - gpa)
				memcpy(ram + gpa, buf + pos + 8, (size_t)(length - 8));
		}
		pos += (size_t)length + SNAPSHOT_TAG_SIZE;
	}
	uint64_t table = X86_PML4_GPA;
	int n = 0;
	for (int level = 3; level >= 0 && table + 4096 <= mem; level--) {
		uint64_t at = table + 8 * ((va >> (12 + 9 * level)) & 511), e;
		memcpy(&e, ram + at, 8);
		if (!(e & 1))
			break;
		entries[n++] = at;
		if (level == 0 || (level < 3 && (e & (1ULL << 7))))
			break;
		table = e & 0x000FFFFFFFFFF000ULL;
	}
	free(ram);
	return n;
}

int main(int argc, char **argv)
{
	if (argc < 3)
		usage();
	const char *in = argv[1], *out = argv[2];
	uint8_t key[SNAPSHOT_KEY_SIZE];
	bool keyed = false;
	int first_edit = 3;
	if (argc > 4 && strcmp(argv[3], "--key") == 0) {
		size_t klen;
		uint8_t *k = read_all(argv[4], &klen);
		snapshot_derive_key(k, klen, key);
		free(k);
		keyed = true;
		first_edit = 5;
	}
	size_t len;
	uint8_t *buf = read_all(in, &len);
	if (len < SNAPSHOT_HEADER_SIZE + SNAPSHOT_TAG_SIZE || memcmp(buf, SNAPSHOT_MAGIC, 8) != 0) {
		fprintf(stderr, "snapedit: %s is not a snapshot stream\n", in);
		return 1;
	}
	uint32_t vcpus, disks, flags;
	uint64_t mem;
	memcpy(&flags, buf + 16, 4);
	memcpy(&vcpus, buf + 20, 4);
	memcpy(&mem, buf + 24, 8);
	memcpy(&disks, buf + 36, 4);
	if (flags) {
		fprintf(stderr, "snapedit: %s is keyed; give an unkeyed stream\n", in);
		return 1;
	}
	bool used[64] = {false};
	for (int i = first_edit; i < argc; i++)
		if (strncmp(argv[i], "vcpus=", 6) == 0) {
			vcpus = (uint32_t)strtoul(argv[i] + 6, NULL, 10);
			used[i] = true;
		}
	uint64_t ptes[4];
	int nptes = 0;
	for (int i = first_edit; i < argc; i++)
		if (strncmp(argv[i], "pte-user-rw=", 12) == 0) {
			nptes = find_ptes(buf, len, mem, hex(argv[i] + 12), ptes);
			if (nptes == 0) {
				fprintf(stderr, "snapedit: %s: not mapped in %s\n", argv[i], in);
				return 1;
			}
			used[i] = true;
		}
	int fd = open(out, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	struct snapshot_writer w;
	if (fd < 0 ||
	    snapshot_write_header(&w, fd, keyed ? key : NULL, NULL, vcpus, mem, disks) < 0) {
		fprintf(stderr, "snapedit: %s: %s\n", out, fd < 0 ? strerror(errno) : w.err);
		return 1;
	}
	size_t pos = SNAPSHOT_HEADER_SIZE + SNAPSHOT_TAG_SIZE;
	bool first_memory = true;
	while (pos + 16 <= len) {
		uint32_t type, index;
		uint64_t length;
		memcpy(&type, buf + pos, 4);
		memcpy(&index, buf + pos + 4, 4);
		memcpy(&length, buf + pos + 8, 8);
		pos += 16;
		if (length > len - pos || len - pos - length < SNAPSHOT_TAG_SIZE) {
			fprintf(stderr, "snapedit: %s: truncated section\n", in);
			return 1;
		}
		uint8_t *p = buf + pos;
		for (int i = first_edit; i < argc; i++) {
			if (type == SNAPSHOT_SEC_VCPU &&
			    length == 8 + sizeof(struct x86_snapshot)) {
				struct x86_snapshot s;
				memcpy(&s, p + 8, sizeof(s));
				if (edit_vcpu(argv[i], &s)) {
					memcpy(p + 8, &s, sizeof(s));
					used[i] = true;
				}
			}
			if (type == SNAPSHOT_SEC_MEMORY && first_memory &&
			    strncmp(argv[i], "mem-gpa=", 8) == 0) {
				uint64_t gpa = hex(argv[i] + 8);
				memcpy(p, &gpa, 8);
				used[i] = true;
			}
			if (type == SNAPSHOT_SEC_NIC && strncmp(argv[i], "nic-mac=", 8) == 0) {
				uint8_t mac[6];
				if (sscanf(argv[i] + 8, "%hhx:%hhx:%hhx:%hhx:%hhx:%hhx", &mac[0],
					   &mac[1], &mac[2], &mac[3], &mac[4], &mac[5]) != 6)
					usage();
				memcpy(p, mac, 6);
				used[i] = true;
			}
		}
		if (type == SNAPSHOT_SEC_MEMORY && length >= 8) {
			uint64_t gpa;
			memcpy(&gpa, p, 8);
			for (int k = 0; k < nptes; k++)
				if (ptes[k] >= gpa && ptes[k] + 8 <= gpa + (length - 8)) {
					uint64_t e;
					memcpy(&e, p + 8 + (ptes[k] - gpa), 8);
					e |= 1ULL << 1 | 1ULL << 2; /* RW, US */
					memcpy(p + 8 + (ptes[k] - gpa), &e, 8);
				}
		}
		first_memory = first_memory && type != SNAPSHOT_SEC_MEMORY;
		if (snapshot_write_section(&w, type, index, p, (size_t)length, NULL, 0) < 0) {
			fprintf(stderr, "snapedit: %s\n", w.err);
			return 1;
		}
		pos += (size_t)length + SNAPSHOT_TAG_SIZE;
		if (type == SNAPSHOT_SEC_END)
			break;
	}
	for (int i = first_edit; i < argc && i < 64; i++)
		if (!used[i]) {
			fprintf(stderr, "snapedit: edit '%s' matched nothing in %s\n", argv[i], in);
			return 1;
		}
	close(fd);
	free(buf);
	return 0;
}
