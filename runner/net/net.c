/* Virtual networks: --net specs, named networks under etc/lockvm/networks, a VM's tap attach/release, `lockvm net`. */
#include "net.h"

#include <arpa/inet.h>
#include <errno.h>
#include <ini.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cliopt.h"
#include "netns.h"
#include "registry.h"
#include "util.h"

#define NET_CONF_MAX 4096

const char *net_kind_name(enum net_kind kind)
{
	return kind == NET_BRIDGE  ? "bridge"
	       : kind == NET_OVS   ? "ovs"
	       : kind == NET_NETNS ? "netns"
	       : kind == NET_USER  ? "user"
				   : "none";
}

int net_parse_cidr(const char *text, uint32_t *network, uint32_t *prefix)
{
	char addr[32];
	const char *slash = strchr(text, '/');
	uint64_t p;
	struct in_addr in;
	if (!slash || (size_t)(slash - text) >= sizeof(addr) ||
	    parse_uint(slash + 1, 1, 30, &p) < 0)
		return -1;
	memcpy(addr, text, (size_t)(slash - text));
	addr[slash - text] = '\0';
	if (inet_pton(AF_INET, addr, &in) != 1)
		return -1;
	uint32_t mask = ~0U << (32 - p);
	*network = ntohl(in.s_addr) & mask;
	*prefix = (uint32_t)p;
	return 0;
}

static void default_ovs_db(struct net_spec *spec)
{
	const char *env = getenv("LOCKVM_OVS_DB");
	snprintf(spec->ovs_db, sizeof(spec->ovs_db), "%s", env ? env : NET_OVS_DB_DEFAULT);
	snprintf(spec->datapath, sizeof(spec->datapath), "system");
}

/* ---- network definitions ---- */

struct def_parse {
	struct net_spec *spec;
	char *err;
	size_t errlen;
	bool failed, have_type, have_bridge;
};

static int def_entry(void *user, const char *section, const char *key, const char *value)
{
	struct def_parse *d = user;
	struct net_spec *s = d->spec;
	const char *why;
	if (d->failed)
		return 0;
	if (strcmp(section, "network") != 0) {
		snprintf(d->err, d->errlen, "unknown section [%s]", section);
	} else if (strcmp(key, "type") == 0) {
		if (strcmp(value, "bridge") == 0)
			s->kind = NET_BRIDGE;
		else if (strcmp(value, "ovs") == 0)
			s->kind = NET_OVS;
		else
			snprintf(d->err, d->errlen, "type '%s': want bridge or ovs", value);
		d->have_type = true;
	} else if (strcmp(key, "bridge") == 0) {
		if (!netframe_ifname_valid(value, &why))
			snprintf(d->err, d->errlen, "bridge '%s': %s", value, why);
		else
			snprintf(s->bridge, sizeof(s->bridge), "%s", value);
		d->have_bridge = true;
	} else if (strcmp(key, "subnet") == 0) {
		if (net_parse_cidr(value, &s->subnet, &s->prefix) < 0)
			snprintf(d->err, d->errlen, "subnet '%s': want A.B.C.D/P with P 1..30",
				 value);
	} else if (strcmp(key, "datapath") == 0) {
		if (strcmp(value, "system") != 0 && strcmp(value, "netdev") != 0)
			snprintf(d->err, d->errlen, "datapath '%s': want system or netdev", value);
		else
			snprintf(s->datapath, sizeof(s->datapath), "%s", value);
	} else if (strcmp(key, "ovs_db") == 0) {
		if (!net_ovs_db_valid(value))
			snprintf(d->err, d->errlen, "ovs_db '%s': want unix:/PATH", value);
		else
			snprintf(s->ovs_db, sizeof(s->ovs_db), "%s", value);
	} else {
		snprintf(d->err, d->errlen, "unknown key '%s'", key);
	}
	d->failed = d->err[0] != '\0';
	return !d->failed;
}

static int def_path(const char *name, char *out, size_t size, char *err, size_t errlen)
{
	const char *why;
	char leaf[PATHS_NAME_MAX + 8];
	if (!paths_name_valid(name, &why)) {
		snprintf(err, errlen, "network name '%s': %s", name, why);
		return -1;
	}
	snprintf(leaf, sizeof(leaf), "%s.conf", name);
	if (paths_join(out, size, PATHS_NETWORKS_DIR, leaf) < 0) {
		snprintf(err, errlen, "network %s: path too long", name);
		return -1;
	}
	return 0;
}

/* Reads etc/lockvm/networks/NAME.conf. 0, or -1 with err. */
static int def_load(const char *name, struct net_spec *spec, char *err, size_t errlen)
{
	char path[PATH_MAX], why[256] = "";
	size_t len;
	memset(spec, 0, sizeof(*spec));
	default_ovs_db(spec);
	if (def_path(name, path, sizeof(path), err, errlen) < 0)
		return -1;
	char *text = paths_read_file(path, NET_CONF_MAX, &len);
	if (!text) {
		snprintf(err, errlen, "no network named '%s' (%s: %s; see 'lockvm net define')",
			 name, path, strerror(errno));
		return -1;
	}
	struct def_parse d = {.spec = spec, .err = why, .errlen = sizeof(why)};
	int rc = ini_parse_string(text, def_entry, &d);
	free(text);
	if (d.failed || rc != 0) {
		snprintf(err, errlen, "%s:%d: %s", path, rc, d.failed ? why : "not INI syntax");
		return -1;
	}
	if (!d.have_type || !d.have_bridge) {
		snprintf(err, errlen, "%s: needs type and bridge in [network]", path);
		return -1;
	}
	snprintf(spec->network, sizeof(spec->network), "%s", name);
	return 0;
}

static int def_save(const char *name, const struct net_spec *spec, char *err, size_t errlen)
{
	char path[PATH_MAX], text[NET_CONF_MAX];
	int len =
	    snprintf(text, sizeof(text), "# lockvm network %s\n[network]\ntype = %s\nbridge = %s\n",
		     name, net_kind_name(spec->kind), spec->bridge);
	if (spec->prefix) {
		struct in_addr in = {.s_addr = htonl(spec->subnet)};
		len += snprintf(text + len, sizeof(text) - (size_t)len, "subnet = %s/%u\n",
				inet_ntoa(in), spec->prefix);
	}
	if (spec->kind == NET_OVS)
		len += snprintf(text + len, sizeof(text) - (size_t)len,
				"datapath = %s\novs_db = %s\n", spec->datapath, spec->ovs_db);
	if (def_path(name, path, sizeof(path), err, errlen) < 0)
		return -1;
	if (paths_mkdir(PATHS_NETWORKS_DIR) < 0 ||
	    paths_write_atomic(path, text, (size_t)len, 0644) < 0) {
		snprintf(err, errlen, "writing %s: %s", path, strerror(errno));
		return -1;
	}
	return 0;
}

int net_spec_parse(const char *text, struct net_spec *spec, char *err, size_t errlen)
{
	const char *why;
	memset(spec, 0, sizeof(*spec));
	default_ovs_db(spec);
	if (strcmp(text, "none") == 0)
		return 0;
	if (strcmp(text, "user") == 0) {
		spec->kind = NET_USER;
		return 0;
	}
	const char *eq = strchr(text, '=');
	const char *value = eq ? eq + 1 : "";
	if (eq && strncmp(text, "network=", 8) == 0)
		return def_load(value, spec, err, errlen);
	if (eq && strncmp(text, "netns=", 6) == 0) {
		/* ",adopt": the VM takes over the engine's interface there */
		size_t len = strlen(value);
		spec->adopt = len > 6 && strcmp(value + len - 6, ",adopt") == 0;
		if (spec->adopt)
			len -= 6;
		if (len >= sizeof(spec->netns))
			return err_fmt(err, errlen, "--net netns=: a path of at most %zu bytes",
				       sizeof(spec->netns) - 1);
		snprintf(spec->netns, sizeof(spec->netns), "%.*s", (int)len, value);
		if (netns_check(spec->netns, err, errlen) < 0)
			return -1;
		spec->kind = NET_NETNS;
		return 0;
	}
	if (eq && strncmp(text, "bridge=", 7) == 0)
		spec->kind = NET_BRIDGE;
	else if (eq && strncmp(text, "ovs=", 4) == 0)
		spec->kind = NET_OVS;
	else {
		snprintf(err, errlen,
			 "--net '%s': want none, user, bridge=NAME, ovs=NAME, network=NAME or "
			 "netns=PATH[,adopt]",
			 text);
		return -1;
	}
	if (!netframe_ifname_valid(value, &why)) {
		snprintf(err, errlen, "--net %s: bridge name %s", text, why);
		return -1;
	}
	snprintf(spec->bridge, sizeof(spec->bridge), "%s", value);
	if (spec->kind == NET_OVS && !net_ovs_db_valid(spec->ovs_db)) {
		snprintf(err, errlen, "LOCKVM_OVS_DB '%s': want unix:/PATH", spec->ovs_db);
		return -1;
	}
	return 0;
}

void net_tap_name(const char *vm_name, const char *uuid, char out[TAP_IFNAME_MAX + 1])
{
	char name[64];
	snprintf(name, sizeof(name), "lv-%s", vm_name);
	if (strlen(name) <= TAP_IFNAME_MAX && netframe_ifname_valid(name, NULL))
		snprintf(out, TAP_IFNAME_MAX + 1, "%.*s", TAP_IFNAME_MAX, name);
	else
		snprintf(out, TAP_IFNAME_MAX + 1, "lv-%.8s", uuid);
}

/* ---- a VM's tap ---- */

static int ovs_del_port(const struct reg_net *rn, char *err, size_t errlen)
{
	const char *args[] = {"--if-exists", "del-port", rn->bridge, rn->tap, NULL};
	return ovs_vsctl(rn->ovs_db, args, NULL, 0, err, errlen);
}

int net_attach(const struct reg_net *rn, uid_t owner, gid_t group, char *err, size_t errlen)
{
	char why[512];
	if (tap_create(rn->tap, owner, group, err, errlen) < 0)
		return -1;
	int rc;
	if (strcmp(rn->kind, "ovs") == 0) {
		/* Tags the port with the VM so an operator can tell whose it is. */
		const char *args[] = {"add-port", rn->bridge, rn->tap, NULL};
		rc = ovs_vsctl(rn->ovs_db, args, NULL, 0, why, sizeof(why));
		if (rc < 0) {
			snprintf(err, errlen, "--net ovs=%s: %s", rn->bridge, why);
			(void)ovs_del_port(rn, why, sizeof(why));
		}
	} else {
		rc = bridge_add_port(rn->bridge, rn->tap, err, errlen);
	}
	if (rc < 0)
		(void)tap_delete(rn->tap, owner, why, sizeof(why));
	return rc;
}

uid_t net_tap_owner(uint32_t vm_uid)
{
	return vm_uid ? (uid_t)vm_uid : geteuid();
}

void net_release(const struct reg_net *rn, bool delete_tap, uid_t owner)
{
	char err[512];
	if (strcmp(rn->kind, "netns") == 0) {
		/* Its tap is in the engine's namespace, never in ours, and no
		 * bridge port was made. The namespace may be gone already (the
		 * engine's teardown), which is no error. */
		if (delete_tap && rn->tap[0] &&
		    netns_tap_delete(rn->netns, rn->tap, owner, rn->adopt, err, sizeof(err)) < 0 &&
		    access(rn->netns, F_OK) == 0)
			warn_msg("removing tap %s in %s: %s", rn->tap, rn->netns, err);
		return;
	}
	if (strcmp(rn->kind, "ovs") == 0 && rn->tap[0] && ovs_del_port(rn, err, sizeof(err)) < 0)
		warn_msg("removing OVS port %s from %s: %s", rn->tap, rn->bridge, err);
	if (delete_tap && rn->tap[0] && tap_delete(rn->tap, owner, err, sizeof(err)) < 0)
		warn_msg("removing tap %s: %s", rn->tap, err);
}

/* ---- lockvm net ---- */

/* The recovery of dead VMs, handed down by the CLI (net_main). */
static int (*net_reap_dead)(void);

static int net_define(int argc, char **argv)
{
	static const struct cliopt options[] = {
	    {"bridge", 'b', no_argument, 0, NULL, "a Linux bridge"},
	    {"ovs", 'o', no_argument, 0, NULL, "an Open vSwitch bridge"},
	    {"subnet", 's', required_argument, 0, "CIDR",
	     "the host's address on it, e.g. 10.0.0.1/24"},
	    {"bridge-name", 'n', required_argument, 0, "IF", "the bridge's name (default NAME)"},
	    {"datapath", 'd', required_argument, 0, "system|netdev",
	     "OVS datapath (default system)"},
	    {"ovs-db", 'D', required_argument, 0, "unix:PATH", "the OVS database socket"},
	};
	static const struct cliopt_spec cmd = {.command = "net define",
					       .operands = "NAME",
					       .summary =
						   "define a virtual network (--bridge or --ovs)",
					       .options = options,
					       .count = ARRAY_SIZE(options),
					       .min_operands = 1,
					       .max_operands = 1};
	struct net_spec spec = {0};
	char err[PATH_MAX + 256], path[PATH_MAX];
	const char *why, *bridge_name = NULL;
	struct cliopt_parser p;
	int opt, count;
	default_ovs_db(&spec);
	cliopt_begin(&p, &cmd, argc, argv);
	while ((opt = cliopt_next(&p))) {
		const char *value = p.value;
		switch (opt) {
		case 'b':
		case 'o':
			if (spec.kind != NET_NONE)
				die("net define: give one of --bridge and --ovs");
			spec.kind = opt == 'b' ? NET_BRIDGE : NET_OVS;
			break;
		case 's':
			if (net_parse_cidr(value, &spec.subnet, &spec.prefix) < 0)
				die("--subnet '%s': want A.B.C.D/P with P from 1 to 30, e.g. "
				    "10.0.0.0/24",
				    value);
			break;
		case 'n': bridge_name = value; break;
		case 'd':
			if (strcmp(value, "system") != 0 && strcmp(value, "netdev") != 0)
				die("--datapath '%s': want system or netdev", value);
			snprintf(spec.datapath, sizeof(spec.datapath), "%s", value);
			break;
		case 'D':
			if (!net_ovs_db_valid(value))
				die("--ovs-db '%s': want unix:/PATH", value);
			snprintf(spec.ovs_db, sizeof(spec.ovs_db), "%s", value);
			break;
		}
	}
	const char *name = cliopt_operands(&p, &count)[0];
	if (!paths_name_valid(name, &why))
		die("network name '%s': %s", name, why);
	if (spec.kind == NET_NONE)
		cliopt_usage_die(&cmd, "give --bridge or --ovs");
	if (!bridge_name)
		bridge_name = name;
	if (!netframe_ifname_valid(bridge_name, &why))
		die("bridge name '%s': %s (give --bridge-name)", bridge_name, why);
	snprintf(spec.bridge, sizeof(spec.bridge), "%s", bridge_name);
	if (def_path(name, path, sizeof(path), err, sizeof(err)) < 0)
		die("%s", err);
	if (access(path, F_OK) == 0)
		die("network '%s' is already defined (%s)", name, path);
	if (def_save(name, &spec, err, sizeof(err)) < 0)
		die("%s", err);
	printf("network %s defined (%s %s)\n", name, net_kind_name(spec.kind), spec.bridge);
	return 0;
}

/* Whether the network's bridge exists now. */
static bool net_active(const struct net_spec *spec)
{
	if (spec->kind == NET_BRIDGE)
		return tap_exists(spec->bridge);
	char err[512];
	const char *args[] = {"br-exists", spec->bridge, NULL};
	return ovs_vsctl(spec->ovs_db, args, NULL, 0, err, sizeof(err)) == 0;
}

static int net_start(const struct net_spec *spec)
{
	char err[512];
	uint32_t first = spec->prefix ? spec->subnet + 1 : 0;
	if (net_active(spec))
		die("network %s is already active (bridge %s exists)", spec->network, spec->bridge);
	if (spec->kind == NET_BRIDGE) {
		if (bridge_create(spec->bridge, first, spec->prefix, err, sizeof(err)) < 0)
			die("%s", err);
	} else {
		char dp[32];
		snprintf(dp, sizeof(dp), "datapath_type=%s", spec->datapath);
		const char *args[] = {"add-br", spec->bridge, "--", "set",
				      "bridge", spec->bridge, dp,   NULL};
		if (ovs_vsctl(spec->ovs_db, args, NULL, 0, err, sizeof(err)) < 0)
			die("network %s: %s", spec->network, err);
		/* ovs-vswitchd creates the bridge's own interface shortly after. */
		for (int i = 0; i < 100 && !tap_exists(spec->bridge); i++) {
			struct timespec ts = {0, 20L * 1000 * 1000};
			nanosleep(&ts, NULL);
		}
		if (spec->prefix &&
		    netdev_set_ipv4(spec->bridge, first, spec->prefix, err, sizeof(err)) < 0)
			die("network %s: %s", spec->network, err);
	}
	printf("network %s started (bridge %s", spec->network, spec->bridge);
	if (spec->prefix) {
		struct in_addr in = {.s_addr = htonl(first)};
		printf(", %s/%u", inet_ntoa(in), spec->prefix);
	}
	printf(")\n");
	return 0;
}

/* Names the live VMs whose NIC is on the network's bridge (by --net
 * network=NAME or straight on the bridge), ", "-separated, into out.
 * Returns how many there are. */
static size_t attached_vms(const struct net_spec *spec, char *out, size_t size,
			   int (*reap_dead)(void))
{
	char **names, err[PATH_MAX + 128];
	size_t n, count = 0, used = 0;
	out[0] = '\0';
	int lock = registry_lock(); /* a killed supervisor's VM is attached to nothing */
	if (lock < 0)
		die("cannot lock the VM registry under %s", paths_root());
	reap_dead();
	registry_unlock(lock);
	if (registry_names(&names, &n) < 0)
		return 0;
	for (size_t i = 0; i < n; i++) {
		struct reg_vm vm;
		if (registry_live(names[i]) != 1 ||
		    registry_load(names[i], &vm, err, sizeof(err)) < 0)
			continue;
		if (strcmp(vm.net.kind, net_kind_name(spec->kind)) != 0 ||
		    strcmp(vm.net.bridge, spec->bridge) != 0)
			continue;
		if (used < size)
			used += (size_t)snprintf(out + used, size - used, "%s%s", count ? ", " : "",
						 vm.name);
		count++;
	}
	registry_names_free(names, n);
	return count;
}

static int net_destroy(const struct net_spec *spec, bool force, int (*reap_dead)(void))
{
	char err[512], vms[1024];
	if (!net_active(spec))
		die("network %s is not active", spec->network);
	size_t attached = attached_vms(spec, vms, sizeof(vms), reap_dead);
	if (attached && !force)
		die("network %s has %zu VM%s attached: %s (stop %s first, or net destroy --force)",
		    spec->network, attached, attached == 1 ? "" : "s", vms,
		    attached == 1 ? "it" : "them");
	if (attached)
		warn_msg("network %s: destroying it under %zu running VM%s: %s", spec->network,
			 attached, attached == 1 ? "" : "s", vms);
	if (spec->kind == NET_BRIDGE) {
		if (bridge_delete(spec->bridge, err, sizeof(err)) < 0)
			die("%s", err);
	} else {
		const char *args[] = {"--if-exists", "del-br", spec->bridge, NULL};
		if (ovs_vsctl(spec->ovs_db, args, NULL, 0, err, sizeof(err)) < 0)
			die("network %s: %s", spec->network, err);
	}
	printf("network %s destroyed\n", spec->network);
	return 0;
}

static int net_list(bool json)
{
	char err[PATH_MAX + 256];
	char **names;
	size_t n;
	if (paths_names(PATHS_NETWORKS_DIR, ".conf", &names, &n) < 0)
		die_errno("reading the networks under %s", paths_root());
	json_object *array = json ? json_object_new_array() : NULL;
	if (!json)
		printf("%-20s %-7s %-16s %-18s %s\n", "NAME", "TYPE", "BRIDGE", "SUBNET", "STATE");
	for (size_t i = 0; i < n; i++) {
		struct net_spec spec;
		char subnet[32] = "-";
		if (def_load(names[i], &spec, err, sizeof(err)) < 0) {
			warn_msg("%s", err);
			continue;
		}
		if (spec.prefix) {
			struct in_addr in = {.s_addr = htonl(spec.subnet)};
			snprintf(subnet, sizeof(subnet), "%s/%u", inet_ntoa(in), spec.prefix);
		}
		const char *state = net_active(&spec) ? "active" : "inactive";
		if (json) {
			json_object *o = json_object_new_object();
			json_object_object_add(o, "name", json_object_new_string(spec.network));
			json_object_object_add(o, "type",
					       json_object_new_string(net_kind_name(spec.kind)));
			json_object_object_add(o, "bridge", json_object_new_string(spec.bridge));
			json_object_object_add(o, "subnet",
					       json_object_new_string(spec.prefix ? subnet : ""));
			json_object_object_add(o, "state", json_object_new_string(state));
			if (spec.kind == NET_OVS) {
				json_object_object_add(o, "datapath",
						       json_object_new_string(spec.datapath));
				json_object_object_add(o, "ovs_db",
						       json_object_new_string(spec.ovs_db));
			}
			json_object_array_add(array, o);
		} else {
			printf("%-20s %-7s %-16s %-18s %s\n", spec.network,
			       net_kind_name(spec.kind), spec.bridge, subnet, state);
		}
	}
	paths_names_free(names, n);
	if (json) {
		printf("%s\n", json_object_to_json_string_ext(array, JSON_C_TO_STRING_PRETTY));
		json_object_put(array);
	}
	return 0;
}

/* `net start|destroy|undefine NAME`: the named network's definition. */
static void net_parse_named(const struct cliopt_spec *cmd, int argc, char **argv,
			    struct net_spec *spec, bool *force)
{
	char err[PATH_MAX + 256];
	struct cliopt_parser p;
	int count;
	cliopt_begin(&p, cmd, argc, argv);
	while (cliopt_next(&p))
		*force = true; /* --force, destroy's only option */
	if (def_load(cliopt_operands(&p, &count)[0], spec, err, sizeof(err)) < 0)
		die("%s", err);
}

static int net_start_main(int argc, char **argv)
{
	static const struct cliopt_spec cmd = {.command = "net start",
					       .operands = "NAME",
					       .summary = "create a defined network's bridge",
					       .min_operands = 1,
					       .max_operands = 1};
	struct net_spec spec;
	bool force = false;
	net_parse_named(&cmd, argc, argv, &spec, &force);
	return net_start(&spec);
}

static int net_destroy_main(int argc, char **argv)
{
	static const struct cliopt options[] = {
	    {"force", 'f', no_argument, 0, NULL, "also when VMs are attached"}};
	static const struct cliopt_spec cmd = {.command = "net destroy",
					       .operands = "NAME",
					       .summary =
						   "remove a network's bridge (not its definition)",
					       .options = options,
					       .count = ARRAY_SIZE(options),
					       .min_operands = 1,
					       .max_operands = 1};
	struct net_spec spec;
	bool force = false;
	net_parse_named(&cmd, argc, argv, &spec, &force);
	return net_destroy(&spec, force, net_reap_dead);
}

static int net_undefine_main(int argc, char **argv)
{
	static const struct cliopt_spec cmd = {.command = "net undefine",
					       .operands = "NAME",
					       .summary = "remove a network's definition",
					       .min_operands = 1,
					       .max_operands = 1};
	char err[PATH_MAX + 256], path[PATH_MAX];
	struct net_spec spec;
	bool force = false;
	net_parse_named(&cmd, argc, argv, &spec, &force);
	if (def_path(spec.network, path, sizeof(path), err, sizeof(err)) < 0 || unlink(path) < 0)
		die_errno("removing the definition of network %s", spec.network);
	printf("network %s undefined\n", spec.network);
	return 0;
}

static int net_list_main(int argc, char **argv)
{
	static const struct cliopt options[] = {
	    {"json", 'j', no_argument, 0, NULL, "a JSON array (fields in README)"}};
	static const struct cliopt_spec cmd = {.command = "net list",
					       .operands = "",
					       .summary =
						   "list defined networks and whether they run",
					       .options = options,
					       .count = ARRAY_SIZE(options)};
	struct cliopt_parser p;
	bool json = false;
	int count;
	cliopt_begin(&p, &cmd, argc, argv);
	while (cliopt_next(&p))
		json = true; /* --json, the only option */
	cliopt_operands(&p, &count);
	return net_list(json);
}

int net_main(int argc, char **argv, int (*reap_dead)(void))
{
	static const struct cliopt_command net[] = {
	    {"define", net_define, "define a virtual network (--bridge or --ovs)"},
	    {"start", net_start_main, "create a defined network's bridge"},
	    {"list", net_list_main, "list defined networks (--json)"},
	    {"destroy", net_destroy_main, "remove a network's bridge"},
	    {"undefine", net_undefine_main, "remove a network's definition"},
	};
	net_reap_dead = reap_dead;
	return cliopt_dispatch("net", net, ARRAY_SIZE(net), argc, argv);
}
