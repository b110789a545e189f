/* --linux test program: streams MIB MiB through an AF_UNIX socketpair, both ends in this process, 64 KiB at a time; prints the throughput in MiB/s. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	long mib = argc > 1 ? atol(argv[1]) : 64;
	static char buf[64 << 10];
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0) {
		perror("socketpair");
		return 1;
	}
	memset(buf, 'u', sizeof(buf));
	struct timespec a, b;
	clock_gettime(CLOCK_MONOTONIC, &a);
	long long left = mib << 20;
	while (left > 0) {
		ssize_t w = write(sv[0], buf, sizeof(buf));
		ssize_t r = w > 0 ? read(sv[1], buf, (size_t)w) : -1;
		if (r != w) {
			perror("write/read");
			return 1;
		}
		left -= r;
	}
	clock_gettime(CLOCK_MONOTONIC, &b);
	double s = (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9;
	printf("unix_mib_per_s %.1f\n", s > 0 ? (double)mib / s : 0.0);
	return 0;
}
