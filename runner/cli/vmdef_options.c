/* The [vm] keys of a definition that are `lockvm run` options as they are (linux, fs, env, net, ...): one table entry each. */
#include "vmdef_options.h"

#include <arpa/inet.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "apparmor_stack.h"
#include "cgroup.h"
#include "ident.h"
#include "launch.h"
#include "net.h"
#include "netframe.h"
#include "numa.h"
#include "passt.h"
#include "paths.h"
#include "util.h"
#include "vmlog.h"
#include "volume_spec.h"

/* Each checker applies what `lockvm run` applies to the option, so a
 * definition that `define` takes is one `start` takes. */
static int check_flag(const char *value, char *why, size_t len)
{
	if (strcmp(value, "yes") == 0 || strcmp(value, "no") == 0)
		return 0;
	return err_fmt(why, len, "want yes or no");
}

static int check_path(const char *value, char *why, size_t len)
{
	return value[0] == '/' ? 0 : err_fmt(why, len, "want an absolute path");
}

static int check_env(const char *value, char *why, size_t len)
{
	if (!strchr(value, '=') || value[0] == '=')
		return err_fmt(why, len, "want NAME=VALUE");
	return 0;
}

static int check_volume(const char *value, char *why, size_t len)
{
	char copy[4200];
	struct volume_spec spec;
	if (snprintf(copy, sizeof(copy), "%s", value) >= (int)sizeof(copy))
		return err_fmt(why, len, "too long");
	return volume_spec_parse(copy, &spec, why, len);
}

static int check_net(const char *value, char *why, size_t len)
{
	struct net_spec spec;
	const char *problem;
	/* A named network need only exist when the VM starts. */
	if (strncmp(value, "network=", 8) == 0)
		return paths_name_valid(value + 8, &problem) ? 0 : err_fmt(why, len, "%s", problem);
	return net_spec_parse(value, &spec, why, len);
}

static int check_mac(const char *value, char *why, size_t len)
{
	uint8_t mac[NETFRAME_MAC_LEN];
	const char *problem;
	return netframe_mac_parse(value, mac, &problem) < 0 ? err_fmt(why, len, "%s", problem) : 0;
}

static int check_hugepages(const char *value, char *why, size_t len)
{
	if (strcmp(value, "thp") == 0 || strcmp(value, "hugetlb") == 0)
		return 0;
	return err_fmt(why, len, "want thp or hugetlb");
}

static int check_numa(const char *value, char *why, size_t len)
{
	struct numa_set nodes;
	if (numa_parse_list(value, &nodes) < 0)
		return err_fmt(why, len, "want a NUMA node or a list such as 0 or 0,1 or 0-1");
	return 0;
}

static int check_mem_limit(const char *value, char *why, size_t len)
{
	uint64_t bytes;
	if (parse_size(value, &bytes) < 0 || bytes < (16ULL << 20))
		return err_fmt(why, len, "want a size of at least 16M, e.g. 512M or 2G");
	return 0;
}

static int check_log_size(const char *value, char *why, size_t len)
{
	uint64_t bytes;
	if (parse_size(value, &bytes) < 0 || bytes < VMLOG_SIZE_MAX_MIN)
		return err_fmt(why, len, "want a size of at least 64K, e.g. 8M");
	return 0;
}

/* --fs-upper: none, memory, memory:SIZE, or DIR (absolute in a definition:
 * start runs from wherever its caller is). */
static int check_fs_upper(const char *value, char *why, size_t len)
{
	uint64_t bytes;
	if (strcmp(value, "none") == 0 || strcmp(value, "memory") == 0 || value[0] == '/')
		return 0;
	if (strncmp(value, "memory:", 7) == 0 && parse_size(value + 7, &bytes) == 0 &&
	    bytes >= 4096 && bytes <= LAUNCH_FS_MAX)
		return 0;
	return err_fmt(why, len, "want memory, memory:SIZE (4K to 1T), none or an absolute DIR");
}

/* --tmpfs GUEST_DIR[:size=SIZE]; run refuses '.', '..' and '//' in it. */
static int check_tmpfs(const char *value, char *why, size_t len)
{
	const char *colon = strchr(value, ':');
	size_t dir_len = colon ? (size_t)(colon - value) : strlen(value);
	uint64_t bytes;
	if (colon && (strncmp(colon + 1, "size=", 5) != 0 || parse_size(colon + 6, &bytes) < 0 ||
		      bytes < 4096 || bytes > LAUNCH_FS_MAX))
		return err_fmt(why, len, "want GUEST_DIR[:size=SIZE] (4K to 1T)");
	if (dir_len < 2 || value[0] != '/' || dir_len >= LAUNCH_PATH_MAX)
		return err_fmt(why, len, "want an absolute directory path");
	return 0;
}

static int check_workdir(const char *value, char *why, size_t len)
{
	if (value[0] != '/' || strlen(value) >= LAUNCH_PATH_MAX)
		return err_fmt(why, len, "want an absolute path in the VM's tree");
	return 0;
}

/* --apparmor-stack PROFILE: the name run checks (unconfined: none). */
static int check_apparmor_stack(const char *value, char *why, size_t len)
{
	if (strcmp(value, "unconfined") == 0)
		return 0;
	return apparmor_stack_name_check(value, why, len) < 0 ? -1 : 0;
}

/* --record FILE: a definition is used from any cwd, so only an absolute path says where. */
static int check_record(const char *value, char *why, size_t len)
{
	if (value[0] != '/' || strlen(value) >= LAUNCH_PATH_MAX)
		return err_fmt(why, len, "want an absolute path of the file the record goes to");
	return 0;
}

static int check_pids(const char *value, char *why, size_t len)
{
	uint64_t n;
	if (parse_uint(value, 1, LAUNCH_MAX_PIDS, &n) < 0)
		return err_fmt(why, len, "want a number from 1 to %d", LAUNCH_MAX_PIDS);
	return 0;
}

static int check_cpu_shares(const char *value, char *why, size_t len)
{
	uint64_t n;
	return cgroup_shares_parse(value, &n, why, len);
}

static int check_hostname(const char *value, char *why, size_t len)
{
	return ident_check_hostname(value, why, len);
}

static int check_user(const char *value, char *why, size_t len)
{
	uint32_t uid, gid;
	return ident_parse_user(value, &uid, &gid, why, len);
}

static int check_group(const char *value, char *why, size_t len)
{
	uint32_t gid;
	return ident_parse_gid(value, &gid, why, len);
}

static int check_rlimit(const char *value, char *why, size_t len)
{
	unsigned resource;
	struct ident_rlimit lim;
	return ident_parse_rlimit(value, &resource, &lim, why, len);
}

static int check_publish(const char *value, char *why, size_t len)
{
	struct passt_publish p;
	return passt_publish_parse(value, &p, why, len);
}

/* --ip A.B.C.D/PREFIX (prefixed) or --gateway, --dns A.B.C.D: a unicast
 * address, as run's parse_ipv4 wants it. */
static int check_ipv4(const char *value, bool prefixed, char *why, size_t len)
{
	char text[INET_ADDRSTRLEN + 4];
	struct in_addr in;
	if (snprintf(text, sizeof(text), "%s", value) >= (int)sizeof(text))
		return err_fmt(why, len, "want A.B.C.D%s", prefixed ? "/PREFIX" : "");
	char *slash = strchr(text, '/');
	if ((slash != NULL) != prefixed)
		return err_fmt(why, len, "want A.B.C.D%s", prefixed ? "/PREFIX" : "");
	if (slash) {
		uint64_t prefix;
		*slash = '\0';
		if (parse_uint(slash + 1, 1, 32, &prefix) < 0)
			return err_fmt(why, len, "prefix from 1 to 32");
	}
	if (inet_pton(AF_INET, text, &in) != 1)
		return err_fmt(why, len, "want A.B.C.D%s", prefixed ? "/PREFIX" : "");
	uint32_t host = ntohl(in.s_addr);
	if (host == 0 || host == 0xffffffffU || (host >> 24) == 127 || (host >> 28) == 14)
		return err_fmt(why, len, "not a unicast address");
	return 0;
}

static int check_ip(const char *value, char *why, size_t len)
{
	return check_ipv4(value, true, why, len);
}

static int check_address(const char *value, char *why, size_t len)
{
	return check_ipv4(value, false, why, len);
}

static const struct vmdef_option {
	const char *key;    /* in [vm] */
	const char *option; /* of run, without "--" */
	bool flag;	    /* yes/no: the option given alone, or left out */
	bool repeats;
	int (*check)(const char *value, char *why, size_t len);
} options[] = {
    {"linux", "linux", true, false, check_flag},
    {"strace", "strace", true, false, check_flag},
    {"fs", "fs", false, false, check_path},
    {"env", "env", false, true, check_env},
    {"volume", "volume", false, true, check_volume}, /* HOST:GUEST[:ro|:rw][,z|,Z] */
    {"net", "net", false, false, check_net},
    {"mac", "mac", false, false, check_mac},
    {"ksm", "ksm", true, false, check_flag},
    {"hugepages", "hugepages", false, false, check_hugepages},
    {"numa", "numa", false, false, check_numa},
    {"mem_limit", "mem-limit", false, false, check_mem_limit},
    {"cpu_shares", "cpu-shares", false, false, check_cpu_shares},
    {"require_mac", "require-mac", true, false, check_flag},
    {"apparmor_stack", "apparmor-stack", false, false, check_apparmor_stack},
    {"log_size_max", "log-size-max", false, false, check_log_size},
    {"fs_upper", "fs-upper", false, false, check_fs_upper},
    {"keep_upper", "keep-upper", true, false, check_flag},
    {"record", "record", false, false, check_record},
    {"tmpfs", "tmpfs", false, true, check_tmpfs},
    {"pids", "pids", false, false, check_pids},
    {"workdir", "workdir", false, false, check_workdir},
    {"hostname", "hostname", false, false, check_hostname},
    {"user", "user", false, false, check_user},
    {"group_add", "group-add", false, true, check_group},
    {"rlimit", "rlimit", false, true, check_rlimit},
    {"publish", "publish", false, true, check_publish},
    {"ip", "ip", false, false, check_ip},
    {"gateway", "gateway", false, false, check_address},
    {"dns", "dns", false, false, check_address},
};

int vmdef_option_find(const char *key)
{
	for (size_t i = 0; i < ARRAY_SIZE(options); i++)
		if (strcmp(options[i].key, key) == 0)
			return (int)i;
	return -1;
}

bool vmdef_option_repeats(int index)
{
	return options[index].repeats;
}

int vmdef_option_check(int index, const char *value, char *why, size_t len)
{
	return options[index].check(value, why, len);
}

const char *vmdef_option_argument(int index, const char *value, char *buf, size_t len)
{
	const struct vmdef_option *o = &options[index];
	if (o->flag && strcmp(value, "yes") != 0)
		return NULL;
	if (o->flag)
		snprintf(buf, len, "--%s", o->option);
	else
		snprintf(buf, len, "--%s=%s", o->option, value);
	return buf;
}

const char *vmdef_option_names(void)
{
	static char names[512];
	size_t used = 0;
	for (size_t i = 0; i < ARRAY_SIZE(options) && used < sizeof(names); i++)
		used += (size_t)snprintf(names + used, sizeof(names) - used, "%s%s", i ? ", " : "",
					 options[i].key);
	return names;
}
