/* --linux test program: what the program sees of itself (ids, host name, limits, cwd) and what its own calls may change, one "key=value" line each. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdio.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/resource.h>
#include <sys/utsname.h>
#include <unistd.h>

/* The few errno names the checks expect (musl has no strerrorname_np). */
static const char *err_name(int e)
{
	return e == EPERM ? "EPERM" : e == EINVAL ? "EINVAL" : e == EMFILE ? "EMFILE" : "other";
}

static const char *result(int rc)
{
	return rc < 0 ? err_name(errno) : "ok";
}

static void show_limit(const char *key, int resource)
{
	struct rlimit r;
	if (getrlimit(resource, &r) < 0)
		printf("%s=error %s\n", key, strerror(errno));
	else
		printf("%s=%lld:%lld\n", key, (long long)r.rlim_cur, (long long)r.rlim_max);
}

/* Opens /dev/null until the fd table is full: how many fds the program got. */
static int fds_until_full(void)
{
	int last = -1, n = 0;
	for (;;) {
		int fd = open("/dev/null", O_RDONLY);
		if (fd < 0)
			break;
		last = fd;
		n++;
	}
	printf("open_errno=%s\n", err_name(errno));
	for (int fd = 3; fd <= last; fd++)
		close(fd);
	return last + 1;
}

int main(int argc, char **argv)
{
	struct utsname u;
	char host[128], cwd[256];
	gid_t groups[64];
	uid_t r, e, s;
	uname(&u);
	gethostname(host, sizeof(host));
	printf("nodename=%s\nhostname=%s\n", u.nodename, host);
	printf("uid=%d euid=%d gid=%d egid=%d\n", getuid(), geteuid(), getgid(), getegid());
	getresuid(&r, &e, &s);
	printf("resuid=%d,%d,%d\n", r, e, s);
	printf("at_uid=%lu at_gid=%lu\n", getauxval(AT_UID), getauxval(AT_GID));
	int n = getgroups(64, groups);
	printf("groups=%d", n);
	for (int i = 0; i < n; i++)
		printf(" %d", groups[i]);
	printf("\ncwd=%s\n", getcwd(cwd, sizeof(cwd)) ? cwd : strerror(errno));
	show_limit("nofile", RLIMIT_NOFILE);
	show_limit("nproc", RLIMIT_NPROC);
	show_limit("core", RLIMIT_CORE);
	printf("fd_table=%d\n", fds_until_full());
	struct rlimit lim;
	getrlimit(RLIMIT_NOFILE, &lim);
	struct rlimit up = {lim.rlim_max + 1, lim.rlim_max + 1};
	printf("raise_hard=%s\n", result(setrlimit(RLIMIT_NOFILE, &up)));
	struct rlimit inverted = {10, 5};
	printf("soft_above_hard=%s\n", result(setrlimit(RLIMIT_NOFILE, &inverted)));
	struct rlimit lower = {8, lim.rlim_max};
	printf("lower=%s\n", result(setrlimit(RLIMIT_NOFILE, &lower)));
	show_limit("nofile_lowered", RLIMIT_NOFILE);
	printf("fd_table_lowered=%d\n", fds_until_full());
	const char *name = argc > 1 ? argv[1] : "changed-in-vm";
	printf("sethostname=%s\n", result(sethostname(name, strlen(name))));
	uname(&u);
	printf("nodename_after=%s\n", u.nodename);
	return 0;
}
