/* --linux: splice and tee with a pipe on one side: pipe->file, file->pipe (offsets), pipe->pipe, pipe<->socket, tee, and Linux's errors; futimesat; prints "splice ok" or the checks that failed. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <unistd.h>

#include "lx_checkline.h"

static int make_file(const char *path, const char *text)
{
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	if (fd >= 0 && text)
		CHECK(write(fd, text, strlen(text)) == (ssize_t)strlen(text), "write %s", path);
	return fd;
}

/* What a read of fd gets now, as a string. */
static const char *got(int fd)
{
	static char buf[128];
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	buf[n > 0 ? n : 0] = '\0';
	return buf;
}

int main(void)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	signal(SIGPIPE, SIG_IGN);
	int p[2], q[2], s[2];
	if (pipe(p) || pipe(q) || socketpair(AF_UNIX, SOCK_STREAM, 0, s)) {
		printf("FAIL setup\n");
		return 1;
	}
	/* pipe -> file at an offset: the written bytes leave the pipe */
	int f = make_file("/tmp/out", NULL);
	CHECK(write(p[1], "hello world", 11) == 11, "write pipe");
	loff_t off = 0;
	CHECK(splice(p[0], NULL, f, &off, 5, 0) == 5 && off == 5, "splice pipe->file: 5 bytes, offset 5");
	CHECK(pread(f, (char[8]){0}, 5, 0) == 5, "pread");
	char five[6] = {0};
	CHECK(pread(f, five, 5, 0) == 5 && strcmp(five, "hello") == 0, "the file holds 'hello' (%s)",
	      five);
	CHECK(lseek(f, 0, SEEK_CUR) == 0, "an explicit offset leaves the file's own");
	CHECK(strcmp(got(p[0]), " world") == 0, "the rest stays in the pipe");

	/* file -> pipe, from an offset, then from the file's own offset */
	int g = make_file("/tmp/in", "abcdef");
	off = 2;
	CHECK(splice(g, &off, p[1], NULL, 3, SPLICE_F_MOVE | SPLICE_F_MORE) == 3 && off == 5,
	      "splice file->pipe: 3 bytes from offset 2");
	CHECK(strcmp(got(p[0]), "cde") == 0, "the pipe gets 'cde'");
	CHECK(lseek(g, 1, SEEK_SET) == 1 && splice(g, NULL, p[1], NULL, 100, 0) == 5 &&
		  lseek(g, 0, SEEK_CUR) == 6,
	      "splice file->pipe with no offset: the file's own, advanced");
	CHECK(strcmp(got(p[0]), "bcdef") == 0, "the pipe gets 'bcdef'");

	/* pipe -> pipe, and tee */
	CHECK(write(p[1], "pipe2pipe", 9) == 9, "write");
	CHECK(splice(p[0], NULL, q[1], NULL, 100, 0) == 9, "splice pipe->pipe");
	CHECK(strcmp(got(q[0]), "pipe2pipe") == 0, "the second pipe holds it");
	CHECK(write(p[1], "teed", 4) == 4, "write");
	CHECK(tee(p[0], q[1], 100, 0) == 4, "tee: 4 bytes");
	CHECK(strcmp(got(q[0]), "teed") == 0, "tee: the copy");
	CHECK(strcmp(got(p[0]), "teed") == 0, "tee: the bytes stay in the first pipe");

	/* socket -> pipe -> socket */
	CHECK(write(s[0], "sock", 4) == 4, "write socket");
	CHECK(splice(s[1], NULL, p[1], NULL, 64, 0) == 4, "splice socket->pipe");
	CHECK(splice(p[0], NULL, s[1], NULL, 64, 0) == 4, "splice pipe->socket");
	CHECK(strcmp(got(s[0]), "sock") == 0, "the bytes went round");

	/* errors, as Linux */
	errno = 0;
	CHECK(splice(f, NULL, g, NULL, 1, 0) == -1 && errno == EINVAL, "two files: EINVAL");
	off = 0;
	CHECK(splice(p[0], &off, f, NULL, 1, 0) == -1 && errno == ESPIPE,
	      "an offset for the pipe: ESPIPE");
	CHECK(splice(p[0], NULL, p[1], NULL, 1, 0) == -1 && errno == EINVAL, "one pipe: EINVAL");
	CHECK(splice(g, NULL, p[1], NULL, 1, 0x10) == -1 && errno == EINVAL,
	      "an unknown flag: EINVAL");
	CHECK(splice(p[0], NULL, f, NULL, 1, SPLICE_F_NONBLOCK) == -1 && errno == EAGAIN,
	      "SPLICE_F_NONBLOCK on an empty pipe: EAGAIN");
	CHECK(splice(99, NULL, p[1], NULL, 1, 0) == -1 && errno == EBADF, "a bad fd: EBADF");
	CHECK(splice(p[1], NULL, f, NULL, 1, 0) == -1 && errno == EBADF,
	      "from a write end: EBADF");
	CHECK(tee(g, q[1], 1, 0) == -1 && errno == EINVAL, "tee from a file: EINVAL");
	int app = open("/tmp/out", O_WRONLY | O_APPEND);
	CHECK(write(p[1], "x", 1) == 1, "write");
	CHECK(splice(p[0], NULL, app, NULL, 1, 0) == -1 && errno == EINVAL,
	      "to an O_APPEND file: EINVAL");
	CHECK(splice(p[0], NULL, f, NULL, 0, 0) == 0, "zero bytes: 0");
	close(p[1]);
	CHECK(splice(p[0], NULL, f, NULL, 5, 0) == 1, "the last byte");
	CHECK(splice(p[0], NULL, f, NULL, 5, 0) == 0, "no writer left: 0 (EOF)");
	close(q[0]);
	CHECK(splice(g, &(loff_t){0}, q[1], NULL, 1, 0) == -1 && errno == EPIPE,
	      "into a pipe without a reader: EPIPE");

	/* futimesat: struct timeval times; a bad tv_usec is EINVAL */
	struct timeval tv[2] = {{1000, 0}, {2000, 500000}};
	struct stat st;
	CHECK(syscall(SYS_futimesat, AT_FDCWD, "/tmp/in", tv) == 0 && stat("/tmp/in", &st) == 0 &&
		  st.st_mtim.tv_sec == 2000 && st.st_mtim.tv_nsec == 500000000,
	      "futimesat sets the mtime (%ld.%09ld)", (long)st.st_mtim.tv_sec,
	      (long)st.st_mtim.tv_nsec);
	tv[1].tv_usec = 1000000;
	CHECK(syscall(SYS_futimesat, AT_FDCWD, "/tmp/in", tv) == -1 && errno == EINVAL,
	      "futimesat: tv_usec 1000000 is EINVAL");
	CHECK(syscall(SYS_futimesat, AT_FDCWD, "/tmp/in", NULL) == 0 && stat("/tmp/in", &st) == 0 &&
		  st.st_mtim.tv_sec > 2000,
	      "futimesat with no times: now");
	if (failures)
		return 1;
	printf("splice ok\n");
	return 0;
}
