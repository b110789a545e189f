/* Save records: what `lockvm save` knew about a saved VM (label, group, NIC), kept under the root for `lockvm restore`, which never reads the stream itself. */
#ifndef LOCKVM_SAVE_RECORD_H
#define LOCKVM_SAVE_RECORD_H

#include <stddef.h>

#include "label.h"
#include "netframe.h"
#include "paths.h"
#include "registry.h"

/* One record per saved file, named DEV-INO.json, written by lockvm (root)
 * and never by a VMM: the stream is parsed only in the confined VMM, so
 * the supervisor cannot learn the saved VM's label from it. */
#define PATHS_SAVES_DIR "var/lib/lockvm/saves"

struct save_record {
	char vm[PATHS_NAME_MAX + 1]; /* the saved VM's name (for messages) */
	enum label_kind label_kind;
	char label[LABEL_MAX]; /* LABEL_STATIC: the context as given */
	char group[65];	       /* LABEL_GROUP: the group */
	char net[96];	       /* --net as it would be given ("bridge=BR", "network=N"), "" none */
	char mac[NETFRAME_MAC_TEXT]; /* with net: the NIC's address */
};

/*
 * Records what `vm` (its registry entry) was for the saved file open on
 * fd, just written, at path (kept to find records of removed files: they
 * are dropped here). The file's identity is its device, inode, size and
 * modification time. Returns 0, or -1 with the reason in err.
 */
int save_record_write(int fd, const char *path, const struct reg_vm *vm, char *err, size_t errlen);

/*
 * Looks up the record of the file open on fd. Returns 1 with *rec filled;
 * 0 when there is none, or it is stale (the file changed since it was
 * saved: the record is removed), with why saying which; -1 when a record
 * exists but does not parse or holds values lockvm never writes (err; it
 * is not trusted).
 */
int save_record_find(int fd, struct save_record *rec, char *why, size_t whylen);

#endif
