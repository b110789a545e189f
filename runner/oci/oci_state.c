/* ROOT/ID/state.json: what create learnt, read back by every later command; the status from the pid's life. */
#include "oci_state.h"

#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

bool oci_id_valid(const char *id)
{
	size_t n = strlen(id);
	if (n == 0 || n > 1024 || strcmp(id, ".") == 0 || strcmp(id, "..") == 0)
		return false;
	return strspn(id, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_+.-") ==
	       n;
}

uint64_t oci_pid_start(pid_t pid)
{
	char path[64], buf[1024];
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	/* After the last ')' (comm may hold anything): state, then field 22. */
	char *p = strrchr(buf, ')');
	if (!p || p[1] != ' ' || p[2] == 'Z' || p[2] == 'X')
		return 0;
	p += 2;
	for (int field = 3; field < 22 && p; field++) {
		p = strchr(p, ' ');
		if (p)
			p++;
	}
	unsigned long long start = 0;
	if (!p || sscanf(p, "%llu", &start) != 1)
		return 0;
	return start;
}

static void put_string(json_object *o, const char *key, const char *value)
{
	json_object_object_add(o, key, json_object_new_string(value));
}

int oci_state_save(const struct oci_state *s)
{
	json_object *o = json_object_new_object();
	put_string(o, "id", s->id);
	put_string(o, "bundle", s->bundle);
	put_string(o, "rootfs", s->rootfs);
	put_string(o, "created", s->created);
	put_string(o, "vm_name", s->vm_name);
	json_object_object_add(o, "pid", json_object_new_int64(s->pid));
	json_object_object_add(o, "pid_start", json_object_new_uint64(s->pid_start));
	if (s->pod_netns[0])
		put_string(o, "pod_netns", s->pod_netns);
	if (s->pod_hostname[0])
		put_string(o, "pod_hostname", s->pod_hostname);
	if (s->annotations)
		json_object_object_add(o, "annotations",
				       json_object_get((json_object *)s->annotations));
	char tmp[PATH_MAX + 16], path[PATH_MAX + 16];
	snprintf(tmp, sizeof(tmp), "%s/state.json.tmp", s->dir);
	snprintf(path, sizeof(path), "%s/state.json", s->dir);
	int rc = json_object_to_file_ext(tmp, o, JSON_C_TO_STRING_PLAIN);
	json_object_put(o);
	if (rc < 0 || rename(tmp, path) < 0) {
		unlink(tmp);
		return -1;
	}
	return 0;
}

static void get_string(json_object *o, const char *key, char *out, size_t len)
{
	json_object *v;
	out[0] = '\0';
	if (json_object_object_get_ex(o, key, &v) && json_object_is_type(v, json_type_string))
		snprintf(out, len, "%s", json_object_get_string(v));
}

int oci_state_load(const char *root, const char *id, struct oci_state *s)
{
	memset(s, 0, sizeof(*s));
	if (!oci_id_valid(id))
		return -1;
	snprintf(s->id, sizeof(s->id), "%s", id);
	if ((size_t)snprintf(s->dir, sizeof(s->dir), "%s/%s", root, id) >= sizeof(s->dir))
		return -1;
	char path[PATH_MAX + 16];
	snprintf(path, sizeof(path), "%s/state.json", s->dir);
	/* Written by create under a root-owned --root: ours, but still typed. */
	json_object *o = json_object_from_file(path);
	if (!o || !json_object_is_type(o, json_type_object)) {
		json_object_put(o);
		return -1;
	}
	get_string(o, "bundle", s->bundle, sizeof(s->bundle));
	get_string(o, "rootfs", s->rootfs, sizeof(s->rootfs));
	get_string(o, "created", s->created, sizeof(s->created));
	get_string(o, "vm_name", s->vm_name, sizeof(s->vm_name));
	get_string(o, "pod_netns", s->pod_netns, sizeof(s->pod_netns));
	get_string(o, "pod_hostname", s->pod_hostname, sizeof(s->pod_hostname));
	json_object *v;
	if (json_object_object_get_ex(o, "pid", &v))
		s->pid = (pid_t)json_object_get_int64(v);
	if (json_object_object_get_ex(o, "pid_start", &v))
		s->pid_start = json_object_get_uint64(v);
	if (json_object_object_get_ex(o, "annotations", &v) &&
	    json_object_is_type(v, json_type_object))
		s->annotations = json_object_get(v);
	json_object_put(o);
	return 0;
}

void oci_state_free(struct oci_state *s)
{
	json_object_put((json_object *)s->annotations);
	s->annotations = NULL;
}

enum oci_status oci_state_status(const struct oci_state *s)
{
	if (s->pid <= 0 || s->pid_start == 0 || oci_pid_start(s->pid) != s->pid_start)
		return OCI_STOPPED;
	char fifo[PATH_MAX + 16];
	snprintf(fifo, sizeof(fifo), "%s/exec.fifo", s->dir);
	return access(fifo, F_OK) == 0 ? OCI_CREATED : OCI_RUNNING;
}

const char *oci_status_name(enum oci_status status)
{
	switch (status) {
	case OCI_CREATED: return "created";
	case OCI_RUNNING: return "running";
	case OCI_STOPPED: return "stopped";
	}
	return "unknown";
}

void *oci_state_json(const struct oci_state *s)
{
	enum oci_status status = oci_state_status(s);
	json_object *o = json_object_new_object();
	put_string(o, "ociVersion", "1.1.0");
	put_string(o, "id", s->id);
	json_object_object_add(o, "pid", json_object_new_int64(status == OCI_STOPPED ? 0 : s->pid));
	put_string(o, "status", oci_status_name(status));
	put_string(o, "bundle", s->bundle);
	put_string(o, "rootfs", s->rootfs);
	put_string(o, "created", s->created);
	put_string(o, "owner", "");
	if (s->annotations && json_object_object_length((json_object *)s->annotations) > 0)
		json_object_object_add(o, "annotations",
				       json_object_get((json_object *)s->annotations));
	return o;
}

void oci_state_set_annotations(struct oci_state *s, const struct oci_config *c)
{
	json_object *a = json_object_new_object();
	for (int i = 0; i < c->annotation_count; i++)
		put_string(a, c->annotations[i].key, c->annotations[i].value);
	s->annotations = a;
}
