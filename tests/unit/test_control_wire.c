/* Unit tests of the supervisor-VMM control wire format over a SOCK_SEQPACKET socketpair (runner/common/control_wire.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "control_wire.h"

static int pair[2];

static int open_pair(void **state)
{
	return socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair);
}

static int close_pair(void **state)
{
	close(pair[0]);
	close(pair[1]);
	return 0;
}

static struct control_msg sample(void)
{
	struct control_msg m;
	memset(&m, 0, sizeof(m));
	m.magic = CONTROL_MAGIC;
	m.op = CONTROL_REPLY;
	m.flags = CONTROL_KEEP_RUNNING | CONTROL_KEYED;
	m.status = 125;
	for (size_t i = 0; i < sizeof(m.key); i++)
		m.key[i] = (uint8_t)(i * 7 + 1);
	m.total_ns = 123456789012ULL;
	m.downtime_ns = 42;
	m.bytes = 1ULL << 40;
	m.iterations = 9;
	snprintf(m.text, sizeof(m.text), "disk write failed: No space left on device");
	return m;
}

/* Sends a raw record of len bytes, with fd attached when fd >= 0. */
static void send_raw(const void *buf, size_t len, int fd)
{
	struct iovec iov = {.iov_base = (void *)buf, .iov_len = len};
	union {
		char buf[CMSG_SPACE(2 * sizeof(int))];
		struct cmsghdr align;
	} u;
	memset(&u, 0, sizeof(u));
	struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1};
	if (fd >= 0) {
		msg.msg_control = u.buf;
		msg.msg_controllen = CMSG_SPACE(sizeof(int));
		struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(c), &fd, sizeof(int));
	}
	assert_int_equal(sendmsg(pair[0], &msg, 0), (ssize_t)len);
}

/* A file to pass: its inode tells the received fd is the same file. */
static int temp_file(ino_t *ino)
{
	char path[] = "/tmp/lockvm-test-control.XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	unlink(path);
	struct stat st;
	assert_int_equal(fstat(fd, &st), 0);
	*ino = st.st_ino;
	return fd;
}

/* The lowest free fd number: a leaked received fd would take it. */
static int lowest_free_fd(void)
{
	int fd = dup(0);
	assert_true(fd >= 0);
	close(fd);
	return fd;
}

/* control: a message without an fd arrives whole, and no fd with it */
static void round_trip_without_fd(void **state)
{
	struct control_msg m = sample(), got;
	memset(&got, 0xa5, sizeof(got));
	assert_int_equal(control_send(pair[0], &m, -1), 0);
	int fd = 7;
	assert_int_equal(control_recv(pair[1], &got, &fd), 0);
	assert_int_equal(fd, -1);
	assert_memory_equal(&got, &m, sizeof(m));
}

/* control: a message with an fd arrives whole with the same open file */
static void round_trip_with_fd(void **state)
{
	ino_t ino;
	int file = temp_file(&ino);
	struct control_msg m = sample(), got;
	m.op = CONTROL_SAVE;
	assert_int_equal(control_send(pair[0], &m, file), 0);
	int fd = -1;
	assert_int_equal(control_recv(pair[1], &got, &fd), 0);
	assert_true(fd >= 0);
	assert_int_not_equal(fd, file);
	assert_memory_equal(&got, &m, sizeof(m));
	struct stat st;
	assert_int_equal(fstat(fd, &st), 0);
	assert_int_equal(st.st_ino, ino);
	assert_int_equal(fcntl(fd, F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);
	close(fd);
	close(file);
}

/* control: the peer closing its end reads as EOF (1) */
static void eof_is_one(void **state)
{
	close(pair[0]);
	pair[0] = -1;
	struct control_msg got;
	int fd = 7;
	assert_int_equal(control_recv(pair[1], &got, &fd), 1);
	assert_int_equal(fd, -1);
}

/* control: an empty record reads as EOF, and an fd it carries is closed */
static void empty_record_is_eof_and_closes_its_fd(void **state)
{
	ino_t ino;
	int file = temp_file(&ino);
	send_raw("", 0, file);
	close(file);
	int free_fd = lowest_free_fd();
	struct control_msg got;
	int fd = 7;
	assert_int_equal(control_recv(pair[1], &got, &fd), 1);
	assert_int_equal(fd, -1);
	assert_int_equal(lowest_free_fd(), free_fd);
}

/* Sends buf (len bytes) with a file attached and checks that control_recv
 * refuses it with EPROTO and closes the passed fd. */
static void expect_refused(const void *buf, size_t len)
{
	ino_t ino;
	int file = temp_file(&ino);
	send_raw(buf, len, file);
	close(file);
	int free_fd = lowest_free_fd();
	struct control_msg got;
	int fd = 7;
	errno = 0;
	assert_int_equal(control_recv(pair[1], &got, &fd), -1);
	assert_int_equal(errno, EPROTO);
	assert_int_equal(fd, -1);
	/* the received copy was closed: the lowest free fd is free still */
	assert_int_equal(lowest_free_fd(), free_fd);
}

/* control: a record shorter than a message is refused, its fd closed */
static void short_record_refused(void **state)
{
	struct control_msg m = sample();
	expect_refused(&m, sizeof(m) - 1);
	expect_refused(&m, sizeof(m.magic));
}

/* control: a record longer than a message is refused, its fd closed */
static void oversized_record_refused(void **state)
{
	char big[sizeof(struct control_msg) + 64];
	struct control_msg m = sample();
	memset(big, 'x', sizeof(big));
	memcpy(big, &m, sizeof(m));
	expect_refused(big, sizeof(big));
	expect_refused(big, sizeof(m) + 1);
}

/* control: a message of the right size with the wrong magic is refused */
static void wrong_magic_refused(void **state)
{
	struct control_msg m = sample();
	m.magic = CONTROL_MAGIC ^ 1;
	expect_refused(&m, sizeof(m));
	m.magic = 0;
	expect_refused(&m, sizeof(m));
}

/* control: a refused record does not desynchronise the stream: the next
 * message is received whole */
static void next_message_after_refusal(void **state)
{
	struct control_msg m = sample(), got;
	expect_refused(&m, 10);
	assert_int_equal(control_send(pair[0], &m, -1), 0);
	int fd = 7;
	assert_int_equal(control_recv(pair[1], &got, &fd), 0);
	assert_memory_equal(&got, &m, sizeof(m));
}

/* control: the received text is NUL-terminated even when the sender's is not */
static void text_nul_terminated(void **state)
{
	struct control_msg m = sample(), got;
	memset(m.text, 'A', sizeof(m.text));
	send_raw(&m, sizeof(m), -1);
	int fd = 7;
	assert_int_equal(control_recv(pair[1], &got, &fd), 0);
	assert_int_equal(got.text[sizeof(got.text) - 1], '\0');
	assert_int_equal(strlen(got.text), sizeof(got.text) - 1);
}

/* control: a record carrying two fds is refused and both are closed (a
 * compromised VMM cannot leak fds into the supervisor) */
static void two_fds_refused_and_closed(void **state)
{
	ino_t ino;
	int file = temp_file(&ino);
	struct control_msg m = sample();
	struct iovec iov = {.iov_base = &m, .iov_len = sizeof(m)};
	union {
		char buf[CMSG_SPACE(2 * sizeof(int))];
		struct cmsghdr align;
	} u;
	memset(&u, 0, sizeof(u));
	struct msghdr msg = {.msg_iov = &iov,
			     .msg_iovlen = 1,
			     .msg_control = u.buf,
			     .msg_controllen = sizeof(u.buf)};
	struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(2 * sizeof(int));
	int fds[2] = {file, file};
	memcpy(CMSG_DATA(c), fds, sizeof(fds));
	assert_int_equal(sendmsg(pair[0], &msg, 0), (ssize_t)sizeof(m));
	close(file);
	int free_fd = lowest_free_fd();
	struct control_msg got;
	int fd = 7;
	errno = 0;
	assert_int_equal(control_recv(pair[1], &got, &fd), -1);
	assert_int_equal(errno, EPROTO);
	assert_int_equal(fd, -1);
	assert_int_equal(lowest_free_fd(), free_fd);
	int probe = dup(0);
	int probe2 = dup(0);
	/* neither received copy is still open above the lowest free fd */
	assert_int_equal(probe2, probe + 1);
	close(probe);
	close(probe2);
}

/* control: a send on a closed peer fails with EPIPE, without SIGPIPE */
static void send_to_closed_peer(void **state)
{
	close(pair[1]);
	pair[1] = -1;
	struct control_msg m = sample();
	errno = 0;
	assert_int_equal(control_send(pair[0], &m, -1), -1);
	assert_int_equal(errno, EPIPE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(round_trip_without_fd, open_pair, close_pair),
	    cmocka_unit_test_setup_teardown(round_trip_with_fd, open_pair, close_pair),
	    cmocka_unit_test_setup_teardown(eof_is_one, open_pair, close_pair),
	    cmocka_unit_test_setup_teardown(empty_record_is_eof_and_closes_its_fd, open_pair,
					    close_pair),
	    cmocka_unit_test_setup_teardown(short_record_refused, open_pair, close_pair),
	    cmocka_unit_test_setup_teardown(oversized_record_refused, open_pair, close_pair),
	    cmocka_unit_test_setup_teardown(wrong_magic_refused, open_pair, close_pair),
	    cmocka_unit_test_setup_teardown(next_message_after_refusal, open_pair, close_pair),
	    cmocka_unit_test_setup_teardown(text_nul_terminated, open_pair, close_pair),
	    cmocka_unit_test_setup_teardown(two_fds_refused_and_closed, open_pair, close_pair),
	    cmocka_unit_test_setup_teardown(send_to_closed_peer, open_pair, close_pair),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
