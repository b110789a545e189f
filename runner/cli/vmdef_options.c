/* The [vm] keys of a definition that are `lockvm run` options as they are (linux, fs, env, net, ...): one table entry each. */
#include "vmdef_options.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "net.h"
#include "netframe.h"
#include "numa.h"
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
    {"require_mac", "require-mac", true, false, check_flag},
    {"log_size_max", "log-size-max", false, false, check_log_size},
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
	static char names[256];
	size_t used = 0;
	for (size_t i = 0; i < ARRAY_SIZE(options) && used < sizeof(names); i++)
		used += (size_t)snprintf(names + used, sizeof(names) - used, "%s%s", i ? ", " : "",
					 options[i].key);
	return names;
}
