/* A role's compiled seccomp filter, run over every syscall and the argument
 * classes that matter, each allowance classified: what `lockvm audit
 * seccomp` reports. */
#include "audit_seccomp_eval.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/memfd.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "audit_seccomp_reference.h"
#include "bpf_eval.h"
#include "util.h"

#ifndef MFD_NOEXEC_SEAL
#define MFD_NOEXEC_SEAL 0x0008U
#endif
#ifndef MFD_EXEC
#define MFD_EXEC 0x0010U
#endif

#define AUDIT_SECCOMP_MAX_NR  512	  /* above every x86-64 syscall (~460) */
#define AUDIT_SECCOMP_X32_BIT 0x40000000U /* __X32_SYSCALL_BIT */

int audit_seccomp_filter_build(const struct seccomp_policy *policy,
			       struct audit_seccomp_filter *filter, char *err, size_t errlen)
{
	scmp_filter_ctx ctx = seccomp_policy_compile(policy, SECCOMP_POLICY_MODE_KILL, err, errlen);
	size_t cap = BPF_MAXINSNS + 1, got = 0;
	ssize_t n;
	int fd;
	if (!ctx)
		return -1;
	fd = seccomp_policy_export_fd(ctx);
	seccomp_release(ctx);
	if (fd < 0) {
		snprintf(err, errlen, "exporting the compiled filter: %s", strerror(errno));
		return -1;
	}
	filter->prog = calloc(cap, sizeof(*filter->prog));
	if (!filter->prog)
		die("calloc(%zu BPF instructions): out of memory", cap);
	while ((n = read(fd, (char *)filter->prog + got, cap * sizeof(*filter->prog) - got)) > 0)
		got += (size_t)n;
	close(fd);
	if (n < 0 || got % sizeof(*filter->prog) || got == 0 ||
	    got / sizeof(*filter->prog) > BPF_MAXINSNS) {
		snprintf(err, errlen, "reading the compiled filter back: %zu bytes", got);
		audit_seccomp_filter_free(filter);
		return -1;
	}
	filter->n = got / sizeof(*filter->prog);
	return 0;
}

void audit_seccomp_filter_free(struct audit_seccomp_filter *filter)
{
	free(filter->prog);
	filter->prog = NULL;
	filter->n = 0;
}

int audit_seccomp_filter_run(const struct audit_seccomp_filter *filter, uint32_t arch, int nr,
			     const uint64_t args[SECCOMP_POLICY_MAX_ARGS], uint32_t *verdict,
			     char *err, size_t errlen)
{
	struct seccomp_data data = {.nr = nr, .arch = arch, .instruction_pointer = 0x401000};
	memcpy(data.args, args, sizeof(data.args));
	return bpf_eval(filter->prog, filter->n, &data, verdict, err, errlen);
}

/* An argument value the audit tries and, when it gets through, why that is
 * wider than any role needs (NULL: fine). */
struct audit_seccomp_class {
	const char *name;
	uint64_t value;
	const char *finding;
};

struct audit_seccomp_spec {
	const char *syscall;
	unsigned int arg;
	const struct audit_seccomp_class *classes;
	size_t nclasses;
};

#define W_X "can add PROT_EXEC (W^X)"
static const struct audit_seccomp_class audit_seccomp_prot[] = {
    {"prot PROT_NONE", PROT_NONE, NULL},
    {"prot PROT_READ", PROT_READ, NULL},
    {"prot PROT_READ|PROT_WRITE", PROT_READ | PROT_WRITE, NULL},
    {"prot PROT_EXEC", PROT_EXEC, W_X},
    {"prot PROT_READ|PROT_EXEC", PROT_READ | PROT_EXEC, W_X},
    {"prot PROT_READ|PROT_WRITE|PROT_EXEC", PROT_READ | PROT_WRITE | PROT_EXEC, W_X},
};

#define THREAD_FLAGS                                                                               \
	(CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD | CLONE_SYSVSEM |        \
	 CLONE_SETTLS | CLONE_PARENT_SETTID | CLONE_CHILD_CLEARTID)
#define NEW_PROCESS "creates processes: CLONE_THREAD is not required"
static const struct audit_seccomp_class audit_seccomp_clone[] = {
    {"flags of pthread_create", THREAD_FLAGS, NULL},
    {"flags 0 (a new process)", 0, NEW_PROCESS},
    {"flags SIGCHLD (fork)", SIGCHLD, NEW_PROCESS},
    {"flags CLONE_VM|CLONE_VFORK|SIGCHLD (vfork)", CLONE_VM | CLONE_VFORK | SIGCHLD, NEW_PROCESS},
    {"flags CLONE_NEWUSER|SIGCHLD", CLONE_NEWUSER | SIGCHLD, NEW_PROCESS},
    {"thread flags|CLONE_NEWNET", THREAD_FLAGS | CLONE_NEWNET, "creates namespaces"},
    {"thread flags|CLONE_NEWUSER", THREAD_FLAGS | CLONE_NEWUSER, "creates namespaces"},
    {"thread flags|CLONE_PTRACE", THREAD_FLAGS | CLONE_PTRACE, "lets a tracer follow"},
};

#define OTHER_PIDS "signals other processes (arg0 is not restricted)"
static const struct audit_seccomp_class audit_seccomp_kill[] = {
    {"pid 0 (own process group)", 0, NULL},
    {"pid -1 (every process it may signal)", (uint64_t)-1, OTHER_PIDS},
    {"pid 1", 1, OTHER_PIDS},
    {"another pid (4242)", 4242, OTHER_PIDS},
    {"process group -4242", (uint64_t)-4242, OTHER_PIDS},
};

static const struct audit_seccomp_class audit_seccomp_tgkill[] = {
    {"tgid 0", 0, NULL},
    {"tgid 1", 1, OTHER_PIDS},
    {"another tgid (4242)", 4242, OTHER_PIDS},
};

static const struct audit_seccomp_class audit_seccomp_tkill[] = {
    {"tid 0", 0, NULL},
    {"tid 1", 1, OTHER_PIDS},
    {"another tid (4242)", 4242, OTHER_PIDS},
};

#define ENDPOINTS "opens network or IPC endpoints"
static const struct audit_seccomp_class audit_seccomp_family[] = {
    {"family AF_UNIX", AF_UNIX, ENDPOINTS},	    {"family AF_INET", AF_INET, ENDPOINTS},
    {"family AF_INET6", AF_INET6, ENDPOINTS},	    {"family AF_NETLINK", AF_NETLINK, ENDPOINTS},
    {"family AF_PACKET", AF_PACKET, ENDPOINTS},	    {"family AF_VSOCK", AF_VSOCK, ENDPOINTS},
    {"family 0x7e57 (unknown)", 0x7e57, ENDPOINTS},
};

static const struct audit_seccomp_class audit_seccomp_prctl[] = {
    {"option PR_GET_NAME", PR_GET_NAME, NULL},
    {"option PR_SET_NAME", PR_SET_NAME, NULL},
    {"option PR_SET_NO_NEW_PRIVS", PR_SET_NO_NEW_PRIVS, NULL},
    {"option PR_SET_DUMPABLE", PR_SET_DUMPABLE, "makes the process dumpable and traceable"},
    {"option PR_SET_PTRACER", PR_SET_PTRACER, "lets another process trace it"},
    {"option PR_SET_MM", PR_SET_MM, "rewrites the process's memory map descriptors"},
    {"option PR_CAP_AMBIENT", PR_CAP_AMBIENT, "changes capabilities"},
    {"option PR_SET_SECUREBITS", PR_SET_SECUREBITS, "changes capabilities"},
    {"option 0x7e57 (unknown)", 0x7e57, "unrestricted: arg0 (the option) is not fixed"},
};

static const struct audit_seccomp_class audit_seccomp_fcntl[] = {
    {"cmd F_GETFD", F_GETFD, NULL},
    {"cmd F_SETFD", F_SETFD, NULL},
    {"cmd F_GETFL", F_GETFL, NULL},
    {"cmd F_SETFL", F_SETFL, NULL},
    {"cmd F_DUPFD_CLOEXEC", F_DUPFD_CLOEXEC, NULL},
    {"cmd F_SETOWN", F_SETOWN, "sends SIGIO to another process"},
    {"cmd F_SETSIG", F_SETSIG, "sends chosen signals to another process"},
    {"cmd F_SETLEASE", F_SETLEASE, "leases files"},
    {"cmd 0x7e57 (unknown)", 0x7e57, "unrestricted: arg1 (the command) is not fixed"},
};

#define EXEC_MEMFD "executable memfd: MFD_NOEXEC_SEAL is not required"
static const struct audit_seccomp_class audit_seccomp_memfd[] = {
    {"flags MFD_CLOEXEC|MFD_NOEXEC_SEAL", MFD_CLOEXEC | MFD_NOEXEC_SEAL, NULL},
    {"flags MFD_CLOEXEC", MFD_CLOEXEC, EXEC_MEMFD},
    {"flags MFD_EXEC", MFD_EXEC, EXEC_MEMFD},
};

#define SPEC(name, arg, table)                                                                     \
	{                                                                                          \
		name, arg, table, ARRAY_SIZE(table)                                                \
	}
static const struct audit_seccomp_spec audit_seccomp_specs[] = {
    SPEC("mmap", 2, audit_seccomp_prot),	  SPEC("mprotect", 2, audit_seccomp_prot),
    SPEC("pkey_mprotect", 2, audit_seccomp_prot), SPEC("clone", 0, audit_seccomp_clone),
    SPEC("kill", 0, audit_seccomp_kill),	  SPEC("tgkill", 0, audit_seccomp_tgkill),
    SPEC("tkill", 0, audit_seccomp_tkill),	  SPEC("socket", 0, audit_seccomp_family),
    SPEC("socketpair", 0, audit_seccomp_family),  SPEC("prctl", 0, audit_seccomp_prctl),
    SPEC("fcntl", 1, audit_seccomp_fcntl),	  SPEC("memfd_create", 1, audit_seccomp_memfd),
};

/* What one evaluation needs at hand. */
struct audit_seccomp_run {
	const char *role;
	const struct audit_seccomp_filter *filter;
	const struct seccomp_policy *policy;
	const struct seccomp_policy *other;
	struct audit_seccomp_result *result;
	size_t capacity;
	char *err;
	size_t errlen;
};

/* Argument vectors every class is tried with; others come from the rules. */
#define AUDIT_SECCOMP_NFILLS 3
static const uint64_t audit_seccomp_fills[AUDIT_SECCOMP_NFILLS] = {0, UINT64_MAX,
								   0x0000000100000003};

static const struct seccomp_policy_entry *audit_seccomp_entry(const struct seccomp_policy *p,
							      int nr)
{
	for (size_t i = 0; p && i < p->nentries; i++)
		if (p->entries[i].nr == nr)
			return &p->entries[i];
	return NULL;
}

static bool audit_seccomp_rule_holds(const struct seccomp_policy_rule *rule,
				     const uint64_t args[SECCOMP_POLICY_MAX_ARGS])
{
	struct scmp_arg_cmp cmps[SECCOMP_POLICY_MAX_ARGS];
	char msg[128];
	int n = seccomp_policy_rule_lower(rule, cmps, msg, sizeof(msg));
	if (n < 0)
		return false;
	for (int i = 0; i < n; i++) {
		uint64_t v = args[cmps[i].arg];
		if ((cmps[i].op == SCMP_CMP_EQ && v != cmps[i].datum_a) ||
		    (cmps[i].op == SCMP_CMP_NE && v == cmps[i].datum_a) ||
		    (cmps[i].op == SCMP_CMP_MASKED_EQ && (v & cmps[i].datum_a) != cmps[i].datum_b))
			return false;
	}
	return true;
}

/* Arguments satisfying rule (unconstrained ones 0). */
static void audit_seccomp_rule_witness(const struct seccomp_policy_rule *rule,
				       uint64_t args[SECCOMP_POLICY_MAX_ARGS])
{
	struct scmp_arg_cmp cmps[SECCOMP_POLICY_MAX_ARGS];
	char msg[128];
	int n = seccomp_policy_rule_lower(rule, cmps, msg, sizeof(msg));
	memset(args, 0, SECCOMP_POLICY_MAX_ARGS * sizeof(*args));
	for (int i = 0; i < n; i++)
		args[cmps[i].arg] = cmps[i].op == SCMP_CMP_NE	       ? cmps[i].datum_a ^ 1
				    : cmps[i].op == SCMP_CMP_MASKED_EQ ? cmps[i].datum_b
								       : cmps[i].datum_a;
}

/* "FILE:LINE" of the line of policy that lets nr run with args. */
static void audit_seccomp_where(const struct audit_seccomp_run *run, int nr,
				const uint64_t args[SECCOMP_POLICY_MAX_ARGS], char *buf,
				size_t buflen)
{
	const struct seccomp_policy_entry *e = audit_seccomp_entry(run->policy, nr);
	snprintf(buf, buflen, "(no policy line)");
	if (!e)
		return;
	if (e->always) {
		snprintf(buf, buflen, "%s:%u", e->always_file, e->always_line);
		return;
	}
	for (size_t r = 0; r < e->nrules; r++) {
		if (audit_seccomp_rule_holds(&e->rules[r], args)) {
			snprintf(buf, buflen, "%s:%u", e->rules[r].file, e->rules[r].line);
			return;
		}
	}
}

static struct audit_seccomp_allowance *audit_seccomp_add(struct audit_seccomp_run *run, int nr,
							 const char *name, const char *cls,
							 const uint64_t *args)
{
	struct audit_seccomp_result *res = run->result;
	struct audit_seccomp_allowance *a;
	if (res->n == run->capacity) {
		run->capacity = run->capacity ? run->capacity * 2 : 128;
		res->allowed = reallocarray(res->allowed, run->capacity, sizeof(*res->allowed));
		if (!res->allowed)
			die("reallocarray(%zu allowances): out of memory", run->capacity);
	}
	a = &res->allowed[res->n++];
	memset(a, 0, sizeof(*a));
	a->nr = nr;
	snprintf(a->syscall, sizeof(a->syscall), "%s", name);
	snprintf(a->cls, sizeof(a->cls), "%s", cls);
	if (args)
		audit_seccomp_where(run, nr, args, a->where, sizeof(a->where));
	return a;
}

/* Records that a is wider than the role needs, unless the role declares it. */
static void audit_seccomp_finding(struct audit_seccomp_run *run, struct audit_seccomp_allowance *a,
				  const char *fmt, ...) PRINTF_LIKE(3, 4);
static void audit_seccomp_finding(struct audit_seccomp_run *run, struct audit_seccomp_allowance *a,
				  const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(a->finding, sizeof(a->finding), fmt, ap);
	va_end(ap);
	a->accepted = audit_seccomp_reference_accepted(run->role, a->syscall, a->cls);
	if (!a->accepted)
		run->result->nfindings++;
}

/* Tries nr with args; 1 when allowed, 0 when not, -1 on a refused program. */
static int audit_seccomp_try(struct audit_seccomp_run *run, int nr,
			     const uint64_t args[SECCOMP_POLICY_MAX_ARGS])
{
	uint32_t verdict;
	if (audit_seccomp_filter_run(run->filter, AUDIT_ARCH_X86_64, nr, args, &verdict, run->err,
				     run->errlen) < 0)
		return -1;
	return bpf_verdict_allows(verdict);
}

/* Whether nr is allowed with arg `key` = value for some fill of the other
 * arguments (constants, then each rule of either policy); the args tried
 * last land in args. 1, 0 or -1 as audit_seccomp_try. */
static int audit_seccomp_try_value(struct audit_seccomp_run *run, int nr, unsigned int key,
				   uint64_t value, uint64_t args[SECCOMP_POLICY_MAX_ARGS])
{
	const struct seccomp_policy *sides[2] = {run->policy, run->other};
	int rc;
	for (size_t f = 0; f < AUDIT_SECCOMP_NFILLS; f++) {
		for (size_t i = 0; i < SECCOMP_POLICY_MAX_ARGS; i++)
			args[i] = audit_seccomp_fills[f];
		args[key] = value;
		if ((rc = audit_seccomp_try(run, nr, args)) != 0)
			return rc;
	}
	for (size_t s = 0; s < 2; s++) {
		const struct seccomp_policy_entry *e = audit_seccomp_entry(sides[s], nr);
		for (size_t r = 0; e && r < e->nrules; r++) {
			audit_seccomp_rule_witness(&e->rules[r], args);
			args[key] = value;
			if ((rc = audit_seccomp_try(run, nr, args)) != 0)
				return rc;
		}
	}
	return 0;
}

static int audit_seccomp_eval_spec(struct audit_seccomp_run *run, int nr, const char *name,
				   const struct audit_seccomp_spec *spec)
{
	char danger[256];
	bool dangerous = audit_seccomp_reference_danger(name, danger, sizeof(danger));
	for (size_t c = 0; c < spec->nclasses; c++) {
		const struct audit_seccomp_class *cls = &spec->classes[c];
		uint64_t args[SECCOMP_POLICY_MAX_ARGS];
		struct audit_seccomp_allowance *a;
		int rc = audit_seccomp_try_value(run, nr, spec->arg, cls->value, args);
		if (rc <= 0) {
			if (rc < 0)
				return -1;
			continue;
		}
		a = audit_seccomp_add(run, nr, name, cls->name, args);
		if (cls->finding)
			audit_seccomp_finding(run, a, "%s allowed with %s: %s", name, cls->name,
					      cls->finding);
		else if (dangerous)
			audit_seccomp_finding(run, a, "%s allowed: %s", name, danger);
	}
	return 0;
}

/* ioctl: every request of audit_seccomp_reference_ioctls; only the role's
 * own KVM requests may pass. */
static int audit_seccomp_eval_ioctl(struct audit_seccomp_run *run, int nr)
{
	size_t count, nother = 0, nother_allowed = 0;
	const struct audit_seccomp_ioctl *reqs = audit_seccomp_reference_ioctls(&count);
	struct audit_seccomp_allowance *first_other = NULL;
	size_t first_index = run->result->n;
	for (size_t i = 0; i < count; i++) {
		uint64_t args[SECCOMP_POLICY_MAX_ARGS];
		char cls[128];
		struct audit_seccomp_allowance *a;
		bool declared, needed = true;
		int rc = audit_seccomp_try_value(run, nr, 1, reqs[i].request, args);
		nother += !reqs[i].kvm;
		if (rc < 0)
			return -1;
		if (rc == 0)
			continue;
		snprintf(cls, sizeof(cls), "request %s", reqs[i].name);
		a = audit_seccomp_add(run, nr, "ioctl", cls, args);
		if (reqs[i].kvm)
			needed =
			    audit_seccomp_reference_kvm_needed(run->role, reqs[i].name, &declared);
		if (!reqs[i].kvm) {
			nother_allowed++;
			if (!first_other)
				first_other = a;
		} else if (!needed) {
			audit_seccomp_finding(run, a,
					      "ioctl allowed for %s: not among the %s role's KVM "
					      "requests",
					      reqs[i].name, run->role);
		}
	}
	if (!first_other)
		return 0;
	/* One finding for an unrestricted ioctl, else one per foreign request. */
	if (nother_allowed == nother) {
		audit_seccomp_finding(
		    run, first_other,
		    "ioctl allowed for any request (%s passes): unrestricted ioctl",
		    first_other->cls + strlen("request "));
		return 0;
	}
	for (size_t i = first_index; i < run->result->n; i++) {
		struct audit_seccomp_allowance *a = &run->result->allowed[i];
		if (a->finding[0] || strncmp(a->cls, "request KVM_", 12) == 0)
			continue;
		audit_seccomp_finding(run, a, "ioctl allowed for %s: not a KVM request",
				      a->cls + strlen("request "));
	}
	return 0;
}

/* Any other syscall: allowed with any arguments, or with those the rules of
 * either policy name. */
static int audit_seccomp_eval_generic(struct audit_seccomp_run *run, int nr, const char *name)
{
	const struct seccomp_policy *sides[2] = {run->policy, run->other};
	uint64_t args[SECCOMP_POLICY_MAX_ARGS];
	size_t nany = 0, first_index = run->result->n;
	char danger[256], cls[128];
	int rc;
	for (size_t f = 0; f < AUDIT_SECCOMP_NFILLS; f++) {
		for (size_t i = 0; i < SECCOMP_POLICY_MAX_ARGS; i++)
			args[i] = audit_seccomp_fills[f];
		if ((rc = audit_seccomp_try(run, nr, args)) < 0)
			return -1;
		nany += (size_t)rc;
	}
	if (nany == AUDIT_SECCOMP_NFILLS)
		audit_seccomp_add(run, nr, name, "any arguments", args);
	for (size_t s = 0; s < 2; s++) {
		const struct seccomp_policy_entry *e = audit_seccomp_entry(sides[s], nr);
		for (size_t r = 0; e && r < e->nrules; r++) {
			bool seen = false;
			seccomp_policy_rule_text(&e->rules[r], false, cls, sizeof(cls));
			for (size_t i = first_index; i < run->result->n && !seen; i++)
				seen = strcmp(run->result->allowed[i].cls, cls) == 0;
			audit_seccomp_rule_witness(&e->rules[r], args);
			if (seen || (rc = audit_seccomp_try(run, nr, args)) == 0)
				continue;
			if (rc < 0)
				return -1;
			audit_seccomp_add(run, nr, name, cls, args);
		}
	}
	if (run->result->n > first_index &&
	    audit_seccomp_reference_danger(name, danger, sizeof(danger)))
		audit_seccomp_finding(run, &run->result->allowed[first_index],
				      "%s allowed (%s): %s", name,
				      run->result->allowed[first_index].cls, danger);
	return 0;
}

/* Every i386 syscall and every x32 number must kill, whatever the policy. */
static int audit_seccomp_eval_abis(struct audit_seccomp_run *run)
{
	static const uint64_t zero[SECCOMP_POLICY_MAX_ARGS];
	static const struct {
		uint32_t arch;
		uint32_t bit;
		const char *abi;
	} abis[] = {{AUDIT_ARCH_I386, 0, "i386"},
		    {AUDIT_ARCH_X86_64, AUDIT_SECCOMP_X32_BIT, "x32"},
		    {0x7e57, 0, "an unknown architecture"}};
	for (size_t a = 0; a < ARRAY_SIZE(abis); a++) {
		for (int nr = 0; nr < AUDIT_SECCOMP_MAX_NR; nr++) {
			uint32_t verdict, action;
			char cls[128], text[64];
			struct audit_seccomp_allowance *al;
			if (audit_seccomp_filter_run(run->filter, abis[a].arch,
						     (int)(nr | abis[a].bit), zero, &verdict,
						     run->err, run->errlen) < 0)
				return -1;
			action = verdict & SECCOMP_RET_ACTION_FULL;
			if (action == SECCOMP_RET_KILL_PROCESS || action == SECCOMP_RET_KILL_THREAD)
				continue;
			bpf_verdict_text(verdict, text, sizeof(text));
			snprintf(cls, sizeof(cls), "%s syscall %d", abis[a].abi, nr);
			al = audit_seccomp_add(run, nr, abis[a].abi, cls, NULL);
			snprintf(al->where, sizeof(al->where), "%s",
				 run->policy->nentries ? run->policy->entries[0].file : "(policy)");
			audit_seccomp_finding(run, al, "%s is not killed (%s): another ABI passes",
					      cls, text);
			break; /* one finding per ABI */
		}
	}
	return 0;
}

int audit_seccomp_evaluate(const char *role, const struct audit_seccomp_filter *filter,
			   const struct seccomp_policy *policy, const struct seccomp_policy *other,
			   struct audit_seccomp_result *result, char *err, size_t errlen)
{
	struct audit_seccomp_run run = {.role = role,
					.filter = filter,
					.policy = policy,
					.other = other,
					.result = result,
					.err = err,
					.errlen = errlen};
	memset(result, 0, sizeof(*result));
	for (int nr = 0; nr < AUDIT_SECCOMP_MAX_NR; nr++) {
		char *resolved = seccomp_syscall_resolve_num_arch(SCMP_ARCH_X86_64, nr);
		char name[40];
		const struct audit_seccomp_spec *spec = NULL;
		int rc;
		snprintf(name, sizeof(name), "%s", resolved ? resolved : "");
		if (!resolved)
			snprintf(name, sizeof(name), "syscall %d", nr);
		free(resolved);
		for (size_t i = 0; i < ARRAY_SIZE(audit_seccomp_specs); i++)
			if (strcmp(audit_seccomp_specs[i].syscall, name) == 0)
				spec = &audit_seccomp_specs[i];
		if (strcmp(name, "ioctl") == 0)
			rc = audit_seccomp_eval_ioctl(&run, nr);
		else if (spec)
			rc = audit_seccomp_eval_spec(&run, nr, name, spec);
		else
			rc = audit_seccomp_eval_generic(&run, nr, name);
		if (rc < 0)
			goto fail;
	}
	if (audit_seccomp_eval_abis(&run) < 0)
		goto fail;
	return 0;
fail:
	audit_seccomp_result_free(result);
	return -1;
}

void audit_seccomp_result_free(struct audit_seccomp_result *result)
{
	free(result->allowed);
	memset(result, 0, sizeof(*result));
}
