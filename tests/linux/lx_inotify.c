/* --linux: inotify: the events of create, open, read, write, close, chmod, utimensat, rename (one cookie), mkdir, rmdir, unlink (IN_DELETE_SELF, IN_IGNORED), a file's and its directory's watches, coalescing, IN_ONESHOT, IN_MASK_ADD/CREATE, IN_ONLYDIR, IN_EXCL_UNLINK, rm_watch, FIONREAD, EINVAL for a short buffer, poll and epoll readiness, a blocking read another process's write wakes; with "bounds": IN_Q_OVERFLOW at 16384 queued events, ENOSPC at 8192 watches, EMFILE at 128 instances. Prints "inotify ok" or the checks that failed. Arguments: the directory to work in (default /tmp), then "bounds". */
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/inotify.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lx_checkline.h"

static char dir[200];

/* One event read back; name empty when it has none. */
struct ev {
	int wd;
	uint32_t mask, cookie;
	char name[64];
};

static struct ev evs[64];
static int nev;

/* Reads every queued event of nonblocking fd into evs. */
static void drain(int fd)
{
	char buf[8192] __attribute__((aligned(8)));
	nev = 0;
	ssize_t n;
	while ((n = read(fd, buf, sizeof(buf))) > 0) {
		for (ssize_t off = 0; off < n;) {
			struct inotify_event *e = (struct inotify_event *)(buf + off);
			if (nev < 64) {
				evs[nev].wd = e->wd;
				evs[nev].mask = e->mask;
				evs[nev].cookie = e->cookie;
				snprintf(evs[nev].name, sizeof(evs[nev].name), "%s",
					 e->len ? e->name : "");
				nev++;
			}
			off += (ssize_t)sizeof(*e) + e->len;
		}
	}
}

/* Whether evs[i] is (wd, mask, name). */
static int is(int i, int wd, uint32_t mask, const char *name)
{
	return i < nev && evs[i].wd == wd && evs[i].mask == mask && strcmp(evs[i].name, name) == 0;
}

static void show(const char *what)
{
	printf("  %s: %d events:", what, nev);
	for (int i = 0; i < nev; i++)
		printf(" [wd %d mask %#x cookie %u '%s']", evs[i].wd, evs[i].mask, evs[i].cookie,
		       evs[i].name);
	printf("\n");
}

#define EXPECT(cond, what)                                                                         \
	do {                                                                                       \
		CHECK(cond, "%s", what);                                                           \
		if (!(cond))                                                                       \
			show(what);                                                                \
	} while (0)

static char *at(const char *name)
{
	static char p[4][300];
	static int k;
	k = (k + 1) % 4;
	snprintf(p[k], sizeof(p[k]), "%s/%s", dir, name);
	return p[k];
}

static void write_file(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY | O_APPEND);
	CHECK(fd >= 0 && write(fd, s, strlen(s)) == (ssize_t)strlen(s), "write %s", path);
	close(fd);
}

/* Waits (yielding) until pid blocks in a call: its state is S. */
static int wait_blocked(pid_t pid)
{
	char name[64], buf[512];
	snprintf(name, sizeof(name), "/proc/%d/stat", (int)pid);
	for (int i = 0; i < 100000; i++) {
		int fd = open(name, O_RDONLY);
		ssize_t n = fd >= 0 ? read(fd, buf, sizeof(buf) - 1) : -1;
		close(fd);
		buf[n > 0 ? n : 0] = '\0';
		char *p = strrchr(buf, ')');
		if (p && p[1] == ' ' && p[2] == 'S')
			return 1;
		sched_yield();
	}
	return 0;
}

static void events(void)
{
	CHECK(inotify_init1(0x1234) < 0 && errno == EINVAL, "inotify_init1(bad flags): EINVAL");
	int in = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	CHECK(in >= 0, "inotify_init1(IN_NONBLOCK|IN_CLOEXEC)");
	CHECK(fcntl(in, F_GETFD) == FD_CLOEXEC, "IN_CLOEXEC sets close-on-exec");
	char b[64];
	CHECK(read(in, b, sizeof(b)) < 0 && errno == EAGAIN, "an empty IN_NONBLOCK read: EAGAIN");
	CHECK(inotify_add_watch(in, dir, 0) < 0 && errno == EINVAL, "a mask of no event: EINVAL");
	CHECK(inotify_add_watch(0, dir, IN_CREATE) < 0 && errno == EINVAL,
	      "add_watch on a non-inotify fd: EINVAL");
	CHECK(inotify_add_watch(99, dir, IN_CREATE) < 0 && errno == EBADF, "a closed fd: EBADF");
	CHECK(inotify_add_watch(in, at("nothing"), IN_CREATE) < 0 && errno == ENOENT,
	      "a missing path: ENOENT");
	int wd = inotify_add_watch(in, dir, IN_ALL_EVENTS);
	CHECK(wd >= 1, "a watch on the directory");
	CHECK(inotify_add_watch(in, dir, IN_ALL_EVENTS) == wd, "the same directory: the same wd");
	CHECK(inotify_add_watch(in, dir, IN_CREATE | IN_MASK_CREATE) < 0 && errno == EEXIST,
	      "IN_MASK_CREATE on a watched directory: EEXIST");

	/* create, write twice (coalesced), close */
	int fd = open(at("f"), O_CREAT | O_WRONLY, 0644);
	CHECK(fd >= 0 && write(fd, "a", 1) == 1 && write(fd, "b", 1) == 1, "create and write f");
	int unread = -1;
	CHECK(ioctl(in, FIONREAD, &unread) == 0 && unread == 3 * 32,
	      "FIONREAD: three events of 16 + 16 bytes (got %d)", unread);
	close(fd);
	drain(in);
	EXPECT(nev == 4 && is(0, wd, IN_CREATE, "f") && is(1, wd, IN_OPEN, "f") &&
		   is(2, wd, IN_MODIFY, "f") && is(3, wd, IN_CLOSE_WRITE, "f"),
	       "create, open, one IN_MODIFY for two writes (coalesced), close-write");

	/* a watch on the file too: its own events have no name */
	int wf = inotify_add_watch(in, at("f"), IN_ALL_EVENTS | IN_ONLYDIR);
	CHECK(wf < 0 && errno == ENOTDIR, "IN_ONLYDIR on a file: ENOTDIR");
	wf = inotify_add_watch(in, at("f"), IN_ALL_EVENTS);
	CHECK(wf >= 1 && wf != wd, "a watch on the file: a new wd");
	fd = open(at("f"), O_RDONLY);
	CHECK(fd >= 0 && read(fd, b, sizeof(b)) == 2, "read f");
	close(fd);
	drain(in);
	EXPECT(nev == 6 && is(0, wd, IN_OPEN, "f") && is(1, wf, IN_OPEN, "") &&
		   is(2, wd, IN_ACCESS, "f") && is(3, wf, IN_ACCESS, "") &&
		   is(4, wd, IN_CLOSE_NOWRITE, "f") && is(5, wf, IN_CLOSE_NOWRITE, ""),
	       "open, read, close of f: the directory's event with the name, the file's without");
	CHECK(chmod(at("f"), 0600) == 0, "chmod f");
	drain(in);
	EXPECT(nev == 2 && is(0, wd, IN_ATTRIB, "f") && is(1, wf, IN_ATTRIB, ""),
	       "chmod: IN_ATTRIB");
	CHECK(utimensat(AT_FDCWD, at("f"), NULL, 0) == 0, "utimensat f");
	drain(in);
	EXPECT(nev == 2 && is(0, wd, IN_ATTRIB, "f") && is(1, wf, IN_ATTRIB, ""),
	       "utimensat: IN_ATTRIB");
	CHECK(truncate(at("f"), 1) == 0, "truncate f");
	drain(in);
	EXPECT(nev == 2 && is(0, wd, IN_MODIFY, "f") && is(1, wf, IN_MODIFY, ""),
	       "truncate: IN_MODIFY");

	/* a listing of the directory: its own events, with IN_ISDIR */
	fd = open(dir, O_RDONLY | O_DIRECTORY);
	char ents[4096];
	CHECK(fd >= 0 && syscall(SYS_getdents64, fd, ents, sizeof(ents)) > 0 &&
		  syscall(SYS_getdents64, fd, ents, sizeof(ents)) == 0,
	      "list the directory");
	close(fd);
	drain(in);
	EXPECT(nev == 3 && is(0, wd, IN_OPEN | IN_ISDIR, "") && is(1, wd, IN_ACCESS | IN_ISDIR, "") &&
		   is(2, wd, IN_CLOSE_NOWRITE | IN_ISDIR, ""),
	       "getdents64 twice: IN_OPEN, one IN_ACCESS (coalesced), IN_CLOSE_NOWRITE, each with "
	       "IN_ISDIR");

	/* rename: one cookie, and the file's watch hears IN_MOVE_SELF */
	CHECK(rename(at("f"), at("g")) == 0, "rename f g");
	drain(in);
	EXPECT(nev == 3 && is(0, wd, IN_MOVED_FROM, "f") && is(1, wd, IN_MOVED_TO, "g") &&
		   evs[0].cookie != 0 && evs[0].cookie == evs[1].cookie &&
		   is(2, wf, IN_MOVE_SELF, ""),
	       "rename: IN_MOVED_FROM f and IN_MOVED_TO g with one cookie, IN_MOVE_SELF");

	/* mkdir, rmdir, a watched subdirectory's own end */
	CHECK(mkdir(at("d"), 0755) == 0, "mkdir d");
	int wdd = inotify_add_watch(in, at("d"), IN_DELETE_SELF);
	CHECK(rmdir(at("d")) == 0, "rmdir d");
	drain(in);
	EXPECT(nev == 4 && is(0, wd, IN_CREATE | IN_ISDIR, "d") &&
		   is(1, wdd, IN_DELETE_SELF, "") && is(2, wdd, IN_IGNORED, "") &&
		   is(3, wd, IN_DELETE | IN_ISDIR, "d"),
	       "mkdir, rmdir: IN_CREATE|IN_ISDIR, IN_DELETE_SELF (no IN_ISDIR, as Linux), IN_IGNORED, "
	       "IN_DELETE|IN_ISDIR");

	/* unlink of the watched file */
	CHECK(unlink(at("g")) == 0, "unlink g");
	drain(in);
	EXPECT(nev == 4 && is(0, wf, IN_ATTRIB, "") && is(1, wf, IN_DELETE_SELF, "") &&
		   is(2, wf, IN_IGNORED, "") && is(3, wd, IN_DELETE, "g"),
	       "unlink: IN_ATTRIB, IN_DELETE_SELF, IN_IGNORED on the file, IN_DELETE g");
	CHECK(inotify_rm_watch(in, wf) < 0 && errno == EINVAL, "rm_watch of a gone watch: EINVAL");

	/* a buffer too small for the next event */
	fd = open(at("a-longer-name"), O_CREAT | O_WRONLY, 0644);
	close(fd);
	CHECK(read(in, b, 16) < 0 && errno == EINVAL, "a 16-byte buffer for a named event: EINVAL");
	CHECK(read(in, b, 48) == 32, "48 bytes: one whole event (16 + a 16-byte name), not two");
	drain(in);

	/* IN_ONESHOT, IN_MASK_ADD, rm_watch */
	int w1 = inotify_add_watch(in, at("a-longer-name"), IN_MODIFY | IN_ONESHOT);
	write_file(at("a-longer-name"), "x");
	write_file(at("a-longer-name"), "y");
	drain(in);
	int n_one = 0;
	for (int i = 0; i < nev; i++)
		n_one += evs[i].wd == w1;
	EXPECT(n_one == 2 && is(nev - 1, wd, IN_CLOSE_WRITE, "a-longer-name"),
	       "IN_ONESHOT: one IN_MODIFY then IN_IGNORED");
	int w2 = inotify_add_watch(in, at("a-longer-name"), IN_ACCESS);
	CHECK(w2 >= 1 && w2 != w1, "after IN_ONESHOT a new watch, a new wd");
	CHECK(inotify_add_watch(in, at("a-longer-name"), IN_MODIFY | IN_MASK_ADD) == w2,
	      "IN_MASK_ADD: the same wd");
	CHECK(inotify_rm_watch(in, wd) == 0, "rm_watch of the directory's watch");
	write_file(at("a-longer-name"), "z");
	fd = open(at("a-longer-name"), O_RDONLY);
	CHECK(fd >= 0 && read(fd, b, 1) == 1, "read a-longer-name");
	close(fd);
	drain(in);
	EXPECT(nev == 3 && is(0, wd, IN_IGNORED, "") && is(1, w2, IN_MODIFY, "") &&
		   is(2, w2, IN_ACCESS, ""),
	       "rm_watch: IN_IGNORED; IN_MASK_ADD kept IN_ACCESS and added IN_MODIFY");
	CHECK(inotify_add_watch(in, at("a-longer-name"), IN_OPEN) == w2, "a plain add: the same wd");
	write_file(at("a-longer-name"), "z");
	drain(in);
	EXPECT(nev == 1 && is(0, w2, IN_OPEN, ""), "without IN_MASK_ADD the mask is replaced");

	/* IN_EXCL_UNLINK: an open, unlinked child is no longer heard of. (The
	 * file's own watch goes first: Linux says IN_DELETE_SELF at the last
	 * close of an unlinked file, lockvm at its unlink.) */
	CHECK(inotify_rm_watch(in, w2) == 0, "rm_watch of the file's watch");
	int wx = inotify_add_watch(in, dir, IN_MODIFY | IN_EXCL_UNLINK);
	fd = open(at("a-longer-name"), O_WRONLY);
	CHECK(unlink(at("a-longer-name")) == 0, "unlink a-longer-name");
	drain(in);
	CHECK(write(fd, "q", 1) == 1, "write the unlinked file");
	close(fd);
	drain(in);
	EXPECT(nev == 0, "IN_EXCL_UNLINK: no event about an unlinked child");
	inotify_rm_watch(in, wx);
	close(in);
}

static void readiness(void)
{
	int in = inotify_init();
	int wd = inotify_add_watch(in, dir, IN_CREATE);
	struct pollfd p = {.fd = in, .events = POLLIN};
	CHECK(poll(&p, 1, 0) == 0, "poll: an empty instance is not readable");
	int ep = epoll_create1(0);
	struct epoll_event ev = {.events = EPOLLIN, .data.u32 = 7}, got;
	CHECK(epoll_ctl(ep, EPOLL_CTL_ADD, in, &ev) == 0, "epoll_ctl ADD an inotify fd");
	CHECK(epoll_wait(ep, &got, 1, 0) == 0, "epoll: not ready while empty");
	close(open(at("p"), O_CREAT | O_WRONLY, 0644));
	CHECK(poll(&p, 1, 0) == 1 && p.revents == POLLIN, "poll: POLLIN once an event is queued");
	CHECK(epoll_wait(ep, &got, 1, 0) == 1 && got.data.u32 == 7, "epoll: ready with an event");
	char b[256];
	CHECK(read(in, b, sizeof(b)) == 32, "a blocking read with an event queued returns it");

	/* a blocking read that another process's write wakes */
	pid_t me = getpid(), c = fork();
	if (c == 0) {
		if (!wait_blocked(me))
			_exit(2);
		close(open(at("woke"), O_CREAT | O_WRONLY, 0644));
		_exit(0);
	}
	ssize_t n = read(in, b, sizeof(b));
	struct inotify_event *e = (struct inotify_event *)b;
	CHECK(n == 32 && e->wd == wd && e->mask == IN_CREATE && strcmp(e->name, "woke") == 0,
	      "a blocking read, woken by the child's create (got %zd)", n);
	int st;
	CHECK(waitpid(c, &st, 0) == c && WIFEXITED(st) && WEXITSTATUS(st) == 0,
	      "the child saw the reader block");
	close(ep);
	close(in);
	unlink(at("p"));
	unlink(at("woke"));
}

/* Events of two files taking turns, `writes` each, on a watch of the
 * directory; the events read back: IN_MODIFY ones, IN_Q_OVERFLOW ones, and
 * whether the overflow came last. */
static long turns(const char *a, const char *b, int writes, long *modify, long *overflow,
		  long *last_overflow)
{
	int in = inotify_init1(IN_NONBLOCK);
	int wd = inotify_add_watch(in, dir, IN_MODIFY);
	int fa = open(at(a), O_CREAT | O_WRONLY, 0644);
	int fb = open(at(b), O_CREAT | O_WRONLY, 0644);
	for (int i = 0; i < writes; i++) /* two names taking turns: none coalesces */
		if (write(fa, "a", 1) != 1 || write(fb, "b", 1) != 1)
			break;
	close(fa);
	close(fb);
	static char buf[1 << 16] __attribute__((aligned(8)));
	long events = 0;
	*modify = *overflow = *last_overflow = 0;
	ssize_t n;
	while ((n = read(in, buf, sizeof(buf))) > 0)
		for (ssize_t off = 0; off < n;) {
			struct inotify_event *e = (struct inotify_event *)(buf + off);
			events++;
			*modify += e->wd == wd && e->mask == IN_MODIFY;
			*overflow += e->wd == -1 && e->mask == IN_Q_OVERFLOW;
			*last_overflow = e->mask == IN_Q_OVERFLOW;
			off += (ssize_t)sizeof(*e) + e->len;
		}
	close(in);
	return events;
}

/* Bounds: a guest that never reads, or watches without end, is refused. */
static void bounds(void)
{
	/* 4 MiB of queued events in the VM: 255-byte names (288 bytes each
	 * as queued) overflow before 16384 events */
	char la[256], lb[256];
	memset(la, 'a', 255);
	memset(lb, 'b', 255);
	la[255] = lb[255] = '\0';
	long modify, overflow, last;
	long events = turns(la, lb, 7500, &modify, &overflow, &last);
	CHECK(overflow == 1 && last && modify > 14000 && modify < 16384 &&
		  modify * (16 + 256) <= (4 << 20) && events == modify + 1,
	      "long names: IN_Q_OVERFLOW at 4 MiB queued (got %ld events, %ld IN_MODIFY, %ld "
	      "overflow)",
	      events, modify, overflow);
	unlink(at(la));
	unlink(at(lb));

	/* 16384 events per queue */
	events = turns("qa", "qb", 9000, &modify, &overflow, &last);
	CHECK(modify == 16384 && overflow == 1 && last && events == 16385,
	      "18000 events unread: 16384 queued, then one IN_Q_OVERFLOW (got %ld events, %ld "
	      "IN_MODIFY, %ld overflow)",
	      events, modify, overflow);
	int in = inotify_init1(IN_NONBLOCK);
	inotify_add_watch(in, dir, IN_MODIFY);
	int fa = open(at("qa"), O_WRONLY);
	CHECK(write(fa, "c", 1) == 1, "a write after the queue was read");
	close(fa);
	char buf[64];
	CHECK(read(in, buf, sizeof(buf)) == 32, "a new queue takes events");
	close(in);

	/* 8192 watches in the VM at most: 60 instances on 140 files */
	int ins[60], made = 0, refused = 0, err = 0;
	for (int i = 0; i < 140; i++) {
		char name[32];
		snprintf(name, sizeof(name), "w%d", i);
		close(open(at(name), O_CREAT | O_WRONLY, 0644));
	}
	for (int k = 0; k < 60; k++) {
		ins[k] = inotify_init();
		for (int i = 0; i < 140; i++) {
			char name[32];
			snprintf(name, sizeof(name), "w%d", i);
			if (inotify_add_watch(ins[k], at(name), IN_MODIFY) >= 0)
				made++;
			else
				refused++, err = errno;
		}
	}
	CHECK(made == 8192 && refused == 60 * 140 - 8192 && err == ENOSPC,
	      "watches past 8192: ENOSPC (made %d, refused %d)", made, refused);
	close(ins[0]); /* its 140 watches go with it */
	CHECK(inotify_add_watch(ins[1], dir, IN_MODIFY) >= 0, "a closed instance's watches are freed");

	/* 128 instances in the VM at most: 59 here, 60 in a child, 9 in a grandchild */
	pid_t c = fork();
	if (c == 0) {
		for (int k = 1; k < 60; k++)
			close(ins[k]); /* the parent keeps them */
		int mine[60];
		for (int k = 0; k < 60; k++)
			if ((mine[k] = inotify_init()) < 0)
				_exit(10);
		pid_t g = fork();
		if (g == 0) {
			for (int k = 0; k < 60; k++)
				close(mine[k]);
			int got = 0;
			while (got < 60 && inotify_init() >= 0)
				got++;
			_exit(got == 9 && errno == EMFILE ? 0 : 11);
		}
		int st;
		waitpid(g, &st, 0);
		_exit(WIFEXITED(st) ? WEXITSTATUS(st) : 12);
	}
	int st;
	CHECK(waitpid(c, &st, 0) == c && WIFEXITED(st) && WEXITSTATUS(st) == 0,
	      "instances past 128 in the VM: EMFILE (child status %d)",
	      WIFEXITED(st) ? WEXITSTATUS(st) : -1);
	for (int k = 1; k < 60; k++)
		close(ins[k]);
}

int main(int argc, char **argv)
{
	snprintf(dir, sizeof(dir), "%s/inotify.%d", argc > 1 ? argv[1] : "/tmp", (int)getpid());
	CHECK(mkdir(dir, 0755) == 0, "mkdir %s", dir);
	events();
	readiness();
	if (argc > 2 && strcmp(argv[2], "bounds") == 0)
		bounds();
	if (failures)
		return 1;
	printf("inotify ok\n");
	return 0;
}
