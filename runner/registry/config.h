/* /etc/lockvm/lockvm.conf (under the root): label, uid and log settings, with defaults when absent. */
#ifndef LOCKVM_CONFIG_H
#define LOCKVM_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#include "uid.h"

#define CONFIG_FILE	    "etc/lockvm/lockvm.conf"
#define CONFIG_CONTEXT_PART 64

struct lockvm_config {
	uint32_t cat_lo, cat_hi;	      /* [labels] categories = cLO.cHI (default c0.c1023) */
	char user[CONFIG_CONTEXT_PART];	      /* [labels] user = system_u */
	char role[CONFIG_CONTEXT_PART];	      /* [labels] role = system_r */
	char vm_type[CONFIG_CONTEXT_PART];    /* [labels] type = lockvm_vm_t */
	char image_type[CONFIG_CONTEXT_PART]; /* [labels] image_type = lockvm_image_t */
	char content_type[CONFIG_CONTEXT_PART]; /* [labels] content_type = lockvm_content_t */
	struct uid_range uids;			/* [uids] range = FIRST-LAST */
	uint64_t log_size_max;	/* [logs] size_max = SIZE: NAME.log and NAME.log.1 together */
	uint64_t log_max_age_s; /* [logs] max_age = 7d: gc keeps a gone VM's log this long */
};

/* The defaults (what an absent file means). */
void config_defaults(struct lockvm_config *cfg);

/* Defaults, then <root>/etc/lockvm/lockvm.conf when it exists. Unknown
 * sections or keys and bad values are refused: -1 with "FILE:LINE: why" in
 * err. Returns 0. */
int config_load(struct lockvm_config *cfg, char *err, size_t errlen);

/* Parses "cLO.cHI" (0 <= LO < HI <= 1023) or "cLO,cHI"... only the range
 * form. Returns 0 or -1. */
int config_parse_categories(const char *text, uint32_t *lo, uint32_t *hi);

#endif
