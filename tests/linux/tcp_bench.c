/* --linux test program: streams MIB MiB through a TCP connection over 127.0.0.1, both ends in this process, 32 KiB at a time; prints the throughput in MiB/s. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define CHUNK (32 << 10)

int main(int argc, char **argv)
{
	long mib = argc > 1 ? atol(argv[1]) : 64;
	static char buf[CHUNK];
	struct sockaddr_in a = {.sin_family = AF_INET};
	socklen_t len = sizeof(a);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	int l = socket(AF_INET, SOCK_STREAM, 0), c = socket(AF_INET, SOCK_STREAM, 0), s;
	if (bind(l, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(l, 1) < 0 ||
	    getsockname(l, (struct sockaddr *)&a, &len) < 0 ||
	    connect(c, (struct sockaddr *)&a, sizeof(a)) < 0 || (s = accept(l, NULL, NULL)) < 0) {
		perror("tcp setup");
		return 1;
	}
	memset(buf, 't', sizeof(buf));
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	long long left = mib << 20;
	while (left > 0) {
		ssize_t w = send(c, buf, sizeof(buf), 0), got = 0;
		while (w > 0 && got < w) {
			ssize_t r = recv(s, buf, (size_t)(w - got), 0);
			if (r <= 0)
				break;
			got += r;
		}
		if (w <= 0 || got != w) {
			perror("send/recv");
			return 1;
		}
		left -= got;
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	double sec = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	printf("tcp_mib_per_s %.1f\n", sec > 0 ? (double)mib / sec : 0.0);
	return 0;
}
