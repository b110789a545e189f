/* x86-64 side of Linux-ABI guests: SYSCALL MSRs, moving registers between KVM and the syscall layer, resuming the program after a call or a fault. */
#include <errno.h>
#include <linux/kvm.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include "arch_x86_64.h"
#include "linux.h"

#define MSR_STAR    0xC0000081u
#define MSR_LSTAR   0xC0000082u
#define MSR_SFMASK  0xC0000084u
#define EFER_SCE    (1ULL << 0)
#define X86_FLAG_CF (1ULL << 0)
#define X86_FLAG_PF (1ULL << 2)
#define X86_FLAG_AF (1ULL << 4)
#define X86_FLAG_ZF (1ULL << 6)
#define X86_FLAG_SF (1ULL << 7)
#define X86_FLAG_TF (1ULL << 8)
#define X86_FLAG_DF (1ULL << 10)
#define X86_FLAG_OF (1ULL << 11)
#define X86_FLAG_RF (1ULL << 16)
#define X86_FLAG_AC (1ULL << 18)
#define X86_FLAG_ID (1ULL << 21)
/*
 * Flags a program may set (sigreturn frames, the r11 it hands SYSCALL):
 * Linux's FIX_EFLAGS (CF PF AF ZF SF TF DF OF AC RF) plus ID, which CPL 3
 * code toggles with popf anyway. Never IOPL, NT, VM, VIF or VIP: an NT the
 * runner's ring-0 stubs iret with would fault there, and the others are
 * the kernel's. IF is always set.
 */
#define USER_FLAGS                                                                                 \
	(X86_FLAG_CF | X86_FLAG_PF | X86_FLAG_AF | X86_FLAG_ZF | X86_FLAG_SF | X86_FLAG_TF |       \
	 X86_FLAG_DF | X86_FLAG_OF | X86_FLAG_RF | X86_FLAG_AC | X86_FLAG_ID)
#define FLAGS_BASE 0x202ULL /* reserved bit 1, IF */
/* SYSCALL masks TF, DF, IF, IOPL, NT and AC, as Linux does. */
#define SYSCALL_MASK	   0x47700ULL
#define LINUX_SYSCALL_STUB X86_ARGS_GPA
/* After the ring-0 fault stubs, in their supervisor read-only page: one
 * copy per vCPU (each names its own list), FLUSH_STUB_SIZE bytes apart. */
#define LINUX_FLUSH_STUB (X86_STUBS_GPA + 0x800)
#define FLUSH_STUB_SIZE	 64
#define FLUSH_STUB_LEN	 51 /* its code's length */
#define FLUSH_POP_AT	 45 /* offset of its first pop; the iretq at + 4 */
#define FLUSH_LOOP_AT	 17 /* from here rcx counts the entries not yet written ... */
#define FLUSH_DONE_AT	 39 /* ... and from here none is left */

static uint64_t flush_stub(const struct vcpu *vcpu)
{
	return LINUX_FLUSH_STUB + (uint64_t)vcpu->index * FLUSH_STUB_SIZE;
}

static bool use_sync_regs;

int linux_vcpu_init(struct vcpu *vcpu, char *err, size_t errlen)
{
	struct linux_proc *proc = vcpu->vm->linux_proc;
	struct kvm_sregs sregs;
	if (ioctl(vcpu->fd, KVM_GET_SREGS, &sregs) < 0) {
		snprintf(err, errlen, "ioctl(KVM_GET_SREGS): %s", strerror(errno));
		return -1;
	}
	sregs.efer |= EFER_SCE;
	if (vcpu->index >= proc->ncpus) {
		snprintf(err, errlen, "a --linux guest has at most %u vCPUs", LINUX_MAX_CPUS);
		return -1;
	}
	proc->cpus[vcpu->index].vcpu = vcpu;
	sregs.cr3 = proc->mm->root; /* the process's own page tables */
	sregs.fs.base = 0;
	sregs.gs.base = 0;
	if (ioctl(vcpu->fd, KVM_SET_SREGS, &sregs) < 0) {
		snprintf(err, errlen, "ioctl(KVM_SET_SREGS): %s", strerror(errno));
		return -1;
	}
	/* The flush stub (see LINUX_DIRTY_GPA): for each listed page-table
	 * frame, rewrite two bytes across its first two entries through
	 * LINUX_PHYSMAP (a write KVM traps and answers by dropping its shadow
	 * of the frame); then reload CR3 (flushes the TLB); IRETQ to the
	 * program (the frame resume_flushed() built). */
	uint8_t code[] = {
	    0x50, 0x51, 0x52, 0x56,				  /* push rax, rcx, rdx, rsi */
	    0x48, 0xB8, 0,    0,    0,	  0,	0,    0,    0, 0, /* movabs $list, %rax */
	    0x48, 0x8B, 0x08,					  /* mov (%rax), %rcx */
	    0x48, 0x85, 0xC9, 0x74, 0x11,			  /* 1: test %rcx, %rcx; je 2f */
	    0x48, 0x8B, 0x14, 0xC8,				  /* mov (%rax,%rcx,8), %rdx */
	    0x0F, 0xB7, 0x72, 0x07, 0x66, 0x89, 0x72, 0x07, /* movzwl 7(%rdx); mov %si, 7(%rdx) */
	    0x48, 0xFF, 0xC9, 0xEB, 0xEA,		    /* dec %rcx; jmp 1b */
	    0x0F, 0x20, 0xD8, 0x0F, 0x22, 0xD8,		    /* 2: mov %cr3, %rax; mov %rax, %cr3 */
	    0x5E, 0x5A, 0x59, 0x58, 0x48, 0xCF,		    /* pop rsi, rdx, rcx, rax; iretq */
	};
	_Static_assert(sizeof(code) == FLUSH_STUB_LEN && sizeof(code) <= FLUSH_STUB_SIZE,
		       "flush stub layout");
	const uint64_t list = LINUX_PHYSMAP + linux_pages_list_gpa(&proc->pages, vcpu->index);
	memcpy(code + 6, &list, sizeof(list));
	uint8_t *stub = guest_mem_ptr(&vcpu->vm->mem, flush_stub(vcpu), sizeof(code));
	if (!stub) {
		snprintf(err, errlen, "guest RAM too small for the runner's stubs");
		return -1;
	}
	memcpy(stub, code, sizeof(code));
	/* SYSRET loads CS = STAR[63:48] + 16, SS = + 8 (arch_x86_64.h order). */
	const struct kvm_msr_entry entries[3] = {
	    {.index = MSR_STAR,
	     .data = ((uint64_t)X86_SEL_USER_CS32 << 48) | ((uint64_t)X86_SEL_KERNEL_CS << 32)},
	    {.index = MSR_LSTAR, .data = LINUX_SYSCALL_STUB},
	    {.index = MSR_SFMASK, .data = SYSCALL_MASK},
	};
	uint64_t buf[(sizeof(struct kvm_msrs) + sizeof(entries)) / sizeof(uint64_t)] = {0};
	struct kvm_msrs *msrs = (struct kvm_msrs *)buf;
	msrs->nmsrs = 3;
	memcpy(msrs->entries, entries, sizeof(entries));
	if (ioctl(vcpu->fd, KVM_SET_MSRS, msrs) != 3) {
		snprintf(err, errlen, "ioctl(KVM_SET_MSRS, SYSCALL MSRs) failed");
		return -1;
	}
	struct kvm_regs regs = {
	    .rip = proc->entry,
	    .rsp = proc->initial_rsp,
	    .rflags = FLAGS_BASE,
	};
	if (ioctl(vcpu->fd, KVM_SET_REGS, &regs) < 0) {
		snprintf(err, errlen, "ioctl(KVM_SET_REGS): %s", strerror(errno));
		return -1;
	}
	/* Registers and segments come with every exit in the run page, and
	 * changed registers go back with the next KVM_RUN: no ioctl per call.
	 * Events too: a kick must see an exception KVM is delivering
	 * (linux_vcpu_kicked). All three came with KVM_CAP_SYNC_REGS (4.17). */
	const int sync_want = KVM_SYNC_X86_REGS | KVM_SYNC_X86_SREGS | KVM_SYNC_X86_EVENTS;
	int sync = ioctl(vcpu->vm->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_SYNC_REGS);
	use_sync_regs = sync > 0 && (sync & sync_want) == sync_want;
	if (use_sync_regs)
		vcpu->run->kvm_valid_regs = sync_want;
	/* The others start without a task: their first KVM_RUN returns at
	 * once and linux_vcpu_kicked() waits for one to run. */
	if (vcpu->index > 0)
		vcpu->run->immediate_exit = 1;
	return 0;
}

static void from_kvm(struct linux_regs *r, const struct kvm_regs *k)
{
	*r = (struct linux_regs){
	    .rax = k->rax,
	    .rbx = k->rbx,
	    .rcx = k->rcx,
	    .rdx = k->rdx,
	    .rsi = k->rsi,
	    .rdi = k->rdi,
	    .rsp = k->rsp,
	    .rbp = k->rbp,
	    .r8 = k->r8,
	    .r9 = k->r9,
	    .r10 = k->r10,
	    .r11 = k->r11,
	    .r12 = k->r12,
	    .r13 = k->r13,
	    .r14 = k->r14,
	    .r15 = k->r15,
	    .rip = k->rip,
	    .rflags = k->rflags,
	};
}

uint64_t linux_user_rflags(uint64_t rflags)
{
	return (rflags & USER_FLAGS) | FLAGS_BASE;
}

static void to_kvm(struct kvm_regs *k, const struct linux_regs *r)
{
	*k = (struct kvm_regs){
	    .rax = r->rax,
	    .rbx = r->rbx,
	    .rcx = r->rcx,
	    .rdx = r->rdx,
	    .rsi = r->rsi,
	    .rdi = r->rdi,
	    .rsp = r->rsp,
	    .rbp = r->rbp,
	    .r8 = r->r8,
	    .r9 = r->r9,
	    .r10 = r->r10,
	    .r11 = r->r11,
	    .r12 = r->r12,
	    .r13 = r->r13,
	    .r14 = r->r14,
	    .r15 = r->r15,
	    .rip = r->rip,
	    .rflags = linux_user_rflags(r->rflags),
	};
}

/* A flat CPL 0 segment of the runner's GDT. */
static struct kvm_segment kernel_segment(uint16_t selector, bool code)
{
	struct kvm_segment seg = x86_user_segment(selector, code);
	seg.selector = selector;
	seg.dpl = 0;
	return seg;
}

/*
 * Resumes the program at k's rip/rsp/rflags through the flush stub: the
 * vCPU runs it at CPL 0, where its writes to the listed page-table pages
 * make KVM drop a stale shadow of them and reloading CR3 flushes the TLB
 * as the architecture says (neither happens when the VMM edits the tables
 * or loads a CR3 into KVM), then IRETQ returns to CPL 3. The frame goes on
 * the vCPU's ring-0 stack. False (the VM ends) if that page is not RAM.
 */
static bool resume_flushed(struct vcpu *vcpu, struct kvm_regs *k, struct kvm_sregs *s)
{
	uint64_t top = X86_RING0_STACKS_GPA + (uint64_t)(vcpu->index + 1) * LOCKVM_PAGE_SIZE;
	uint64_t frame[5] = {k->rip, X86_SEL_USER_CS | 3, linux_user_rflags(k->rflags), k->rsp,
			     X86_SEL_USER_DS | 3};
	uint8_t *stack = guest_mem_ptr(&vcpu->vm->mem, top - sizeof(frame), sizeof(frame));
	if (!stack) {
		vm_end(vcpu->vm, EXIT_GUEST_ERROR, "lockvm-vmm: vcpu%u: no ring-0 stack",
		       vcpu->index);
		return false;
	}
	memcpy(stack, frame, sizeof(frame));
	k->rip = flush_stub(vcpu);
	k->rsp = top - sizeof(frame);
	k->rflags = 0x2; /* interrupts off in the stub */
	s->cs = kernel_segment(X86_SEL_KERNEL_CS, true);
	s->ss = kernel_segment(X86_SEL_KERNEL_DS, false);
	return true;
}

/* CPL 3 again (after a ring-0 stub or a CPL 0 SYSCALL). */
static void user_segments(struct kvm_sregs *s)
{
	s->cs = x86_user_segment(X86_SEL_USER_CS, true);
	s->ss = x86_user_segment(X86_SEL_USER_DS, false);
}

/* The process's page-table root and fs base into sregs. Returns whether
 * sregs changed; *flush: the TLB must be flushed (resume_flushed()). */
static bool fix_sregs(struct linux_proc *proc, struct kvm_sregs *s, bool *flush)
{
	bool changed = false;
	uint64_t cr3 = linux_mm_cr3(proc, s->cr3, flush);
	if (cr3 != s->cr3) {
		s->cr3 = cr3;
		changed = true;
	}
	if (proc->fs_base_dirty) {
		s->fs.base = proc->fs_base;
		proc->fs_base_dirty = false;
		changed = true;
	}
	return changed;
}

/* Loads the registers and segments of the exit; false if that failed. */
static bool load_state(struct vcpu *vcpu, struct kvm_regs *regs, struct kvm_sregs *sregs)
{
	if (use_sync_regs && vcpu->run) {
		*regs = vcpu->run->s.regs.regs;
		*sregs = vcpu->run->s.regs.sregs;
		return true;
	}
	if (ioctl(vcpu->fd, KVM_GET_REGS, regs) < 0 || ioctl(vcpu->fd, KVM_GET_SREGS, sregs) < 0) {
		vm_end(vcpu->vm, EXIT_GUEST_ERROR, "lockvm-vmm: vcpu%u: reading registers: %s",
		       vcpu->index, strerror(errno));
		return false;
	}
	return true;
}

static void store_state(struct vcpu *vcpu, const struct kvm_regs *regs,
			const struct kvm_sregs *sregs, bool sregs_changed)
{
	if (use_sync_regs && vcpu->run) {
		vcpu->run->s.regs.regs = *regs;
		vcpu->run->kvm_dirty_regs |= KVM_SYNC_X86_REGS;
		if (sregs_changed) {
			vcpu->run->s.regs.sregs = *sregs;
			vcpu->run->kvm_dirty_regs |= KVM_SYNC_X86_SREGS;
		}
		return;
	}
	if (ioctl(vcpu->fd, KVM_SET_REGS, regs) < 0 ||
	    (sregs_changed && ioctl(vcpu->fd, KVM_SET_SREGS, sregs) < 0))
		vm_end(vcpu->vm, EXIT_GUEST_ERROR, "lockvm-vmm: vcpu%u: writing registers: %s",
		       vcpu->index, strerror(errno));
}

/* The vCPU whose thread serves (holds proc->bkl). */
static struct vcpu *linux_vcpu(const struct linux_proc *proc)
{
	struct vcpu *vcpu = proc->cpu->vcpu;
	return vcpu && vcpu->run ? vcpu : NULL; /* no run page: no KVM (fuzzing) */
}

/*
 * The vCPU stopped inside its flush stub (a kick) and must not go on with
 * it (its list is replaced, or another task runs): k and s become the
 * program's registers the stub would have returned to, read from where
 * the stub has them at that instruction (pushed or still in registers,
 * and its iretq frame), and the frames of its list are listed again. False
 * if it is not in the stub.
 */
static bool stub_unwind(struct vcpu *vcpu, struct linux_proc *proc, struct kvm_regs *k,
			struct kvm_sregs *s)
{
	uint64_t stub = flush_stub(vcpu);
	if ((s->cs.selector & 3) != 0 || k->rip < stub || k->rip >= stub + FLUSH_STUB_LEN)
		return false;
	uint64_t at = k->rip - stub;
	/* The entries it had not yet written: all before its loop, rcx's in it. */
	uint64_t left = at < FLUSH_LOOP_AT ? UINT64_MAX : at < FLUSH_DONE_AT ? k->rcx : 0;
	/* rax, rcx, rdx, rsi pushed one byte each from 0; popped in reverse. */
	unsigned popped = at >= FLUSH_POP_AT ? (unsigned)(at - FLUSH_POP_AT) : 0;
	size_t on_stack = at < 4 ? (size_t)at : 4 - popped;
	uint64_t words[9];
	const uint8_t *stack = guest_mem_ptr(&vcpu->vm->mem, k->rsp, (on_stack + 5) * 8);
	if (!stack)
		return false;
	memcpy(words, stack, (on_stack + 5) * 8);
	if (at >= 4) { /* the four are the stub's: the program's are on the stack */
		unsigned long long *saved[4] = {&k->rsi, &k->rdx, &k->rcx, &k->rax};
		for (size_t j = popped; j < 4; j++)
			*saved[j] = words[j - popped];
	}
	const uint64_t *frame = words + on_stack; /* rip, cs, rflags, rsp, ss */
	k->rip = frame[0];
	k->rflags = frame[2];
	k->rsp = frame[3];
	user_segments(s);
	linux_pages_requeue(&proc->pages, vcpu->index, left);
	proc->cpu->tlb_stale = true;
	return true;
}

void linux_arch_kick_clear(struct linux_proc *proc)
{
	struct vcpu *vcpu = linux_vcpu(proc);
	if (vcpu)
		__atomic_store_n(&vcpu->run->immediate_exit, 0, __ATOMIC_RELEASE);
}

/* XSAVE header (at 512 in struct kvm_xsave): XSTATE_BV x87|SSE, the rest 0. */
#define XSAVE_HEADER_OFFSET 512
#define XSTATE_X87_SSE	    3ULL

bool linux_arch_fpu_fetch(struct linux_proc *proc)
{
	struct vcpu *vcpu = linux_vcpu(proc);
	if (!vcpu)
		return true;
	struct kvm_xsave xsave;
	if (ioctl(vcpu->fd, KVM_GET_XSAVE, &xsave) < 0) {
		vm_end(proc->vm, EXIT_GUEST_ERROR, "lockvm-vmm: vcpu%u: KVM_GET_XSAVE: %s",
		       vcpu->index, strerror(errno));
		return false;
	}
	const uint8_t *region = (const uint8_t *)xsave.region;
	uint64_t xstate_bv;
	memcpy(&xstate_bv, region + XSAVE_HEADER_OFFSET, sizeof(xstate_bv));
	memcpy(proc->fpu.legacy, region, sizeof(proc->fpu.legacy));
	/* A component in its initial state may be left stale in the area
	 * (XSAVEOPT): write out what the registers hold. */
	struct linux_fpu init;
	linux_fpu_init_state(&init);
	if (!(xstate_bv & 1))
		memcpy(proc->fpu.legacy, init.legacy, 24); /* FCW..FDP */
	if (!(xstate_bv & 1))
		memset(proc->fpu.legacy + 32, 0, 128); /* st0-7 */
	if (!(xstate_bv & 2))
		memset(proc->fpu.legacy + 160, 0, 256); /* xmm0-15 */
	return true;
}

/* Loads proc->fpu into the vCPU if a call changed it (a context switch, a
 * signal frame, rt_sigreturn, exec): before the program resumes. */
static bool fpu_resume(struct vcpu *vcpu, struct linux_proc *proc)
{
	bool dirty = proc->fpu_dirty;
	proc->fpu_dirty = false;
	proc->fpu_held = false; /* the program changes it as it runs */
	if (!dirty)
		return true;
	struct kvm_xsave xsave;
	memset(&xsave, 0, sizeof(xsave));
	uint8_t *region = (uint8_t *)xsave.region;
	memcpy(region, proc->fpu.legacy, sizeof(proc->fpu.legacy));
	const uint64_t xstate_bv = XSTATE_X87_SSE;
	memcpy(region + XSAVE_HEADER_OFFSET, &xstate_bv, sizeof(xstate_bv));
	if (ioctl(vcpu->fd, KVM_SET_XSAVE, &xsave) < 0) {
		vm_end(vcpu->vm, EXIT_GUEST_ERROR, "lockvm-vmm: vcpu%u: KVM_SET_XSAVE: %s",
		       vcpu->index, strerror(errno));
		return false;
	}
	return true;
}

/* Several vCPUs: the task of the serving one went (an exit_group, exec
 * or kill served on another) or stopped: it is not served but left. */
static bool task_gone(struct linux_proc *proc)
{
	const struct linux_task *t = proc->cpu->task;
	return proc->ncpus > 1 && (!t || !linux_thread_alive(t) || linux_task_stopped(proc, t));
}

static void exit_mmio_locked(struct vcpu *vcpu, struct linux_proc *proc, uint64_t phys_addr);

bool linux_exit_mmio(struct vcpu *vcpu, uint64_t phys_addr)
{
	struct linux_proc *proc = vcpu->vm->linux_proc;
	if (!proc)
		return false;
	struct linux_cpu *lc = linux_cpu_enter(proc, vcpu);
	linux_cpu_stop_others(proc); /* no program code runs while a call is served */
	exit_mmio_locked(vcpu, proc, phys_addr);
	linux_cpu_leave(proc, lc);
	return true;
}

static void exit_mmio_locked(struct vcpu *vcpu, struct linux_proc *proc, uint64_t phys_addr)
{
	if (phys_addr != LINUX_SYSCALL_DOORBELL || !vcpu->run->mmio.is_write) {
		/* A Linux program reaches the VMM through SYSCALL only. */
		vcpu_guest_error(
		    vcpu, "MMIO %s at 0x%llx: a --linux guest may only make system calls",
		    vcpu->run->mmio.is_write ? "write" : "read", (unsigned long long)phys_addr);
		return;
	}
	struct kvm_regs k;
	struct kvm_sregs s;
	if (!load_state(vcpu, &k, &s))
		return;
	bool cpl0 = (s.cs.selector & 3) == 0;
	struct linux_regs r;
	from_kvm(&r, &k);
	uint64_t rip_after_stub = r.rip;
	/* The program's own view: it called at RCX with flags R11. */
	r.rip = r.rcx;
	r.rflags = r.r11;
	vcpu->hypercalls++;
	if (task_gone(proc)) {
		r.rip -= 2; /* a stopped one makes the call when it goes on */
		r.rax = k.rax;
		proc->regs = &r;
		proc->regs_replaced = false;
		linux_sched_switch(proc, &r);
		proc->regs = NULL;
		proc->regs_replaced = true;
	} else {
		linux_syscall(proc, &r);
	}
	if (vm_is_ending(vcpu->vm) || !fpu_resume(vcpu, proc))
		return;
	bool full = proc->regs_replaced;
	proc->regs_replaced = false;
	bool flush;
	bool sregs_changed = fix_sregs(proc, &s, &flush);
	if (cpl0 && !full && !flush) {
		/* SYSRETQ in the stub returns to RCX with R11's flags at CPL 3. */
		k.rax = r.rax;
		k.rip = rip_after_stub;
	} else {
		to_kvm(&k, &r);
		if (!full) {
			k.rcx = r.rip;
			k.r11 = k.rflags;
		}
		if (flush) {
			if (!resume_flushed(vcpu, &k, &s))
				return;
			sregs_changed = true;
		} else if (cpl0) {
			user_segments(&s);
			sregs_changed = true;
		}
	}
	store_state(vcpu, &k, &s, sregs_changed);
}

static bool exit_fault_locked(struct vcpu *vcpu, struct linux_proc *proc, unsigned vector,
			      uint64_t error_code, uint64_t cr2, const uint64_t *frame);

bool linux_exit_fault(struct vcpu *vcpu, unsigned vector, uint64_t error_code, uint64_t cr2,
		      const uint64_t *frame)
{
	struct linux_proc *proc = vcpu->vm->linux_proc;
	if (!proc)
		return false;
	struct linux_cpu *lc = linux_cpu_enter(proc, vcpu);
	linux_cpu_stop_others(proc); /* no program code runs while a fault is served */
	bool handled = exit_fault_locked(vcpu, proc, vector, error_code, cr2, frame);
	linux_cpu_leave(proc, lc);
	return handled;
}

static bool exit_fault_locked(struct vcpu *vcpu, struct linux_proc *proc, unsigned vector,
			      uint64_t error_code, uint64_t cr2, const uint64_t *frame)
{
	struct kvm_regs k;
	struct kvm_sregs s;
	if (ioctl(vcpu->fd, KVM_GET_REGS, &k) < 0 || ioctl(vcpu->fd, KVM_GET_SREGS, &s) < 0)
		return false;
	/* frame: vector, error code, then the CPU's rip, cs, rflags, rsp, ss */
	if ((frame[3] & 3) != 3)
		return false; /* not the program's fault */
	struct linux_regs r;
	from_kvm(&r, &k);
	r.rip = frame[2];
	r.rflags = frame[4];
	r.rsp = frame[5];
	bool resume;
	if (task_gone(proc)) { /* it faults again when it goes on, if it does */
		proc->regs = &r;
		linux_sched_switch(proc, &r);
		proc->regs = NULL;
		proc->regs_replaced = false;
		resume = !vm_is_ending(proc->vm);
	} else {
		resume = vector == 14 && linux_mm_fault(proc, cr2, error_code);
		if (!resume)
			resume = linux_signal_fault(proc, vector, error_code, cr2, &r);
	}
	if (!resume || !fpu_resume(vcpu, proc))
		return false;
	to_kvm(&k, &r);
	bool flush;
	user_segments(&s);
	fix_sregs(proc, &s, &flush);
	if (flush && !resume_flushed(vcpu, &k, &s))
		return false;
	if (ioctl(vcpu->fd, KVM_SET_REGS, &k) < 0 || ioctl(vcpu->fd, KVM_SET_SREGS, &s) < 0)
		return false;
	if (use_sync_regs)
		vcpu->run->kvm_dirty_regs = 0; /* what we just set wins */
	return true;
}

static void kicked_locked(struct vcpu *vcpu, struct linux_proc *proc, struct linux_cpu *lc);

/*
 * The vCPU's task died (a kill, or its process's exit or exec, served on
 * another vCPU) while the vCPU was in a ring-0 stub or KVM was delivering
 * it an exception. Its address space went with it: the page tables in the
 * vCPU's CR3 are freed and zeroed, maybe reused, so neither may go on (the
 * IDT, stack and stubs are no longer mapped there: a triple fault). Both
 * are dropped — the exception KVM holds too, or it would be delivered to
 * the next task — and the vCPU leaves the task from CPL 3
 * (linux_sched_switch() loads the next one). True: dropped.
 */
static bool drop_dead(struct vcpu *vcpu, struct kvm_sregs *s)
{
	if (use_sync_regs) {
		struct kvm_vcpu_events *ev = &vcpu->run->s.regs.events;
		ev->exception.injected = 0;
		ev->exception.pending = 0;
		ev->exception_has_payload = 0;
		vcpu->run->kvm_dirty_regs |= KVM_SYNC_X86_EVENTS;
	}
	user_segments(s);
	return true;
}

void linux_vcpu_kicked(struct vcpu *vcpu)
{
	struct vm *vm = vcpu->vm;
	struct linux_proc *proc = vm->linux_proc;
	if (!proc || !vcpu->run || vm_is_ending(vm) || atomic_load(&vm->pause_requested))
		return; /* the loop parks or ends: their kick stays armed */
	__atomic_store_n(&vcpu->run->immediate_exit, 0, __ATOMIC_RELEASE);
	/* One vCPU: nothing to do without a host signal, a slice or a spawn. */
	if (proc->ncpus == 1 && !linux_signal_host_ready(proc) && !linux_spawn_pending(proc) &&
	    atomic_load(&vm->slice_ms) == 0)
		return;
	struct linux_cpu *lc = linux_cpu_enter(proc, vcpu);
	kicked_locked(vcpu, proc, lc);
	linux_cpu_leave(proc, lc);
}

static void kicked_locked(struct vcpu *vcpu, struct linux_proc *proc, struct linux_cpu *lc)
{
	struct vm *vm = vcpu->vm;
	/* A host signal to deliver, a time slice's end (linux_sched.c), or a
	 * process `lockvm exec` asked for (linux_spawn.c); with several vCPUs
	 * also a kick from the holder of the lock (linux_cpu_stop_others):
	 * its task may have gone, stopped or been sent a signal, or a page
	 * table it may use changed. */
	bool stop_only = lc->stop_kicked;
	lc->stop_kicked = false;
	struct linux_task *task = lc->task;
	bool host_signal = task && linux_signal_host_ready(proc);
	bool spawn = task && linux_spawn_pending(proc);
	bool slice = task && !stop_only && atomic_load(&vm->slice_ms) != 0;
	bool gone = task_gone(proc);
	bool signalled =
	    proc->ncpus > 1 && !gone && (linux_task_sigpending(proc, task) & ~proc->sigmask);
	bool flush_due = linux_cpu_flush_due(proc);
	if (!host_signal && !spawn && !slice && !gone && !signalled && !flush_due)
		return;
	/* Registers not yet handed to KVM (sync regs still dirty) are the
	 * program's latest; otherwise KVM's are. */
	bool pending_sync = use_sync_regs && vcpu->run->kvm_dirty_regs;
	struct kvm_regs k;
	struct kvm_sregs s;
	if (pending_sync) {
		k = vcpu->run->s.regs.regs;
		s = vcpu->run->s.regs.sregs;
	} else if (ioctl(vcpu->fd, KVM_GET_REGS, &k) < 0 ||
		   ioctl(vcpu->fd, KVM_GET_SREGS, &s) < 0) {
		return;
	}
	/* An exception KVM began to deliver when the kick cut in (a #PF of
	 * the program's, mid-way into the IDT) survives KVM_SET_REGS and would
	 * be delivered on whatever registers it found: another task's, or the
	 * flush stub at CPL 0, which ends the VM. Without sync regs (kernels
	 * before 4.17) the vCPU thread may not read events: not checked there. */
	bool delivering = use_sync_regs && (vcpu->run->s.regs.events.exception.injected ||
					    vcpu->run->s.regs.events.exception.pending);
	bool unwound = false;
	if ((s.cs.selector & 3) != 3 || delivering) {
		/* Inside its flush stub: back to the program's registers, the
		 * stub's list run again. In another ring-0 stub (a call or a
		 * fault on its way in) or entering one: a signal is delivered
		 * when the call returns, or by the next kick, as a spawn is (a
		 * fault's return delivers none); that exit flushes too —
		 * unless its task died: its page tables are gone (drop_dead). */
		unwound = !delivering && stub_unwind(vcpu, proc, &k, &s);
		if (!unwound && task && !linux_thread_alive(task))
			unwound = drop_dead(vcpu, &s);
		if (!unwound) {
			if (spawn || host_signal)
				vm_set_slice(vm, LINUX_SLICE_MS);
			return;
		}
	}
	if (host_signal || spawn || slice || gone || signalled)
		linux_cpu_stop_others(proc);
	if (spawn)
		(void)linux_spawn_poll(proc, false);
	struct linux_regs r;
	from_kvm(&r, &k);
	proc->regs = &r;
	proc->regs_replaced = false;
	if (!task)
		(void)linux_sched_idle(proc, &r); /* the first task for it */
	else if (gone)
		linux_sched_switch(proc, &r);
	else if (host_signal)
		linux_signal_host_deliver(proc, &r);
	else if (signalled)
		linux_task_deliver_pending(proc, &r);
	else if (slice)
		(void)linux_sched_preempt(proc, &r);
	bool entered = proc->regs_replaced;
	proc->regs = NULL;
	proc->regs_replaced = false;
	if (vm_is_ending(vm) || !fpu_resume(vcpu, proc) || (!entered && !unwound && !flush_due))
		return;
	to_kvm(&k, &r);
	bool flush; /* another task's CR3, or a frame's copy copied a copy-on-write page */
	bool sregs_changed = fix_sregs(proc, &s, &flush) || unwound;
	if (flush) {
		if (!resume_flushed(vcpu, &k, &s))
			return;
		sregs_changed = true;
	}
	if (pending_sync) {
		vcpu->run->s.regs.regs = k;
		vcpu->run->kvm_dirty_regs |= KVM_SYNC_X86_REGS;
		if (sregs_changed) {
			vcpu->run->s.regs.sregs = s;
			vcpu->run->kvm_dirty_regs |= KVM_SYNC_X86_SREGS;
		}
	} else if (ioctl(vcpu->fd, KVM_SET_REGS, &k) < 0 ||
		   (sregs_changed && ioctl(vcpu->fd, KVM_SET_SREGS, &s) < 0)) {
		vm_end(vm, EXIT_GUEST_ERROR, "lockvm-vmm: vcpu%u: writing registers: %s",
		       vcpu->index, strerror(errno));
	}
}
