/* --linux test program: FPU state across signals as Linux keeps it — a handler that clobbers xmm0-15, MXCSR and the x87 control word leaves the interrupted code's intact (timer and kill from a child); the handler starts clean and sees the saved state in its frame (UC_FP_XSTATE, magics); its edits to fpstate take effect; a bad fpstate kills by SIGSEGV, a bad magic restores the FXSAVE area only; exec starts with FCW 0x37F, MXCSR 0x1F80. Prints "sigfpu ok". */
#define _GNU_SOURCE
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <ucontext.h>
#include <unistd.h>

#include "lx_checkline.h"

#define MXCSR_INIT 0x1F80U
#define FCW_INIT   0x037FU
#define MXCSR_MINE 0xFFC0U /* round toward zero, FZ, DAZ, every exception masked */
#define FCW_MINE   0x027FU /* double precision */
#define FP_MAGIC1  0x46505853U
#define FP_MAGIC2  0x46505845U
#define FX_MXCSR   24
#define FX_XMM	   160
#define FX_SW	   464 /* struct _fpx_sw_bytes */
#define FX_SIZE	   512

/* What spin_check() loads and compares; field offsets are used by the asm. */
struct fpu_check {
	uint8_t pattern[256]; /* xmm0-15 */
	uint8_t seen[256];
	uint32_t mxcsr_set, mxcsr_seen, mxcsr_init;
	uint16_t fcw_set, fcw_seen, fcw_init;
};

/*
 * Loads xmm0-15, MXCSR and FCW from c, then until *counter reaches target
 * (or iterations run out) stores and compares them each round, all in one
 * asm block so no compiled code touches the registers meanwhile. Returns 1
 * if one changed (c->seen holds what was found), else 0; MXCSR and FCW are
 * back to their initial values after.
 */
static int spin_check(struct fpu_check *c, volatile int *counter, int target, long iterations)
{
	int bad;
	__asm__ volatile(
	    "ldmxcsr %c[mx](%[c])\n\t"
	    "fldcw %c[cw](%[c])\n\t"
	    "movdqu 0(%[c]), %%xmm0\n\tmovdqu 16(%[c]), %%xmm1\n\t"
	    "movdqu 32(%[c]), %%xmm2\n\tmovdqu 48(%[c]), %%xmm3\n\t"
	    "movdqu 64(%[c]), %%xmm4\n\tmovdqu 80(%[c]), %%xmm5\n\t"
	    "movdqu 96(%[c]), %%xmm6\n\tmovdqu 112(%[c]), %%xmm7\n\t"
	    "movdqu 128(%[c]), %%xmm8\n\tmovdqu 144(%[c]), %%xmm9\n\t"
	    "movdqu 160(%[c]), %%xmm10\n\tmovdqu 176(%[c]), %%xmm11\n\t"
	    "movdqu 192(%[c]), %%xmm12\n\tmovdqu 208(%[c]), %%xmm13\n\t"
	    "movdqu 224(%[c]), %%xmm14\n\tmovdqu 240(%[c]), %%xmm15\n\t"
	    "1:\n\t"
	    "movdqu %%xmm0, 256(%[c])\n\tmovdqu %%xmm1, 272(%[c])\n\t"
	    "movdqu %%xmm2, 288(%[c])\n\tmovdqu %%xmm3, 304(%[c])\n\t"
	    "movdqu %%xmm4, 320(%[c])\n\tmovdqu %%xmm5, 336(%[c])\n\t"
	    "movdqu %%xmm6, 352(%[c])\n\tmovdqu %%xmm7, 368(%[c])\n\t"
	    "movdqu %%xmm8, 384(%[c])\n\tmovdqu %%xmm9, 400(%[c])\n\t"
	    "movdqu %%xmm10, 416(%[c])\n\tmovdqu %%xmm11, 432(%[c])\n\t"
	    "movdqu %%xmm12, 448(%[c])\n\tmovdqu %%xmm13, 464(%[c])\n\t"
	    "movdqu %%xmm14, 480(%[c])\n\tmovdqu %%xmm15, 496(%[c])\n\t"
	    "stmxcsr %c[mxs](%[c])\n\t"
	    "fnstcw %c[cws](%[c])\n\t"
	    "lea 0(%[c]), %%rsi\n\t"
	    "lea 256(%[c]), %%rdi\n\t"
	    "mov $256, %%ecx\n\t"
	    "cld\n\t"
	    "repe cmpsb\n\t"
	    "jne 2f\n\t"
	    "mov %c[mxs](%[c]), %%eax\n\t"
	    "cmp %c[mx](%[c]), %%eax\n\t"
	    "jne 2f\n\t"
	    "movzwl %c[cws](%[c]), %%eax\n\t"
	    "movzwl %c[cw](%[c]), %%edx\n\t"
	    "cmp %%edx, %%eax\n\t"
	    "jne 2f\n\t"
	    "dec %[it]\n\t"
	    "jz 3f\n\t"
	    "mov (%[cnt]), %%eax\n\t"
	    "cmp %[target], %%eax\n\t"
	    "jl 1b\n\t"
	    "3:\n\t"
	    "xor %[bad], %[bad]\n\t"
	    "jmp 4f\n\t"
	    "2:\n\t"
	    "mov $1, %[bad]\n\t"
	    "4:\n\t"
	    "ldmxcsr %c[mxi](%[c])\n\t"
	    "fldcw %c[cwi](%[c])\n\t"
	    : [bad] "=&r"(bad), [it] "+r"(iterations)
	    : [c] "r"(c), [cnt] "r"(counter), [target] "r"(target),
	      [mx] "i"(offsetof(struct fpu_check, mxcsr_set)),
	      [mxs] "i"(offsetof(struct fpu_check, mxcsr_seen)),
	      [mxi] "i"(offsetof(struct fpu_check, mxcsr_init)),
	      [cw] "i"(offsetof(struct fpu_check, fcw_set)),
	      [cws] "i"(offsetof(struct fpu_check, fcw_seen)),
	      [cwi] "i"(offsetof(struct fpu_check, fcw_init))
	    : "rax", "rcx", "rdx", "rsi", "rdi", "memory", "cc", "xmm0", "xmm1", "xmm2",
	      "xmm3", "xmm4", "xmm5", "xmm6", "xmm7", "xmm8", "xmm9", "xmm10", "xmm11", "xmm12",
	      "xmm13", "xmm14", "xmm15");
	return bad;
}

static void fill(struct fpu_check *c, uint8_t seed)
{
	memset(c, 0, sizeof(*c));
	for (unsigned i = 0; i < sizeof(c->pattern); i++)
		c->pattern[i] = (uint8_t)(seed + i * 7);
	c->mxcsr_set = MXCSR_MINE;
	c->fcw_set = FCW_MINE;
	c->mxcsr_init = MXCSR_INIT;
	c->fcw_init = FCW_INIT;
}

static volatile int handled, entry_unclean, frame_bad;
static volatile uint32_t frame_mxcsr;

/* Every FPU register a handler may touch, trashed: xmm0-15, MXCSR, FCW. */
static void clobber(void)
{
	static const uint32_t mx = 0x3F80; /* round down */
	static const uint16_t cw = 0x007F; /* single precision */
	__asm__ volatile("pcmpeqb %%xmm0, %%xmm0\n\tpcmpeqb %%xmm1, %%xmm1\n\t"
			 "pcmpeqb %%xmm2, %%xmm2\n\tpcmpeqb %%xmm3, %%xmm3\n\t"
			 "pcmpeqb %%xmm4, %%xmm4\n\tpcmpeqb %%xmm5, %%xmm5\n\t"
			 "pcmpeqb %%xmm6, %%xmm6\n\tpcmpeqb %%xmm7, %%xmm7\n\t"
			 "pcmpeqb %%xmm8, %%xmm8\n\tpcmpeqb %%xmm9, %%xmm9\n\t"
			 "pcmpeqb %%xmm10, %%xmm10\n\tpcmpeqb %%xmm11, %%xmm11\n\t"
			 "pcmpeqb %%xmm12, %%xmm12\n\tpcmpeqb %%xmm13, %%xmm13\n\t"
			 "pcmpeqb %%xmm14, %%xmm14\n\tpcmpeqb %%xmm15, %%xmm15\n\t"
			 "ldmxcsr %0\n\tfldcw %1" ::"m"(mx),
			 "m"(cw)
			 : "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7", "xmm8",
			   "xmm9", "xmm10", "xmm11", "xmm12", "xmm13", "xmm14", "xmm15");
}

static uint8_t *fpstate_of(void *ucv)
{
	return (uint8_t *)((ucontext_t *)ucv)->uc_mcontext.fpregs;
}

static uint32_t get32(const uint8_t *p)
{
	uint32_t v;
	memcpy(&v, p, sizeof(v));
	return v;
}

static void put32(uint8_t *p, uint32_t v)
{
	memcpy(p, &v, sizeof(v));
}

/* sw_reserved's xstate_size: where FP_XSTATE_MAGIC2 lies (576 in a VM,
 * larger natively with AVX and more). */
static uint32_t xstate_size(const uint8_t *fp)
{
	return get32(fp + FX_SW + 16);
}

/* The handler of the clobber tests: starts clean, finds the frame Linux
 * builds, uses SSE as printf does, trashes every FPU register. */
static void on_clobber(int sig, siginfo_t *si, void *ucv)
{
	uint32_t mx;
	uint16_t cw;
	__asm__ volatile("stmxcsr %0\n\tfnstcw %1" : "=m"(mx), "=m"(cw));
	if (mx != MXCSR_INIT || cw != FCW_INIT)
		entry_unclean++;
	ucontext_t *uc = ucv;
	uint8_t *fp = fpstate_of(ucv);
	if (!(uc->uc_flags & 1) || !fp || ((uintptr_t)fp & 63) || get32(fp + FX_SW) != FP_MAGIC1 ||
	    xstate_size(fp) < 576 || get32(fp + FX_SW + 4) != xstate_size(fp) + 4 ||
	    get32(fp + xstate_size(fp)) != FP_MAGIC2)
		frame_bad++;
	else
		frame_mxcsr = get32(fp + FX_MXCSR);
	char buf[64];
	snprintf(buf, sizeof(buf), "%f %g", 3.25 * handled, 1.0 / (handled + 3)); /* SSE */
	if (buf[0] == 'x')
		frame_bad++;
	clobber();
	handled++;
}

static void handle(int sig, void (*fn)(int, siginfo_t *, void *))
{
	struct sigaction sa = {.sa_sigaction = fn, .sa_flags = SA_SIGINFO | SA_RESTART};
	sigemptyset(&sa.sa_mask);
	sigaction(sig, &sa, NULL);
}

#define SIGNALS 20

static void check_result(const char *what, int bad, const struct fpu_check *c)
{
	CHECK(!bad, "%s: the interrupted code's registers changed (mxcsr %#x fcw %#x)", what,
	      c->mxcsr_seen, c->fcw_seen);
	for (unsigned i = 0; bad && i < 16; i++)
		if (memcmp(c->pattern + 16 * i, c->seen + 16 * i, 16) != 0)
			printf("  xmm%u differs\n", i);
}

/* A 2 ms interval timer interrupts the spinning loop SIGNALS times. */
static void test_timer(void)
{
	struct fpu_check c;
	fill(&c, 0x11);
	handled = entry_unclean = frame_bad = 0;
	handle(SIGALRM, on_clobber);
	struct itimerval it = {.it_interval = {0, 2000}, .it_value = {0, 2000}};
	CHECK(setitimer(ITIMER_REAL, &it, NULL) == 0, "setitimer");
	int bad = spin_check(&c, &handled, SIGNALS, 1L << 40);
	struct itimerval off = {0};
	setitimer(ITIMER_REAL, &off, NULL);
	check_result("timer", bad, &c);
	CHECK(handled >= SIGNALS, "timer: %d signals", handled);
	CHECK(!entry_unclean, "timer: %d handlers started without FCW 0x37F, MXCSR 0x1F80",
	      entry_unclean);
	CHECK(!frame_bad, "timer: %d frames without UC_FP_XSTATE, aligned fpstate and magics",
	      frame_bad);
	CHECK(frame_mxcsr == MXCSR_MINE, "timer: the frame's MXCSR is %#x, not the program's",
	      frame_mxcsr);
}

/* A child sends SIGUSR1 SIGNALS times while running its own xmm loop: a
 * switch between the two processes keeps each one's registers. */
static void test_kill_from_child(void)
{
	struct fpu_check c;
	fill(&c, 0x22);
	handled = entry_unclean = frame_bad = 0;
	handle(SIGUSR1, on_clobber);
	pid_t parent = getpid();
	pid_t pid = fork();
	if (pid == 0) {
		struct fpu_check mine;
		fill(&mine, 0x99);
		mine.mxcsr_set = 0x7F80;
		mine.fcw_set = 0x037E;
		static volatile int never;
		for (int i = 0; i < SIGNALS; i++) {
			kill(parent, SIGUSR1);
			if (spin_check(&mine, &never, 1, 2000000)) /* a while, at CPL 3 */
				_exit(3);
			usleep(1000);
		}
		_exit(0);
	}
	int bad = spin_check(&c, &handled, SIGNALS, 1L << 40);
	int status = 0;
	waitpid(pid, &status, 0);
	check_result("kill", bad, &c);
	CHECK(handled >= SIGNALS, "kill: %d signals", handled);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	      "kill: the child's own registers changed (status %#x)", status);
	CHECK(!entry_unclean && !frame_bad, "kill: %d unclean entries, %d bad frames", entry_unclean,
	      frame_bad);
}

/* ---- a handler's edits to its frame's fpstate ---- */

enum edit { EDIT_XMM0, EDIT_MXCSR_RESERVED, EDIT_HEADER, EDIT_MAGIC1, EDIT_MAGIC2, EDIT_MISALIGN };
static volatile enum edit edit_mode;
static const uint8_t xmm_new[16] = "handler-wrote-it";
static uint8_t moved[16384] __attribute__((aligned(64)));

static void on_edit(int sig, siginfo_t *si, void *ucv)
{
	ucontext_t *uc = ucv;
	uint8_t *fp = fpstate_of(ucv);
	memcpy(fp + FX_XMM, xmm_new, 16); /* xmm0 */
	switch (edit_mode) {
	case EDIT_XMM0: break;
	case EDIT_MXCSR_RESERVED: put32(fp + FX_MXCSR, get32(fp + FX_MXCSR) | 0x10000); break;
	case EDIT_HEADER: fp[FX_SIZE + 16] = 1; break; /* a header byte XRSTOR checks */
	case EDIT_MAGIC1:			   /* fx only: the FXSAVE area; the header unread */
		put32(fp + FX_SW, 0);
		memset(fp + FX_SIZE, 0xFF, 64);
		break;
	case EDIT_MAGIC2: /* fx only too: XSTATE_BV 0 would zero xmm0 */
		put32(fp + xstate_size(fp), 0);
		memset(fp + FX_SIZE, 0, 8);
		break;
	case EDIT_MISALIGN: /* a copy 32 bytes past 64-byte alignment: XRSTOR's #GP */
		if (xstate_size(fp) + 4 <= sizeof(moved) - 64) {
			memcpy(moved + 32, fp, xstate_size(fp) + 4);
			uc->uc_mcontext.fpregs = (void *)(moved + 32);
		}
		break;
	}
	handled++;
}

/* Loads xmm0 with "interrupted-code", kills itself with SIGUSR2 (the raw
 * syscall, no libc in between) and returns xmm0 as the handler left it. */
static void xmm0_across_signal(uint8_t out[16])
{
	static const uint8_t before[16] = "interrupted-code";
	long pid = getpid(), ret;
	__asm__ volatile("movdqu %[in], %%xmm0\n\t"
			 "syscall\n\t"
			 "movdqu %%xmm0, %[out]\n\t"
			 : [out] "=m"(*(uint8_t(*)[16])out), "=a"(ret)
			 : [in] "m"(*(const uint8_t(*)[16])before), "a"((long)SYS_kill), "D"(pid),
			   "S"((long)SIGUSR2)
			 : "rcx", "r11", "memory", "xmm0");
}

/* In a child: the handler's edit; returns the child's wait status. */
static int edit_in_child(enum edit mode, int *same)
{
	int p[2];
	if (pipe(p) != 0)
		return -1;
	pid_t pid = fork();
	if (pid == 0) {
		edit_mode = mode;
		handle(SIGUSR2, on_edit);
		uint8_t after[16];
		xmm0_across_signal(after);
		char r = memcmp(after, xmm_new, 16) == 0 ? 'y' : 'n';
		(void)!write(p[1], &r, 1);
		_exit(0);
	}
	close(p[1]);
	char r = '?';
	(void)!read(p[0], &r, 1);
	close(p[0]);
	int status = 0;
	waitpid(pid, &status, 0);
	*same = r == 'y';
	return status;
}

static void test_edits(void)
{
	int took, st;
	st = edit_in_child(EDIT_XMM0, &took);
	CHECK(WIFEXITED(st) && took, "an fpstate edit of xmm0 is what the program has after the "
				     "handler (status %#x)",
	      st);
	st = edit_in_child(EDIT_MXCSR_RESERVED, &took);
	CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGSEGV,
	      "a reserved MXCSR bit in fpstate kills by SIGSEGV (status %#x)", st);
	st = edit_in_child(EDIT_HEADER, &took);
	CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGSEGV,
	      "an XSTATE_BV bit beyond x87|SSE kills by SIGSEGV (status %#x)", st);
	st = edit_in_child(EDIT_MISALIGN, &took);
	CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGSEGV,
	      "an fpstate not 64-byte aligned kills by SIGSEGV (status %#x)", st);
	st = edit_in_child(EDIT_MAGIC1, &took);
	CHECK(WIFEXITED(st) && took,
	      "without FP_XSTATE_MAGIC1 the FXSAVE area is restored, the header unread (status "
	      "%#x)",
	      st);
	st = edit_in_child(EDIT_MAGIC2, &took);
	CHECK(WIFEXITED(st) && took,
	      "without FP_XSTATE_MAGIC2 the FXSAVE area is restored, the header unread (status "
	      "%#x)",
	      st);
}

/* ---- exec: the new image's FPU state ---- */

static int report_initial_state(void)
{
	uint32_t mx;
	uint16_t cw;
	__asm__ volatile("stmxcsr %0\n\tfnstcw %1" : "=m"(mx), "=m"(cw));
	printf("exec'd image: mxcsr %#x fcw %#x\n", mx, cw);
	return mx == MXCSR_INIT && cw == FCW_INIT ? 0 : 1;
}

static void test_exec(const char *self)
{
	pid_t pid = fork();
	if (pid == 0) {
		static const uint32_t mx = MXCSR_MINE;
		static const uint16_t cw = FCW_MINE;
		__asm__ volatile("ldmxcsr %0\n\tfldcw %1" ::"m"(mx), "m"(cw));
		uint32_t seen;
		__asm__ volatile("stmxcsr %0" : "=m"(seen));
		if (seen != MXCSR_MINE)
			_exit(4);
		execl(self, self, "initstate", (char *)NULL);
		_exit(5);
	}
	int status = 0;
	waitpid(pid, &status, 0);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	      "exec starts with FCW 0x37F and MXCSR 0x1F80 (status %#x)", status);
}

/* A fork child has its parent's FPU state, as Linux copies it. */
static void test_fork_inherits(void)
{
	static const uint32_t mx = 0x3F80;
	__asm__ volatile("ldmxcsr %0" ::"m"(mx));
	pid_t pid = fork();
	if (pid == 0) {
		uint32_t seen;
		__asm__ volatile("stmxcsr %0" : "=m"(seen));
		_exit(seen == 0x3F80 ? 0 : 1);
	}
	static const uint32_t init = MXCSR_INIT;
	__asm__ volatile("ldmxcsr %0" ::"m"(init));
	int status = 0;
	waitpid(pid, &status, 0);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	      "a fork child starts with its parent's MXCSR (status %#x)", status);
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	if (argc > 1 && strcmp(argv[1], "initstate") == 0)
		return report_initial_state();
	const char *only = argc > 1 ? argv[1] : "";
	if (!*only || strcmp(only, "timer") == 0)
		test_timer();
	if (!*only || strcmp(only, "kill") == 0)
		test_kill_from_child();
	if (!*only || strcmp(only, "edit") == 0)
		test_edits();
	if (!*only || strcmp(only, "exec") == 0)
		test_exec(argv[0]);
	if (!*only || strcmp(only, "fork") == 0)
		test_fork_inherits();
	if (failures)
		return 1;
	printf("sigfpu ok\n");
	return 0;
}
