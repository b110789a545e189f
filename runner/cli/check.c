/* `lockvm check`: host validation like virt-host-validate, one PASS/WARN/FAIL line per property with a hint. */
#include <errno.h>
#include <json-c/json.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <linux/seccomp.h>
#include <selinux/selinux.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/apparmor.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "cgroup.h"
#include "cli.h"
#include "cliopt.h"
#include "kvm.h"
#include "util.h"

static int failures, warnings;
/* --json: the checks as {"status", "message"} objects, printed at the end. */
static json_object *json_checks;

PRINTF_LIKE(2, 3) static void report(const char *level, const char *fmt, ...)
{
	char message[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(message, sizeof(message), fmt, ap);
	va_end(ap);
	if (json_checks) {
		json_object *c = json_object_new_object();
		json_object_object_add(c, "status", json_object_new_string(level));
		json_object_object_add(c, "message", json_object_new_string(message));
		json_object_array_add(json_checks, c);
	} else {
		printf("%-4s  %s\n", level, message);
	}
	if (strcmp(level, "FAIL") == 0)
		failures++;
	else if (strcmp(level, "WARN") == 0)
		warnings++;
}

static int read_small(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ssize_t n = read(fd, buf, len - 1);
	close(fd);
	if (n < 0)
		return -1;
	buf[n] = '\0';
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
		buf[--n] = '\0';
	return 0;
}

static bool cpuinfo_has_virt_flag(void)
{
	FILE *f = fopen("/proc/cpuinfo", "re");
	char line[4096];
	bool found = false;
	if (!f)
		return false;
	while (!found && fgets(line, sizeof(line), f))
		if (strncmp(line, "flags", 5) == 0 &&
		    (strstr(line, " vmx") || strstr(line, " svm")))
			found = true;
	fclose(f);
	return found;
}

static void check_kvm(void)
{
	char err[256];
	int kvm = kvm_open_device(err, sizeof(err));
	if (kvm < 0) {
		report("FAIL", "kvm: %s", err);
		return;
	}
	if (kvm_check(kvm, 1, err, sizeof(err)) < 0) {
		report("FAIL", "kvm: %s", err);
		close(kvm);
		return;
	}
	report("PASS", "kvm: API version %d and every extension lockvm uses",
	       ioctl(kvm, KVM_GET_API_VERSION, 0));
	/* Flags can be absent under a nested hypervisor: probe by using KVM. */
	int vm = ioctl(kvm, KVM_CREATE_VM, 0);
	int vcpu = vm >= 0 ? ioctl(vm, KVM_CREATE_VCPU, 0) : -1;
	if (vcpu >= 0)
		report("PASS", "kvm: created a VM with a vCPU (max %d vCPUs per VM)",
		       ioctl(kvm, KVM_CHECK_EXTENSION, KVM_CAP_MAX_VCPUS));
	else
		report("FAIL", "kvm: creating a test VM failed: %s; check dmesg for KVM errors",
		       strerror(errno));
	if (!cpuinfo_has_virt_flag())
		report(vcpu >= 0 ? "WARN" : "FAIL", "cpu: no vmx/svm flag in /proc/cpuinfo%s",
		       vcpu >= 0
			   ? " (KVM works anyway: probably a nested or paravirtual hypervisor)"
			   : "; enable virtualization in the firmware");
	else
		report("PASS", "cpu: hardware virtualization flag present");
	if (vcpu >= 0)
		close(vcpu);
	if (vm >= 0)
		close(vm);
	close(kvm);
}

static void check_lsms(void)
{
	char lsms[512];
	if (read_small("/sys/kernel/security/lsm", lsms, sizeof(lsms)) == 0)
		report("PASS", "lsm: active modules: %s", lsms);
	else
		report("WARN",
		       "lsm: cannot read /sys/kernel/security/lsm (securityfs not mounted?)");
	if (is_selinux_enabled() > 0) {
		int enforcing = security_getenforce();
		report(enforcing == 1 ? "PASS" : "WARN", "selinux: enabled, %s",
		       enforcing == 1 ? "enforcing" : "permissive: labels are not enforced");
		/* -1 where the lockvm module is not loaded: nothing to say. */
		int host_files = security_get_boolean_active("lockvm_vm_read_host_files");
		if (host_files >= 0)
			report("PASS", "selinux: boolean lockvm_vm_read_host_files %s",
			       host_files ? "on: --linux --fs may serve host files, read only"
					  : "off: --linux --fs serves lockvm_content_t trees only");
	} else if (aa_is_enabled()) {
		report("PASS", "apparmor: enabled: per-VM profiles are enforced");
	} else {
		report("WARN", "mac: neither SELinux nor AppArmor is enabled: VM labels are "
			       "recorded but not enforced (--require-mac refuses to run)");
	}
}

static void check_landlock(void)
{
	long abi = syscall(SYS_landlock_create_ruleset, NULL, 0, 1UL /* VERSION */);
	if (abi > 0)
		report("PASS", "landlock: ABI version %ld", abi);
	else
		report("WARN",
		       "landlock: not available (%s): the VMM runs without it; boot with "
		       "lsm=...,landlock",
		       strerror(errno));
}

static void check_seccomp(void)
{
	unsigned action = SECCOMP_RET_KILL_PROCESS;
	if (syscall(SYS_seccomp, SECCOMP_GET_ACTION_AVAIL, 0, &action) == 0)
		report("PASS", "seccomp: filters with kill-process available");
	else
		report("FAIL",
		       "seccomp: filter mode unavailable (%s): build the kernel with "
		       "CONFIG_SECCOMP_FILTER",
		       strerror(errno));
}

static void check_userns(void)
{
	char value[32];
	if (read_small("/proc/sys/user/max_user_namespaces", value, sizeof(value)) == 0 &&
	    atol(value) > 0)
		report("PASS", "userns: user namespaces available (max %s)", value);
	else
		report("WARN", "userns: user namespaces disabled: rootless mode is unavailable");
}

static void check_cgroups(void)
{
	char controllers[512] = "";
	const char *v2[] = {"/sys/fs/cgroup/cgroup.controllers",
			    "/sys/fs/cgroup/unified/cgroup.controllers"};
	for (size_t i = 0; i < ARRAY_SIZE(v2); i++)
		if (read_small(v2[i], controllers, sizeof(controllers)) == 0)
			report("PASS", "cgroup2: %s: controllers: %s", v2[i],
			       controllers[0] ? controllers : "(none)");
	const char *v1[] = {"memory", "pids", "cpu"};
	for (size_t i = 0; i < ARRAY_SIZE(v1); i++) {
		char mount[PATH_MAX];
		if (cgroup_v1_mount_point("/proc/self/mountinfo", v1[i], mount, sizeof(mount)) == 0)
			report("PASS", "cgroup v1: %s controller mounted at %s", v1[i], mount);
		else if (!strstr(controllers, v1[i]))
			report("WARN",
			       "cgroup: no %s controller (v1 or v2): lockvm run as root refuses to "
			       "start%s (under `ip netns exec`, use `nsenter --net` instead)",
			       v1[i], strcmp(v1[i], "cpu") == 0 ? " with --cpus" : "");
	}
}

int check_main(int argc, char **argv)
{
	static const struct cliopt options[] = {
	    {"json", 'j', no_argument, 0, NULL, "the checks as JSON (fields in README)"}};
	static const struct cliopt_spec spec = {
	    .command = "check",
	    .operands = "",
	    .summary = "validate this host for lockvm (exit 1 when a check fails)",
	    .options = options,
	    .count = ARRAY_SIZE(options)};
	struct cliopt_parser p;
	int count;
	cliopt_begin(&p, &spec, argc, argv);
	while (cliopt_next(&p))
		json_checks = json_object_new_array(); /* --json, the only option */
	cliopt_operands(&p, &count);
	check_kvm();
	check_lsms();
	check_landlock();
	check_seccomp();
	check_userns();
	check_cgroups();
	if (json_checks) {
		json_object *o = json_object_new_object();
		json_object_object_add(o, "checks", json_checks);
		json_object_object_add(o, "failures", json_object_new_int(failures));
		json_object_object_add(o, "warnings", json_object_new_int(warnings));
		printf("%s\n", json_object_to_json_string_ext(
				   o, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
		json_object_put(o);
		return failures ? 1 : 0;
	}
	printf("%d failure(s), %d warning(s)\n", failures, warnings);
	return failures ? 1 : 0;
}
