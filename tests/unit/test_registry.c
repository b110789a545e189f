/* Unit tests of the registry's store (runner/host/registry.c): state.json round trip, refusal of other formats and bad JSON, liveness by the lock, listing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "registry.h"

static char tmp_root[PATH_MAX];

static int make_root(void **state)
{
	snprintf(tmp_root, sizeof(tmp_root), "/tmp/lockvm-test-registry.XXXXXX");
	if (!mkdtemp(tmp_root))
		return -1;
	char err[256];
	return paths_set_root(tmp_root, err, sizeof(err));
}

static int remove_root(void **state)
{
	char cmd[PATH_MAX + 16];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmp_root);
	return system(cmd) == 0 ? 0 : -1;
}

/* A VM record with every field set to something other than its zero. */
static void fill(struct reg_vm *vm, const char *name)
{
	memset(vm, 0, sizeof(*vm));
	snprintf(vm->name, sizeof(vm->name), "%s", name);
	snprintf(vm->uuid, sizeof(vm->uuid), "0123abcd-0000-4000-8000-00000000beef");
	snprintf(vm->state, sizeof(vm->state), "running");
	vm->pid = 4242;
	vm->vmm_pid = 4243;
	vm->started = 1700000000;
	vm->vcpus = 2;
	vm->mem = 64ULL << 20;
	vm->label.kind = LABEL_GROUP;
	vm->label.cat_a = 3;
	vm->label.cat_b = 17;
	snprintf(vm->label.process, sizeof(vm->label.process),
		 "system_u:system_r:lockvm_t:s0:c3,c17");
	snprintf(vm->label.image, sizeof(vm->label.image),
		 "system_u:object_r:lockvm_image_t:s0:c3,c17");
	snprintf(vm->label.content, sizeof(vm->label.content),
		 "system_u:object_r:lockvm_content_t:s0");
	snprintf(vm->label.group, sizeof(vm->label.group), "web");
	snprintf(vm->mac, sizeof(vm->mac), "selinux");
	snprintf(vm->mac_mode, sizeof(vm->mac_mode), "enforcing");
	snprintf(vm->profile, sizeof(vm->profile), "lockvm-%s", vm->uuid);
	vm->uid = 60001;
	vm->gid = 60002;
	vm->layers = 0x5a;
	vm->confined = true;
	snprintf(vm->seccomp, sizeof(vm->seccomp), "kill");
	snprintf(vm->cpus, sizeof(vm->cpus), "0-1");
	vm->cgroup.v2 = true;
	snprintf(vm->cgroup.dir[0], sizeof(vm->cgroup.dir[0]), "/sys/fs/cgroup/lockvm/%s", name);
	vm->ndisks = 2;
	snprintf(vm->disks[0].path, sizeof(vm->disks[0].path), "/var/lib/lockvm/%s.img", name);
	snprintf(vm->disks[0].mode, sizeof(vm->disks[0].mode), "rw");
	snprintf(vm->disks[0].label, sizeof(vm->disks[0].label), "%s", vm->label.image);
	snprintf(vm->disks[1].path, sizeof(vm->disks[1].path), "/var/lib/lockvm/base.img");
	snprintf(vm->disks[1].mode, sizeof(vm->disks[1].mode), "shared");
	snprintf(vm->boot_id, sizeof(vm->boot_id), "%s", registry_boot_id());
	snprintf(vm->net.kind, sizeof(vm->net.kind), "ovs");
	snprintf(vm->net.network, sizeof(vm->net.network), "lan");
	snprintf(vm->net.bridge, sizeof(vm->net.bridge), "br-lan");
	snprintf(vm->net.tap, sizeof(vm->net.tap), "lv-%s", name);
	snprintf(vm->net.mac, sizeof(vm->net.mac), "02:00:00:00:00:01");
	snprintf(vm->net.ovs_db, sizeof(vm->net.ovs_db), "unix:/run/openvswitch/db.sock");
	vm->net.stats_fd = 9;
	vm->linux_abi = true;
}

/* Claims vm under the registry lock; returns the VM's lock fd. */
static int claim(const struct reg_vm *vm)
{
	char err[512];
	int fd = -1, lock = registry_lock();
	assert_true(lock >= 0);
	int rc = registry_claim(vm, &fd, err, sizeof(err));
	registry_unlock(lock);
	if (rc < 0)
		fail_msg("registry_claim(%s): %s", vm->name, err);
	assert_true(fd >= 0);
	return fd;
}

/* Writes text as vms/NAME/state.json (the entry's directory must exist). */
static void write_state(const char *name, const char *text)
{
	char path[PATH_MAX];
	assert_int_equal(registry_entry_path(name, "state.json", path, sizeof(path)), 0);
	assert_int_equal(paths_write_state(path, text, strlen(text), 0600), 0);
}

static void state_round_trips(void **state)
{
	struct reg_vm vm, back;
	char err[PATH_MAX + 256];
	fill(&vm, "alpha");
	int fd = claim(&vm);
	assert_int_equal(registry_load("alpha", &back, err, sizeof(err)), 0);
	assert_string_equal(back.name, vm.name);
	assert_string_equal(back.uuid, vm.uuid);
	assert_string_equal(back.state, vm.state);
	assert_int_equal(back.pid, vm.pid);
	assert_int_equal(back.vmm_pid, vm.vmm_pid);
	assert_int_equal(back.started, vm.started);
	assert_int_equal(back.vcpus, vm.vcpus);
	assert_int_equal(back.mem, vm.mem);
	assert_int_equal(back.label.kind, vm.label.kind);
	assert_int_equal(back.label.cat_a, vm.label.cat_a);
	assert_int_equal(back.label.cat_b, vm.label.cat_b);
	assert_string_equal(back.label.process, vm.label.process);
	assert_string_equal(back.label.image, vm.label.image);
	assert_string_equal(back.label.content, vm.label.content);
	assert_string_equal(back.label.group, vm.label.group);
	assert_string_equal(back.mac, vm.mac);
	assert_string_equal(back.mac_mode, vm.mac_mode);
	assert_string_equal(back.profile, vm.profile);
	assert_int_equal(back.uid, vm.uid);
	assert_int_equal(back.gid, vm.gid);
	assert_int_equal(back.layers, vm.layers);
	assert_true(back.confined);
	assert_string_equal(back.seccomp, vm.seccomp);
	assert_string_equal(back.cpus, vm.cpus);
	assert_true(back.cgroup.v2);
	for (int c = 0; c < CGROUP_NR_CONTROLLERS; c++)
		assert_string_equal(back.cgroup.dir[c], vm.cgroup.dir[c]);
	assert_int_equal(back.ndisks, 2);
	for (unsigned i = 0; i < vm.ndisks; i++) {
		assert_string_equal(back.disks[i].path, vm.disks[i].path);
		assert_string_equal(back.disks[i].mode, vm.disks[i].mode);
		assert_string_equal(back.disks[i].label, vm.disks[i].label);
	}
	assert_string_equal(back.boot_id, vm.boot_id);
	assert_string_equal(back.net.kind, vm.net.kind);
	assert_string_equal(back.net.network, vm.net.network);
	assert_string_equal(back.net.bridge, vm.net.bridge);
	assert_string_equal(back.net.tap, vm.net.tap);
	assert_string_equal(back.net.mac, vm.net.mac);
	assert_string_equal(back.net.ovs_db, vm.net.ovs_db);
	assert_int_equal(back.net.stats_fd, vm.net.stats_fd);
	assert_true(back.linux_abi);

	/* A rewrite (registry_save) is read back too; without a NIC "net"
	 * is absent and reads as none. */
	vm.vmm_pid = 5000;
	memset(&vm.net, 0, sizeof(vm.net));
	vm.linux_abi = false;
	assert_int_equal(registry_save(&vm), 0);
	assert_int_equal(registry_load("alpha", &back, err, sizeof(err)), 0);
	assert_int_equal(back.vmm_pid, 5000);
	assert_string_equal(back.net.kind, "");
	assert_int_equal(back.net.stats_fd, -1);
	assert_false(back.linux_abi);
	close(fd);
}

/* registry: a NIC in a container engine's namespace (--net netns=PATH,adopt)
 * has no bridge but a namespace path, and is read back; one that names a
 * bridge too, or a relative path, is refused. */
static void netns_nic_round_trips(void **state)
{
	struct reg_vm vm, back;
	char err[PATH_MAX + 256];
	fill(&vm, "delta");
	memset(&vm.net, 0, sizeof(vm.net));
	snprintf(vm.net.kind, sizeof(vm.net.kind), "netns");
	snprintf(vm.net.tap, sizeof(vm.net.tap), "lv-delta");
	snprintf(vm.net.mac, sizeof(vm.net.mac), "02:00:00:00:00:02");
	snprintf(vm.net.netns, sizeof(vm.net.netns), "/run/netns/engine-1");
	vm.net.adopt = true;
	vm.net.stats_fd = 7;
	int fd = claim(&vm);
	if (registry_load("delta", &back, err, sizeof(err)) < 0)
		fail_msg("registry_load(delta): %s", err);
	assert_string_equal(back.net.kind, "netns");
	assert_string_equal(back.net.bridge, "");
	assert_string_equal(back.net.tap, "lv-delta");
	assert_string_equal(back.net.mac, vm.net.mac);
	assert_string_equal(back.net.netns, "/run/netns/engine-1");
	assert_true(back.net.adopt);
	assert_int_equal(back.net.stats_fd, 7);

	snprintf(vm.net.bridge, sizeof(vm.net.bridge), "br0");
	assert_int_equal(registry_save(&vm), 0);
	assert_int_equal(registry_load("delta", &back, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "field 'net'"));
	vm.net.bridge[0] = '\0';
	snprintf(vm.net.netns, sizeof(vm.net.netns), "run/netns/engine-1");
	assert_int_equal(registry_save(&vm), 0);
	assert_int_equal(registry_load("delta", &back, err, sizeof(err)), -1);
	/* and a bridge NIC never carries a namespace */
	fill(&vm, "delta");
	snprintf(vm.net.netns, sizeof(vm.net.netns), "/run/netns/engine-1");
	assert_int_equal(registry_save(&vm), 0);
	assert_int_equal(registry_load("delta", &back, err, sizeof(err)), -1);
	close(fd);
}

static void other_format_refused(void **state)
{
	struct reg_vm vm, back;
	char err[PATH_MAX + 256];
	fill(&vm, "beta");
	int fd = claim(&vm);
	write_state("beta", "{\"format\": 2, \"name\": \"beta\"}");
	assert_int_equal(registry_load("beta", &back, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "registry format 2"));
	assert_non_null(strstr(err, "not trusted"));
	write_state("beta", "{\"name\": \"beta\"}");
	assert_int_equal(registry_load("beta", &back, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "registry format missing"));
	close(fd);
}

static void unparsable_state_refused(void **state)
{
	struct reg_vm vm, back;
	char err[PATH_MAX + 256];
	fill(&vm, "gamma");
	int fd = claim(&vm);
	write_state("gamma", "{\"format\": 1, \"name\": ");
	assert_int_equal(registry_load("gamma", &back, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "corrupt"));
	write_state("gamma", "[1, 2]");
	assert_int_equal(registry_load("gamma", &back, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "not a JSON object"));
	/* Valid JSON of the right format, but naming another VM. */
	fill(&vm, "delta");
	int other = claim(&vm);
	char path[PATH_MAX], *text;
	size_t len;
	assert_int_equal(registry_entry_path("delta", "state.json", path, sizeof(path)), 0);
	text = paths_read_file(path, 1 << 20, &len);
	assert_non_null(text);
	write_state("gamma", text);
	free(text);
	assert_int_equal(registry_load("gamma", &back, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "field 'name'"));
	close(other);
	close(fd);
}

static void live_while_the_lock_is_held(void **state)
{
	struct reg_vm vm;
	char err[512];
	fill(&vm, "eps");
	assert_int_equal(registry_live("eps"), -1); /* no such entry */
	int fd = claim(&vm);
	assert_int_equal(registry_live("eps"), 1);
	/* A second claim of a live name is refused. */
	int fd2 = -1, lock = registry_lock();
	assert_int_equal(registry_claim(&vm, &fd2, err, sizeof(err)), -1);
	registry_unlock(lock);
	assert_non_null(strstr(err, "already running"));
	assert_int_equal(fd2, -1);
	close(fd); /* the supervisor dies: its flock goes with its fd */
	assert_int_equal(registry_live("eps"), 0);
	registry_remove("eps");
	assert_int_equal(registry_live("eps"), -1);
}

static void names_are_listed_sorted(void **state)
{
	struct reg_vm vm;
	char **names;
	size_t n;
	int fds[3];
	static const char *const order[] = {"zeta", "eta", "theta"};
	for (int i = 0; i < 3; i++) {
		fill(&vm, order[i]);
		fds[i] = claim(&vm);
	}
	assert_int_equal(registry_names(&names, &n), 0);
	assert_int_equal(n, 3);
	assert_string_equal(names[0], "eta");
	assert_string_equal(names[1], "theta");
	assert_string_equal(names[2], "zeta");
	registry_names_free(names, n);
	close(fds[1]);
	registry_remove("eta");
	assert_int_equal(registry_names(&names, &n), 0);
	assert_int_equal(n, 2);
	assert_string_equal(names[0], "theta");
	assert_string_equal(names[1], "zeta");
	registry_names_free(names, n);
	close(fds[0]);
	close(fds[2]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(state_round_trips, make_root, remove_root),
	    cmocka_unit_test_setup_teardown(netns_nic_round_trips, make_root, remove_root),
	    cmocka_unit_test_setup_teardown(other_format_refused, make_root, remove_root),
	    cmocka_unit_test_setup_teardown(unparsable_state_refused, make_root, remove_root),
	    cmocka_unit_test_setup_teardown(live_while_the_lock_is_held, make_root, remove_root),
	    cmocka_unit_test_setup_teardown(names_are_listed_sorted, make_root, remove_root),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
