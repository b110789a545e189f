/* --linux: FIFOs (mkfifo, mknod) between processes: open waits for the other end, O_NONBLOCK rules, data and EOF, poll; mknod of a regular file and refused device nodes; prints "fifo ok" or the checks that failed. Argument: the directory to work in (default /tmp). */
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lx_checkline.h"

static char path[256];

/* The state letter of /proc/PID/stat. */
static char state_of(pid_t pid)
{
	char name[64], buf[512];
	snprintf(name, sizeof(name), "/proc/%d/stat", (int)pid);
	int fd = open(name, O_RDONLY);
	if (fd < 0)
		return '?';
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	buf[n > 0 ? n : 0] = '\0';
	char *p = strrchr(buf, ')');
	return p && p[1] == ' ' ? p[2] : '?';
}

/* Waits (yielding) until child blocks in a call: its state is S. */
static int wait_blocked(pid_t child)
{
	for (int i = 0; i < 100000; i++) {
		if (state_of(child) == 'S')
			return 1;
		sched_yield();
	}
	return 0;
}

/* A child opens the FIFO for `child_mode` and says so on a pipe; the
 * parent sees it still waiting, opens the other end, and data flows. */
static void between(int child_mode)
{
	int said[2];
	if (pipe(said)) {
		CHECK(0, "pipe");
		return;
	}
	pid_t c = fork();
	if (c == 0) {
		close(said[0]);
		int fd = open(path, child_mode);
		if (fd < 0)
			_exit(2);
		(void)!write(said[1], "o", 1);
		if (child_mode == O_WRONLY) {
			(void)!write(fd, "hello", 5);
		} else {
			char buf[16] = {0};
			ssize_t n = read(fd, buf, sizeof(buf));
			ssize_t eof = read(fd, buf + 8, 1);
			_exit(n == 5 && memcmp(buf, "hello", 5) == 0 && eof == 0 ? 0 : 3);
		}
		_exit(0);
	}
	close(said[1]);
	CHECK(wait_blocked(c), "fifo: the child's open waits (state S)");
	struct pollfd pf = {.fd = said[0], .events = POLLIN};
	CHECK(poll(&pf, 1, 0) == 0, "fifo: open(%s) waits for the other end",
	      child_mode == O_WRONLY ? "O_WRONLY" : "O_RDONLY");
	int fd = open(path, child_mode == O_WRONLY ? O_RDONLY : O_WRONLY);
	CHECK(fd >= 0, "fifo: the parent opens the other end");
	char o = 0;
	CHECK(read(said[0], &o, 1) == 1 && o == 'o', "fifo: then the child's open returns");
	if (child_mode == O_WRONLY) {
		char buf[16] = {0};
		ssize_t n = 0, r;
		while ((r = read(fd, buf + n, sizeof(buf) - 1 - (size_t)n)) > 0)
			n += r;
		CHECK(n == 5 && strcmp(buf, "hello") == 0 && r == 0,
		      "fifo: the reader gets the writer's bytes, then EOF (%zd '%s')", n, buf);
	} else {
		CHECK(write(fd, "hello", 5) == 5, "fifo: write to the waiting reader");
	}
	close(fd);
	int st = -1;
	CHECK(waitpid(c, &st, 0) == c && WIFEXITED(st) && WEXITSTATUS(st) == 0,
	      "fifo: the child's side (status 0x%x)", st);
	close(said[0]);
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	signal(SIGPIPE, SIG_IGN); /* EPIPE is checked */
	const char *dir = argc > 1 ? argv[1] : "/tmp";
	snprintf(path, sizeof(path), "%s/fifo", dir);
	struct stat st;
	CHECK(mkfifo(path, 0640) == 0, "mkfifo %s", path);
	CHECK(stat(path, &st) == 0 && S_ISFIFO(st.st_mode) && (st.st_mode & 0777) == 0640,
	      "stat: a FIFO 0640 (0%o)", st.st_mode);
	CHECK(mkfifo(path, 0600) == -1 && errno == EEXIST, "mkfifo again: EEXIST");

	/* O_NONBLOCK: a writer without a reader ENXIO; a reader goes on. */
	CHECK(open(path, O_WRONLY | O_NONBLOCK) == -1 && errno == ENXIO,
	      "fifo: O_WRONLY|O_NONBLOCK without a reader is ENXIO");
	int r = open(path, O_RDONLY | O_NONBLOCK);
	CHECK(r >= 0, "fifo: O_RDONLY|O_NONBLOCK opens without a writer");
	char buf[8];
	CHECK(read(r, buf, sizeof(buf)) == 0, "fifo: no writer yet: read gives EOF");
	int w = open(path, O_WRONLY | O_NONBLOCK);
	CHECK(w >= 0, "fifo: O_WRONLY|O_NONBLOCK with a reader opens");
	struct pollfd pf = {.fd = r, .events = POLLIN};
	CHECK(poll(&pf, 1, 0) == 0, "fifo: nothing to read yet");
	CHECK(write(w, "ab", 2) == 2, "fifo: write");
	CHECK(poll(&pf, 1, 0) == 1 && (pf.revents & POLLIN), "fifo: poll says POLLIN");
	CHECK(read(r, buf, sizeof(buf)) == 2 && memcmp(buf, "ab", 2) == 0, "fifo: read back");
	CHECK(fstat(r, &st) == 0 && S_ISFIFO(st.st_mode), "fifo: fstat of an end is a FIFO");
	CHECK(lseek(r, 0, SEEK_SET) == -1 && errno == ESPIPE, "fifo: lseek is ESPIPE");
	close(r);
	CHECK(write(w, "c", 1) == -1 && errno == EPIPE, "fifo: no reader left: EPIPE");
	close(w);
	int rw = open(path, O_RDWR);
	CHECK(rw >= 0, "fifo: O_RDWR opens at once");
	CHECK(write(rw, "x", 1) == 1 && read(rw, buf, 1) == 1 && buf[0] == 'x',
	      "fifo: O_RDWR writes and reads itself");
	close(rw);

	between(O_WRONLY);
	between(O_RDONLY);

	/* An unlinked FIFO still joins its open ends. */
	r = open(path, O_RDONLY | O_NONBLOCK);
	w = open(path, O_WRONLY);
	CHECK(r >= 0 && w >= 0 && unlink(path) == 0, "fifo: unlink while open");
	CHECK(write(w, "z", 1) == 1 && read(r, buf, 1) == 1 && buf[0] == 'z',
	      "fifo: unlinked, its ends still meet");
	close(r);
	close(w);

	char file[300];
	snprintf(file, sizeof(file), "%s/plain", dir);
	CHECK(mknod(file, S_IFREG | 0600, 0) == 0 && stat(file, &st) == 0 &&
		  S_ISREG(st.st_mode) && st.st_size == 0,
	      "mknod S_IFREG: an empty file");
	CHECK(mknod(file, S_IFIFO | 0600, 0) == -1 && errno == EEXIST, "mknod over a file: EEXIST");
	snprintf(file, sizeof(file), "%s/null", dir);
	CHECK(mknod(file, S_IFCHR | 0666, makedev(1, 3)) == -1 && errno == EPERM,
	      "mknod of a character device: EPERM");
	CHECK(mknod(file, S_IFBLK | 0666, makedev(8, 0)) == -1 && errno == EPERM,
	      "mknod of a block device: EPERM");
	CHECK(stat(file, &st) == -1 && errno == ENOENT, "no device node was made");
	CHECK(mknod(file, S_IFDIR | 0755, 0) == -1 && errno == EPERM, "mknod S_IFDIR: EPERM");
	if (failures)
		return 1;
	printf("fifo ok\n");
	return 0;
}
