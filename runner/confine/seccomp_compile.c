/* Seccomp policy to BPF: a libseccomp filter from a parsed policy, exported
 * as raw BPF into a sealed memfd for the VMM (which installs it with
 * seccomp_install.c); the shipped policies' directory. */
#include "seccomp_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "install_dirs.h"
#include "util.h"

#ifndef __X32_SYSCALL_BIT
#define __X32_SYSCALL_BIT 0x40000000U
#endif

scmp_filter_ctx seccomp_policy_compile(const struct seccomp_policy *policy,
				       enum seccomp_policy_mode mode, char *err, size_t errlen)
{
	uint32_t default_action;
	scmp_filter_ctx ctx;
	int rc;

	switch (mode) {
	case SECCOMP_POLICY_MODE_KILL: default_action = SCMP_ACT_KILL_PROCESS; break;
	case SECCOMP_POLICY_MODE_LOG: default_action = SCMP_ACT_LOG; break;
	case SECCOMP_POLICY_MODE_TRAP: default_action = SCMP_ACT_TRAP; break;
	default: snprintf(err, errlen, "bad seccomp mode %d", (int)mode); return NULL;
	}
	/* Policies name x86_64 syscalls; the filter must not be built for another ABI. */
	if (seccomp_arch_native() != SCMP_ARCH_X86_64) {
		snprintf(err, errlen, "seccomp policies are x86_64 only");
		return NULL;
	}
	ctx = seccomp_init(default_action);
	if (!ctx) {
		snprintf(err, errlen, "seccomp_init(0x%x) failed", default_action);
		return NULL;
	}
	/* Syscalls from another architecture (i386 via int 0x80) kill, in every mode. */
	rc = seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_KILL_PROCESS);
	if (rc < 0) {
		snprintf(err, errlen, "seccomp_attr_set(ACT_BADARCH): %s", strerror(-rc));
		goto fail;
	}
	for (size_t i = 0; i < policy->nentries; i++) {
		const struct seccomp_policy_entry *e = &policy->entries[i];
		uint32_t action =
		    e->errno_value ? SCMP_ACT_ERRNO((uint32_t)e->errno_value) : SCMP_ACT_ALLOW;
		if (e->errno_value || e->always) {
			rc = seccomp_rule_add_exact(ctx, action, e->nr, 0);
			if (rc < 0) {
				snprintf(err, errlen, "%s:%u: seccomp_rule_add_exact(%s): %s",
					 e->file, e->line, e->name, strerror(-rc));
				goto fail;
			}
			continue;
		}
		for (size_t r = 0; r < e->nrules; r++) {
			struct scmp_arg_cmp cmps[SECCOMP_POLICY_MAX_ARGS];
			char msg[256];
			int n = seccomp_policy_rule_lower(&e->rules[r], cmps, msg, sizeof(msg));
			if (n < 0) {
				snprintf(err, errlen, "%s:%u: %s: %s", e->file, e->line, e->name,
					 msg);
				goto fail;
			}
			rc =
			    seccomp_rule_add_exact_array(ctx, action, e->nr, (unsigned int)n, cmps);
			if (rc < 0) {
				snprintf(err, errlen, "%s:%u: seccomp_rule_add_exact_array(%s): %s",
					 e->file, e->line, e->name, strerror(-rc));
				goto fail;
			}
		}
	}
	return ctx;
fail:
	seccomp_release(ctx);
	return NULL;
}

scmp_filter_ctx seccomp_policy_compile_file(const char *path, enum seccomp_policy_mode mode,
					    char *err, size_t errlen)
{
	struct seccomp_policy *policy = seccomp_policy_parse_file(path, err, errlen);
	scmp_filter_ctx ctx;
	if (!policy)
		return NULL;
	ctx = seccomp_policy_compile(policy, mode, err, errlen);
	seccomp_policy_free(policy);
	return ctx;
}

/*
 * Runs before libseccomp's program: a syscall from another architecture or
 * with an x32 syscall number kills the process in every mode. libseccomp
 * 2.5 does the same through ACT_BADARCH; the prologue keeps it true whatever
 * the libseccomp version or attributes, since the VMM only sees raw BPF.
 */
static const struct sock_filter seccomp_prologue[] = {
    BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0),
    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),
    BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
    BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, __X32_SYSCALL_BIT, 0, 1),
    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),
};

const struct sock_filter *seccomp_policy_prologue(size_t *len)
{
	*len = sizeof(seccomp_prologue);
	return seccomp_prologue;
}

/* A memfd for BPF: data, never executable where the kernel can say so. */
static int bpf_memfd(void)
{
	int fd =
	    memfd_create("lockvm-seccomp-bpf", MFD_CLOEXEC | MFD_ALLOW_SEALING | MFD_NOEXEC_SEAL);
	if (fd < 0 && errno == EINVAL) /* kernels before 6.3 */
		fd = memfd_create("lockvm-seccomp-bpf", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	return fd;
}

/* Checks the program's size, seals fd and turns it read-only under the
 * same number; closes fd and returns -1 on error. */
static int bpf_seal(int fd)
{
	struct stat st;
	int saved;
	if (fstat(fd, &st) < 0)
		goto fail;
	if ((uint64_t)st.st_size > BPF_MAXINSNS * sizeof(struct sock_filter)) {
		errno = E2BIG;
		goto fail;
	}
	if (fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL) < 0)
		goto fail;
	/* The VMM gets a read-only open of it: inheriting an fd open for
	 * writing would need write permission under SELinux (checked at the
	 * VMM's exec), which the VM domain has not and should not have. */
	char self[64];
	snprintf(self, sizeof(self), "/proc/self/fd/%d", fd);
	int read_only = open(self, O_RDONLY | O_CLOEXEC);
	if (read_only < 0)
		goto fail;
	/* Same fd number as before, now read-only. */
	if (dup3(read_only, fd, O_CLOEXEC) < 0) {
		saved = errno;
		close(read_only);
		errno = saved;
		goto fail;
	}
	close(read_only);
	return fd;
fail:
	saved = errno;
	close(fd);
	errno = saved;
	return -1;
}

int seccomp_policy_export_fd(scmp_filter_ctx ctx)
{
	int fd = bpf_memfd();
	if (fd < 0)
		return -1;
	if (write_all(fd, seccomp_prologue, sizeof(seccomp_prologue)) < 0)
		goto fail;
	/* libseccomp writes at the current offset, after the prologue. */
	int rc = seccomp_export_bpf(ctx, fd);
	if (rc < 0) {
		errno = -rc;
		goto fail;
	}
	return bpf_seal(fd);
fail:;
	int saved = errno;
	close(fd);
	errno = saved;
	return -1;
}

int seccomp_policy_bpf_fd(const void *bpf, size_t len)
{
	int fd = bpf_memfd();
	if (fd < 0)
		return -1;
	if (write_all(fd, bpf, len) < 0) {
		int saved = errno;
		close(fd);
		errno = saved;
		return -1;
	}
	return bpf_seal(fd);
}

void seccomp_policy_default_dir(char *dir, size_t dirlen)
{
	const char *found = install_seccomp_dir();
	if ((size_t)snprintf(dir, dirlen, "%s", found) >= dirlen)
		die("seccomp policy directory path too long: %s", found);
}
