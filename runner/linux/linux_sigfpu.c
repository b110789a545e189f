/* FPU state of a Linux-ABI guest's tasks: the running task's copy of the vCPU's x87/SSE state, and the fpstate of signal frames — built on delivery, checked (untrusted guest bytes) on rt_sigreturn, as arch/x86/kernel/fpu/signal.c. */
#include <string.h>

#include "linux.h"

/* struct fxregs_state offsets (FXSAVE's 512-byte area). */
#define FX_FCW	       0
#define FX_MXCSR       24
#define FX_MXCSR_MASK  28
#define FX_ST	       32  /* st0-7, 16 bytes each, through FX_XMM */
#define FX_XMM	       160 /* xmm0-15, 16 bytes each */
#define FX_XMM_END     416
#define FX_SW_RESERVED 464 /* struct _fpx_sw_bytes: the kernel's, ignored by FXRSTOR */
#define FX_SIZE	       512

#define XSAVE_HEADER_SIZE 64
#define XSTATE_SIZE	  (FX_SIZE + XSAVE_HEADER_SIZE) /* x87 and SSE: no component after */
#define FP_XSTATE_MAGIC1  0x46505853U
#define FP_XSTATE_MAGIC2  0x46505845U
#define XFEATURE_FP	  1ULL
#define XFEATURE_SSE	  2ULL
#define XFEATURES_USER	  (XFEATURE_FP | XFEATURE_SSE) /* the program's XCR0 */
/* MXCSR bits that exist (with DAZ); a set bit above them makes FXRSTOR,
 * XRSTOR and KVM_SET_XSAVE fail. */
#define MXCSR_FEATURE_MASK 0xFFFFU
#define FCW_INIT	   0x037FU
#define MXCSR_INIT	   0x1F80U

_Static_assert(XSTATE_SIZE + 4 == LINUX_SIGFPU_SIZE, "fpstate size");
_Static_assert(sizeof(struct linux_fpu) == FX_SIZE, "FXSAVE area");

/* struct _fpx_sw_bytes, at FX_SW_RESERVED. */
struct fpx_sw_bytes {
	uint32_t magic1, extended_size;
	uint64_t xfeatures;
	uint32_t xstate_size;
	uint32_t padding[7];
};
_Static_assert(sizeof(struct fpx_sw_bytes) == FX_SIZE - FX_SW_RESERVED, "sw_reserved");

static uint32_t get32(const uint8_t *p)
{
	uint32_t v;
	memcpy(&v, p, sizeof(v));
	return v;
}

static void put16(uint8_t *p, uint16_t v)
{
	memcpy(p, &v, sizeof(v));
}

static void put32(uint8_t *p, uint32_t v)
{
	memcpy(p, &v, sizeof(v));
}

/* x87 registers in their initial state (XRSTOR of a clear XSTATE_BV[0]). */
static void x87_init(uint8_t *fx)
{
	memset(fx, 0, FX_MXCSR);
	put16(fx + FX_FCW, FCW_INIT);
	memset(fx + FX_ST, 0, FX_XMM - FX_ST);
}

void linux_fpu_init_state(struct linux_fpu *fpu)
{
	memset(fpu, 0, sizeof(*fpu));
	put16(fpu->legacy + FX_FCW, FCW_INIT);
	put32(fpu->legacy + FX_MXCSR, MXCSR_INIT);
	put32(fpu->legacy + FX_MXCSR_MASK, MXCSR_FEATURE_MASK);
}

const struct linux_fpu *linux_fpu_cur(struct linux_proc *proc)
{
	if (!proc->fpu_held && linux_arch_fpu_fetch(proc))
		proc->fpu_held = true;
	return &proc->fpu;
}

void linux_fpu_set(struct linux_proc *proc, const struct linux_fpu *fpu)
{
	/* KVM holds exactly these bytes already (fetched and unchanged since:
	 * the threads of a process switching often have equal x87/SSE state):
	 * no KVM_SET_XSAVE. The 512 bytes are all the program can reach: its
	 * CR4 has no OSXSAVE, so no AVX or later state lives beside them. */
	if (fpu != &proc->fpu && proc->fpu_held && !proc->fpu_dirty &&
	    memcmp(fpu, &proc->fpu, sizeof(*fpu)) == 0)
		return;
	if (fpu != &proc->fpu)
		proc->fpu = *fpu;
	proc->fpu_held = true;
	proc->fpu_dirty = true;
}

void linux_sigfpu_build(const struct linux_fpu *fpu, uint8_t out[LINUX_SIGFPU_SIZE])
{
	memset(out, 0, LINUX_SIGFPU_SIZE);
	memcpy(out, fpu->legacy, FX_SW_RESERVED);
	const struct fpx_sw_bytes sw = {
	    .magic1 = FP_XSTATE_MAGIC1,
	    .extended_size = LINUX_SIGFPU_SIZE,
	    .xfeatures = XFEATURES_USER,
	    .xstate_size = XSTATE_SIZE,
	};
	memcpy(out + FX_SW_RESERVED, &sw, sizeof(sw));
	const uint64_t xstate_bv = XFEATURES_USER; /* the XSAVE header's first field */
	memcpy(out + FX_SIZE, &xstate_bv, sizeof(xstate_bv));
	put32(out + XSTATE_SIZE, FP_XSTATE_MAGIC2);
}

/* Linux's check_xstate_in_sigframe(): 1 if the frame holds the extended
 * (XSAVE) layout, 0 if the FXSAVE area alone counts (fx_only), -1 if
 * magic2 is past what could be read (Linux faults reading it). */
static int xstate_in_frame(const uint8_t *buf, size_t len, struct fpx_sw_bytes *sw)
{
	memcpy(sw, buf + FX_SW_RESERVED, sizeof(*sw));
	if (sw->magic1 != FP_XSTATE_MAGIC1 || sw->xstate_size < XSTATE_SIZE ||
	    sw->xstate_size > XSTATE_SIZE || sw->xstate_size > sw->extended_size)
		return 0;
	if (len < (size_t)sw->xstate_size + 4)
		return -1;
	return get32(buf + sw->xstate_size) == FP_XSTATE_MAGIC2;
}

int linux_sigfpu_parse(const uint8_t *buf, size_t len, uint64_t addr, struct linux_fpu *out)
{
	if (!buf || len < FX_SIZE)
		return -1; /* the FXSAVE area could not be read: a fault */
	struct fpx_sw_bytes sw;
	int xstate = xstate_in_frame(buf, len, &sw);
	if (xstate < 0 || (addr & (xstate ? 63 : 15)))
		return -1; /* a fault reading magic2, or XRSTOR's or FXRSTOR's alignment #GP */
	uint64_t rfbm = XFEATURES_USER, xstate_bv = XFEATURES_USER;
	if (xstate) {
		uint64_t header[XSAVE_HEADER_SIZE / 8];
		memcpy(header, buf + FX_SIZE, sizeof(header));
		xstate_bv = header[0];
		/* XRSTOR's #GP (standard form): a component the program's XCR0
		 * lacks, or header bytes 8-23 (XCOMP_BV and the next 8) set; it
		 * reads no other header byte. */
		if ((xstate_bv & ~XFEATURES_USER) || header[1] || header[2])
			return -1;
		rfbm = sw.xfeatures & XFEATURES_USER;
	}
	uint32_t mxcsr = get32(buf + FX_MXCSR);
	memset(out, 0, sizeof(*out));
	memcpy(out->legacy, buf, FX_SW_RESERVED);
	memset(out->legacy + FX_XMM_END, 0, FX_SIZE - FX_XMM_END);
	put32(out->legacy + FX_MXCSR_MASK, MXCSR_FEATURE_MASK);
	/* Not asked for (rfbm) or in its initial state (xstate_bv): initial. */
	if (!(rfbm & xstate_bv & XFEATURE_FP))
		x87_init(out->legacy);
	if (!(rfbm & xstate_bv & XFEATURE_SSE))
		memset(out->legacy + FX_XMM, 0, FX_XMM_END - FX_XMM);
	if (!(rfbm & XFEATURE_SSE))
		mxcsr = MXCSR_INIT; /* MXCSR is read with SSE, whatever XSTATE_BV says */
	if (mxcsr & ~MXCSR_FEATURE_MASK)
		return -1;		      /* FXRSTOR/XRSTOR #GP: Linux sends SIGSEGV */
	put32(out->legacy + FX_MXCSR, mxcsr); /* FCW, FSW, FTW: any value loads */
	return 0;
}
