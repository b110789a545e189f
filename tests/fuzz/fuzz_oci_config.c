/* libFuzzer target: the OCI config.json check (runner/oci/oci_config.c) and the engine's resolv.conf parser (oci_resolv.c) on arbitrary bytes. */
#include <arpa/inet.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "oci_config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct oci_config cfg;
	char err[1024], dns[INET_ADDRSTRLEN + 8];
	/* the same bytes as a resolv.conf: what comes back is a unicast IPv4
	 * address lockvm run --dns takes, terminated */
	memset(dns, 'x', sizeof(dns));
	struct in_addr in;
	if (oci_resolv_nameserver((const char *)data, size, dns, sizeof(dns)) == 0 &&
	    (!memchr(dns, '\0', sizeof(dns)) || inet_pton(AF_INET, dns, &in) != 1 ||
	     (ntohl(in.s_addr) >> 24) == 127 || in.s_addr == 0))
		abort();
	int rc = oci_config_parse((const char *)data, size, &cfg, err, sizeof(err));
	if (rc < 0) {
		/* every refusal is one non-empty line */
		if (!err[0] || strchr(err, '\n'))
			abort();
		oci_config_free(&cfg);
		return 0;
	}
	/* what was accepted has a program, an absolute cwd, a root and
	 * NAME=VALUE environment entries, within the bounds */
	if (cfg.argc < 1 || cfg.argc > OCI_MAX_ARGS || !cfg.args[0] || !cfg.args[0][0] ||
	    cfg.args[cfg.argc] || !cfg.cwd || cfg.cwd[0] != '/' || !cfg.root_path ||
	    !cfg.root_path[0] || cfg.envc > OCI_MAX_ENV)
		abort();
	for (int i = 0; i < cfg.envc; i++)
		if (!strchr(cfg.env[i], '=') || cfg.env[i][0] == '=')
			abort();
	if (cfg.mem_limit && (cfg.mem_limit < (16u << 20) || cfg.mem_limit > (256ULL << 30)))
		abort();
	for (int k = 0; k < OCI_HOOK_KINDS; k++)
		for (int i = 0; i < cfg.hook_count[k]; i++)
			if (!cfg.hooks[k][i].path || cfg.hooks[k][i].path[0] != '/')
				abort();
	oci_config_free(&cfg);
	return 0;
}
