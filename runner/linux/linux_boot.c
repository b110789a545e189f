/* Building a Linux-ABI process in a VM: memory map, image, file tree, and the initial stack (argv, envp, auxv). */
#include <cpuid.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "arch_x86_64.h"
#include "linux.h"

#define PAGE		   LOCKVM_PAGE_SIZE
#define LINUX_STACK_SIZE   (8ULL << 20)
#define LINUX_SYSCALL_STUB X86_ARGS_GPA /* SDK argv area; unused by Linux guests */

/* auxv types (elf.h names, kept local to say which ones we give). */
enum {
	AT_NULL_ = 0,
	AT_PHDR_ = 3,
	AT_PHENT_ = 4,
	AT_PHNUM_ = 5,
	AT_PAGESZ_ = 6,
	AT_BASE_ = 7,
	AT_FLAGS_ = 8,
	AT_ENTRY_ = 9,
	AT_UID_ = 11,
	AT_EUID_ = 12,
	AT_GID_ = 13,
	AT_EGID_ = 14,
	AT_PLATFORM_ = 15,
	AT_HWCAP_ = 16,
	AT_CLKTCK_ = 17,
	AT_SECURE_ = 23,
	AT_RANDOM_ = 25,
	AT_HWCAP2_ = 26,
	AT_EXECFN_ = 31,
};

/* The SYSCALL entry stub: one MMIO write exits to the VMM, which serves
 * the call. On hosts where SYSCALL enters CPL 0 the VMM leaves RIP on the
 * SYSRETQ that follows; where it stays at CPL 3 (the development hosts)
 * the VMM returns to RCX itself. */
static void write_syscall_stub(struct linux_proc *proc)
{
	uint8_t *stub = guest_mem_ptr(&proc->vm->mem, LINUX_SYSCALL_STUB, PAGE);
	uint64_t door = LINUX_SYSCALL_DOORBELL;
	memset(stub, 0xCC, PAGE);
	stub[0] = 0xA3; /* mov %eax, moffs64 */
	memcpy(stub + 1, &door, sizeof(door));
	stub[9] = 0x48; /* sysretq */
	stub[10] = 0x0F;
	stub[11] = 0x07;
	stub[12] = 0x0F; /* ud2: never reached */
	stub[13] = 0x0B;
	/* Present, user, read-only, executable: CPL 3 runs it on hosts whose
	 * SYSCALL does not change CPL. */
	linux_mm_reserve(proc, LINUX_SYSCALL_STUB, PAGE, 1ULL | 4ULL);
}

/* Supervisor-only rights for the runner's pages the CPU itself uses. */
static void map_runner_pages(struct linux_proc *proc)
{
	const uint64_t present_rw_nx = 1ULL | 2ULL | (1ULL << 63);
	linux_mm_reserve(proc, X86_GDT_GPA, X86_STUBS_GPA - X86_GDT_GPA, present_rw_nx);
	linux_mm_reserve(proc, X86_STUBS_GPA, PAGE, 1ULL); /* ring-0 stubs: read, execute */
	linux_mm_reserve(proc, X86_RING0_STACKS_GPA, PAGE, present_rw_nx);
	write_syscall_stub(proc);
}

struct stack_writer {
	struct linux_proc *proc;
	uint64_t sp;
	bool overflow;
};

static uint64_t push_bytes(struct stack_writer *w, const void *data, size_t len)
{
	if (w->sp - len < w->proc->stack_low + PAGE) {
		w->overflow = true;
		return 0;
	}
	w->sp -= len;
	if (linux_copy_out(w->proc, w->sp, data, len) < 0)
		w->overflow = true;
	return w->sp;
}

static uint64_t push_string(struct stack_writer *w, const char *s)
{
	return push_bytes(w, s, strlen(s) + 1);
}

static int build_stack(struct linux_proc *proc, char *err, size_t errlen)
{
	const struct linux_config *cfg = &proc->cfg;
	struct stack_writer w = {.proc = proc, .sp = proc->user_top};
	uint64_t argv[LOCKVM_MAX_ARGS + 1], envp[LINUX_MAX_ENV + 1];
	if (cfg->argc == 0 || cfg->argc > LOCKVM_MAX_ARGS || cfg->envc > LINUX_MAX_ENV) {
		snprintf(err, errlen, "bad argument or environment count");
		return -1;
	}
	uint64_t execfn = push_string(&w, cfg->argv[0]);
	for (unsigned i = cfg->envc; i-- > 0;)
		envp[i] = push_string(&w, cfg->envp[i]);
	for (unsigned i = cfg->argc; i-- > 0;)
		argv[i] = push_string(&w, cfg->argv[i]);
	uint64_t platform = push_string(&w, "x86_64");
	uint8_t random[16];
	if (getrandom(random, sizeof(random), 0) != (ssize_t)sizeof(random)) {
		snprintf(err, errlen, "getrandom: %s", strerror(errno));
		return -1;
	}
	uint64_t at_random = push_bytes(&w, random, sizeof(random));
	unsigned eax, ebx, ecx, edx = 0;
	__get_cpuid(1, &eax, &ebx, &ecx, &edx);
	uint64_t auxv[][2] = {
	    {AT_PHDR_, proc->phdr},
	    {AT_PHENT_, 56},
	    {AT_PHNUM_, proc->phnum},
	    {AT_PAGESZ_, PAGE},
	    {AT_BASE_, proc->load_bias},
	    {AT_FLAGS_, 0},
	    {AT_ENTRY_, proc->entry},
	    {AT_UID_, 0},
	    {AT_EUID_, 0},
	    {AT_GID_, 0},
	    {AT_EGID_, 0},
	    {AT_PLATFORM_, platform},
	    {AT_HWCAP_, edx},
	    {AT_CLKTCK_, 100},
	    {AT_SECURE_, 0},
	    {AT_RANDOM_, at_random},
	    {AT_HWCAP2_, 0},
	    {AT_EXECFN_, execfn},
	    {AT_NULL_, 0},
	};
	uint64_t words = 1 + cfg->argc + 1 + cfg->envc + 1 + 2 * ARRAY_SIZE(auxv);
	w.sp &= ~15ULL;
	if (words % 2)
		w.sp -= 8; /* argc lands 16-byte aligned */
	if (w.overflow || w.sp < proc->stack_low + PAGE + words * 8) {
		snprintf(err, errlen, "arguments and environment do not fit on the stack");
		return -1;
	}
	w.sp -= words * 8;
	uint64_t out[1 + LOCKVM_MAX_ARGS + 1 + LINUX_MAX_ENV + 1 + 2 * ARRAY_SIZE(auxv)];
	size_t k = 0;
	out[k++] = cfg->argc;
	for (unsigned i = 0; i < cfg->argc; i++)
		out[k++] = argv[i];
	out[k++] = 0;
	for (unsigned i = 0; i < cfg->envc; i++)
		out[k++] = envp[i];
	out[k++] = 0;
	for (size_t i = 0; i < ARRAY_SIZE(auxv); i++) {
		out[k++] = auxv[i][0];
		out[k++] = auxv[i][1];
	}
	if (linux_copy_out(proc, w.sp, out, words * 8) < 0) {
		snprintf(err, errlen, "arguments and environment do not fit on the stack");
		return -1;
	}
	proc->initial_rsp = w.sp;
	return 0;
}

/* The --fs tree: its root fd passes to the tree, which reads it lazily. */
static int map_fs(struct linux_proc *proc, char *err, size_t errlen)
{
	int fd = proc->cfg.fs_fd;
	proc->cfg.fs_fd = -1;
	return linux_fs_init(&proc->fs, fd, proc->cfg.tmp_limit, err, errlen);
}

struct linux_proc *linux_setup(struct vm *vm, const uint8_t *file, uint64_t size,
			       const struct linux_config *cfg, char *err, size_t errlen)
{
	if (vm->vcpu_count != 1) {
		snprintf(err, errlen, "a --linux guest runs on exactly one vCPU");
		return NULL;
	}
	struct linux_proc *proc = calloc(1, sizeof(*proc));
	if (!proc) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	proc->vm = vm;
	proc->cfg = *cfg;
	proc->fs.root_fd = -1; /* no tree yet: linux_free() must not close fd 0 */
	if (linux_mm_init(proc, err, errlen) < 0)
		goto fail;
	map_runner_pages(proc);
	uint64_t stack = LINUX_STACK_SIZE;
	if (stack > vm->mem.size / 8)
		stack = vm->mem.size / 8;
	proc->stack_low = proc->user_top - stack;
	/* The stack, with an unmapped guard page below it. */
	if (linux_mm_map(proc, proc->stack_low + PAGE, stack - PAGE,
			 LINUX_PROT_READ | LINUX_PROT_WRITE, false) < 0) {
		snprintf(err, errlen, "no room for the stack");
		goto fail;
	}
	if (linux_elf_load(proc, file, size, err, errlen) < 0)
		goto fail;
	proc->mm->brk_start = proc->mm->brk = (proc->image_end + PAGE - 1) & ~(PAGE - 1);
	if (map_fs(proc, err, errlen) < 0)
		goto fail;
	linux_fd_init(proc);
	proc->cwd = proc->fs.root;
	if (build_stack(proc, err, errlen) < 0)
		goto fail;
	x86_setup_descriptors(vm);
	vm->entry = proc->entry;
	vm->linux_proc = proc;
	vm->guest = &linux_guest_ops;
	return proc;
fail:
	linux_free(proc);
	return NULL;
}

void linux_print_stats(const struct linux_proc *proc)
{
	fprintf(stderr, "linux: syscalls=%" PRIu64 " enosys=%" PRIu64, proc->syscalls,
		proc->enosys);
	for (unsigned nr = 0; nr < LINUX_ENOSYS_SLOTS; nr++)
		if (proc->enosys_by_nr[nr])
			fprintf(stderr, " %s(%u)=%u", linux_syscall_name(nr), nr,
				proc->enosys_by_nr[nr]);
	if (proc->enosys_by_nr[LINUX_ENOSYS_SLOTS])
		fprintf(stderr, " other(>=%u)=%u", (unsigned)LINUX_ENOSYS_SLOTS,
			proc->enosys_by_nr[LINUX_ENOSYS_SLOTS]);
	fprintf(stderr, "\n");
}

void linux_free(struct linux_proc *proc)
{
	if (!proc)
		return;
	linux_fd_free(proc);
	linux_cwd_release(proc);
	linux_fs_free(&proc->fs);
	linux_mm_free(proc);
	if (proc->cfg.fs_fd >= 0)
		close(proc->cfg.fs_fd);
	if (proc->vm && proc->vm->linux_proc == proc)
		proc->vm->linux_proc = NULL;
	free(proc);
}

static const char *linux_unsaveable(const struct vm *vm)
{
	return "--linux VMs cannot be saved or migrated yet (their VMM-side process state has "
	       "no stream format)";
}

static void linux_guest_print_stats(const struct vm *vm)
{
	linux_print_stats(vm->linux_proc);
}

static void linux_guest_free(struct vm *vm)
{
	linux_free(vm->linux_proc);
	vm->guest = &sdk_guest_ops;
}

const struct guest_ops linux_guest_ops = {
    .name = "linux",
    .vcpu_init = linux_vcpu_init,
    .exit_mmio = linux_exit_mmio,
    .exit_fault = linux_exit_fault,
    .host_signal = linux_host_signal,
    .kicked = linux_vcpu_kicked,
    .unsaveable = linux_unsaveable,
    .print_stats = linux_guest_print_stats,
    .free = linux_guest_free,
};
