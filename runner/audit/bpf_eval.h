/* A classic-BPF interpreter for seccomp filters: the verdict the kernel
 * would reach for one struct seccomp_data, so `lockvm audit seccomp` judges
 * the compiled program, not the policy text. */
#ifndef LOCKVM_BPF_EVAL_H
#define LOCKVM_BPF_EVAL_H

#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Runs prog (n instructions) over data as seccomp would. Only what seccomp
 * filters use is understood: 32-bit loads of seccomp_data fields, ALU with
 * a constant, JA and JEQ/JGT/JGE/JSET against a constant or X, TAX/TXA,
 * scratch memory, RET. Anything else, a jump out of the program, a load
 * outside seccomp_data or running off the end is refused: returns -1 with
 * the instruction and why in err. Otherwise returns 0 and sets *verdict to
 * the SECCOMP_RET_* value returned.
 */
int bpf_eval(const struct sock_filter *prog, size_t n, const struct seccomp_data *data,
	     uint32_t *verdict, char *err, size_t errlen);

/* True when verdict lets the syscall run (ALLOW, LOG, or handed to a tracer
 * or user-space notifier, which may let it run). */
bool bpf_verdict_allows(uint32_t verdict);

/* "allow", "kill_process", "errno 38", ... into buf. */
void bpf_verdict_text(uint32_t verdict, char *buf, size_t buflen);

#endif
