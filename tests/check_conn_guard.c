// SPDX-License-Identifier: MIT
/*
 * check_conn_guard.c - tests for common/conn_guard.c, with a real evhttp
 * on a loopback port and plain sockets as clients, all in this process:
 * the loop is run in short slices between the clients' steps.
 */
#include <sys/socket.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include <check.h>
#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>

#include "check_suites.h"
#include "conn_guard.h"
#include "server.h"

static struct event_base *base;
static struct evhttp *http;
static struct conn_guard *guard;
static int port;

static void
on_request(struct evhttp_request *req, void *arg)
{
	(void)arg;
	evhttp_send_reply(req, 200, "OK", NULL);
}

/* Start evhttp on 127.0.0.1:0 with a guard of max connections. */
static void
start(int64_t max, int64_t deadline_ms)
{
	struct evhttp_bound_socket *bound;
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);

	base = server_base_new();
	http = evhttp_new(base);
	ck_assert_ptr_nonnull(http);
	evhttp_set_gencb(http, on_request, NULL);
	evhttp_set_timeout(http, 30);
	guard = conn_guard_new(base, http, max, deadline_ms);
	ck_assert_ptr_nonnull(guard);
	bound = evhttp_bind_socket_with_handle(http, "127.0.0.1", 0);
	ck_assert_ptr_nonnull(bound);
	getsockname(
	    evhttp_bound_socket_get_fd(bound), (struct sockaddr *)&sin, &len);
	port = ntohs(sin.sin_port);
}

static void
stop(void)
{
	evhttp_free(http);
	conn_guard_free(guard);
	event_base_free(base);
}

/* Run the loop for about ms milliseconds. */
static void
run(int ms)
{
	struct timeval tv = { ms / 1000, (ms % 1000) * 1000 };

	event_base_loopexit(base, &tv);
	event_base_dispatch(base);
}

static int
dial(void)
{
	struct sockaddr_in sin;
	int fd;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((unsigned short)port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	fd = socket(AF_INET, SOCK_STREAM, 0);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(connect(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	fcntl(fd, F_SETFL, O_NONBLOCK);
	return (fd);
}

/* 1: the server closed fd; 0: still open, nothing to read; 2: data. */
static int
state(int fd)
{
	char buf[512];
	ssize_t n = recv(fd, buf, sizeof(buf), 0);

	if (n == 0 || (n == -1 && errno == ECONNRESET))
		return (1);
	return (n > 0 ? 2 : 0);
}

static void
say(int fd, const char *s)
{
	ck_assert_int_eq(write(fd, s, strlen(s)), (ssize_t)strlen(s));
}

START_TEST(test_deadline_cuts_a_trickled_head)
{
	int fd, i;

	start(0, 400);
	fd = dial();
	say(fd, "GET / HTTP/1.1\r\n");
	/* A byte every 100 ms keeps evhttp's own timeout from firing. */
	for (i = 0; i < 10; i++) {
		run(100);
		if (state(fd) == 1)
			break;
		say(fd, "X");
	}
	ck_assert_int_lt(i, 10);
	ck_assert_int_eq(conn_guard_cut_deadline(guard), 1);
	close(fd);
	stop();
}
END_TEST

START_TEST(test_deadline_spares_idle_and_answered)
{
	int idle, busy;

	start(0, 300);
	idle = dial();
	busy = dial();
	run(50);
	say(busy, "GET / HTTP/1.1\r\nHost: x\r\n\r\n");
	run(100);
	ck_assert_int_eq(state(busy), 2);
	run(500);
	/* Neither had a request arriving past the deadline. */
	ck_assert_int_eq(state(idle), 0);
	ck_assert_int_eq(state(busy), 0);
	ck_assert_int_eq(conn_guard_cut_deadline(guard), 0);
	ck_assert_int_eq(conn_guard_count(guard), 2);
	close(idle);
	close(busy);
	run(100);
	ck_assert_int_eq(conn_guard_count(guard), 0);
	stop();
}
END_TEST

START_TEST(test_cap_makes_room)
{
	int fds[4], fresh, i;

	start(4, 0);
	for (i = 0; i < 4; i++) {
		fds[i] = dial();
		run(20);
	}
	ck_assert_int_eq(conn_guard_count(guard), 4);
	fresh = dial();
	run(50);
	/* The oldest idle one made room; the newcomer is served. */
	ck_assert_int_eq(state(fds[0]), 1);
	for (i = 1; i < 4; i++)
		ck_assert_int_eq(state(fds[i]), 0);
	say(fresh, "GET / HTTP/1.1\r\nHost: x\r\n\r\n");
	run(100);
	ck_assert_int_eq(state(fresh), 2);
	ck_assert_int_eq(conn_guard_cut_room(guard), 1);
	ck_assert_int_le(conn_guard_count(guard), 4);
	for (i = 0; i < 4; i++)
		close(fds[i]);
	close(fresh);
	stop();
}
END_TEST

START_TEST(test_cap_prefers_idle_over_busy)
{
	int slow, idle, fresh;

	start(2, 0);
	slow = dial();
	run(20);
	say(slow, "GET / HTTP/1.1\r\n"); /* older, but mid-request */
	idle = dial();
	run(50);
	fresh = dial();
	run(50);
	ck_assert_int_eq(state(idle), 1);
	ck_assert_int_eq(state(slow), 0);
	close(slow);
	close(idle);
	close(fresh);
	stop();
}
END_TEST

Suite *
conn_guard_suite(void)
{
	Suite *s;
	TCase *tc;

	s = suite_create("conn_guard");
	tc = tcase_create("core");
	tcase_set_timeout(tc, 10);
	tcase_add_test(tc, test_deadline_cuts_a_trickled_head);
	tcase_add_test(tc, test_deadline_spares_idle_and_answered);
	tcase_add_test(tc, test_cap_makes_room);
	tcase_add_test(tc, test_cap_prefers_idle_over_busy);
	suite_add_tcase(s, tc);
	return (s);
}
