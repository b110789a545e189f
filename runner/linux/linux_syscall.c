/* The Linux syscall table of the VMM: table-driven dispatch by number, --strace, ENOSYS counting, and the calls about the process, time and identity. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "linux.h"

typedef long (*linux_sys_fn)(struct linux_proc *proc, const uint64_t *a);

struct linux_syscall_def {
	const char *name;
	linux_sys_fn fn;
	const char *args; /* --strace: d int, u unsigned, x hex, s path string */
};

/* ---- process and identity ---- */

static long sys_zero(struct linux_proc *proc, const uint64_t *a)
{
	return 0;
}

#define L_ARCH_SET_GS 0x1001
#define L_ARCH_SET_FS 0x1002
#define L_ARCH_GET_FS 0x1003
#define L_ARCH_GET_GS 0x1004

static long sys_arch_prctl(struct linux_proc *proc, const uint64_t *a)
{
	switch (a[0]) {
	case L_ARCH_SET_FS:
		if (a[1] >= (1ULL << 47))
			return -EPERM; /* not canonical user space */
		proc->fs_base = a[1];
		proc->fs_base_dirty = true;
		return 0;
	case L_ARCH_GET_FS:
	case L_ARCH_GET_GS: {
		uint64_t base = a[0] == L_ARCH_GET_FS ? proc->fs_base : proc->gs_base;
		return linux_copy_out(proc, a[1], &base, sizeof(base));
	}
	default: return -EINVAL; /* L_ARCH_SET_GS included: no GS base for programs */
	}
}

/* ---- time ---- */

static long clock_of(uint64_t id, clockid_t *out)
{
	switch (id) {
	case 0:
	case 5: *out = CLOCK_REALTIME; return 0; /* REALTIME, _COARSE */
	case 1:
	case 4:
	case 6:
	case 7: *out = CLOCK_MONOTONIC; return 0;
	case 2:
	case 3: *out = CLOCK_THREAD_CPUTIME_ID; return 0; /* the vCPU thread's time */
	default: return -EINVAL;
	}
}

static long sys_clock_gettime(struct linux_proc *proc, const uint64_t *a)
{
	clockid_t id;
	if (clock_of(a[0], &id) < 0)
		return -EINVAL;
	struct timespec ts;
	clock_gettime(id, &ts);
	return linux_copy_out(proc, a[1], &ts, sizeof(ts));
}

static long sys_clock_getres(struct linux_proc *proc, const uint64_t *a)
{
	clockid_t id;
	if (clock_of(a[0], &id) < 0)
		return -EINVAL;
	if (!a[1])
		return 0;
	struct timespec res = {.tv_nsec = 1};
	return linux_copy_out(proc, a[1], &res, sizeof(res));
}

static long sys_gettimeofday(struct linux_proc *proc, const uint64_t *a)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	if (a[0]) {
		int64_t tv[2] = {ts.tv_sec, ts.tv_nsec / 1000};
		if (linux_copy_out(proc, a[0], tv, sizeof(tv)) < 0)
			return -EFAULT;
	}
	if (a[1]) {
		int32_t tz[2] = {0, 0};
		if (linux_copy_out(proc, a[1], tz, sizeof(tz)) < 0)
			return -EFAULT;
	}
	return 0;
}

/* Like Linux's time(2), the coarse clock's seconds (glibc's time() reads
 * CLOCK_REALTIME_COARSE): it may lag CLOCK_REALTIME by up to a tick. */
static long sys_time(struct linux_proc *proc, const uint64_t *a)
{
	int64_t now = (int64_t)time(NULL);
	if (a[0]) {
		if (linux_copy_out(proc, a[0], &now, sizeof(now)) < 0)
			return -EFAULT;
	}
	return now;
}

static long read_timespec(struct linux_proc *proc, uint64_t addr, uint64_t *ns)
{
	int64_t ts[2];
	if (linux_copy_in(proc, ts, addr, sizeof(ts)) < 0)
		return -EFAULT;
	if (ts[0] < 0 || ts[1] < 0 || ts[1] >= 1000000000)
		return -EINVAL;
	*ns = (uint64_t)ts[0] > UINT64_MAX / 2000000000ULL
		  ? UINT64_MAX / 2
		  : (uint64_t)ts[0] * 1000000000ULL + (uint64_t)ts[1];
	return 0;
}

/* Sleeps until deadline; a signal's handler cuts it short: EINTR,
 * and the time left at rem (when not 0), as Linux. */
static long sleep_until(struct linux_proc *proc, uint64_t deadline, uint64_t rem)
{
	if (!linux_block_until(proc, deadline) || proc->cur_blocked)
		return 0; /* over, or retried later (its result unused) */
	uint64_t now = now_ns(), left = deadline > now ? deadline - now : 0;
	const int64_t ts[2] = {(int64_t)(left / 1000000000ULL), (int64_t)(left % 1000000000ULL)};
	if (rem && linux_copy_out(proc, rem, ts, sizeof(ts)) < 0)
		return -EFAULT;
	return -EINTR;
}

static long sys_nanosleep(struct linux_proc *proc, const uint64_t *a)
{
	uint64_t ns, deadline;
	long rc = read_timespec(proc, a[0], &ns);
	if (rc < 0)
		return rc;
	if (add_overflows(now_ns(), ns, &deadline))
		deadline = UINT64_MAX;
	return sleep_until(proc, deadline, a[1]);
}

static long sys_clock_nanosleep(struct linux_proc *proc, const uint64_t *a)
{
	clockid_t id;
	uint64_t ns, deadline;
	if (clock_of(a[0], &id) < 0 || id == CLOCK_THREAD_CPUTIME_ID)
		return -EINVAL;
	long rc = read_timespec(proc, a[2], &ns);
	if (rc < 0)
		return rc;
	uint64_t now = now_ns();
	if (a[1] & 1) { /* TIMER_ABSTIME */
		if (id == CLOCK_REALTIME) {
			struct timespec rt;
			clock_gettime(CLOCK_REALTIME, &rt);
			uint64_t rt_ns = (uint64_t)rt.tv_sec * 1000000000ULL + (uint64_t)rt.tv_nsec;
			deadline = ns > rt_ns ? now + (ns - rt_ns) : now;
		} else {
			deadline = ns;
		}
	} else if (add_overflows(now, ns, &deadline)) {
		deadline = UINT64_MAX;
	}
	return sleep_until(proc, deadline, a[1] & 1 ? 0 : a[3]); /* no rem for TIMER_ABSTIME */
}

/* ---- resources ---- */

static long sys_getrandom(struct linux_proc *proc, const uint64_t *a)
{
	if (a[2] & ~7ULL) /* GRND_NONBLOCK | GRND_RANDOM | GRND_INSECURE */
		return -EINVAL;
	uint64_t len = a[1] > (1ULL << 20) ? (1ULL << 20) : a[1];
	if (linux_user_access(proc, a[0], len, true) < 0)
		return -EFAULT;
	uint8_t buf[4096];
	uint64_t done = 0;
	while (done < len) {
		size_t want = len - done < sizeof(buf) ? len - done : sizeof(buf);
		ssize_t n = getrandom(buf, want, GRND_NONBLOCK);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return done ? (long)done : -errno;
		}
		if (linux_copy_out(proc, a[0] + done, buf, (uint64_t)n) < 0)
			return done ? (long)done : -EFAULT;
		done += (uint64_t)n;
	}
	return (long)done;
}

static long sys_sysinfo(struct linux_proc *proc, const uint64_t *a)
{
	struct {
		int64_t uptime;
		uint64_t loads[3], totalram, freeram, sharedram, bufferram, totalswap, freeswap;
		uint16_t procs, pad;
		uint32_t pad2;
		uint64_t totalhigh, freehigh;
		uint32_t mem_unit;
		uint8_t tail[4];
	} info = {0};
	_Static_assert(sizeof(info) == 112, "struct sysinfo layout");
	info.uptime = (int64_t)(now_ns() / 1000000000ULL);
	info.totalram = proc->vm->mem.size;
	info.freeram = (proc->pages.count - proc->pages.used) * LOCKVM_PAGE_SIZE;
	info.procs = 1;
	info.mem_unit = 1;
	return linux_copy_out(proc, a[0], &info, sizeof(info));
}

static long sys_umask(struct linux_proc *proc, const uint64_t *a)
{
	return 022;
}

/* ---- wrappers for the other files ---- */

static long sys_brk(struct linux_proc *proc, const uint64_t *a)
{
	return linux_sys_brk(proc, a[0]);
}
static long sys_mmap(struct linux_proc *proc, const uint64_t *a)
{
	return linux_sys_mmap(proc, a[0], a[1], a[2], a[3], a[4], a[5]);
}
static long sys_munmap(struct linux_proc *proc, const uint64_t *a)
{
	return linux_sys_munmap(proc, a[0], a[1]);
}
static long sys_mprotect(struct linux_proc *proc, const uint64_t *a)
{
	return linux_sys_mprotect(proc, a[0], a[1], a[2]);
}
static long sys_mremap(struct linux_proc *proc, const uint64_t *a)
{
	return linux_sys_mremap(proc, a[0], a[1], a[2], a[3], a[4]);
}
static long sys_madvise(struct linux_proc *proc, const uint64_t *a)
{
	return linux_sys_madvise(proc, a[0], a[1], a[2]);
}
static long sys_msync(struct linux_proc *proc, const uint64_t *a)
{
	return linux_sys_msync(proc, a[0], a[1], a[2]);
}
static long sys_rt_sigaction(struct linux_proc *proc, const uint64_t *a)
{
	return linux_sys_rt_sigaction(proc, a[0], a[1], a[2], a[3]);
}
static long sys_rt_sigprocmask(struct linux_proc *proc, const uint64_t *a)
{
	return linux_sys_rt_sigprocmask(proc, a[0], a[1], a[2], a[3]);
}
static long sys_rt_sigsuspend(struct linux_proc *proc, const uint64_t *a)
{
	return linux_sys_rt_sigsuspend(proc, a[0], a[1]);
}

static long sys_sigaltstack(struct linux_proc *proc, const uint64_t *a)
{
	return linux_sys_sigaltstack(proc, a[0], a[1]);
}
static long sys_rt_sigreturn(struct linux_proc *proc, const uint64_t *a)
{
	if (linux_sys_rt_sigreturn(proc, proc->regs))
		return 0;
	if (proc->cur->pid == 1) /* the VM ends with its first process: say why */
		vm_end(proc->vm, EXIT_SIGNAL_BASE + 11,
		       "guest fault: rt_sigreturn with a bad frame at rsp=0x%" PRIx64,
		       proc->regs->rsp);
	else
		linux_task_exit(proc, 11); /* SIGSEGV, as Linux's signal_fault() */
	return 0;
}

#define SYS(nr, fn, args) [nr] = {#fn, sys_##fn, args}
#define FD(nr, fn, args)  [nr] = {#fn, linux_sys_##fn, args}
/* Indexed by x86-64 syscall number; a duplicate index fails to compile
 * (-Woverride-init). Anything absent answers ENOSYS and is counted. */
static const struct linux_syscall_def syscall_table[] = {
    FD(0, read, "dxu"),
    FD(1, write, "dxu"),
    FD(2, open, "sxo"),
    FD(3, close, "d"),
    FD(4, stat, "sx"),
    FD(5, fstat, "dx"),
    FD(6, lstat, "sx"),
    FD(7, poll, "xud"),
    FD(8, lseek, "ddd"),
    SYS(9, mmap, "xuxxdx"),
    SYS(10, mprotect, "xux"),
    SYS(11, munmap, "xu"),
    SYS(12, brk, "x"),
    SYS(13, rt_sigaction, "dxxu"),
    SYS(14, rt_sigprocmask, "dxxu"),
    SYS(15, rt_sigreturn, ""),
    FD(16, ioctl, "dxx"),
    FD(17, pread64, "dxud"),
    FD(18, pwrite64, "dxud"),
    FD(19, readv, "dxu"),
    FD(20, writev, "dxu"),
    FD(21, access, "so"),
    FD(22, pipe, "x"),
    FD(23, select, "dxxxx"),
    FD(24, sched_yield, ""),
    SYS(25, mremap, "xuuxx"),
    SYS(26, msync, "xux"),
    SYS(28, madvise, "xud"),
    FD(32, dup, "d"),
    FD(33, dup2, "dd"),
    FD(34, pause, ""),
    SYS(35, nanosleep, "xx"),
    FD(36, getitimer, "dx"),
    FD(37, alarm, "u"),
    FD(38, setitimer, "dxx"),
    FD(39, getpid, ""),
    FD(41, socket, "dxd"),
    FD(42, connect, "dxu"),
    FD(43, accept, "dxx"),
    FD(44, sendto, "dxuxxu"),
    FD(45, recvfrom, "dxuxxx"),
    FD(46, sendmsg, "dxx"),
    FD(47, recvmsg, "dxx"),
    FD(48, shutdown, "dd"),
    FD(49, bind, "dxu"),
    FD(50, listen, "dd"),
    FD(51, getsockname, "dxx"),
    FD(52, getpeername, "dxx"),
    FD(53, socketpair, "dxdx"),
    FD(54, setsockopt, "ddxxu"),
    FD(55, getsockopt, "ddxxx"),
    FD(56, clone, "xxxxx"),
    FD(57, fork, ""),
    FD(58, vfork, ""),
    FD(59, execve, "sxx"),
    FD(60, exit, "d"),
    FD(61, wait4, "dxxx"),
    FD(62, kill, "dd"),
    FD(63, uname, "x"),
    FD(72, fcntl, "ddx"),
    FD(73, flock, "dd"),
    FD(74, fsync, "d"),
    [75] = {"fdatasync", linux_sys_fsync, "d"},
    FD(76, truncate, "sd"),
    FD(77, ftruncate, "du"),
    FD(79, getcwd, "xu"),
    FD(80, chdir, "s"),
    FD(81, fchdir, "d"),
    FD(82, rename, "ss"),
    FD(83, mkdir, "so"),
    FD(40, sendfile, "ddxu"),
    FD(84, rmdir, "s"),
    FD(85, creat, "so"),
    FD(86, link, "ss"),
    FD(87, unlink, "s"),
    FD(88, symlink, "ss"),
    FD(89, readlink, "sxu"),
    FD(90, chmod, "so"),
    FD(91, fchmod, "do"),
    FD(92, chown, "sdd"),
    FD(93, fchown, "ddd"),
    FD(94, lchown, "sdd"),
    SYS(95, umask, "o"),
    SYS(96, gettimeofday, "xx"),
    FD(97, getrlimit, "dx"),
    FD(98, getrusage, "dx"),
    SYS(99, sysinfo, "x"),
    FD(100, times, "x"),
    FD(102, getuid, ""),
    FD(104, getgid, ""),
    FD(105, setuid, "d"),
    FD(106, setgid, "d"),
    [107] = {"geteuid", linux_sys_getuid, ""},
    [108] = {"getegid", linux_sys_getgid, ""},
    FD(109, setpgid, "dd"),
    FD(110, getppid, ""),
    FD(111, getpgrp, ""),
    FD(112, setsid, ""),
    FD(113, setreuid, "dd"),
    FD(114, setregid, "dd"),
    FD(115, getgroups, "dx"),
    FD(116, setgroups, "dx"),
    FD(117, setresuid, "ddd"),
    FD(118, getresuid, "xxx"),
    FD(119, setresgid, "ddd"),
    FD(120, getresgid, "xxx"),
    FD(121, getpgid, "d"),
    FD(122, setfsuid, "d"),
    FD(123, setfsgid, "d"),
    FD(124, getsid, "d"),
    FD(127, rt_sigpending, "xu"),
    SYS(130, rt_sigsuspend, "xu"),
    SYS(131, sigaltstack, "xx"),
    FD(133, mknod, "sox"),
    FD(135, personality, "x"),
    FD(137, statfs, "sx"),
    FD(138, fstatfs, "dx"),
    FD(140, getpriority, "dd"),
    FD(141, setpriority, "ddd"),

    FD(157, prctl, "dxxxx"),
    SYS(158, arch_prctl, "xx"),
    FD(160, setrlimit, "dx"),
    FD(162, sync, ""),
    FD(170, sethostname, "xu"),
    FD(188, setxattr, "ssxux"),
    FD(189, lsetxattr, "ssxux"),
    FD(190, fsetxattr, "dsxux"),
    FD(191, getxattr, "ssxu"),
    FD(192, lgetxattr, "ssxu"),
    FD(193, fgetxattr, "dsxu"),
    FD(194, listxattr, "sxu"),
    FD(195, llistxattr, "sxu"),
    FD(196, flistxattr, "dxu"),
    FD(197, removexattr, "ss"),
    FD(198, lremovexattr, "ss"),
    FD(199, fremovexattr, "ds"),
    FD(186, gettid, ""),
    FD(200, tkill, "dd"),
    SYS(201, time, "x"),
    FD(202, futex, "xxdxxd"),
    FD(203, sched_setaffinity, "dux"),
    FD(204, sched_getaffinity, "dux"),
    FD(217, getdents64, "dxu"),
    FD(213, epoll_create, "d"),
    FD(218, set_tid_address, "x"),
    FD(222, timer_create, "dxx"),
    FD(223, timer_settime, "dxxx"),
    FD(224, timer_gettime, "dx"),
    FD(225, timer_getoverrun, "d"),
    FD(226, timer_delete, "d"),
    [221] = {"fadvise64", sys_zero, "dddd"},
    SYS(228, clock_gettime, "dx"),
    SYS(229, clock_getres, "dx"),
    SYS(230, clock_nanosleep, "ddxx"),
    FD(231, exit_group, "d"),
    FD(232, epoll_wait, "dxdd"),
    FD(233, epoll_ctl, "dddx"),
    FD(234, tgkill, "ddd"),
    FD(247, waitid, "ddxxx"),
    FD(257, openat, "dsxo"),
    FD(258, mkdirat, "dso"),
    FD(259, mknodat, "dsox"),
    FD(260, fchownat, "dsddx"),
    FD(261, futimesat, "dsx"),
    FD(262, newfstatat, "dsxx"),
    FD(263, unlinkat, "dsx"),
    FD(264, renameat, "dsds"),
    FD(265, linkat, "dsdsx"),
    FD(266, symlinkat, "sds"),
    FD(267, readlinkat, "dsxu"),
    FD(268, fchmodat, "dsox"),
    FD(269, faccessat, "dso"),
    FD(270, pselect6, "dxxxxx"),
    FD(271, ppoll, "xuxxu"),
    FD(281, epoll_pwait, "dxddxu"),
    FD(282, signalfd, "dxu"),
    FD(283, timerfd_create, "dx"),
    FD(284, eventfd, "u"),
    FD(286, timerfd_settime, "dxxx"),
    FD(287, timerfd_gettime, "dx"),
    FD(288, accept4, "dxxx"),
    FD(289, signalfd4, "dxux"),
    FD(290, eventfd2, "ux"),
    FD(291, epoll_create1, "x"),
    FD(253, inotify_init, ""),
    FD(254, inotify_add_watch, "dsx"),
    FD(255, inotify_rm_watch, "dd"),
    FD(294, inotify_init1, "x"),
    FD(273, set_robust_list, "xu"),
    FD(274, get_robust_list, "dxx"),
    FD(275, splice, "dxdxux"),
    FD(276, tee, "ddux"),
    FD(309, getcpu, "xxx"),
    FD(435, clone3, "xu"),
    FD(437, openat2, "dsxu"),
    FD(143, sched_getparam, "dx"),
    FD(145, sched_getscheduler, "d"),
    FD(146, sched_get_priority_max, "d"),
    FD(147, sched_get_priority_min, "d"),
    FD(149, mlock, "xu"),
    FD(150, munlock, "xu"),
    FD(151, mlockall, "x"),
    FD(152, munlockall, ""),
    FD(280, utimensat, "dsxx"),
    FD(285, fallocate, "dddd"),
    FD(292, dup3, "ddx"),
    FD(293, pipe2, "xo"),
    FD(299, recvmmsg, "dxdxx"),
    FD(302, prlimit64, "ddxx"),
    [306] = {"syncfs", linux_sys_fsync, "d"},
    FD(307, sendmmsg, "dxdx"),
    FD(316, renameat2, "dsdsx"),
    SYS(318, getrandom, "xux"),
    FD(319, memfd_create, "sx"),
    FD(326, copy_file_range, "dxdxux"),
    FD(322, execveat, "dsxxx"),
    FD(324, membarrier, "ddd"),
    FD(325, mlock2, "xux"),
    FD(332, statx, "dsxxx"),
    FD(439, faccessat2, "dsox"),
    FD(441, epoll_pwait2, "dxdxxu"),
    [452] = {"fchmodat2", linux_sys_fchmodat2, "dsox"},
};
#undef SYS
#undef FD

/* Names of calls we answer ENOSYS, for --strace and --stats. */
static const char *const unserved_names[][2] = {
    {"82", "rename"},
    {"316", "renameat2"},
    {"334", "rseq"},
};

const char *linux_syscall_name(uint64_t nr)
{
	if (nr < ARRAY_SIZE(syscall_table) && syscall_table[nr].name)
		return syscall_table[nr].name;
	char num[24];
	snprintf(num, sizeof(num), "%" PRIu64, nr);
	for (size_t i = 0; i < ARRAY_SIZE(unserved_names); i++)
		if (strcmp(unserved_names[i][0], num) == 0)
			return unserved_names[i][1];
	return "?";
}

static void strace_line(struct linux_proc *proc, uint64_t nr, const char *fmt, const uint64_t *a,
			long ret)
{
	char line[512];
	int n = snprintf(line, sizeof(line), "[lockvm] %s(", linux_syscall_name(nr));
	if (!fmt)
		n += snprintf(line + n, sizeof(line) - (size_t)n, "%" PRIu64 ", ...", nr);
	for (unsigned i = 0; fmt && fmt[i] && i < 6 && n < (int)sizeof(line) - 80; i++) {
		const char *sep = i ? ", " : "";
		char s[64];
		switch (fmt[i]) {
		case 'd':
			n += snprintf(line + n, sizeof(line) - (size_t)n, "%s%" PRId64, sep,
				      (int64_t)a[i]);
			break;
		case 'u':
			n += snprintf(line + n, sizeof(line) - (size_t)n, "%s%" PRIu64, sep, a[i]);
			break;
		case 'o':
			n += snprintf(line + n, sizeof(line) - (size_t)n, "%s0%" PRIo64, sep, a[i]);
			break;
		case 's':
			if (linux_user_string(proc, a[i], s, sizeof(s)) >= 0)
				n += snprintf(line + n, sizeof(line) - (size_t)n, "%s\"%s\"", sep,
					      s);
			else
				n += snprintf(line + n, sizeof(line) - (size_t)n, "%s0x%" PRIx64,
					      sep, a[i]);
			break;
		default:
			n +=
			    snprintf(line + n, sizeof(line) - (size_t)n, "%s0x%" PRIx64, sep, a[i]);
			break;
		}
	}
	if (n >= (int)sizeof(line) - 80)
		n = (int)sizeof(line) - 80;
	if (vm_is_ending(proc->vm))
		snprintf(line + n, sizeof(line) - (size_t)n, ") = ?");
	else if (ret < 0 && ret > -4096)
		snprintf(line + n, sizeof(line) - (size_t)n, ") = %ld %s (%s)", ret,
			 strerrorname_np((int)-ret) ? strerrorname_np((int)-ret) : "?",
			 strerror((int)-ret));
	else if (ret > 4096 || ret < 0)
		snprintf(line + n, sizeof(line) - (size_t)n, ") = 0x%lx", ret);
	else
		snprintf(line + n, sizeof(line) - (size_t)n, ") = %ld", ret);
	fprintf(stderr, "%s\n", line);
}

static void serve(struct linux_proc *proc, struct linux_regs *regs)
{
	uint64_t nr = regs->rax;
	const uint64_t a[6] = {regs->rdi, regs->rsi, regs->rdx, regs->r10, regs->r8, regs->r9};
	const struct linux_syscall_def *def =
	    nr < ARRAY_SIZE(syscall_table) && syscall_table[nr].fn ? &syscall_table[nr] : NULL;
	proc->syscalls++;
	linux_account_serve(proc, true); /* user time up to here, system time from here */
	linux_net_tick(proc);		 /* frames from the NIC and lwIP's due timers */
	proc->regs = regs;
	proc->regs_replaced = false;
	long ret;
	if (def) {
		ret = def->fn(proc, a);
	} else {
		ret = -ENOSYS;
		proc->enosys++;
		proc->enosys_by_nr[nr < LINUX_ENOSYS_SLOTS ? nr : LINUX_ENOSYS_SLOTS]++;
	}
	linux_net_flush(proc);		  /* segments held for a super-frame leave */
	bool restart = proc->cur_blocked; /* retried when it can go on (linux_sched.c) */
	if (!restart && ret == -LINUX_ERESTARTSYS) {
		restart = !vm_is_ending(proc->vm) && linux_signal_host_restarts(proc);
		if (!restart)
			ret = -EINTR;
	}
	if (proc->cfg.strace)
		strace_line(proc, nr, def ? def->args : NULL, a, ret);
	if (restart) {
		/* As Linux: back to the SYSCALL instruction with its number in
		 * rax, after the handler (SA_RESTART) or at once (none runs). */
		regs->rip -= 2;
		regs->rax = nr;
		proc->regs_replaced = true; /* rip moved: resume from every register */
	} else if (!proc->regs_replaced) {
		regs->rax = (uint64_t)ret;
	}
	if (!proc->cur_blocked) {
		proc->wake_gen++; /* whatever it changed, blocked tasks look again */
		proc->retry_deadline = 0;
	}
	linux_account_serve(proc, false); /* the VMM served it */
	if (proc->timers && !vm_is_ending(proc->vm))
		(void)linux_timers_run(
		    proc); /* one due meanwhile: its signal goes with this return */
	(void)linux_spawn_poll(proc, true); /* `lockvm exec`: start, signal, collect */
	if (proc->resched && !vm_is_ending(proc->vm))
		linux_sched_switch(proc, regs);
	else if (!vm_is_ending(proc->vm))
		linux_task_deliver_pending(proc, regs);
	/* (A blocked call retried on its vCPU sees it and gives up first.) */
	if (!vm_is_ending(proc->vm) && linux_signal_host_ready(proc) && !proc->retry_own)
		linux_signal_host_deliver(proc, regs);
	proc->retry_own = false;
	proc->regs = NULL;
}

#define RFLAGS_TF    0x100ULL /* single-step: the guest takes its #DB after the call */
#define RETRIES_HERE 4	      /* retried calls served per exit (linux_syscall()) */

/* The SYSCALL instruction (0F 05) at the program's rip, as the CPU would
 * run it next: not single-stepped (TF), readable, those two bytes. */
static bool at_syscall(struct linux_proc *proc, const struct linux_regs *regs)
{
	uint8_t insn[2];
	if (regs->rflags & RFLAGS_TF)
		return false;
	return linux_copy_in(proc, insn, regs->rip, sizeof(insn)) == 0 && insn[0] == 0x0F &&
	       insn[1] == 0x05;
}

void linux_syscall(struct linux_proc *proc, struct linux_regs *regs)
{
	proc->retry_call = false;
	serve(proc, regs);
	/*
	 * A call that blocked switched to a task whose own blocked call can go
	 * on now (epoll_wait, poll, a pipe read; a futex wait returns at once,
	 * linux_sched_switch()): that task resumes at its SYSCALL to try again.
	 * It is served here as the CPU would make it, rcx and r11 as SYSCALL
	 * leaves them, without the round trip through the guest (an exit, the
	 * costliest part of a call). A retry that blocks again may switch to
	 * another such task: a few rounds at most, then the guest runs.
	 */
	for (unsigned n = 0; n < RETRIES_HERE && proc->retry_call; n++) {
		proc->retry_call = false;
		if (vm_is_ending(proc->vm) || !at_syscall(proc, regs))
			break;
		regs->rip += 2;
		regs->rcx = regs->rip;
		regs->r11 = regs->rflags;
		serve(proc, regs);
		proc->regs_replaced = true; /* not the registers of the exit: write them all */
	}
	proc->retry_call = false;
}
