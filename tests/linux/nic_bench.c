/* --linux bench program for TCP over a NIC (bench/run.sh's linux-tcp and linux-rr lines), run both in a VM and natively:
 *   nic_bench sink PORT READY           accept connections forever; drain each (bulk) or echo each byte (rr)
 *   nic_bench send ADDR PORT MIB        connect, send MIB MiB in 64 KiB writes, shutdown, wait for the
 *                                       sink's close; prints "tcp_mib_per_s N"
 *   nic_bench rr ADDR PORT COUNT        COUNT one-byte request/response round trips; prints "rr_per_s N"
 * The sink tells the modes apart by the first byte: 'B' bulk, 'R' round trips. READY is a file the sink
 * creates once it listens, so the bench starts the clients after that, not after a sleep. */
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define CHUNK (64 << 10)

static char buf[CHUNK];

static double now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static int full_write(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

static void serve(int s)
{
	char mode;
	if (read(s, &mode, 1) != 1)
		return;
	if (mode == 'B') {
		while (read(s, buf, sizeof(buf)) > 0)
			;
		return;
	}
	int one = 1;
	setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	char c;
	while (read(s, &c, 1) == 1 && write(s, &c, 1) == 1)
		;
}

static int sink(int port, const char *ready)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((unsigned short)port)};
	int l = socket(AF_INET, SOCK_STREAM, 0), one = 1;
	setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(l, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(l, 8) < 0) {
		perror("nic_bench sink");
		return 1;
	}
	int fd = open(ready, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0) {
		perror(ready);
		return 1;
	}
	close(fd);
	signal(SIGCHLD, SIG_IGN);
	for (;;) {
		int s = accept(l, NULL, NULL);
		if (s < 0)
			continue;
		if (fork() == 0) {
			serve(s);
			_exit(0);
		}
		close(s);
	}
}

static int dial(const char *addr, int port, char mode)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((unsigned short)port)};
	int s = socket(AF_INET, SOCK_STREAM, 0);
	if (inet_pton(AF_INET, addr, &a.sin_addr) != 1 ||
	    connect(s, (struct sockaddr *)&a, sizeof(a)) < 0 || write(s, &mode, 1) != 1) {
		perror("nic_bench connect");
		exit(1);
	}
	return s;
}

int main(int argc, char **argv)
{
	if (argc == 4 && strcmp(argv[1], "sink") == 0)
		return sink(atoi(argv[2]), argv[3]);
	if (argc != 5 || (strcmp(argv[1], "send") != 0 && strcmp(argv[1], "rr") != 0)) {
		fprintf(
		    stderr,
		    "usage: nic_bench sink PORT READY | send ADDR PORT MIB | rr ADDR PORT COUNT\n");
		return 2;
	}
	long n = atol(argv[4]);
	if (strcmp(argv[1], "send") == 0) {
		int s = dial(argv[2], atoi(argv[3]), 'B');
		memset(buf, 'b', sizeof(buf));
		double t0 = now();
		for (long i = 0; i < n * 16; i++)
			if (full_write(s, buf, sizeof(buf)) < 0) {
				perror("nic_bench send");
				return 1;
			}
		shutdown(s, SHUT_WR);
		while (read(s, buf, sizeof(buf)) > 0) /* the sink's close: every byte was taken */
			;
		double sec = now() - t0;
		printf("tcp_mib_per_s %.1f\n", sec > 0 ? (double)n / sec : 0.0);
		return 0;
	}
	int s = dial(argv[2], atoi(argv[3]), 'R'), one = 1;
	setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	double t0 = now();
	for (long i = 0; i < n; i++) {
		char c = 'r';
		if (write(s, &c, 1) != 1 || read(s, &c, 1) != 1) {
			perror("nic_bench rr");
			return 1;
		}
	}
	double sec = now() - t0;
	printf("rr_per_s %.0f\n", sec > 0 ? (double)n / sec : 0.0);
	return 0;
}
