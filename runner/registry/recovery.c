/* Recovery of dead VMs: what a VM whose supervisor died left behind (image owners and labels, cgroup, AppArmor profile, uid lease, NIC) is put back, and its registry entry removed. */
#include "recovery.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

#include "apparmor_profile.h"
#include "cgroup.h"
#include "images.h"
#include "net.h"
#include "paths.h"
#include "registry.h"
#include "util.h"

/* Appends one timestamped line to the VM's log (best effort). */
static void log_line(const char *name, const char *text)
{
	char path[PATH_MAX], file[PATHS_NAME_MAX + 8], stamp[32];
	snprintf(file, sizeof(file), "%s.log", name);
	if (paths_mkdir(PATHS_LOG_DIR) < 0 ||
	    paths_join(path, sizeof(path), PATHS_LOG_DIR, file) < 0)
		return;
	int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0640);
	if (fd < 0)
		return;
	time_t now = time(NULL);
	struct tm tm;
	strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&now, &tm));
	dprintf(fd, "%s lockvm: %s\n", stamp, text);
	close(fd);
}

/* A dead supervisor's uid lease: removed once no one holds its lock
 * (uid_reserve() would reclaim it anyway; this keeps the directory true). */
static void drop_stale_uid_lease(uint32_t uid)
{
	char path[PATH_MAX], leaf[16];
	snprintf(leaf, sizeof(leaf), "%u", uid);
	if (paths_join(path, sizeof(path), "run/lockvm/uids", leaf) < 0)
		return;
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return;
	if (flock(fd, LOCK_EX | LOCK_NB) == 0)
		unlink(path);
	close(fd);
}

int registry_reap(void)
{
	char **names;
	size_t n;
	int reaped = 0;
	if (registry_names(&names, &n) < 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (registry_live(names[i]) != 0)
			continue;
		struct reg_vm vm;
		char err[PATH_MAX + 128];
		if (registry_load(names[i], &vm, err, sizeof(err)) < 0) {
			char state[PATH_MAX];
			/* An entry without state.json is a claim that never finished. */
			if (registry_entry_path(names[i], "state.json", state, sizeof(state)) ==
				0 &&
			    access(state, F_OK) < 0 && errno == ENOENT) {
				registry_remove(names[i]);
				continue;
			}
			warn_msg("registry: %s", err);
			continue;
		}
		images_release(vm.name);
		if (vm.uid)
			drop_stale_uid_lease(vm.uid);
		bool same_boot = vm.boot_id[0] && strcmp(vm.boot_id, registry_boot_id()) == 0;
		/* The OVS port record, and the tap if no VMM ever took it over (a
		 * tap of another boot's name would be someone else's). */
		if (vm.net.kind[0])
			net_release(&vm.net, same_boot, net_tap_owner(vm.uid));
		if (same_boot) {
			cgroup_destroy(&vm.cgroup);
			/* Its per-VM AppArmor profile, which only its supervisor
			 * would have removed; one never loaded is not an error. */
			char aerr[PATH_MAX];
			if (strcmp(vm.mac, "apparmor") == 0 && vm.profile[0] &&
			    apparmor_profile_remove(vm.profile, aerr, sizeof(aerr)) < 0 &&
			    !strstr(aerr, strerror(ENOENT)))
				warn_msg("registry: %s: %s", vm.name, aerr);
		}
		log_line(vm.name, vm.net.kind[0]
				      ? "supervisor gone; leftovers recovered (images "
					"restored, cgroup and AppArmor profile removed, "
					"NIC released)"
				      : "supervisor gone; leftovers recovered (images "
					"restored, cgroup and AppArmor profile removed)");
		registry_remove(vm.name);
		reaped++;
	}
	registry_names_free(names, n);
	return reaped;
}
