// SPDX-License-Identifier: MIT
/*
 * test_util.c - shared helpers for the Check suites: a fake clock, a
 * config from argv, a loop that waits for a flag, and an in-process HTTP
 * client built on libevent's own.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <check.h>
#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>

#include "config.h"
#include "test_util.h"

#define ARGV_MAX 64

int64_t test_now = 1700000000000LL;

int64_t
test_now_ms(void)
{
	return (test_now);
}

void
test_config(struct config *cfg, enum config_service service, ...)
{
	char *argv[ARGV_MAX];
	char err[256] = "";
	int argc = 0;
	va_list ap;
	char *a;

	argv[argc++] = (char *)"test";
	va_start(ap, service);
	while ((a = va_arg(ap, char *)) != NULL && argc < ARGV_MAX - 1)
		argv[argc++] = a;
	va_end(ap);
	argv[argc] = NULL;
	ck_assert_msg(config_load(cfg, service, argc, argv, stdout, err,
	                  sizeof(err)) == CONFIG_OK,
	    "config: %s", err);
}

static void
on_timeout(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	*(int *)arg = 1;
}

int
test_loop_until(struct event_base *base, const int *flag, int timeout_ms)
{
	struct timeval tv = { timeout_ms / 1000, (timeout_ms % 1000) * 1000 };
	struct event *timer;
	int expired = 0;

	timer = evtimer_new(base, on_timeout, &expired);
	evtimer_add(timer, &tv);
	while (!*flag && !expired)
		event_base_loop(base, EVLOOP_ONCE);
	event_free(timer);
	return (*flag);
}

static void
copy_header(struct evhttp_request *req, const char *name, char *out, size_t len)
{
	const char *v;

	v = evhttp_find_header(evhttp_request_get_input_headers(req), name);
	snprintf(out, len, "%s", v != NULL ? v : "");
}

static void
on_response(struct evhttp_request *req, void *arg)
{
	struct test_response *resp = arg;
	struct evbuffer *in;

	resp->done = 1;
	if (req == NULL)
		return;
	resp->status = evhttp_request_get_response_code(req);
	in = evhttp_request_get_input_buffer(req);
	resp->body_len =
	    evbuffer_remove(in, resp->body, sizeof(resp->body) - 1);
	resp->body[resp->body_len] = '\0';
	copy_header(
	    req, "X-Served-By", resp->served_by, sizeof(resp->served_by));
	copy_header(
	    req, "Set-Cookie", resp->set_cookie, sizeof(resp->set_cookie));
	copy_header(req, "Content-Type", resp->content_type,
	    sizeof(resp->content_type));
	copy_header(
	    req, "Retry-After", resp->retry_after, sizeof(resp->retry_after));
	copy_header(req, "Allow", resp->allow, sizeof(resp->allow));
}

static enum evhttp_cmd_type
command(const char *method)
{
	if (strcmp(method, "POST") == 0)
		return (EVHTTP_REQ_POST);
	if (strcmp(method, "PUT") == 0)
		return (EVHTTP_REQ_PUT);
	if (strcmp(method, "DELETE") == 0)
		return (EVHTTP_REQ_DELETE);
	if (strcmp(method, "PATCH") == 0)
		return (EVHTTP_REQ_PATCH);
	if (strcmp(method, "OPTIONS") == 0)
		return (EVHTTP_REQ_OPTIONS);
	return (EVHTTP_REQ_GET);
}

int
test_http(struct event_base *base, int port, const char *method,
    const char *path, const char *const *headers, const char *body,
    struct test_response *resp)
{
	struct evhttp_connection *evcon;
	struct evhttp_request *req;
	struct evkeyvalq *out;
	size_t i;

	memset(resp, 0, sizeof(*resp));
	evcon = evhttp_connection_base_new(
	    base, NULL, "127.0.0.1", (ev_uint16_t)port);
	ck_assert_ptr_nonnull(evcon);
	req = evhttp_request_new(on_response, resp);
	out = evhttp_request_get_output_headers(req);
	evhttp_add_header(out, "Host", "127.0.0.1");
	for (i = 0; headers != NULL && headers[i] != NULL; i += 2)
		evhttp_add_header(out, headers[i], headers[i + 1]);
	if (body != NULL)
		evbuffer_add(
		    evhttp_request_get_output_buffer(req), body, strlen(body));
	ck_assert_int_eq(
	    evhttp_make_request(evcon, req, command(method), path), 0);
	test_loop_until(base, &resp->done, 5000);
	evhttp_connection_free(evcon);
	return (resp->status);
}
