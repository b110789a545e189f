/* libFuzzer target: the --fs image parser (linux_fsimage.c) and path resolution over whatever tree it accepts. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "linux_fs.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct linux_fs fs;
	char err[256];
	/* a private copy: the parser keeps pointers into the image */
	uint8_t *image = malloc(size ? size : 1);
	if (!image)
		return 0;
	memcpy(image, data, size);
	if (size && linux_fs_parse(&fs, image, size, 4096, err, sizeof(err)) == 0) {
		static const char *const paths[] = {"/",	  "/a",		"/a/b", "../../x",
						    "/tmp/../..", "a/./b/../c", "/tmp", "x/y/z/"};
		for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
			struct linux_node *node, *parent;
			char last[256];
			linux_fs_resolve(&fs, fs.root, paths[i], LINUX_RESOLVE_FOLLOW, &node,
					 &parent, last, sizeof(last));
		}
		for (uint32_t n = 0; n < fs.node_count && n < 64; n++) {
			const char *name;
			size_t len;
			struct linux_node *child;
			for (uint64_t k = 0;
			     k < 8 && linux_fs_dirent(&fs, &fs.nodes[n], k, &name, &len, &child);
			     k++)
				if (len > 255)
					abort();
		}
		linux_fs_free(&fs);
	}
	free(image);
	return 0;
}
