/* The reference `lockvm audit seccomp` classifies allowances against:
 * systemd's syscall groups, lockvm's own dangerous syscalls, the KVM ioctls
 * each thread role needs, and the wider allowances a role declares. */
#include "audit_seccomp_reference.h"

#include <linux/kvm.h>
#include <linux/if_tun.h>
#include <linux/sockios.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>

#include "util.h"

/*
 * systemd's syscall filter groups, x86-64 names only, as listed in
 * src/shared/seccomp-util.c (syscall_filter_sets, systemd v254) and
 * documented in systemd.exec(5), SystemCallFilter=. @privileged's own
 * members are listed here without its subgroups, which follow it.
 */
struct audit_seccomp_group {
	const char *name;
	const char *members;
};

static const struct audit_seccomp_group audit_seccomp_groups[] = {
    {"@clock", " adjtimex clock_adjtime clock_settime settimeofday "},
    {"@cpu-emulation", " modify_ldt "},
    {"@debug", " lookup_dcookie perf_event_open pidfd_getfd ptrace "},
    {"@keyring", " add_key keyctl request_key "},
    {"@module", " delete_module finit_module init_module "},
    {"@mount",
     " chroot fsconfig fsmount fsopen fspick mount move_mount open_tree pivot_root umount2 "},
    {"@obsolete", " _sysctl afs_syscall create_module get_kernel_syms getpmsg putpmsg "
		  "query_module security sysfs tuxcall uselib ustat vserver "},
    {"@privileged", " acct bpf capset chroot fanotify_init fanotify_mark nfsservctl "
		    "open_by_handle_at pivot_root quotactl setdomainname setfsuid setgroups "
		    "sethostname setresuid setreuid setuid vhangup "},
    {"@chown", " chown fchown fchownat lchown "},
    {"@raw-io", " ioperm iopl "},
    {"@reboot", " kexec_file_load kexec_load reboot "},
    {"@swap", " swapoff swapon "},
    {"@setuid", " setgid setgroups setregid setresgid setresuid setreuid setuid "},
};

/* lockvm's own list: allowed at all, these let a compromised VMM escape or
 * widen its reach (the name checks `lockvm audit` made before it read BPF). */
static const struct {
	const char *name;
	const char *reason;
} audit_seccomp_dangers[] = {
    {"execve", "runs another program"},
    {"execveat", "runs another program"},
    {"ptrace", "controls other processes"},
    {"process_vm_readv", "reads another process's memory"},
    {"process_vm_writev", "writes another process's memory"},
    {"pidfd_getfd", "steals another process's file descriptors"},
    {"pidfd_open", "reaches other processes"},
    {"pidfd_send_signal", "signals other processes"},
    {"open_by_handle_at", "opens files by handle, past any path-based confinement"},
    {"name_to_handle_at", "file handles for open_by_handle_at"},
    {"open", "opens files (the VMM must see no filesystem)"},
    {"openat", "opens files (the VMM must see no filesystem)"},
    {"openat2", "opens files (the VMM must see no filesystem)"},
    {"creat", "creates files"},
    {"socketpair", "creates IPC endpoints"},
    {"connect", "reaches network or IPC endpoints"},
    {"bind", "exposes network or IPC endpoints"},
    {"io_uring_setup", "io_uring bypasses seccomp for the operations it runs"},
    {"io_uring_enter", "io_uring bypasses seccomp for the operations it runs"},
    {"io_uring_register", "io_uring bypasses seccomp for the operations it runs"},
    {"userfaultfd", "stalls kernel accesses (exploitation primitive)"},
    {"clone3", "flags live in memory and cannot be checked"},
    {"fork", "creates processes"},
    {"vfork", "creates processes"},
    {"unshare", "creates namespaces"},
    {"setns", "enters namespaces"},
    {"rt_sigqueueinfo", "signals other processes"},
    {"rt_tgsigqueueinfo", "signals other processes"},
    {"seccomp", "SECCOMP_RET_USER_NOTIF and filter flags reach kernel surface"},
};

bool audit_seccomp_reference_danger(const char *name, char *buf, size_t buflen)
{
	char word[80];
	size_t used = 0;
	buf[0] = '\0';
	for (size_t i = 0; i < ARRAY_SIZE(audit_seccomp_dangers); i++)
		if (strcmp(name, audit_seccomp_dangers[i].name) == 0)
			used +=
			    (size_t)snprintf(buf, buflen, "%s", audit_seccomp_dangers[i].reason);
	snprintf(word, sizeof(word), " %s ", name);
	for (size_t i = 0; i < ARRAY_SIZE(audit_seccomp_groups); i++) {
		if (!strstr(audit_seccomp_groups[i].members, word) || used >= buflen)
			continue;
		used += (size_t)snprintf(buf + used, buflen - used, "%sin systemd's %s group",
					 used ? "; " : "", audit_seccomp_groups[i].name);
	}
	return used > 0;
}

#define KVM_REQ(r)                                                                                 \
	{                                                                                          \
#r, (uint64_t)(r), true                                                            \
	}
#define OTHER_REQ(r)                                                                               \
	{                                                                                          \
#r, (uint64_t)(r), false                                                           \
	}

/* Non-KVM requests first: the first one that passes names an unrestricted
 * ioctl in a finding (TIOCSTI pushes input into a terminal). */
static const struct audit_seccomp_ioctl audit_seccomp_ioctls[] = {
    OTHER_REQ(TIOCSTI),
    OTHER_REQ(FIONREAD),
    OTHER_REQ(FIONBIO),
    OTHER_REQ(TIOCSCTTY),
    OTHER_REQ(TIOCLINUX),
    OTHER_REQ(TIOCSETD),
    OTHER_REQ(TUNSETIFF),
    OTHER_REQ(TUNSETPERSIST),
    OTHER_REQ(TUNSETOWNER),
    OTHER_REQ(SIOCSIFFLAGS),
    {"an unknown request (0x7e57c0de)", 0x7e57c0de, false},
    {"request 0", 0, false},
    KVM_REQ(KVM_GET_API_VERSION),
    KVM_REQ(KVM_CREATE_VM),
    KVM_REQ(KVM_CHECK_EXTENSION),
    KVM_REQ(KVM_GET_VCPU_MMAP_SIZE),
    KVM_REQ(KVM_GET_SUPPORTED_CPUID),
    KVM_REQ(KVM_CREATE_VCPU),
    KVM_REQ(KVM_SET_USER_MEMORY_REGION),
    KVM_REQ(KVM_GET_DIRTY_LOG),
    KVM_REQ(KVM_SET_TSS_ADDR),
    KVM_REQ(KVM_SET_IDENTITY_MAP_ADDR),
    KVM_REQ(KVM_CREATE_IRQCHIP),
    KVM_REQ(KVM_IRQ_LINE),
    KVM_REQ(KVM_IRQFD),
    KVM_REQ(KVM_IOEVENTFD),
    KVM_REQ(KVM_ENABLE_CAP),
    KVM_REQ(KVM_RUN),
    KVM_REQ(KVM_GET_REGS),
    KVM_REQ(KVM_SET_REGS),
    KVM_REQ(KVM_GET_SREGS),
    KVM_REQ(KVM_SET_SREGS),
    KVM_REQ(KVM_GET_FPU),
    KVM_REQ(KVM_SET_FPU),
    KVM_REQ(KVM_GET_XSAVE),
    KVM_REQ(KVM_SET_XSAVE),
    KVM_REQ(KVM_GET_MSRS),
    KVM_REQ(KVM_SET_MSRS),
    KVM_REQ(KVM_GET_VCPU_EVENTS),
    KVM_REQ(KVM_SET_VCPU_EVENTS),
    KVM_REQ(KVM_SET_CPUID2),
    KVM_REQ(KVM_SET_SIGNAL_MASK),
    KVM_REQ(KVM_SET_GUEST_DEBUG),
    KVM_REQ(KVM_INTERRUPT),
    KVM_REQ(KVM_NMI),
};

const struct audit_seccomp_ioctl *audit_seccomp_reference_ioctls(size_t *count)
{
	*count = ARRAY_SIZE(audit_seccomp_ioctls);
	return audit_seccomp_ioctls;
}

/* The KVM requests each role needs after setup (vcpu.c, vm.c, migrate.c,
 * snapshot_x86_64.c); a change to a policy's ioctl lines changes this too. */
static const struct {
	const char *role;
	const char *requests;
} audit_seccomp_kvm_needs[] = {
    {"vcpu", " KVM_RUN KVM_GET_REGS KVM_SET_REGS KVM_GET_SREGS KVM_SET_SREGS KVM_GET_XSAVE "
	     "KVM_SET_XSAVE "},
    {"vmm", " KVM_GET_DIRTY_LOG KVM_SET_USER_MEMORY_REGION KVM_GET_REGS KVM_GET_SREGS "
	    "KVM_GET_XSAVE KVM_GET_VCPU_EVENTS KVM_GET_MSRS "},
};

bool audit_seccomp_reference_kvm_needed(const char *role, const char *name, bool *declared)
{
	char word[80];
	snprintf(word, sizeof(word), " %s ", name);
	for (size_t i = 0; i < ARRAY_SIZE(audit_seccomp_kvm_needs); i++) {
		if (strcmp(role, audit_seccomp_kvm_needs[i].role) == 0) {
			*declared = true;
			return strstr(audit_seccomp_kvm_needs[i].requests, word) != NULL;
		}
	}
	*declared = false;
	return true;
}

#define OPENAT2_REASON                                                                             \
	"--linux --fs reads the guest's files lazily from the tree's O_PATH fd (linux_hostfs.c), " \
	"and --volume reads and writes beneath each volume's fd (linux_volume.c); the path and "   \
	"RESOLVE flags are in memory, so Landlock (read beneath those trees, write beneath rw "    \
	"volumes only), the trees' nodev nosymfollow private mounts (read-only but rw volumes) "   \
	"and the sealed fd table bound what it opens"

/* Allowances wider than the audit's rules that a role needs, each with why
 * (role "*": every role). Keep this short: each line is a reviewed risk. */
static const struct {
	const char *role;
	const char *syscall;
	const char *cls; /* only this argument class; NULL: any */
	const char *reason;
} audit_seccomp_accepted[] = {
    {"*", "tgkill", NULL,
     "pthread_kill kicks vCPU threads with tgkill(getpid(), tid, SIGUSR1) and the VMM's pid is "
     "only known at run time; the per-VM uid and the pid namespace limit targets to this VM"},
    {"vmm_setup", "seccomp", "arg0 == SECCOMP_SET_MODE_FILTER && arg1 == 0",
     "the setup phase installs the steady-state filters on top of itself; with flags 0 a new "
     "filter can only narrow what is allowed (no listener fd, no TSYNC)"},
    /* vmm_setup keeps vcpu.policy's lines under the steady-state filters. */
    {"vcpu", "openat2", "arg3 == 24", OPENAT2_REASON},
    {"vmm_setup", "openat2", "arg3 == 24", OPENAT2_REASON},
};

const char *audit_seccomp_reference_accepted(const char *role, const char *name, const char *cls)
{
	for (size_t i = 0; i < ARRAY_SIZE(audit_seccomp_accepted); i++)
		if ((strcmp(audit_seccomp_accepted[i].role, "*") == 0 ||
		     strcmp(audit_seccomp_accepted[i].role, role) == 0) &&
		    strcmp(audit_seccomp_accepted[i].syscall, name) == 0 &&
		    (!audit_seccomp_accepted[i].cls ||
		     strcmp(audit_seccomp_accepted[i].cls, cls) == 0))
			return audit_seccomp_accepted[i].reason;
	return NULL;
}
