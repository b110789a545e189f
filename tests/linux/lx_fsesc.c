/* --linux test program: tries to leave the --fs tree (paths, symlinks, long paths) and to write to it; prints what each open gave, one line each. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *errname(int e)
{
	switch (e) {
	case ENOENT: return "ENOENT";
	case EACCES: return "EACCES";
	case ELOOP: return "ELOOP";
	case ENAMETOOLONG: return "ENAMETOOLONG";
	case EROFS: return "EROFS";
	case ENOTDIR: return "ENOTDIR";
	case ENXIO: return "ENXIO";
	case EAGAIN: return "EAGAIN";
	default: return "other";
	}
}

/* Opens path read-only (or for writing) and prints its first line or the errno. */
static void show(const char *label, const char *path, int flags)
{
	int fd = open(path, flags | O_NONBLOCK);
	if (fd < 0) {
		printf("%s: %s\n", label, errname(errno));
		return;
	}
	char buf[128] = "";
	ssize_t n = (flags & O_ACCMODE) == O_RDONLY ? read(fd, buf, sizeof(buf) - 1) : 0;
	close(fd);
	if (n < 0) {
		printf("%s: read %s\n", label, errname(errno));
		return;
	}
	buf[n] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	printf("%s: opened \"%s\"\n", label, buf);
}

/* "/" then "./" repeated, then the name: a path of exactly len bytes. */
static char *long_path(size_t len, const char *name)
{
	char *p = malloc(len + 1);
	size_t nl = strlen(name), i = 1;
	p[0] = '/';
	while (i + 2 <= len - nl) {
		p[i++] = '.';
		p[i++] = '/';
	}
	while (i < len - nl)
		p[i++] = '/';
	memcpy(p + i, name, nl + 1);
	return p;
}

int main(int argc, char **argv)
{
	if (argc >= 3 && strcmp(argv[1], "loop") == 0) {
		/* Opens argv[2] argv[3] times; counts host /etc/passwd contents seen. */
		int n = atoi(argv[3]), ok = 0, leaked = 0;
		for (int i = 0; i < n; i++) {
			int fd = open(argv[2], O_RDONLY);
			if (fd < 0)
				continue;
			char buf[256] = "";
			ssize_t got = read(fd, buf, sizeof(buf) - 1);
			close(fd);
			if (got > 0) {
				ok++;
				leaked += strstr(buf, "root:x:0:0") != NULL;
			}
		}
		printf("loop: %d opens, %d read, %d leaked\n", n, ok, leaked);
		return leaked != 0;
	}
	show("dotdot", "/../../../../../../etc/passwd", O_RDONLY);
	show("abs-link", "/abs", O_RDONLY);
	show("rel-link", "/rel", O_RDONLY);
	show("chain40", "/chain/l40", O_RDONLY);
	show("chain41", "/chain/l41", O_RDONLY);
	show("fifo", "/fifo", O_RDONLY);
	show("device", "/null", O_RDONLY);
	show("hardlink", "/hard", O_RDONLY);
	char *p = long_path(4095, "etc/passwd");
	show("path4095", p, O_RDONLY);
	free(p);
	p = long_path(4096, "etc/passwd");
	show("path4096", p, O_RDONLY);
	free(p);
	show("write", "/etc/passwd", O_WRONLY);
	show("create", "/etc/new", O_WRONLY | O_CREAT);
	show("trunc", "/etc/passwd", O_RDONLY | O_TRUNC);
	return 0;
}
