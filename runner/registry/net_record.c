/* A VM's NIC as the registry records it: the check of its OVS database address. */
#include "net_record.h"

#include <string.h>

bool net_ovs_db_valid(const char *db)
{
	size_t len = strlen(db);
	if (len >= NET_OVS_DB_MAX || strncmp(db, "unix:/", 6) != 0 || strstr(db, "/../"))
		return false;
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)db[i] <= ' ' || (unsigned char)db[i] >= 0x7f)
			return false;
	return true;
}
