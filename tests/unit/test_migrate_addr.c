/* Unit tests of migration addresses: unix:PATH and tcp:HOST:PORT parsing and refusals, then listen, connect and accept over both (runner/host/migrate_addr.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <dirent.h>
#include <limits.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "migrate_addr.h"

/* This program's listen() stands in for libc's (the executable's symbol
 * wins): it notes whether the path a test waits for (watched_path) was
 * there already, the moment a caller polling for it could connect to a
 * socket that refuses (ECONNREFUSED), then listens with the system call. */
static const char *watched_path;
static int listens, listens_with_path_there;

int listen(int fd, int backlog)
{
	struct stat st;
	listens++;
	if (watched_path && lstat(watched_path, &st) == 0)
		listens_with_path_there++;
	return (int)syscall(SYS_listen, fd, backlog);
}

/* The names in dir (not . and ..), joined by spaces. */
static void dir_names(const char *dir, char *out, size_t len)
{
	DIR *d = opendir(dir);
	assert_non_null(d);
	out[0] = '\0';
	struct dirent *e;
	while ((e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			snprintf(out + strlen(out), len - strlen(out), "%s%s", out[0] ? " " : "",
				 e->d_name);
	closedir(d);
}

/* migrate_addr: unix:PATH gives a unix socket address with that path */
static void parse_unix(void **state)
{
	struct migrate_addr p;
	char err[256] = "";
	assert_int_equal(migrate_addr_parse("unix:/run/lockvm/mig.sock", &p, err, sizeof(err)), 0);
	assert_true(p.is_unix);
	assert_int_equal(p.un.sun_family, AF_UNIX);
	assert_string_equal(p.un.sun_path, "/run/lockvm/mig.sock");
	/* a relative path and one with colons are paths too */
	assert_int_equal(migrate_addr_parse("unix:a:b", &p, err, sizeof(err)), 0);
	assert_true(p.is_unix);
	assert_string_equal(p.un.sun_path, "a:b");
}

/* migrate_addr: a unix path must fit sun_path with its NUL (1 to 107 bytes) */
static void parse_unix_path_length(void **state)
{
	struct migrate_addr p;
	char err[256] = "", addr[5 + sizeof(p.un.sun_path) + 1];
	memcpy(addr, "unix:", 5);
	memset(addr + 5, 'p', sizeof(p.un.sun_path) - 1);
	addr[5 + sizeof(p.un.sun_path) - 1] = '\0';
	assert_int_equal(migrate_addr_parse(addr, &p, err, sizeof(err)), 0);
	assert_int_equal(strlen(p.un.sun_path), sizeof(p.un.sun_path) - 1);
	addr[5 + sizeof(p.un.sun_path) - 1] = 'p';
	addr[5 + sizeof(p.un.sun_path)] = '\0';
	assert_int_equal(migrate_addr_parse(addr, &p, err, sizeof(err)), -1);
	assert_string_equal(err, "want unix:PATH with a path of 1 to 107 bytes");
	err[0] = '\0';
	assert_int_equal(migrate_addr_parse("unix:", &p, err, sizeof(err)), -1);
	assert_string_equal(err, "want unix:PATH with a path of 1 to 107 bytes");
}

/* migrate_addr: tcp:HOST:PORT splits at the last colon; [v6] loses its brackets */
static void parse_tcp(void **state)
{
	struct migrate_addr p;
	char err[256] = "";
	assert_int_equal(migrate_addr_parse("tcp:dest.example:4444", &p, err, sizeof(err)), 0);
	assert_false(p.is_unix);
	assert_string_equal(p.host, "dest.example");
	assert_string_equal(p.port, "4444");
	assert_int_equal(migrate_addr_parse("tcp:192.0.2.7:0", &p, err, sizeof(err)), 0);
	assert_string_equal(p.host, "192.0.2.7");
	assert_string_equal(p.port, "0");
	assert_int_equal(migrate_addr_parse("tcp:[2001:db8::1]:65535", &p, err, sizeof(err)), 0);
	assert_string_equal(p.host, "2001:db8::1");
	assert_string_equal(p.port, "65535");
	/* a host of 255 bytes fits */
	char addr[4 + 255 + 4];
	memcpy(addr, "tcp:", 4);
	memset(addr + 4, 'h', 255);
	memcpy(addr + 4 + 255, ":80", 4);
	assert_int_equal(migrate_addr_parse(addr, &p, err, sizeof(err)), 0);
	assert_int_equal(strlen(p.host), 255);
}

/* migrate_addr: anything else is refused with the forms it takes */
static void parse_refusals(void **state)
{
	char long_host[4 + 256 + 4];
	memcpy(long_host, "tcp:", 4);
	memset(long_host + 4, 'h', 256);
	memcpy(long_host + 4 + 256, ":80", 4);
	const char *const bad[] = {
	    "",
	    "unix",
	    "tcp",
	    "tcp:",
	    "tcp:host",
	    "tcp:host:",
	    "tcp:host:http",
	    "tcp:host:80x",
	    "tcp:host:-1",
	    "tcp:host: 80",
	    "tcp:host:1234567890123456", /* a port of 16 digits */
	    "udp:host:80",
	    "TCP:host:80",
	    "host:80",
	    "/run/lockvm/mig.sock",
	    long_host,
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct migrate_addr p;
		char err[256] = "";
		if (migrate_addr_parse(bad[i], &p, err, sizeof(err)) != -1)
			fail_msg("'%s' accepted", bad[i]);
		assert_string_equal(err, "want unix:PATH or tcp:HOST:PORT");
	}
}

static char tmp_dir[PATH_MAX];

static int make_dir(void **state)
{
	snprintf(tmp_dir, sizeof(tmp_dir), "/tmp/lockvm-test-maddr.XXXXXX");
	return mkdtemp(tmp_dir) ? 0 : -1;
}

static int remove_dir(void **state)
{
	char cmd[PATH_MAX + 16];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmp_dir);
	return system(cmd) == 0 ? 0 : -1;
}

/* Sends one byte from a to b over a connected pair, and checks it arrives. */
static void byte_passes(int from, int to)
{
	char c = 'm';
	assert_int_equal(write(from, &c, 1), 1);
	c = 0;
	assert_int_equal(read(to, &c, 1), 1);
	assert_int_equal(c, 'm');
}

/* migrate_addr: listen, connect and accept over unix:PATH; an existing
 * path is not listened on, a missing one not connected to */
static void unix_listen_connect_accept(void **state)
{
	char addr[PATH_MAX + 32], err[256] = "";
	snprintf(addr, sizeof(addr), "unix:%s/m.sock", tmp_dir);
	int lfd = migrate_addr_listen(addr, err, sizeof(err));
	if (lfd < 0)
		fail_msg("listen %s: %s", addr, err);
	int cfd = migrate_addr_connect(addr, 5, err, sizeof(err));
	if (cfd < 0)
		fail_msg("connect %s: %s", addr, err);
	int afd = migrate_addr_accept(lfd, 5, 5, -1, err, sizeof(err));
	if (afd < 0)
		fail_msg("accept: %s", err);
	byte_passes(cfd, afd);
	byte_passes(afd, cfd);
	close(afd);
	close(cfd);

	assert_int_equal(migrate_addr_listen(addr, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "Address already in use"));
	close(lfd);

	snprintf(addr, sizeof(addr), "unix:%s/nosuch.sock", tmp_dir);
	assert_int_equal(migrate_addr_connect(addr, 5, err, sizeof(err)), -1);
	assert_string_equal(err, "connect: No such file or directory");
}

/* migrate_addr: a unix path appears only once its socket listens, and
 * nothing else is left beside it; a path with no room for the temporary
 * name beside it is listened on in place */
static void unix_path_appears_listening(void **state)
{
	char addr[PATH_MAX + 32], path[PATH_MAX + 8], err[256] = "", names[512];
	snprintf(path, sizeof(path), "%s/m.sock", tmp_dir);
	snprintf(addr, sizeof(addr), "unix:%s", path);
	watched_path = path;
	listens = listens_with_path_there = 0;
	int lfd = migrate_addr_listen(addr, err, sizeof(err));
	if (lfd < 0)
		fail_msg("listen %s: %s", addr, err);
	assert_int_equal(listens, 1);
	assert_int_equal(listens_with_path_there, 0);
	dir_names(tmp_dir, names, sizeof(names));
	assert_string_equal(names, "m.sock");
	int cfd = migrate_addr_connect(addr, 5, err, sizeof(err));
	if (cfd < 0)
		fail_msg("connect %s: %s", addr, err);
	close(cfd);
	close(lfd);
	unlink(path);

	/* a directory name that leaves 2 bytes for the socket's own name */
	char dir[PATH_MAX];
	int n = snprintf(dir, sizeof(dir), "%s/", tmp_dir);
	memset(dir + n, 'd', 104 - (size_t)n);
	dir[104] = '\0';
	assert_int_equal(mkdir(dir, 0700), 0);
	snprintf(path, sizeof(path), "%s/s", dir);
	snprintf(addr, sizeof(addr), "unix:%s", path);
	assert_int_equal(strlen(path), 106);
	lfd = migrate_addr_listen(addr, err, sizeof(err));
	if (lfd < 0)
		fail_msg("listen %s: %s", addr, err);
	dir_names(dir, names, sizeof(names));
	assert_string_equal(names, "s");
	cfd = migrate_addr_connect(addr, 5, err, sizeof(err));
	if (cfd < 0)
		fail_msg("connect %s: %s", addr, err);
	close(cfd);
	close(lfd);
	watched_path = NULL;
}

/* migrate_addr: listen, connect and accept over tcp:127.0.0.1:PORT */
static void tcp_listen_connect_accept(void **state)
{
	char err[256] = "";
	int lfd = migrate_addr_listen("tcp:127.0.0.1:0", err, sizeof(err));
	if (lfd < 0)
		fail_msg("listen tcp:127.0.0.1:0: %s", err);
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);
	assert_int_equal(getsockname(lfd, (struct sockaddr *)&sin, &len), 0);
	char addr[64];
	snprintf(addr, sizeof(addr), "tcp:127.0.0.1:%u", ntohs(sin.sin_port));
	int cfd = migrate_addr_connect(addr, 5, err, sizeof(err));
	if (cfd < 0)
		fail_msg("connect %s: %s", addr, err);
	int afd = migrate_addr_accept(lfd, 5, 5, -1, err, sizeof(err));
	if (afd < 0)
		fail_msg("accept: %s", err);
	byte_passes(cfd, afd);
	close(afd);
	close(cfd);
	close(lfd);
}

/* migrate_addr: accept gives up at its timeout, or early on the stop fd */
static void accept_timeout_and_stop(void **state)
{
	char addr[PATH_MAX + 32], err[256] = "";
	snprintf(addr, sizeof(addr), "unix:%s/t.sock", tmp_dir);
	int lfd = migrate_addr_listen(addr, err, sizeof(err));
	assert_true(lfd >= 0);
	assert_int_equal(migrate_addr_accept(lfd, 1, 5, -1, err, sizeof(err)), -1);
	assert_string_equal(err, "no source connected within 1 s (--accept-timeout)");
	int stop[2];
	assert_int_equal(pipe(stop), 0);
	assert_int_equal(write(stop[1], "x", 1), 1);
	assert_int_equal(migrate_addr_accept(lfd, 0, 5, stop[0], err, sizeof(err)), -1);
	assert_string_equal(err, "stopped by a signal while waiting for the source");
	close(stop[0]);
	close(stop[1]);
	close(lfd);
}

/* migrate_addr: connect and listen refuse a malformed address before any socket */
static void connect_listen_refuse_malformed(void **state)
{
	char err[256] = "";
	assert_int_equal(migrate_addr_connect("tcp:host:http", 5, err, sizeof(err)), -1);
	assert_string_equal(err, "want unix:PATH or tcp:HOST:PORT");
	err[0] = '\0';
	assert_int_equal(migrate_addr_listen("unix:", err, sizeof(err)), -1);
	assert_string_equal(err, "want unix:PATH with a path of 1 to 107 bytes");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(parse_unix),
	    cmocka_unit_test(parse_unix_path_length),
	    cmocka_unit_test(parse_tcp),
	    cmocka_unit_test(parse_refusals),
	    cmocka_unit_test_setup_teardown(unix_listen_connect_accept, make_dir, remove_dir),
	    cmocka_unit_test_setup_teardown(unix_path_appears_listening, make_dir, remove_dir),
	    cmocka_unit_test(tcp_listen_connect_accept),
	    cmocka_unit_test_setup_teardown(accept_timeout_and_stop, make_dir, remove_dir),
	    cmocka_unit_test(connect_listen_refuse_malformed),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
