/* The compiled-filter cache: an entry is a sealed record of the BPF and the key it was compiled under, trusted only when owned by us alone and intact. */
#include "seccomp_cache.h"
#include "seccomp_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sodium.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util.h"

/*
 * An entry: MAGIC, seal, key, then u32 file count, u32 BPF length, each
 * file's path (u32 length, bytes with the NUL), the BPF. seal = BLAKE2b(key and all
 * that follows it); key = BLAKE2b(the build and the policy's files).
 */
#define CACHE_MAGIC	 "LVMSBPF1"
#define CACHE_HASH	 ((size_t)32)
#define CACHE_SEAL	 ((size_t)8) /* where each part begins */
#define CACHE_KEY	 (CACHE_SEAL + CACHE_HASH)
#define CACHE_COUNTS	 (CACHE_KEY + CACHE_HASH)
#define CACHE_HEAD	 (CACHE_COUNTS + 8)
#define CACHE_MAX_FILES	 64
#define CACHE_MAX_BYTES	 (1u << 20)
#define CACHE_MAX_POLICY (1u << 20) /* a policy file larger is no policy */

static const char *mode_name(enum seccomp_policy_mode mode)
{
	return mode == SECCOMP_POLICY_MODE_LOG	  ? "log"
	       : mode == SECCOMP_POLICY_MODE_TRAP ? "trap"
						  : "kill";
}

/* dir opened, refused (-1, why) unless a directory of ours no one else may use. */
static int open_dir(const char *dir, char *why, size_t whylen)
{
	struct stat st;
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		if (errno != ENOENT)
			snprintf(why, whylen, "%s: %s", dir, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) < 0 || st.st_uid != geteuid() || (st.st_mode & 077) != 0) {
		snprintf(why, whylen,
			 "%s: owner uid %u mode %04o, want uid %u and no group or other access",
			 dir, (unsigned)st.st_uid, (unsigned)(st.st_mode & 07777),
			 (unsigned)geteuid());
		close(fd);
		return -1;
	}
	return fd;
}

static void entry_name(char *name, size_t len, const char *policy_path,
		       enum seccomp_policy_mode mode)
{
	const char *slash = strrchr(policy_path, '/');
	snprintf(name, len, "%s.%s.bpf", slash ? slash + 1 : policy_path, mode_name(mode));
}

/* Starts a key: the cache format, this libseccomp, this lockvm binary (a
 * rebuilt compiler is another key), the mode, the prologue and the policy
 * asked for (another directory's file of the same name is another key). */
static void key_start(crypto_generichash_state *h, const char *policy_path,
		      enum seccomp_policy_mode mode)
{
	const struct scmp_version *v = seccomp_version();
	uint32_t words[4] = {v ? v->major : 0, v ? v->minor : 0, v ? v->micro : 0, (uint32_t)mode};
	struct stat exe = {0};
	(void)stat("/proc/self/exe", &exe);
	uint64_t id[5] = {exe.st_dev, exe.st_ino, (uint64_t)exe.st_size,
			  (uint64_t)exe.st_mtim.tv_sec, (uint64_t)exe.st_mtim.tv_nsec};
	size_t plen;
	const struct sock_filter *prologue = seccomp_policy_prologue(&plen);
	crypto_generichash_init(h, NULL, 0, CACHE_HASH);
	crypto_generichash_update(h, (const unsigned char *)CACHE_MAGIC, 8);
	crypto_generichash_update(h, (const unsigned char *)words, sizeof(words));
	crypto_generichash_update(h, (const unsigned char *)id, sizeof(id));
	crypto_generichash_update(h, (const unsigned char *)prologue, plen);
	crypto_generichash_update(h, (const unsigned char *)policy_path, strlen(policy_path) + 1);
}

static void key_file(crypto_generichash_state *h, const char *path, const uint8_t *digest)
{
	uint32_t len = (uint32_t)strlen(path);
	crypto_generichash_update(h, (const unsigned char *)&len, sizeof(len));
	crypto_generichash_update(h, (const unsigned char *)path, len);
	crypto_generichash_update(h, digest, SECCOMP_POLICY_DIGEST);
}

/* The digest of path's bytes as the parser takes it; -1 when unreadable. */
static int file_digest(const char *path, uint8_t digest[SECCOMP_POLICY_DIGEST])
{
	crypto_generichash_state h;
	unsigned char buf[4096];
	size_t total = 0;
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return -1;
	crypto_generichash_init(&h, NULL, 0, SECCOMP_POLICY_DIGEST);
	while ((n = read(fd, buf, sizeof(buf))) > 0 && (total += (size_t)n) <= CACHE_MAX_POLICY)
		crypto_generichash_update(&h, buf, (size_t)n);
	close(fd);
	if (n != 0)
		return -1;
	crypto_generichash_final(&h, digest, SECCOMP_POLICY_DIGEST);
	return 0;
}

static uint32_t get32(const uint8_t *p)
{
	uint32_t v;
	memcpy(&v, p, sizeof(v));
	return v;
}

int seccomp_cache_entry_check(const uint8_t *buf, size_t size, const char *name, size_t *bpf_at,
			      size_t *bpf_len, char *why, size_t whylen)
{
	uint8_t seal[CACHE_HASH];
	if (size < CACHE_HEAD || memcmp(buf, CACHE_MAGIC, CACHE_SEAL) != 0)
		return err_fmt(why, whylen, "%s: not a cache entry", name);
	crypto_generichash(seal, CACHE_HASH, buf + CACHE_KEY, size - CACHE_KEY, NULL, 0);
	if (memcmp(seal, buf + CACHE_SEAL, CACHE_HASH) != 0)
		return err_fmt(why, whylen, "%s: its content hash differs from its seal", name);
	uint32_t nfiles = get32(buf + CACHE_COUNTS), len = get32(buf + CACHE_COUNTS + 4);
	if (nfiles == 0 || nfiles > CACHE_MAX_FILES)
		return err_fmt(why, whylen, "%s: malformed file list", name);
	/* Each path: a length that fits, its bytes ending in the one NUL. */
	size_t at = CACHE_HEAD;
	for (uint32_t i = 0; i < nfiles; i++) {
		uint32_t plen = size - at >= 4 ? get32(buf + at) : 0;
		if (plen < 2 || plen > PATH_MAX || plen > size - at - 4 ||
		    memchr(buf + at + 4, '\0', plen) != buf + at + 4 + plen - 1)
			return err_fmt(why, whylen, "%s: malformed file list", name);
		at += 4 + plen;
	}
	size_t plen;
	const struct sock_filter *prologue = seccomp_policy_prologue(&plen);
	if (size - at != len || len % sizeof(struct sock_filter) != 0 || len < plen ||
	    memcmp(buf + at, prologue, plen) != 0)
		return err_fmt(why, whylen, "%s: malformed program", name);
	*bpf_at = at;
	*bpf_len = len;
	return 0;
}

/* Whether the key stored in buf (seccomp_cache_entry_check passed) still holds. */
static bool entry_current(const uint8_t *buf, const char *policy_path,
			  enum seccomp_policy_mode mode)
{
	crypto_generichash_state h;
	uint8_t key[CACHE_HASH], digest[SECCOMP_POLICY_DIGEST];
	char path[PATH_MAX];
	key_start(&h, policy_path, mode);
	uint32_t nfiles = get32(buf + CACHE_COUNTS);
	size_t at = CACHE_HEAD;
	for (uint32_t i = 0; i < nfiles; i++) {
		uint32_t len = get32(buf + at); /* checked: 2..PATH_MAX, one NUL at its end */
		memcpy(path, buf + at + 4, len);
		if (file_digest(path, digest) < 0)
			return false;
		key_file(&h, path, digest);
		at += 4 + len;
	}
	crypto_generichash_final(&h, key, CACHE_HASH);
	return memcmp(key, buf + CACHE_KEY, CACHE_HASH) == 0;
}

int seccomp_cache_load(const char *dir, const char *policy_path, enum seccomp_policy_mode mode,
		       char *why, size_t whylen)
{
	char name[NAME_MAX + 1];
	struct stat st;
	uint8_t *buf = NULL;
	int fd = -1, out = -1;
	why[0] = '\0';
	if (sodium_init() < 0)
		return -1;
	int dir_fd = open_dir(dir, why, whylen);
	if (dir_fd < 0)
		return -1;
	entry_name(name, sizeof(name), policy_path, mode);
	fd = openat(dir_fd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		if (errno != ENOENT)
			snprintf(why, whylen, "%s/%s: %s", dir, name, strerror(errno));
		goto out;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_uid != geteuid() ||
	    (st.st_mode & 077) != 0 || st.st_nlink != 1 || st.st_size > CACHE_MAX_BYTES) {
		snprintf(why, whylen, "%s/%s: not a regular file of uid %u with mode 0600", dir,
			 name, (unsigned)geteuid());
		goto out;
	}
	size_t size = (size_t)st.st_size, at = 0, len = 0;
	buf = malloc(size ? size : 1);
	if (!buf || pread(fd, buf, size, 0) != (ssize_t)size)
		goto out;
	if (seccomp_cache_entry_check(buf, size, name, &at, &len, why, whylen) < 0)
		goto out;
	if (entry_current(buf, policy_path, mode))
		out = seccomp_policy_bpf_fd(buf + at, len);
out:
	free(buf);
	if (fd >= 0)
		close(fd);
	close(dir_fd);
	return out;
}

/* The entry for policy and the program in bpf_fd, sealed; NULL on error. */
static uint8_t *entry_build(const char *policy_path, const struct seccomp_policy *policy,
			    enum seccomp_policy_mode mode, int bpf_fd, size_t *size)
{
	struct stat st;
	crypto_generichash_state h;
	if (policy->nfiles == 0 || policy->nfiles > CACHE_MAX_FILES || fstat(bpf_fd, &st) < 0) {
		errno = EINVAL;
		return NULL;
	}
	size_t total = CACHE_HEAD + (size_t)st.st_size;
	for (size_t i = 0; i < policy->nfiles; i++)
		total += 4 + strlen(policy->files[i].path) + 1;
	uint8_t *buf = total <= CACHE_MAX_BYTES ? calloc(1, total) : NULL;
	if (!buf)
		return NULL;
	memcpy(buf, (const void *)CACHE_MAGIC, CACHE_SEAL);
	key_start(&h, policy_path, mode);
	uint32_t words[2] = {(uint32_t)policy->nfiles, (uint32_t)st.st_size};
	memcpy(buf + CACHE_COUNTS, words, sizeof(words));
	size_t at = CACHE_HEAD;
	for (size_t i = 0; i < policy->nfiles; i++) {
		const char *path = policy->files[i].path;
		uint32_t len = (uint32_t)strlen(path) + 1; /* its NUL too */
		key_file(&h, path, policy->files[i].digest);
		memcpy(buf + at, &len, 4);
		memcpy(buf + at + 4, path, len);
		at += 4 + len;
	}
	crypto_generichash_final(&h, buf + CACHE_KEY, CACHE_HASH);
	if (pread(bpf_fd, buf + at, (size_t)st.st_size, 0) != st.st_size) {
		free(buf);
		errno = EIO;
		return NULL;
	}
	crypto_generichash(buf + CACHE_SEAL, CACHE_HASH, buf + CACHE_KEY, total - CACHE_KEY, NULL,
			   0);
	*size = total;
	return buf;
}

int seccomp_cache_store(const char *dir, const char *policy_path, enum seccomp_policy_mode mode,
			const struct seccomp_policy *policy, int bpf_fd)
{
	char name[NAME_MAX + 1], tmp[NAME_MAX + 1], why[PATH_MAX + 128];
	size_t size;
	uint32_t nonce = 0;
	int rc = -1;
	if (sodium_init() < 0)
		return -1;
	int dir_fd = open_dir(dir, why, sizeof(why));
	if (dir_fd < 0)
		return -1;
	uint8_t *buf = entry_build(policy_path, policy, mode, bpf_fd, &size);
	entry_name(name, sizeof(name), policy_path, mode);
	randombytes_buf(&nonce, sizeof(nonce));
	snprintf(tmp, sizeof(tmp), ".%.200s.%ld.%08x", name, (long)getpid(), nonce);
	int fd =
	    buf ? openat(dir_fd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600)
		: -1;
	if (fd >= 0) {
		rc = fchmod(fd, 0600) < 0 || write_all(fd, buf, size) < 0 ? -1 : 0;
		if (close(fd) < 0)
			rc = -1;
		if (rc == 0)
			rc = renameat(dir_fd, tmp, dir_fd, name);
		if (rc < 0)
			(void)unlinkat(dir_fd, tmp, 0);
	}
	free(buf);
	close(dir_fd);
	return rc;
}
