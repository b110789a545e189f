/* features and spec: what lockvm-oci offers, and a config.json it takes as it is. */
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "oci.h"
#include "oci_config.h"

static json_object *strings(const char *const *list)
{
	json_object *a = json_object_new_array();
	for (; *list; list++)
		json_object_array_add(a, json_object_new_string(*list));
	return a;
}

int oci_cmd_features(int argc, char **argv)
{
	(void)argv;
	if (argc != 1)
		oci_fail("features: takes no argument");
	static const char *const namespaces[] = {"cgroup", "ipc",  "mount", "network",
						 "pid",	   "user", "uts",   NULL};
	static const char *const mount_options[] = {"bind",   "rbind", "ro",	 "rw",
						    "nosuid", "nodev", "noexec", NULL};
	json_object *o = json_object_new_object();
	json_object_object_add(o, "ociVersionMin", json_object_new_string("1.0.0"));
	json_object_object_add(o, "ociVersionMax", json_object_new_string("1.1.0"));
	json_object_object_add(o, "hooks", strings(oci_hook_names));
	json_object_object_add(o, "mountOptions", strings(mount_options));
	json_object *l = json_object_new_object();
	/* Namespaces are the VM's own; none is joined. */
	json_object_object_add(l, "namespaces", strings(namespaces));
	json_object *cg = json_object_new_object();
	json_object_object_add(cg, "v1", json_object_new_boolean(1));
	json_object_object_add(cg, "v2", json_object_new_boolean(0));
	json_object_object_add(cg, "systemd", json_object_new_boolean(0));
	json_object_object_add(l, "cgroup", cg);
	json_object *sel = json_object_new_object();
	json_object_object_add(sel, "enabled", json_object_new_boolean(1));
	json_object_object_add(l, "selinux", sel);
	json_object_object_add(o, "linux", l);
	json_object *ann = json_object_new_object();
	json_object_object_add(ann, "io.lockvm.runtime", json_object_new_string("lockvm"));
	json_object_object_add(o, "annotations", ann);
	oci_print_json(o);
	return 0;
}

/* A config.json lockvm-oci runs as it is: ./rootfs, sh, the VM's own
 * file systems. */
static const char default_spec[] =
    "{\n"
    "  \"ociVersion\": \"1.1.0\",\n"
    "  \"process\": {\n"
    "    \"terminal\": true,\n"
    "    \"user\": {\"uid\": 0, \"gid\": 0},\n"
    "    \"args\": [\"sh\"],\n"
    "    \"env\": [\"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\",\n"
    "            \"TERM=xterm\"],\n"
    "    \"cwd\": \"/\",\n"
    "    \"noNewPrivileges\": true\n"
    "  },\n"
    "  \"root\": {\"path\": \"rootfs\", \"readonly\": true},\n"
    "  \"hostname\": \"lockvm\",\n"
    "  \"mounts\": [\n"
    "    {\"destination\": \"/proc\", \"type\": \"proc\", \"source\": \"proc\"},\n"
    "    {\"destination\": \"/dev\", \"type\": \"tmpfs\", \"source\": \"tmpfs\",\n"
    "     \"options\": [\"nosuid\", \"strictatime\", \"mode=755\", \"size=65536k\"]},\n"
    "    {\"destination\": \"/tmp\", \"type\": \"tmpfs\", \"source\": \"tmpfs\"}\n"
    "  ],\n"
    "  \"linux\": {\n"
    "    \"namespaces\": [{\"type\": \"pid\"}, {\"type\": \"network\"}, {\"type\": \"ipc\"},\n"
    "                   {\"type\": \"uts\"}, {\"type\": \"mount\"}]\n"
    "  }\n"
    "}\n";

int oci_cmd_spec(int argc, char **argv)
{
	const char *bundle = ".";
	for (int i = 1; i < argc; i++) {
		const char *v;
		if (oci_opt_value(argc, argv, &i, "bundle", &v) ||
		    oci_opt_value(argc, argv, &i, "b", &v))
			bundle = v;
		else
			oci_fail("spec: unknown option %s", argv[i]);
	}
	char path[4200];
	snprintf(path, sizeof(path), "%s/config.json", bundle);
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (fd < 0 && errno == EEXIST)
		oci_fail("File %s exists. Remove it first", path);
	if (fd < 0 || write_all(fd, default_spec, sizeof(default_spec) - 1) < 0)
		oci_fail("%s: %s", path, strerror(errno));
	close(fd);
	return 0;
}
