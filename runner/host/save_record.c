/* Save records under <root>/var/lib/lockvm/saves: the saved VM's label kind, static label, group and NIC, keyed by the saved file's identity. */
#include "save_record.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <json-c/json.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util.h"

#define SAVE_RECORD_FORMAT 1
#define SAVE_RECORD_MAX	   (16 << 10) /* bytes; a record is far smaller */

static int64_t mtime_ns(const struct stat *sb)
{
	return (int64_t)sb->st_mtim.tv_sec * 1000000000 + sb->st_mtim.tv_nsec;
}

/* The inode change time: no one can set it back (utimensat cannot), so a
 * file rewritten in place with its mtime reset still shows the change. */
static int64_t ctime_ns(const struct stat *sb)
{
	return (int64_t)sb->st_ctim.tv_sec * 1000000000 + sb->st_ctim.tv_nsec;
}

static int record_path(const struct stat *sb, char *out, size_t size)
{
	char leaf[64];
	snprintf(leaf, sizeof(leaf), "%" PRIu64 "-%" PRIu64 ".json", (uint64_t)sb->st_dev,
		 (uint64_t)sb->st_ino);
	return paths_join(out, size, PATHS_SAVES_DIR, leaf);
}

static json_object *read_json(const char *path)
{
	size_t len;
	char *text = paths_read_file(path, SAVE_RECORD_MAX, &len);
	if (!text)
		return NULL;
	json_object *o = json_tokener_parse(text);
	free(text);
	if (o && !json_object_is_type(o, json_type_object)) {
		json_object_put(o);
		return NULL;
	}
	return o;
}

static const char *str_of(json_object *o, const char *key)
{
	json_object *v;
	if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

static bool int_of(json_object *o, const char *key, int64_t *out)
{
	json_object *v;
	if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_int))
		return false;
	*out = json_object_get_int64(v);
	return true;
}

/* Drops the records whose file is gone or is another file now, so the
 * directory does not grow with every save ever made. */
static void sweep(void)
{
	char **names, leaf[PATHS_NAME_MAX + 8], path[PATH_MAX];
	size_t n;
	if (paths_names(PATHS_SAVES_DIR, ".json", &names, &n) < 0)
		return;
	for (size_t i = 0; i < n; i++) {
		snprintf(leaf, sizeof(leaf), "%s.json", names[i]); /* names are <= 64 */
		if (paths_join(path, sizeof(path), PATHS_SAVES_DIR, leaf) < 0)
			continue;
		json_object *o = read_json(path);
		const char *file = o ? str_of(o, "path") : NULL;
		int64_t dev = 0, ino = 0;
		struct stat sb;
		bool keep = file && int_of(o, "dev", &dev) && int_of(o, "ino", &ino) &&
			    stat(file, &sb) == 0 && (int64_t)sb.st_dev == dev &&
			    (int64_t)sb.st_ino == ino;
		if (o)
			json_object_put(o);
		if (!keep)
			unlink(path);
	}
	paths_names_free(names, n);
}

int save_record_write(int fd, const char *path, const struct reg_vm *vm, char *err, size_t errlen)
{
	struct stat sb;
	char record[PATH_MAX], net[96] = "", abs[PATH_MAX];
	if (fstat(fd, &sb) < 0 || record_path(&sb, record, sizeof(record)) < 0 ||
	    paths_mkdir(PATHS_SAVES_DIR) < 0) {
		snprintf(err, errlen, "%s/%s: %s", paths_root(), PATHS_SAVES_DIR, strerror(errno));
		return -1;
	}
	sweep();
	if (vm->net.kind[0] && vm->net.network[0])
		snprintf(net, sizeof(net), "network=%s", vm->net.network);
	else if (vm->net.kind[0])
		snprintf(net, sizeof(net), "%s=%s", vm->net.kind, vm->net.bridge);
	json_object *o = json_object_new_object();
	json_object_object_add(o, "format", json_object_new_int(SAVE_RECORD_FORMAT));
	json_object_object_add(o, "path", json_object_new_string(realpath(path, abs) ? abs : path));
	json_object_object_add(o, "dev", json_object_new_int64((int64_t)sb.st_dev));
	json_object_object_add(o, "ino", json_object_new_int64((int64_t)sb.st_ino));
	json_object_object_add(o, "size", json_object_new_int64((int64_t)sb.st_size));
	json_object_object_add(o, "mtime_ns", json_object_new_int64(mtime_ns(&sb)));
	json_object_object_add(o, "ctime_ns", json_object_new_int64(ctime_ns(&sb)));
	json_object_object_add(o, "vm", json_object_new_string(vm->name));
	json_object_object_add(o, "label_kind",
			       json_object_new_string(label_kind_name(vm->label.kind)));
	json_object_object_add(
	    o, "label",
	    json_object_new_string(vm->label.kind == LABEL_STATIC ? vm->label.process : ""));
	json_object_object_add(o, "group", json_object_new_string(vm->label.group));
	json_object_object_add(o, "net", json_object_new_string(net));
	json_object_object_add(o, "mac", json_object_new_string(net[0] ? vm->net.mac : ""));
	const char *text = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY);
	int rc = paths_write_atomic(record, text, strlen(text), 0600);
	if (rc < 0)
		snprintf(err, errlen, "%s: %s", record, strerror(errno));
	json_object_put(o);
	return rc;
}

static int copy_field(json_object *o, const char *key, char *out, size_t size)
{
	const char *v = str_of(o, key);
	if (!v || strlen(v) >= size)
		return -1;
	memcpy(out, v, strlen(v) + 1);
	return 0;
}

int save_record_find(int fd, struct save_record *rec, char *why, size_t whylen)
{
	struct stat sb;
	char record[PATH_MAX], kind[16];
	memset(rec, 0, sizeof(*rec));
	if (fstat(fd, &sb) < 0 || record_path(&sb, record, sizeof(record)) < 0) {
		snprintf(why, whylen, "it cannot be identified: %s", strerror(errno));
		return 0;
	}
	json_object *o = read_json(record);
	if (!o) {
		if (errno == ENOENT) {
			snprintf(why, whylen, "it has no save record here (copied or moved?)");
			return 0;
		}
		snprintf(why, whylen, "its save record %s does not parse; not trusted", record);
		return -1;
	}
	int64_t format = 0, size = 0, mtime = 0, ctime = 0, dev = 0, ino = 0;
	bool ok = int_of(o, "format", &format) && format == SAVE_RECORD_FORMAT &&
		  int_of(o, "dev", &dev) && int_of(o, "ino", &ino) && int_of(o, "size", &size) &&
		  int_of(o, "mtime_ns", &mtime) && int_of(o, "ctime_ns", &ctime) &&
		  copy_field(o, "vm", rec->vm, sizeof(rec->vm)) == 0 &&
		  copy_field(o, "label_kind", kind, sizeof(kind)) == 0 &&
		  copy_field(o, "label", rec->label, sizeof(rec->label)) == 0 &&
		  copy_field(o, "group", rec->group, sizeof(rec->group)) == 0 &&
		  copy_field(o, "net", rec->net, sizeof(rec->net)) == 0 &&
		  copy_field(o, "mac", rec->mac, sizeof(rec->mac)) == 0;
	json_object_put(o);
	/* Only values lockvm itself writes: a kind, and what goes with it. */
	int k = -1;
	for (int i = LABEL_DYNAMIC; ok && i <= LABEL_NONE; i++)
		if (strcmp(kind, label_kind_name((enum label_kind)i)) == 0)
			k = i;
	ok = ok && k >= 0 && (k == LABEL_STATIC) == (rec->label[0] != '\0') &&
	     (k == LABEL_GROUP) == (rec->group[0] != '\0') &&
	     (k != LABEL_GROUP || paths_name_valid(rec->group, NULL)) &&
	     (rec->net[0] == '\0') == (rec->mac[0] == '\0') &&
	     (!rec->mac[0] ||
	      netframe_mac_parse(rec->mac, (uint8_t[NETFRAME_MAC_LEN]){0}, NULL) == 0);
	if (!ok) {
		snprintf(why, whylen, "its save record %s holds bad fields; not trusted", record);
		return -1;
	}
	rec->label_kind = (enum label_kind)k;
	if (dev != (int64_t)sb.st_dev || ino != (int64_t)sb.st_ino || size != (int64_t)sb.st_size ||
	    mtime != mtime_ns(&sb) || ctime != ctime_ns(&sb)) {
		unlink(record);
		snprintf(why, whylen,
			 "its save record is stale (the file changed after lockvm save)");
		return 0;
	}
	return 1;
}
