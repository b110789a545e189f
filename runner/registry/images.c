/* Image records (run/lockvm/images/DEV-INO.json): a disk's owner, mode and label before its first VM took it, its users, and putting them back when the last one goes. */
#include "images.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "label.h"
#include "paths.h"
#include "registry.h"
#include "registry_json.h"
#include "util.h"

struct image_user {
	char vm[PATHS_NAME_MAX + 1];
	char mode[8];
	char label[LABEL_MAX];
};

struct image_record {
	char path[REGISTRY_PATH_MAX];
	uint64_t dev, ino;
	char boot_id[40];
	uint32_t uid, gid, mode;
	char label[LABEL_MAX];
	/* A ,z/,Z volume's entries (the tree beneath it, as podman relabels
	 * it): the label they were given, and the one they get back. Two
	 * labels whatever the tree's size; "" for disks, or where files carry
	 * no label (SELinux off). */
	char tree_label[LABEL_MAX], contents_label[LABEL_MAX];
	int nusers;
	struct image_user users[64];
};

static int record_path(uint64_t dev, uint64_t ino, char *out, size_t size)
{
	char leaf[64];
	snprintf(leaf, sizeof(leaf), "%llx-%llx.json", (unsigned long long)dev,
		 (unsigned long long)ino);
	return paths_join(out, size, IMAGES_DIR, leaf);
}

static int record_load(const char *path, struct image_record *rec, char *err, size_t errlen)
{
	memset(rec, 0, sizeof(*rec));
	json_object *o = parse_file(path, err, errlen);
	if (!o)
		return -1;
	struct reader r = {.o = o};
	get_str(&r, "path", rec->path, sizeof(rec->path));
	rec->dev = (uint64_t)get_int(&r, "dev", 0, INT64_MAX);
	rec->ino = (uint64_t)get_int(&r, "ino", 0, INT64_MAX);
	get_str(&r, "boot_id", rec->boot_id, sizeof(rec->boot_id));
	rec->uid = (uint32_t)get_int(&r, "uid", 0, UINT32_MAX);
	rec->gid = (uint32_t)get_int(&r, "gid", 0, UINT32_MAX);
	rec->mode = (uint32_t)get_int(&r, "mode", 0, 07777);
	get_str(&r, "label", rec->label, sizeof(rec->label));
	json_object *tree;
	if (json_object_object_get_ex(o, "tree_label", &tree)) { /* a relabelled volume's */
		get_str(&r, "tree_label", rec->tree_label, sizeof(rec->tree_label));
		get_str(&r, "contents_label", rec->contents_label, sizeof(rec->contents_label));
	}
	json_object *users;
	if (json_object_object_get_ex(o, "users", &users) &&
	    json_object_is_type(users, json_type_array) && json_object_array_length(users) <= 64) {
		rec->nusers = (int)json_object_array_length(users);
		for (int i = 0; i < rec->nusers; i++) {
			struct reader u = {.o = json_object_array_get_idx(users, (size_t)i)};
			if (!json_object_is_type(u.o, json_type_object)) {
				r.bad = "users";
				continue;
			}
			get_str(&u, "vm", rec->users[i].vm, sizeof(rec->users[i].vm));
			get_str(&u, "mode", rec->users[i].mode, sizeof(rec->users[i].mode));
			get_str(&u, "label", rec->users[i].label, sizeof(rec->users[i].label));
			if (u.bad)
				r.bad = "users";
		}
	} else {
		r.bad = "users";
	}
	json_object_put(o);
	if (r.bad) {
		snprintf(err, errlen, "%s: field '%s' missing or invalid; not trusted", path,
			 r.bad);
		return -1;
	}
	return 0;
}

static int record_save(const char *path, const struct image_record *rec)
{
	json_object *o = json_object_new_object();
	add_int(o, "format", REGISTRY_FORMAT);
	add_str(o, "path", rec->path);
	add_int(o, "dev", (int64_t)rec->dev);
	add_int(o, "ino", (int64_t)rec->ino);
	add_str(o, "boot_id", rec->boot_id);
	add_int(o, "uid", rec->uid);
	add_int(o, "gid", rec->gid);
	add_int(o, "mode", rec->mode);
	add_str(o, "label", rec->label);
	if (rec->tree_label[0]) {
		add_str(o, "tree_label", rec->tree_label);
		add_str(o, "contents_label", rec->contents_label);
	}
	json_object *users = json_object_new_array();
	for (int i = 0; i < rec->nusers; i++) {
		json_object *u = json_object_new_object();
		add_str(u, "vm", rec->users[i].vm);
		add_str(u, "mode", rec->users[i].mode);
		add_str(u, "label", rec->users[i].label);
		json_object_array_add(users, u);
	}
	json_object_object_add(o, "users", users);
	const char *text = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY);
	int rc = paths_write_state(path, text, strlen(text), 0600);
	json_object_put(o);
	return rc;
}

/* Drops the user `drop` (may be NULL) and every user whose VM is not live
 * (its supervisor died). */
static void record_prune(struct image_record *rec, const char *drop)
{
	int kept = 0;
	for (int i = 0; i < rec->nusers; i++) {
		const char *who = rec->users[i].vm;
		if ((drop && strcmp(who, drop) == 0) || registry_live(who) != 1)
			continue;
		rec->users[kept++] = rec->users[i];
	}
	rec->nusers = kept;
}

/* ---- a ,z/,Z volume's tree ---- */

/* How deep the label walks go; deeper entries keep their label (a warning says so). */
#define TREE_DEPTH 64

struct tree_walk {
	const char *from; /* restore: only entries that carry this label; NULL: all */
	const char *to;
	char first[LABEL_MAX]; /* relabel: the label the first entry had */
	unsigned long other;   /* relabel: entries whose label was not `first` */
	unsigned long failed;  /* entries whose label could not be read or set */
	bool too_deep;
};

/* One entry, through fd (the entry itself, opened from its O_PATH fd). */
static void tree_entry(int fd, struct tree_walk *t)
{
	char now[LABEL_MAX];
	if (fd < 0 || label_file_get(fd, now, sizeof(now)) < 0) {
		t->failed++;
		return;
	}
	if (t->from && strcmp(now, t->from) != 0)
		return; /* labelled by someone else since: theirs */
	if (!t->from && !t->first[0])
		snprintf(t->first, sizeof(t->first), "%s", now);
	else if (!t->from && strcmp(now, t->first) != 0)
		t->other++;
	if (label_file_set(fd, t->to) < 0)
		t->failed++;
}

/*
 * Labels every entry beneath directory dir (an O_RDONLY fd, owned by the
 * walk), depth first, as run_volume.c's ownership walk goes: each entry
 * opened once O_PATH|O_NOFOLLOW (no symlink followed, a name swapped
 * during the walk changes only which of the volume's entries are seen),
 * no mount crossed, and a file linked from elsewhere too left alone (its
 * label is the other name's as well). A directory is walked through an fd
 * reopened from that O_PATH fd; every other entry (files, symlinks, FIFOs,
 * sockets, device nodes) is labelled through the O_PATH fd itself, never
 * opened as such.
 */
static void tree_walk(int dir, dev_t dev, unsigned depth, struct tree_walk *t)
{
	DIR *d = fdopendir(dir);
	if (!d) {
		close(dir);
		return;
	}
	for (struct dirent *de; (de = readdir(d));) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		int e = openat(dirfd(d), de->d_name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
		struct stat st;
		if (e < 0 || fstat(e, &st) < 0 || st.st_dev != dev ||
		    (!S_ISDIR(st.st_mode) && st.st_nlink > 1)) {
			if (e >= 0)
				close(e);
			continue;
		}
		/* Labels are read and set through the O_PATH fd (label.c: by
		 * /proc/self/fd, nothing opened), and a directory is opened to
		 * be walked only while it carries the VM's label: relabelled
		 * before it is opened, restored after its entries. So under
		 * SELinux the supervisor needs no read permission on a user's
		 * directories or files, only relabel (sepolicy/lockvm.te). */
		if (!t->from)
			tree_entry(e, t);
		if (S_ISDIR(st.st_mode) && depth < TREE_DEPTH) {
			int fd = openat(e, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
			if (fd >= 0)
				tree_walk(fd, dev, depth + 1, t); /* owns fd */
		}
		if (t->from)
			tree_entry(e, t);
		t->too_deep |= S_ISDIR(st.st_mode) && depth >= TREE_DEPTH;
		close(e);
	}
	closedir(d);
}

/* Walks the volume directory fd's tree (fd not consumed). */
static void tree_label(int fd, const char *path, struct tree_walk *t)
{
	struct stat st;
	int walk = openat(fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (walk < 0 || fstat(walk, &st) < 0) {
		warn_errno("volume %s: labelling its entries", path);
		if (walk >= 0)
			close(walk);
		return;
	}
	tree_walk(walk, st.st_dev, 0, t);
	if (t->failed)
		warn_msg("volume %s: the label of %lu entries could not be %s", path, t->failed,
			 t->from ? "restored" : "set");
	if (t->too_deep)
		warn_msg("volume %s: entries deeper than %u directories keep their label", path,
			 TREE_DEPTH);
}

/* Puts the recorded owner, mode and label back, through a fresh fd on the
 * path that must still be the same file; a volume's entries that still
 * carry the label the VM's gave them get their recorded one. */
static void record_restore(const struct image_record *rec)
{
	int fd = open(rec->path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) < 0 || (uint64_t)st.st_dev != rec->dev ||
	    (uint64_t)st.st_ino != rec->ino) {
		warn_msg("image %s: gone or replaced; its owner and label are not restored",
			 rec->path);
		if (fd >= 0)
			close(fd);
		return;
	}
	if (fchown(fd, rec->uid, rec->gid) < 0 || fchmod(fd, rec->mode) < 0)
		warn_errno("image %s: restoring owner %u:%u mode %o", rec->path, rec->uid, rec->gid,
			   rec->mode);
	/* A volume's entries first, while its directory still carries the
	 * VM's label the supervisor may read (tree_walk). */
	if (rec->tree_label[0] && S_ISDIR(st.st_mode)) {
		struct tree_walk t = {.from = rec->tree_label, .to = rec->contents_label};
		tree_label(fd, rec->path, &t);
	}
	if (rec->label[0] && label_file_set(fd, rec->label) < 0)
		warn_errno("image %s: restoring label %s", rec->path, rec->label);
	close(fd);
}

/* What images_take and images_take_volume share: `what` names the file in
 * messages ("disk", "volume"), `share` the suffix that shares it. */
static int take(int fd, const char *path, const char *vm, const char *mode, const char *label,
		uid_t uid, gid_t gid, const char *what, const char *share, bool tree, char *err,
		size_t errlen)
{
	struct stat st;
	char rpath[PATH_MAX], lerr[PATH_MAX + 128];
	struct image_record rec;
	if (fstat(fd, &st) < 0 ||
	    record_path((uint64_t)st.st_dev, (uint64_t)st.st_ino, rpath, sizeof(rpath)) < 0) {
		snprintf(err, errlen, "%s %s: %s", what, path, strerror(errno));
		return -1;
	}
	bool have = access(rpath, F_OK) == 0;
	if (have && record_load(rpath, &rec, lerr, sizeof(lerr)) < 0) {
		snprintf(err, errlen, "%s %s: %s", what, path, lerr);
		return -1;
	}
	if (have && strcmp(rec.boot_id, registry_boot_id()) != 0)
		have = false; /* from another boot: stale, what the file is now is the original */
	if (have) {
		record_prune(&rec, NULL);
		for (int i = 0; i < rec.nusers; i++) {
			const struct image_user *u = &rec.users[i];
			bool both_shared =
			    strcmp(u->mode, "shared") == 0 && strcmp(mode, "shared") == 0;
			if (strcmp(u->label, label) != 0 && !both_shared) {
				snprintf(err, errlen,
					 "%s %s is in use by VM '%s' with label %s; refusing to "
					 "give it label %s (use %s on every VM to share it)",
					 what, path, u->vm, u->label[0] ? u->label : "(none)",
					 label[0] ? label : "(none)", share);
				return -1;
			}
		}
		if (rec.nusers == 0) /* last user died: put the original back first */
			record_restore(&rec);
	} else {
		memset(&rec, 0, sizeof(rec));
		if (strlen(path) >= sizeof(rec.path)) {
			snprintf(err, errlen, "%s path longer than %d characters", what,
				 REGISTRY_PATH_MAX - 1);
			return -1;
		}
		snprintf(rec.path, sizeof(rec.path), "%s", path);
		rec.dev = (uint64_t)st.st_dev;
		rec.ino = (uint64_t)st.st_ino;
		snprintf(rec.boot_id, sizeof(rec.boot_id), "%s", registry_boot_id());
		rec.uid = st.st_uid;
		rec.gid = st.st_gid;
		rec.mode = st.st_mode & 07777;
		if (label_file_get(fd, rec.label, sizeof(rec.label)) < 0) {
			snprintf(err, errlen, "%s %s: reading its label: %s", what, path,
				 strerror(errno));
			return -1;
		}
	}
	if (rec.nusers == (int)(sizeof(rec.users) / sizeof(rec.users[0]))) {
		snprintf(err, errlen, "%s %s: already used by %d VMs", what, path, rec.nusers);
		return -1;
	}
	/* A read-write disk becomes the VM's own (the first user's, for a
	 * group's shared image); read-only and shared disks keep their owner. */
	bool chown_it = uid != 0 && strcmp(mode, "rw") == 0 && rec.nusers == 0;
	if (chown_it && (fchown(fd, uid, gid) < 0 || fchmod(fd, 0600) < 0)) {
		snprintf(err, errlen, "%s %s: giving it to uid %u: %s", what, path, uid,
			 strerror(errno));
		record_restore(&rec);
		return -1;
	}
	if (label_file_set(fd, label) < 0) {
		snprintf(err, errlen, "%s %s: labelling it %s: %s", what, path, label,
			 strerror(errno));
		record_restore(&rec);
		return -1;
	}
	/* A volume's first user labels its entries too (later ,z users find
	 * them labelled); not where files carry no label (SELinux off). */
	if (tree && rec.nusers == 0 && rec.label[0] && label[0]) {
		struct tree_walk t = {.to = label};
		tree_label(fd, path, &t);
		snprintf(rec.tree_label, sizeof(rec.tree_label), "%s", label);
		/* An empty tree: what new entries would have got, the directory's. */
		snprintf(rec.contents_label, sizeof(rec.contents_label), "%s",
			 t.first[0] ? t.first : rec.label);
		if (t.other)
			warn_msg("volume %s: %lu entries had a label other than %s; after the VM "
				 "they get %s",
				 path, t.other, rec.contents_label, rec.contents_label);
	}
	struct image_user *u = &rec.users[rec.nusers++];
	snprintf(u->vm, sizeof(u->vm), "%s", vm);
	snprintf(u->mode, sizeof(u->mode), "%s", mode);
	snprintf(u->label, sizeof(u->label), "%s", label);
	if (record_save(rpath, &rec) < 0) {
		snprintf(err, errlen, "%s %s: writing %s: %s", what, path, rpath, strerror(errno));
		rec.nusers--;
		if (rec.nusers == 0)
			record_restore(&rec);
		return -1;
	}
	return 0;
}

int images_take(int fd, const char *path, const char *vm, const char *mode, const char *label,
		uid_t uid, gid_t gid, char *err, size_t errlen)
{
	return take(fd, path, vm, mode, label, uid, gid, "disk", ",shared", false, err, errlen);
}

int images_take_volume(int fd, const char *path, const char *vm, bool private_label,
		       const char *label, char *err, size_t errlen)
{
	/* uid 0: no chown (run_volume.c lends the directory's entries itself);
	 * "rw" is held by one VM's label alone, "shared" by every ,z VM. */
	return take(fd, path, vm, private_label ? "rw" : "shared", label, 0, 0, "volume", ",z",
		    true, err, errlen);
}

/* Calls fn for every image record file. */
static void for_each_record(void (*fn)(const char *path, void *ctx), void *ctx)
{
	char **names, leaf[PATHS_NAME_MAX + 8], path[PATH_MAX];
	size_t n;
	if (paths_names(IMAGES_DIR, ".json", &names, &n) < 0)
		return;
	for (size_t i = 0; i < n; i++) {
		snprintf(leaf, sizeof(leaf), "%s.json", names[i]); /* names are <= 64 */
		if (paths_join(path, sizeof(path), IMAGES_DIR, leaf) == 0)
			fn(path, ctx);
	}
	paths_names_free(names, n);
}

static void release_one(const char *path, void *ctx)
{
	const char *vm = ctx;
	struct image_record rec;
	char err[PATH_MAX + 128];
	if (record_load(path, &rec, err, sizeof(err)) < 0) {
		warn_msg("%s", err);
		return;
	}
	bool mine = false;
	for (int i = 0; i < rec.nusers; i++)
		if (strcmp(rec.users[i].vm, vm) == 0)
			mine = true;
	if (!mine)
		return;
	if (strcmp(rec.boot_id, registry_boot_id()) != 0) {
		unlink(path); /* another boot's record: not trusted to restore */
		return;
	}
	record_prune(&rec, vm);
	if (rec.nusers == 0) {
		record_restore(&rec);
		unlink(path);
	} else if (record_save(path, &rec) < 0) {
		warn_errno("writing %s", path);
	}
}

void images_release(const char *vm)
{
	for_each_record(release_one, (void *)vm);
}

struct users_query {
	const char *path;
	char (*users)[PATHS_NAME_MAX + 1];
	int max, n;
};

static void users_one(const char *rpath, void *ctx)
{
	struct users_query *q = ctx;
	struct image_record rec;
	char err[PATH_MAX + 128];
	if (record_load(rpath, &rec, err, sizeof(err)) < 0 || strcmp(rec.path, q->path) != 0)
		return;
	for (int i = 0; i < rec.nusers && q->n < q->max; i++)
		if (registry_live(rec.users[i].vm) == 1)
			snprintf(q->users[q->n++], PATHS_NAME_MAX + 1, "%s", rec.users[i].vm);
}

int images_users(const char *path, char users[][PATHS_NAME_MAX + 1], int max)
{
	struct users_query q = {.path = path, .users = users, .max = max};
	for_each_record(users_one, &q);
	return q.n;
}
