/* --linux test program for --record: names a hostile guest may give paths (quotes, newlines, control bytes, bytes that are not UTF-8), more paths than the record keeps, and an O_PATH open. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Usage: lx_record names DIR     make (and keep) files of hostile names in DIR
 *        lx_record many DIR N    make and remove N files in DIR, one path each
 *        lx_record long DIR N    the same with paths of about 4,000 bytes each
 *        lx_record opath PATH    open PATH with O_PATH (a handle, no content read) */

static const char *const hostile[] = {
    "q\"uote", "new\nline", "back\\slash", "ctl\x01\x1f\x7f", "bad\xff\xfe-utf8", "cut\xe2\x82",
    "<script>", "\xed\xa0\x80surrogate", "ok-\xc3\xa9\xe2\x82\xac"};

static char dir[4096], path[8192];

int main(int argc, char **argv)
{
	if (argc < 3)
		return 2;
	if (strcmp(argv[1], "opath") == 0) {
		int fd = open(argv[2], O_PATH | O_CLOEXEC);
		if (fd < 0) {
			perror(argv[2]);
			return 1;
		}
		printf("opath ok\n");
		return 0;
	}
	if (strcmp(argv[1], "names") == 0) {
		for (size_t i = 0; i < sizeof(hostile) / sizeof(hostile[0]); i++) {
			snprintf(path, sizeof(path), "%s/%s", argv[2], hostile[i]);
			int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
			if (fd < 0 || write(fd, "x", 1) != 1 || close(fd) < 0) {
				perror(path);
				return 1;
			}
		}
		printf("names made\n");
		return 0;
	}
	if (argc != 4)
		return 2;
	size_t len = (size_t)snprintf(dir, sizeof(dir), "%s", argv[2]);
	if (strcmp(argv[1], "long") == 0) {
		/* 15 directories of 250-byte names: a prefix of 3,765 bytes */
		char name[251];
		memset(name, 'd', 250);
		name[250] = '\0';
		for (int i = 0; i < 15 && len < 3800; i++) {
			len += (size_t)snprintf(dir + len, sizeof(dir) - len, "/%s", name);
			if (mkdir(dir, 0755) < 0) {
				perror("mkdir");
				return 1;
			}
		}
	} else if (strcmp(argv[1], "many") != 0) {
		return 2;
	}
	long n = atol(argv[3]);
	for (long i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "%s/%0200ld", dir, i);
		int fd = open(path, O_WRONLY | O_CREAT, 0644);
		if (fd < 0 || close(fd) < 0 || unlink(path) < 0) {
			perror("open");
			return 1;
		}
	}
	printf("%ld paths made\n", n);
	return 0;
}
