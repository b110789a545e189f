/* NUMA placement: node and CPU lists, host node checks (supervisor), binding guest RAM and threads (VMM). */
#include "numa.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/mempolicy.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#define WORD_BITS (8 * sizeof(unsigned long))

static void set_add(struct numa_set *set, unsigned n)
{
	set->bits[n / WORD_BITS] |= 1UL << (n % WORD_BITS);
}

bool numa_set_has(const struct numa_set *set, unsigned n)
{
	return n < NUMA_LIST_MAX && (set->bits[n / WORD_BITS] >> (n % WORD_BITS)) & 1;
}

bool numa_set_empty(const struct numa_set *set)
{
	for (size_t i = 0; i < NUMA_LIST_WORDS; i++)
		if (set->bits[i])
			return false;
	return true;
}

/* One decimal number below NUMA_LIST_MAX; advances *p. */
static int parse_number(const char **p, unsigned *out)
{
	unsigned n = 0;
	if (**p < '0' || **p > '9')
		return -1;
	for (; **p >= '0' && **p <= '9'; (*p)++) {
		n = n * 10 + (unsigned)(**p - '0');
		if (n >= NUMA_LIST_MAX)
			return -1;
	}
	*out = n;
	return 0;
}

int numa_parse_list(const char *text, struct numa_set *out)
{
	const char *p = text;
	memset(out, 0, sizeof(*out));
	for (;;) {
		unsigned first, last;
		if (parse_number(&p, &first) < 0)
			return -1;
		last = first;
		if (*p == '-') {
			p++;
			if (parse_number(&p, &last) < 0 || last < first)
				return -1;
		}
		for (unsigned n = first; n <= last; n++)
			set_add(out, n);
		if (*p == '\0')
			return 0;
		if (*p++ != ',')
			return -1;
	}
}

void numa_format_list(const struct numa_set *set, char *out, size_t len)
{
	size_t used = 0;
	out[0] = '\0';
	for (unsigned n = 0; n < NUMA_LIST_MAX; n++) {
		if (!numa_set_has(set, n))
			continue;
		unsigned last = n;
		while (last + 1 < NUMA_LIST_MAX && numa_set_has(set, last + 1))
			last++;
		int w = last == n
			    ? snprintf(out + used, len - used, "%s%u", used ? "," : "", n)
			    : snprintf(out + used, len - used, "%s%u-%u", used ? "," : "", n, last);
		if (w < 0 || (size_t)w >= len - used)
			return; /* truncated: callers size out for any real host */
		used += (size_t)w;
		n = last;
	}
}

/* Reads a sysfs list file such as "online" or "node0/cpulist". */
static int read_list(const char *dir, const char *file, struct numa_set *out)
{
	char path[512], text[4096];
	if (snprintf(path, sizeof(path), "%s/%s", dir, file) >= (int)sizeof(path))
		return -1;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ssize_t n = read(fd, text, sizeof(text) - 1);
	close(fd);
	if (n < 0)
		return -1;
	text[n] = '\0';
	text[strcspn(text, "\n")] = '\0';
	if (text[0] == '\0') {
		memset(out, 0, sizeof(*out));
		return 0;
	}
	return numa_parse_list(text, out);
}

int numa_check_nodes(const char *sysfs_dir, const struct numa_set *nodes, struct numa_set *cpus,
		     char *err, size_t errlen)
{
	struct numa_set online, with_memory;
	char list[256];
	if (read_list(sysfs_dir, "online", &online) < 0) {
		snprintf(err, errlen, "this host shows no NUMA nodes (%s/online unreadable)",
			 sysfs_dir);
		return -1;
	}
	if (read_list(sysfs_dir, "has_memory", &with_memory) < 0)
		with_memory = online; /* older kernels: every online node */
	memset(cpus, 0, sizeof(*cpus));
	for (unsigned n = 0; n < NUMA_LIST_MAX; n++) {
		if (!numa_set_has(nodes, n))
			continue;
		numa_format_list(&online, list, sizeof(list));
		if (!numa_set_has(&online, n)) {
			snprintf(err, errlen,
				 "NUMA node %u does not exist on this host (nodes: %s)", n, list);
			return -1;
		}
		if (!numa_set_has(&with_memory, n)) {
			snprintf(err, errlen, "NUMA node %u has no memory to bind guest RAM to", n);
			return -1;
		}
		char file[64];
		struct numa_set node_cpus;
		snprintf(file, sizeof(file), "node%u/cpulist", n);
		if (read_list(sysfs_dir, file, &node_cpus) < 0) {
			snprintf(err, errlen, "cannot read %s/%s", sysfs_dir, file);
			return -1;
		}
		for (size_t i = 0; i < NUMA_LIST_WORDS; i++)
			cpus->bits[i] |= node_cpus.bits[i];
	}
	if (numa_set_empty(cpus)) {
		snprintf(err, errlen, "the NUMA nodes given have no CPUs to run vCPUs on");
		return -1;
	}
	return 0;
}

int numa_bind(void *addr, size_t len, const struct numa_set *nodes, const struct numa_set *cpus,
	      char *err, size_t errlen)
{
	char list[256];
	numa_format_list(nodes, list, sizeof(list));
	/* Raw syscalls: the VMM is static and needs nothing else of libnuma. */
	if (syscall(SYS_mbind, addr, len, MPOL_BIND, nodes->bits, (unsigned long)NUMA_LIST_MAX, 0) <
	    0) {
		snprintf(err, errlen, "mbind(guest RAM, %zu bytes, MPOL_BIND, nodes %s): %s", len,
			 list, strerror(errno));
		return -1;
	}
	if (syscall(SYS_set_mempolicy, MPOL_BIND, nodes->bits, (unsigned long)NUMA_LIST_MAX) < 0) {
		snprintf(err, errlen, "set_mempolicy(MPOL_BIND, nodes %s): %s", list,
			 strerror(errno));
		return -1;
	}
	cpu_set_t set;
	CPU_ZERO(&set);
	for (unsigned n = 0; n < NUMA_LIST_MAX && n < CPU_SETSIZE; n++)
		if (numa_set_has(cpus, n))
			CPU_SET(n, &set);
	if (sched_setaffinity(0, sizeof(set), &set) < 0) {
		numa_format_list(cpus, list, sizeof(list));
		snprintf(err, errlen, "sched_setaffinity(cpus %s): %s", list, strerror(errno));
		return -1;
	}
	return 0;
}
