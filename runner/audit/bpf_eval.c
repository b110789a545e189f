/* The classic-BPF subset seccomp filters use, interpreted as the kernel
 * does (kernel/seccomp.c checks the same instruction set at load time). */
#include "bpf_eval.h"

#include <stdio.h>
#include <string.h>

#define BPF_EVAL_MEMWORDS 16 /* BPF_MEMWORDS */

static int bpf_refuse(char *err, size_t errlen, size_t pc, const struct sock_filter *insn,
		      const char *why)
{
	snprintf(err, errlen, "BPF instruction %zu (code 0x%04x k 0x%x): %s", pc, insn->code,
		 insn->k, why);
	return -1;
}

int bpf_eval(const struct sock_filter *prog, size_t n, const struct seccomp_data *data,
	     uint32_t *verdict, char *err, size_t errlen)
{
	uint32_t a = 0, x = 0, mem[BPF_EVAL_MEMWORDS] = {0};
	unsigned char raw[sizeof(*data)];
	size_t pc = 0;

	memcpy(raw, data, sizeof(raw));
	while (pc < n) {
		const struct sock_filter *insn = &prog[pc];
		uint32_t operand;
		bool taken;
		switch (insn->code) {
		case BPF_LD | BPF_W | BPF_ABS:
			if (insn->k % 4 || insn->k + 4 > sizeof(raw))
				return bpf_refuse(err, errlen, pc, insn,
						  "load outside struct seccomp_data");
			memcpy(&a, raw + insn->k, 4);
			pc++;
			continue;
		case BPF_LD | BPF_W | BPF_LEN:
			a = sizeof(raw);
			pc++;
			continue;
		case BPF_LDX | BPF_W | BPF_LEN:
			x = sizeof(raw);
			pc++;
			continue;
		case BPF_LD | BPF_IMM:
			a = insn->k;
			pc++;
			continue;
		case BPF_LDX | BPF_IMM:
			x = insn->k;
			pc++;
			continue;
		case BPF_LD | BPF_MEM:
		case BPF_LDX | BPF_MEM:
		case BPF_ST:
		case BPF_STX:
			if (insn->k >= BPF_EVAL_MEMWORDS)
				return bpf_refuse(err, errlen, pc, insn,
						  "scratch slot out of range");
			if (insn->code == (BPF_LD | BPF_MEM))
				a = mem[insn->k];
			else if (insn->code == (BPF_LDX | BPF_MEM))
				x = mem[insn->k];
			else
				mem[insn->k] = insn->code == BPF_ST ? a : x;
			pc++;
			continue;
		case BPF_MISC | BPF_TAX:
			x = a;
			pc++;
			continue;
		case BPF_MISC | BPF_TXA:
			a = x;
			pc++;
			continue;
		case BPF_ALU | BPF_AND | BPF_K:
			a &= insn->k;
			pc++;
			continue;
		case BPF_ALU | BPF_OR | BPF_K:
			a |= insn->k;
			pc++;
			continue;
		case BPF_ALU | BPF_ADD | BPF_K:
			a += insn->k;
			pc++;
			continue;
		case BPF_ALU | BPF_SUB | BPF_K:
			a -= insn->k;
			pc++;
			continue;
		case BPF_ALU | BPF_RSH | BPF_K:
		case BPF_ALU | BPF_LSH | BPF_K:
			if (insn->k >= 32)
				return bpf_refuse(err, errlen, pc, insn, "shift by 32 or more");
			a = BPF_OP(insn->code) == BPF_RSH ? a >> insn->k : a << insn->k;
			pc++;
			continue;
		case BPF_RET | BPF_K: *verdict = insn->k; return 0;
		case BPF_RET | BPF_A: *verdict = a; return 0;
		case BPF_JMP | BPF_JA:
			if (insn->k >= n - pc - 1)
				return bpf_refuse(err, errlen, pc, insn, "jump out of the program");
			pc += 1 + insn->k;
			continue;
		default: break;
		}
		if (BPF_CLASS(insn->code) != BPF_JMP ||
		    (BPF_OP(insn->code) != BPF_JEQ && BPF_OP(insn->code) != BPF_JGT &&
		     BPF_OP(insn->code) != BPF_JGE && BPF_OP(insn->code) != BPF_JSET))
			return bpf_refuse(err, errlen, pc, insn,
					  "instruction seccomp does not use");
		operand = BPF_SRC(insn->code) == BPF_X ? x : insn->k;
		switch (BPF_OP(insn->code)) {
		case BPF_JEQ: taken = a == operand; break;
		case BPF_JGT: taken = a > operand; break;
		case BPF_JGE: taken = a >= operand; break;
		default: taken = (a & operand) != 0; break;
		}
		if ((size_t)(taken ? insn->jt : insn->jf) >= n - pc - 1)
			return bpf_refuse(err, errlen, pc, insn, "jump out of the program");
		pc += 1 + (taken ? insn->jt : insn->jf);
	}
	snprintf(err, errlen, "BPF program of %zu instructions ends without RET", n);
	return -1;
}

bool bpf_verdict_allows(uint32_t verdict)
{
	switch (verdict & SECCOMP_RET_ACTION_FULL) {
	case SECCOMP_RET_ALLOW:
	case SECCOMP_RET_LOG:
	case SECCOMP_RET_TRACE:
	case SECCOMP_RET_USER_NOTIF: return true;
	default: return false;
	}
}

void bpf_verdict_text(uint32_t verdict, char *buf, size_t buflen)
{
	uint32_t data = verdict & SECCOMP_RET_DATA;
	switch (verdict & SECCOMP_RET_ACTION_FULL) {
	case SECCOMP_RET_KILL_PROCESS: snprintf(buf, buflen, "kill_process"); break;
	case SECCOMP_RET_KILL_THREAD: snprintf(buf, buflen, "kill_thread"); break;
	case SECCOMP_RET_TRAP: snprintf(buf, buflen, "trap"); break;
	case SECCOMP_RET_ERRNO: snprintf(buf, buflen, "errno %u", data); break;
	case SECCOMP_RET_USER_NOTIF: snprintf(buf, buflen, "user_notif"); break;
	case SECCOMP_RET_TRACE: snprintf(buf, buflen, "trace"); break;
	case SECCOMP_RET_LOG: snprintf(buf, buflen, "log"); break;
	case SECCOMP_RET_ALLOW: snprintf(buf, buflen, "allow"); break;
	default: snprintf(buf, buflen, "unknown 0x%08x", verdict); break;
	}
}
