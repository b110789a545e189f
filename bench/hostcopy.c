/* hostcopy SRC DST: copies SRC onto DST with 1 MiB pread/pwrite, the host baseline for blkcopy.elf. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	static char buf[1 << 20];
	if (argc != 3)
		return 2;
	int in = open(argv[1], O_RDONLY), out = open(argv[2], O_WRONLY);
	if (in < 0 || out < 0) {
		perror("open");
		return 1;
	}
	off_t off = 0;
	for (;;) {
		ssize_t n = pread(in, buf, sizeof(buf), off);
		if (n < 0) {
			perror("pread");
			return 1;
		}
		if (n == 0)
			break;
		if (pwrite(out, buf, (size_t)n, off) != n) {
			perror("pwrite");
			return 1;
		}
		off += n;
	}
	return 0;
}
