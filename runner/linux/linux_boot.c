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
#include "linux_pty.h"
#include "linux_shm.h"

#define PAGE		   LOCKVM_PAGE_SIZE
#define LINUX_SYSCALL_STUB X86_ARGS_GPA /* SDK argv area; unused by Linux guests */

/* The SYSCALL entry stub: one MMIO write exits to the VMM, which serves
 * the call. On hosts where SYSCALL enters CPL 0 the VMM leaves RIP on the
 * SYSRETQ that follows; where it stays at CPL 3 (the development hosts)
 * the VMM returns to RCX itself. */
static void write_syscall_stub(struct linux_proc *proc)
{
	uint8_t *stub = guest_mem_ptr(&proc->vm->mem, LINUX_SYSCALL_STUB, PAGE);
	uint64_t door = LINUX_DOORBELL_VA + (LINUX_SYSCALL_DOORBELL - LOCKVM_DOORBELL_GPA);
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
	/* one ring-0 stack per vCPU (its flush stub and fault frames) */
	linux_mm_reserve(proc, X86_RING0_STACKS_GPA, PAGE * proc->ncpus, present_rw_nx);
	write_syscall_stub(proc);
}

/* The --fs tree: its root fd passes to the tree, which reads it lazily. */
static int map_fs(struct linux_proc *proc, char *err, size_t errlen)
{
	int fd = proc->cfg.fs_fd;
	proc->cfg.fs_fd = -1;
	int rc =
	    linux_fs_init(&proc->fs, fd, proc->cfg.upper_limit, proc->cfg.tmp_limit, err, errlen);
	if (rc == 0 && linux_sysfs_cpus(&proc->fs, proc->vm->vcpu_count) < 0)
		rc = err_fmt(err, errlen, "out of memory for /sys");
	for (unsigned i = 0; rc == 0 && i < proc->cfg.tmpfs_count; i++)
		rc = linux_fs_mount_tmpfs(&proc->fs, proc->cfg.tmpfs[i].path,
					  proc->cfg.tmpfs[i].size, err, errlen);
	for (unsigned i = 0; i < proc->cfg.volume_count; i++) {
		struct linux_volume_config *v = &proc->cfg.volumes[i];
		if (rc == 0)
			rc = linux_fs_mount_volume(&proc->fs, v->path, v->fd, v->ro, err, errlen);
		else
			close(v->fd); /* the tree failed: nobody else closes it */
		v->fd = -1;
	}
	return rc;
}

/* PATH inside the tree, as the supervisor searched it for PROGRAM. */
static const char *path_env(const struct linux_config *cfg)
{
	for (unsigned i = 0; i < cfg->envc; i++)
		if (strncmp(cfg->envp[i], "PATH=", 5) == 0)
			return cfg->envp[i] + 5;
	return "/usr/local/bin:/usr/bin:/bin";
}

void linux_exec_search_path(struct linux_proc *proc, const char *name, const char *path, char *out,
			    size_t len)
{
	snprintf(out, len, "%s", name);
	if (strchr(name, '/') || proc->fs.root_fd < 0)
		return;
	for (const char *p = path; *p;) {
		size_t dir_len = strcspn(p, ":");
		char full[LINUX_PATH_MAX];
		struct linux_node *node;
		if (dir_len > 0 &&
		    (size_t)snprintf(full, sizeof(full), "%.*s/%s", (int)dir_len, p, name) <
			sizeof(full) &&
		    linux_fs_resolve(&proc->fs, proc->cwd, full, LINUX_RESOLVE_FOLLOW, &node, NULL,
				     NULL, 0) == 0 &&
		    S_ISREG(node->mode)) {
			snprintf(out, len, "%s", full);
			return;
		}
		p += dir_len + (p[dir_len] == ':');
	}
}

/* The path PROGRAM has in the VM's tree, as execvp names it (AT_EXECFN, a
 * script's argument). */
static void first_filename(struct linux_proc *proc, char *out, size_t len)
{
	linux_exec_search_path(proc, proc->cfg.argv[0], path_env(&proc->cfg), out, len);
}

/* The first program goes through the same loader as execve. */
static int load_first(struct linux_proc *proc, const uint8_t *file, uint64_t size, char *err,
		      size_t errlen)
{
	const struct linux_config *cfg = &proc->cfg;
	if (cfg->argc == 0 || cfg->argc > LOCKVM_MAX_ARGS || cfg->envc > LINUX_MAX_ENV)
		return err_fmt(err, errlen, "bad argument or environment count");
	struct linux_exec_args args = {.limit = linux_exec_args_limit(proc)};
	int rc = 0;
	for (unsigned i = 0; i < cfg->argc && rc == 0; i++)
		rc = linux_exec_args_add(&args, cfg->argv[i], false);
	for (unsigned i = 0; i < cfg->envc && rc == 0; i++)
		rc = linux_exec_args_add(&args, cfg->envp[i], true);
	char filename[LINUX_PATH_MAX];
	first_filename(proc, filename, sizeof(filename));
	/* No file from the runner: PROGRAM is in the tree (--fs), read as
	 * execve reads it (the runner checked that it is there). */
	uint8_t *from_tree = NULL;
	if (rc == 0 && !file) {
		long lrc = 0;
		file = from_tree = linux_exec_read_path(proc, filename, &size, &lrc);
		if (!from_tree) {
			rc = (int)lrc;
			snprintf(err, errlen, "%.256s: %s in the VM's tree", filename,
				 strerror(-rc));
		}
	} else if (rc < 0) {
		snprintf(err, errlen, "arguments and environment: %s", strerror(-rc));
	}
	if (rc == 0)
		rc = linux_exec_load(proc, file, size, filename, &args, err, errlen);
	linux_exec_file_put(from_tree);
	linux_exec_args_free(&args);
	size_t used = strlen(err);
	if (rc == -ENOENT && proc->fs.root_fd < 0 && used < errlen)
		snprintf(err + used, errlen - used, " (give --fs DIR: the tree holding it)");
	return rc == 0 ? 0 : -1;
}

struct linux_proc *linux_setup(struct vm *vm, const uint8_t *file, uint64_t size,
			       const struct linux_config *cfg, char *err, size_t errlen)
{
	if (vm->vcpu_count < 1 || vm->vcpu_count > LINUX_MAX_CPUS) {
		snprintf(err, errlen, "a --linux guest runs on 1 to %u vCPUs", LINUX_MAX_CPUS);
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
	/* The tree first: a `#!` or PT_INTERP names files in it. */
	if (map_fs(proc, err, errlen) < 0)
		goto fail;
	proc->fs.owner = proc;			      /* /proc shows its tasks */
	if (linux_record_init(proc, err, errlen) < 0) /* before the first exec, which it records */
		goto fail;
	linux_fd_init(proc);
	proc->cwd = proc->fs.root;
	proc->cred = (struct linux_cred){.uid = cfg->uid, .gid = cfg->gid, .ngroups = cfg->ngroups};
	memcpy(proc->cred.groups, cfg->groups, sizeof(proc->cred.groups));
	linux_spawn_init(proc);
	/* Before the program is looked up: a relative PROGRAM is in it. */
	if (cfg->workdir && linux_set_workdir(proc, cfg->workdir, err, errlen) < 0)
		goto fail;
	if (load_first(proc, file, size, err, errlen) < 0)
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
	if (proc->eafnosupport)
		fprintf(stderr, " eafnosupport=%" PRIu64, proc->eafnosupport);
	for (unsigned c = 0; proc->ncpus > 1 && c < proc->ncpus; c++) /* entries with a task */
		fprintf(stderr, " cpu%u=%" PRIu64, c, proc->cpus[c].runs);
	fprintf(stderr, "\n");
	const struct linux_fcache *fc = &proc->fcache;
	if (fc->hits || fc->misses) /* private file mappings of the host tree */
		fprintf(stderr,
			"linux: file_cache hits=%" PRIu64 " misses=%" PRIu64 " frames=%" PRIu64
			"\n",
			fc->hits, fc->misses, fc->frames);
}

void linux_free(struct linux_proc *proc)
{
	if (!proc)
		return;
	/* No write-back from here (the main thread may not touch host files;
	 * linux_vcpus_done wrote the caches back, on the vCPU thread). */
	proc->shm_teardown = true;
	linux_spawn_free(proc);
	linux_tasks_free(proc); /* the others' files and address spaces first */
	linux_fd_free(proc);
	linux_timers_free(proc); /* after the timerfds */
	linux_pty_free_all(proc);
	linux_cwd_release(proc);
	/* Page caches before the tree they name: the last mappings first. */
	linux_mm_put(proc->mm);
	proc->mm = NULL;
	linux_shm_free_all(proc);
	linux_exec_cache_free(proc);
	linux_fcache_free(proc);
	linux_fs_free(&proc->fs);
	linux_mm_free(proc);
	if (proc->cfg.fs_fd >= 0)
		close(proc->cfg.fs_fd);
	if (proc->cfg.upper_fd >= 0)
		close(proc->cfg.upper_fd);
	if (proc->cfg.record_fd >= 0)
		close(proc->cfg.record_fd);
	linux_record_free(proc);
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

/* However the VM ends (pid 1's exit, `lockvm stop`, --timeout, a fault),
 * on the last vCPU thread out, whose seccomp filter allows the writes:
 * shared mappings reach their files, then --fs-upper DIR and --record are written. */
static void linux_vcpus_done(struct vcpu *vcpu)
{
	struct linux_proc *proc = vcpu->vm->linux_proc;
	if (!proc)
		return;
	linux_shm_sync_all(proc);
	linux_upper_write(proc);
	linux_record_write(proc);
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
    .frames_in = linux_net_frames_in,
    .exec_request = linux_spawn_request,
    .exec_kill = linux_spawn_kill,
    .exec_report = linux_spawn_report,
    .unsaveable = linux_unsaveable,
    .print_stats = linux_guest_print_stats,
    .vcpus_done = linux_vcpus_done,
    .free = linux_guest_free,
};
