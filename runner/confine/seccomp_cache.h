/* Compiled seccomp programs kept between runs: one entry per policy and mode under the root's run directory, checked before use. */
#ifndef LOCKVM_SECCOMP_CACHE_H
#define LOCKVM_SECCOMP_CACHE_H

#include <stddef.h>
#include <stdint.h>

#include "seccomp_policy.h"

/*
 * The sealed, read-only BPF memfd (as seccomp_policy_export_fd makes) of
 * the policy at policy_path compiled for mode, from the cache directory
 * dir, or -1. Used only when dir and the entry belong to this user and no
 * one else may touch them (0700, 0600), the entry's seal (a hash of all it
 * holds) matches, the program starts with the prologue, and its key still
 * holds: this libseccomp and lockvm binary, the mode, and a digest of
 * every file the policy was read from. -1 with why "" is a miss (nothing
 * there, or out of date); -1 with a reason in why is an entry refused.
 */
int seccomp_cache_load(const char *dir, const char *policy_path, enum seccomp_policy_mode mode,
		       char *why, size_t whylen);

/* The checks on an entry's bytes (buf, size) before any is used: its magic,
 * its seal, a file list of NUL-terminated paths that fit, then the program
 * (whole instructions, lockvm's prologue first). 0 and the program's
 * offset and length, or -1 with why (naming the entry name). */
int seccomp_cache_entry_check(const uint8_t *buf, size_t size, const char *name, size_t *bpf_at,
			      size_t *bpf_len, char *why, size_t whylen);

/* Keeps the program in bpf_fd, compiled from policy for mode, as
 * policy_path's entry in dir (written aside, then renamed over the old
 * one). Returns 0, or -1 with errno: nothing kept. */
int seccomp_cache_store(const char *dir, const char *policy_path, enum seccomp_policy_mode mode,
			const struct seccomp_policy *policy, int bpf_fd);

#endif
