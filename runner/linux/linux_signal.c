/* Signals of a Linux-ABI guest: recorded actions and mask, faults and the host's SIGINT/SIGTERM delivered to handlers through an x86-64 rt_sigframe on the guest stack, rt_sigreturn. */
#include <errno.h>
#include <pthread.h>
#include <stddef.h>
#include <string.h>

#include "linux.h"

#define L_SIG_DFL	 0
#define L_SIG_IGN	 1
#define L_SA_SIGINFO	 0x4
#define L_SA_ONSTACK	 0x08000000
#define L_SA_RESTORER	 0x04000000
#define L_SA_NODEFER	 0x40000000
#define L_SA_RESETHAND	 0x80000000
#define L_SA_RESTART	 0x10000000
#define L_SS_ONSTACK	 1
#define L_SS_DISABLE	 2
#define L_MINSIGSTKSZ	 2048
#define L_SIGHUP	 1
#define L_SIGINT	 2
#define L_SIGKILL	 9
#define L_SIGTERM	 15
#define L_SIGSTOP	 19
#define L_SIGCHLD	 17
#define MAX_SIGNAL_DEPTH 16
/* uc_flags: an XSAVE-layout fpstate, the saved ss is meaningful and restored. */
#define L_UC_FP_XSTATE	       0x1
#define L_UC_SIGCONTEXT_SS     0x2
#define L_UC_STRICT_RESTORE_SS 0x4

/* struct sigcontext (x86-64), as the kernel lays it out. */
struct sigcontext64 {
	uint64_t r8, r9, r10, r11, r12, r13, r14, r15;
	uint64_t rdi, rsi, rbp, rbx, rdx, rax, rcx, rsp, rip, eflags;
	uint16_t cs, gs, fs, ss;
	uint64_t err, trapno, oldmask, cr2, fpstate;
	uint64_t reserved[8];
};

struct ucontext64 {
	uint64_t flags, link;
	uint64_t ss_sp;
	uint32_t ss_flags, pad;
	uint64_t ss_size;
	struct sigcontext64 mcontext;
	uint64_t sigmask;
};

struct siginfo64 {
	int32_t signo, errno_, code, pad;
	uint64_t addr; /* si_addr, or si_pid/si_uid for kill */
	uint8_t rest[128 - 24];
};

struct rt_sigframe {
	uint64_t pretcode; /* the handler returns here: sa_restorer */
	struct ucontext64 uc;
	struct siginfo64 info;
};

_Static_assert(sizeof(struct sigcontext64) == 256, "sigcontext layout");
_Static_assert(sizeof(struct ucontext64) == 304, "ucontext layout");
_Static_assert(sizeof(struct siginfo64) == 128, "siginfo layout");
_Static_assert(offsetof(struct rt_sigframe, info) == 312, "rt_sigframe layout");

static uint64_t bit(uint64_t sig)
{
	return 1ULL << (sig - 1);
}

static const uint64_t unblockable = (1ULL << (L_SIGKILL - 1)) | (1ULL << (L_SIGSTOP - 1));

/* Builds the frame and points regs at the handler. */
static bool deliver(struct linux_proc *proc, unsigned sig, const struct siginfo64 *info,
		    uint64_t trapno, uint64_t err, uint64_t cr2, struct linux_regs *regs)
{
	struct linux_sigaction *act = &proc->actions[sig - 1];
	if (!(act->flags & L_SA_RESTORER) || proc->signal_depth >= MAX_SIGNAL_DEPTH)
		return false;
	uint64_t sp = regs->rsp - 128; /* below the red zone */
	bool on_alt = proc->altstack_size && regs->rsp > proc->altstack_sp &&
		      regs->rsp <= proc->altstack_sp + proc->altstack_size;
	if ((act->flags & L_SA_ONSTACK) && proc->altstack_size && !on_alt)
		sp = proc->altstack_sp + proc->altstack_size;
	/* The FPU state first, 64-byte aligned for XSAVE (fpu__alloc_mathframe). */
	uint64_t fpstate = (sp - LINUX_SIGFPU_SIZE) & ~63ULL;
	sp = ((fpstate - sizeof(struct rt_sigframe)) & ~15ULL) - 8;
	uint8_t fpu_frame[LINUX_SIGFPU_SIZE];
	linux_sigfpu_build(linux_fpu_cur(proc), fpu_frame);
	struct rt_sigframe frame, *f = &frame;
	memset(f, 0, sizeof(*f));
	f->pretcode = act->restorer;
	f->uc.flags = L_UC_FP_XSTATE | L_UC_SIGCONTEXT_SS | L_UC_STRICT_RESTORE_SS;
	f->uc.ss_sp = proc->altstack_sp;
	f->uc.ss_size = proc->altstack_size;
	f->uc.ss_flags = proc->altstack_size ? (on_alt ? L_SS_ONSTACK : 0) : L_SS_DISABLE;
	struct sigcontext64 *mc = &f->uc.mcontext;
	*mc = (struct sigcontext64){
	    .r8 = regs->r8,
	    .r9 = regs->r9,
	    .r10 = regs->r10,
	    .r11 = regs->r11,
	    .r12 = regs->r12,
	    .r13 = regs->r13,
	    .r14 = regs->r14,
	    .r15 = regs->r15,
	    .rdi = regs->rdi,
	    .rsi = regs->rsi,
	    .rbp = regs->rbp,
	    .rbx = regs->rbx,
	    .rdx = regs->rdx,
	    .rax = regs->rax,
	    .rcx = regs->rcx,
	    .rsp = regs->rsp,
	    .rip = regs->rip,
	    .eflags = regs->rflags,
	    .cs = 0x2B,
	    .ss = 0x23,
	    .err = err,
	    .trapno = trapno,
	    .oldmask = proc->sigmask,
	    .cr2 = cr2,
	    .fpstate = fpstate,
	};
	f->uc.sigmask = proc->sigmask_restore ? proc->sigmask_saved : proc->sigmask;
	f->info = *info;
	if (linux_copy_out(proc, fpstate, fpu_frame, sizeof(fpu_frame)) < 0 ||
	    linux_copy_out(proc, sp, f, sizeof(*f)) < 0)
		return false;
	struct linux_fpu clean; /* the handler starts with Linux's initial FPU state */
	linux_fpu_init_state(&clean);
	linux_fpu_set(proc, &clean);
	proc->sigmask |= act->mask | ((act->flags & L_SA_NODEFER) ? 0 : bit(sig));
	proc->sigmask &= ~unblockable;
	uint64_t handler = act->handler;
	if (act->flags & L_SA_RESETHAND)
		act->handler = L_SIG_DFL;
	regs->rsp = sp;
	regs->rip = handler;
	regs->rdi = sig;
	regs->rsi = sp + offsetof(struct rt_sigframe, info);
	regs->rdx = sp + offsetof(struct rt_sigframe, uc);
	regs->rax = 0;
	regs->rflags &= ~(1ULL << 10 | 1ULL << 8); /* DF, TF clear in the handler */
	proc->signal_depth++;
	proc->regs_replaced = true;
	return true;
}

bool linux_signal_fault(struct linux_proc *proc, unsigned vector, uint64_t error_code, uint64_t cr2,
			struct linux_regs *regs)
{
	struct siginfo64 info = {0};
	switch (vector) {
	case 14: /* #PF */
		info =
		    (struct siginfo64){.signo = 11, .code = (error_code & 1) ? 2 : 1, .addr = cr2};
		if (proc->fault_sigbus) /* a shared file page past its end (linux_mm_fault) */
			info =
			    (struct siginfo64){.signo = 7, .code = 2 /* BUS_ADRERR */, .addr = cr2};
		break;
	case 13: info = (struct siginfo64){.signo = 11, .code = 0x80 /* SI_KERNEL */}; break;
	case 6:
		info =
		    (struct siginfo64){.signo = 4, .code = 2 /* ILL_ILLOPN */, .addr = regs->rip};
		break;
	case 0:
		info =
		    (struct siginfo64){.signo = 8, .code = 1 /* FPE_INTDIV */, .addr = regs->rip};
		break;
	case 16:
	case 19: info = (struct siginfo64){.signo = 8, .code = 0, .addr = regs->rip}; break;
	default: return false;
	}
	unsigned sig = (unsigned)info.signo;
	const struct linux_sigaction *act = &proc->actions[sig - 1];
	/* A blocked or ignored fault kills, as on Linux. */
	bool kills =
	    act->handler == L_SIG_DFL || act->handler == L_SIG_IGN || (proc->sigmask & bit(sig));
	if (!kills && deliver(proc, sig, &info, vector, error_code, cr2, regs))
		return true;
	if (proc->cur->pid == 1) {
		if (sig == 7) /* SIGBUS: the VM ends as Linux's process would (135) */
			vm_end(proc->vm, EXIT_SIGNAL_BASE + 7,
			       "guest fault: SIGBUS (past the end of a shared file mapping, or no "
			       "memory for it) at rip=0x%llx addr=0x%llx",
			       (unsigned long long)regs->rip, (unsigned long long)cr2);
		return false; /* the VM ends with its "guest fault" line */
	}
	/* Another task dies alone; the vCPU goes to the next one. */
	linux_task_exit(proc, (int)sig);
	linux_sched_switch(proc, regs);
	proc->regs = NULL;
	return !vm_is_ending(proc->vm);
}

long linux_signal_raise(struct linux_proc *proc, uint64_t sig)
{
	return linux_signal_raise_ret(proc, sig, 0);
}

long linux_signal_raise_ret(struct linux_proc *proc, uint64_t sig, long ret)
{
	if (sig == 0)
		return 0;
	if (sig > LINUX_NSIG)
		return -EINVAL;
	const struct linux_sigaction *act = &proc->actions[sig - 1];
	if (act->handler == L_SIG_IGN)
		return 0;
	if (act->handler == L_SIG_DFL) {
		/* SIGCHLD, SIGCONT, SIGURG, SIGWINCH are ignored by default. */
		if (sig == 17 || sig == 18 || sig == 23 || sig == 28)
			return 0;
		if (sig == L_SIGSTOP || (sig >= 20 && sig <= 22)) { /* SIGTSTP, SIGTTIN, SIGTTOU */
			linux_task_stop(proc, proc->cur, (unsigned)sig); /* one blocked until now */
			return 0;
		}
		linux_task_exit(proc, (int)sig); /* pid 1: the VM ends with it */
		return 0;
	}
	if (proc->sigmask & bit(sig)) {
		proc->cur->pending |= bit(sig); /* delivered once unblocked */
		return 0;
	}
	struct siginfo64 info = {.signo = (int32_t)sig, .code = -6 /* SI_TKILL */, .addr = 1};
	const struct linux_task *leader = linux_thread_leader(proc, proc->cur);
	if (sig == L_SIGCHLD && leader->chld.code) {
		/* si_code CLD_*, si_pid (si_uid 0), si_status at 24 */
		info.code = leader->chld.code;
		info.addr = (uint32_t)leader->chld.pid;
		memcpy(info.rest, &leader->chld.status, sizeof(leader->chld.status));
	}
	proc->regs->rax =
	    (uint64_t)ret; /* the raising call's own result, restored by rt_sigreturn */
	if (deliver(proc, (unsigned)sig, &info, 0, 0, 0, proc->regs))
		return 0;
	/* Its frame cannot be written (the stack unmapped or read-only): the
	 * process dies of SIGSEGV, as Linux's force_sigsegv; pid 1's end ends
	 * the VM (139), another's is its parent's to see. */
	if (proc->cur->pid == 1)
		vm_end(proc->vm, EXIT_SIGNAL_BASE + 11, "guest fault: cannot deliver signal %u",
		       (unsigned)sig);
	else
		linux_task_exit(proc, 11);
	return 0;
}

void linux_signal_exec(struct linux_proc *proc)
{
	for (unsigned i = 0; i < LINUX_NSIG; i++) {
		bool ignored = proc->actions[i].handler == L_SIG_IGN;
		proc->actions[i] =
		    (struct linux_sigaction){.handler = ignored ? L_SIG_IGN : L_SIG_DFL};
	}
	proc->altstack_sp = proc->altstack_size = 0;
	proc->altstack_flags = 0;
	proc->signal_depth = 0;
}

long linux_sys_rt_sigaction(struct linux_proc *proc, uint64_t sig, uint64_t act, uint64_t oldact,
			    uint64_t size)
{
	if (size != 8 || sig < 1 || sig > LINUX_NSIG)
		return -EINVAL;
	if (act && (sig == L_SIGKILL || sig == L_SIGSTOP))
		return -EINVAL;
	struct linux_sigaction *slot = &proc->actions[sig - 1];
	struct linux_sigaction copy = *slot;
	if (act) {
		if (linux_copy_in(proc, &copy, act, sizeof(copy)) < 0)
			return -EFAULT;
		copy.mask &= ~unblockable;
	}
	if (oldact) {
		if (linux_copy_out(proc, oldact, slot, sizeof(*slot)) < 0)
			return -EFAULT;
	}
	*slot = copy;
	return 0;
}

long linux_sys_rt_sigprocmask(struct linux_proc *proc, uint64_t how, uint64_t set, uint64_t oldset,
			      uint64_t size)
{
	if (size != 8)
		return -EINVAL;
	uint64_t new_mask = proc->sigmask;
	if (set) {
		uint64_t in;
		if (linux_copy_in(proc, &in, set, sizeof(in)) < 0)
			return -EFAULT;
		switch (how) {
		case 0: new_mask |= in; break;
		case 1: new_mask &= ~in; break;
		case 2: new_mask = in; break;
		default: return -EINVAL;
		}
	}
	if (oldset) {
		if (linux_copy_out(proc, oldset, &proc->sigmask, sizeof(proc->sigmask)) < 0)
			return -EFAULT;
	}
	proc->sigmask = new_mask & ~unblockable;
	return 0;
}

long linux_sys_rt_sigsuspend(struct linux_proc *proc, uint64_t set, uint64_t size)
{
	uint64_t mask;
	if (size != 8)
		return -EINVAL;
	if (linux_copy_in(proc, &mask, set, sizeof(mask)) < 0)
		return -EFAULT;
	mask &= ~unblockable;
	struct linux_task *t = proc->cur;
	uint64_t ready = linux_task_sigpending(proc, t) & ~mask;
	if (!ready) {
		/* A signal sent to it makes the scheduler retry this call. */
		linux_block_until(proc, 0);
		return -LINUX_ERESTARTSYS;
	}
	/* The handler runs under mask; its frame restores the caller's. */
	unsigned sig = (unsigned)__builtin_ctzll(ready) + 1;
	linux_task_take_signal(proc, t, sig);
	proc->sigmask_saved = proc->sigmask;
	proc->sigmask_restore = true;
	proc->sigmask = mask;
	long rc = linux_signal_raise_ret(proc, sig, -EINTR);
	proc->sigmask_restore = false;
	if (!proc->regs_replaced)
		proc->sigmask = proc->sigmask_saved; /* no handler ran (ignored meanwhile) */
	return rc < 0 ? rc : -EINTR;
}

long linux_sys_pause(struct linux_proc *proc, const uint64_t *a)
{
	if (linux_task_sigpending(proc, proc->cur) & ~proc->sigmask)
		return -EINTR; /* delivered as the call returns */
	if (linux_block_until(proc, 0) && !proc->cur_blocked)
		return -EINTR;	   /* a host signal */
	return -LINUX_ERESTARTSYS; /* retried: a signal sent to it wakes it */
}

long linux_sys_sigaltstack(struct linux_proc *proc, uint64_t ss, uint64_t old)
{
	struct stack64 {
		uint64_t sp;
		uint32_t flags, pad;
		uint64_t size;
	};
	struct stack64 in = {0};
	if (ss) {
		if (linux_copy_in(proc, &in, ss, sizeof(in)) < 0)
			return -EFAULT;
		if (in.flags & ~(uint32_t)(L_SS_DISABLE | 0x80000000u /* SS_AUTODISARM */))
			return -EINVAL;
		if (!(in.flags & L_SS_DISABLE) && in.size < L_MINSIGSTKSZ)
			return -ENOMEM;
	}
	if (old) {
		struct stack64 out = {.sp = proc->altstack_sp,
				      .size = proc->altstack_size,
				      .flags = proc->altstack_size ? 0 : L_SS_DISABLE};
		if (linux_copy_out(proc, old, &out, sizeof(out)) < 0)
			return -EFAULT;
	}
	if (ss) {
		bool disable = in.flags & L_SS_DISABLE;
		proc->altstack_sp = disable ? 0 : in.sp;
		proc->altstack_size = disable ? 0 : in.size;
	}
	return 0;
}

bool linux_sys_rt_sigreturn(struct linux_proc *proc, struct linux_regs *regs)
{
	struct ucontext64 copy, *uc = &copy;
	if (linux_copy_in(proc, uc, regs->rsp, sizeof(*uc)) < 0)
		return false;
	const struct sigcontext64 *mc = &uc->mcontext;
	struct linux_fpu fpu;
	if (!mc->fpstate) {
		linux_fpu_init_state(&fpu); /* none: the initial state, as Linux */
	} else {
		/* Guest bytes: all of the frame's fpstate if readable, else its
		 * FXSAVE area (enough when it has no XSAVE layout). */
		uint8_t buf[LINUX_SIGFPU_SIZE];
		size_t len = sizeof(buf);
		if (linux_copy_in(proc, buf, mc->fpstate, len) < 0) {
			len = sizeof(fpu.legacy);
			if (linux_copy_in(proc, buf, mc->fpstate, len) < 0)
				return false;
		}
		if (linux_sigfpu_parse(buf, len, mc->fpstate, &fpu) < 0)
			return false;
	}
	linux_fpu_set(proc, &fpu);
	*regs = (struct linux_regs){
	    .r8 = mc->r8,
	    .r9 = mc->r9,
	    .r10 = mc->r10,
	    .r11 = mc->r11,
	    .r12 = mc->r12,
	    .r13 = mc->r13,
	    .r14 = mc->r14,
	    .r15 = mc->r15,
	    .rdi = mc->rdi,
	    .rsi = mc->rsi,
	    .rbp = mc->rbp,
	    .rbx = mc->rbx,
	    .rdx = mc->rdx,
	    .rax = mc->rax,
	    .rcx = mc->rcx,
	    .rsp = mc->rsp,
	    .rip = mc->rip,
	    .rflags = mc->eflags,
	};
	proc->sigmask = uc->sigmask & ~unblockable;
	if (proc->signal_depth)
		proc->signal_depth--;
	proc->regs_replaced = true;
	return true;
}

/* ---- signals from the host: SIGINT, SIGTERM (`lockvm stop`), SIGHUP ---- */

bool linux_host_signal(struct vm *vm, int sig)
{
	struct linux_proc *proc = vm->linux_proc;
	if (!proc || (sig != L_SIGHUP && sig != L_SIGINT && sig != L_SIGTERM))
		return false;
	pthread_mutex_lock(&vm->lock);
	bool first = !proc->host_signalled; /* a second one ends the VM */
	if (first) {
		proc->host_signalled = true;
		__atomic_fetch_or(&proc->host_pending, bit((uint64_t)sig), __ATOMIC_RELEASE);
		proc->signal_generation++; /* a blocked call returns */
		pthread_cond_broadcast(&vm->cond);
	}
	pthread_mutex_unlock(&vm->lock);
	if (first)
		vm_kick_vcpus(vm); /* a program spinning at CPL 3 exits to take it */
	return first;
}

/* The lowest host signal the program does not block, or 0. */
static unsigned host_ready(const struct linux_proc *proc)
{
	uint64_t p = __atomic_load_n(&proc->host_pending, __ATOMIC_ACQUIRE) & ~proc->sigmask;
	return p ? (unsigned)__builtin_ctzll(p) + 1 : 0;
}

bool linux_signal_host_ready(const struct linux_proc *proc)
{
	return host_ready(proc) != 0;
}

bool linux_signal_host_restarts(struct linux_proc *proc)
{
	unsigned sig = host_ready(proc);
	uint64_t ready = proc->cur ? linux_task_sigpending(proc, proc->cur) & ~proc->sigmask : 0;
	if (!sig && ready) /* else a signal of the VM's own (a timer's) cut it short */
		sig = (unsigned)__builtin_ctzll(ready) + 1;
	return sig && (proc->actions[sig - 1].flags & L_SA_RESTART);
}

bool linux_signal_host_wakes(struct linux_proc *proc)
{
	unsigned sig;
	while ((sig = host_ready(proc)) && !vm_is_ending(proc->vm)) {
		uint64_t handler = proc->actions[sig - 1].handler;
		if (handler != L_SIG_DFL && handler != L_SIG_IGN)
			return true;
		linux_signal_host_deliver(proc, NULL); /* needs no registers */
	}
	return false;
}

void linux_signal_host_deliver(struct linux_proc *proc, struct linux_regs *regs)
{
	unsigned sig = host_ready(proc);
	if (!sig)
		return;
	const struct linux_sigaction *act = &proc->actions[sig - 1];
	if (act->handler == L_SIG_IGN || act->handler == L_SIG_DFL) {
		__atomic_fetch_and(&proc->host_pending, ~bit(sig), __ATOMIC_ACQ_REL);
		if (act->handler == L_SIG_DFL) /* SIGHUP, SIGINT, SIGTERM: terminate */
			vm_end(proc->vm, EXIT_SIGNAL_BASE + (int)sig, "stopped: %s",
			       strsignal((int)sig));
		return;
	}
	if (!regs)
		return; /* a handler needs the registers to enter it: stays pending */
	__atomic_fetch_and(&proc->host_pending, ~bit(sig), __ATOMIC_ACQ_REL);
	struct siginfo64 info = {.signo = (int32_t)sig, .code = 0 /* SI_USER */};
	if (!deliver(proc, sig, &info, 0, 0, 0, regs))
		vm_end(proc->vm, EXIT_SIGNAL_BASE + 11, "guest fault: cannot deliver signal %u",
		       sig);
}
