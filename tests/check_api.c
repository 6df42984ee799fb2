// SPDX-License-Identifier: MIT
/*
 * check_api.c - tests for common/api.c and api_session.c, in process.
 *
 * A real server (server.c) listens on a loopback port inside the test
 * process and libevent's HTTP client talks to it, so handlers, request.c,
 * problem.c and json_out.c are exercised exactly as in the binaries.
 * The "async" loop runs everything over a store that completes on a
 * later loop turn; the "faults" case injects store failures and checks
 * the promised problem answers and that nothing was changed.
 */
#include <sys/socket.h>

#include <netinet/in.h>

#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <check.h>
#include <event2/event.h>
#include <event2/http.h>
#include <jansson.h>

#include "api.h"
#include "check_suites.h"
#include "clock.h"
#include "config.h"
#include "json_out.h"
#include "log.h"
#include "memory_store.h"
#include "metrics.h"
#include "server.h"
#include "session.h"
#include "test_util.h"
#include "token.h"
#include "wrap_store.h"

static struct config cfg;
static struct api_ctx ctx;
static struct server *srv;
static int port;
static struct test_response resp;

/* _i: 0 = the memory store as is, 1 = the same completing later. */
static void
start(int deferred)
{
	struct store_params p;
	const char *const *routes;
	size_t nroutes;
	char err[256];

	log_init(LOG_LEVEL_ERROR, LOG_FORMAT_JSON, "api-test");
	test_config(&cfg, CONFIG_STATELESS, "--listen", "127.0.0.1:0",
	    "--instance", "api-test", "--max-sessions", "5", "--cors-origins",
	    "http://allowed.example", NULL);
	memset(&ctx, 0, sizeof(ctx));
	ctx.cfg = &cfg;
	ctx.base = server_base_new();
	ctx.admin_ready = 1;
	snprintf(ctx.boot_id, sizeof(ctx.boot_id), "0123456789abcdef");
	p.base = ctx.base;
	p.cfg = &cfg;
	p.now_ms = clock_now_ms;
	ctx.store = wrap_store_new(
	    memory_store_open(&p, err, sizeof(err)), ctx.base, deferred);
	ck_assert_ptr_nonnull(ctx.store);
	ck_assert_int_eq(json_out_served_by_init(&ctx), 0);
	routes = api_route_names(&nroutes);
	metrics_init(routes, nroutes, "stateless", "memory", "test", 0);
	srv = server_new(&ctx, err, sizeof(err));
	ck_assert_msg(srv != NULL, "%s", err);
	ctx.state = API_READY;
	port = server_port(srv);
}

static void
stop(void)
{
	server_free(srv);
	session_store_close(ctx.store);
	json_out_served_by_free(&ctx);
	event_base_free(ctx.base);
	config_free(&cfg);
}

static int
call(const char *method, const char *path, const char *token, const char *body)
{
	char auth[128];
	const char *headers[] = { "Content-Type", "application/json",
		"Authorization", auth, NULL };

	snprintf(auth, sizeof(auth), "Bearer %s", token != NULL ? token : "");
	if (token == NULL)
		headers[2] = NULL;
	return (test_http(ctx.base, port, method, path, headers, body, &resp));
}

/* The value of a top-level member of the last JSON answer, as text. */
static const char *
field(const char *name)
{
	static char out[512];
	json_t *doc, *v;
	char *text;

	out[0] = '\0';
	if ((doc = json_loads(resp.body, JSON_DECODE_ANY, NULL)) == NULL)
		return (out);
	v = json_object_get(doc, name);
	if (json_is_string(v))
		snprintf(out, sizeof(out), "%s", json_string_value(v));
	else if (v != NULL && (text = json_dumps(v, JSON_ENCODE_ANY)) != NULL) {
		snprintf(out, sizeof(out), "%s", text);
		free(text);
	}
	json_decref(doc);
	return (out);
}

static void
login(char *tok, size_t len)
{
	ck_assert_int_eq(
	    call("POST", "/api/sessions", NULL, "{\"user\":\"al\"}"), 201);
	snprintf(tok, len, "%s", field("token"));
	ck_assert(token_is_wellformed(tok));
}

START_TEST(test_protocol_walk)
{
	char tok[64];

	start(_i);
	login(tok, sizeof(tok));
	ck_assert_str_eq(resp.served_by, "api-test");
	ck_assert_ptr_nonnull(strstr(resp.set_cookie, "HttpOnly"));
	ck_assert_int_eq(call("GET", "/api/session", tok, NULL), 200);
	ck_assert_str_eq(field("user"), "al");
	ck_assert_int_eq(call("POST", "/api/session/counter", tok, NULL), 200);
	ck_assert_int_eq(
	    call("POST", "/api/session/counter", tok, "{\"by\":9}"), 200);
	ck_assert_str_eq(field("counter"), "10");
	ck_assert_int_eq(call("PUT", "/api/session/data/k", tok, "[1,2]"), 200);
	ck_assert_int_eq(call("GET", "/api/session/data/k", tok, NULL), 200);
	ck_assert_str_eq(resp.body, "[1,2]");
	ck_assert_int_eq(call("GET", "/api/session/data/k%2e", tok, NULL), 404);
	ck_assert_int_eq(call("DELETE", "/api/session/data/k", tok, NULL), 204);
	ck_assert_int_eq(call("GET", "/api/session/data/k", tok, NULL), 404);
	ck_assert_int_eq(call("DELETE", "/api/session", tok, NULL), 204);
	ck_assert_int_eq(call("GET", "/api/session", tok, NULL), 401);
	ck_assert_str_eq(resp.content_type, "application/problem+json");
	ck_assert_ptr_nonnull(strstr(field("type"), "session-not-found"));
	ck_assert_int_eq(ctx.inflight, 0);
	stop();
}
END_TEST

START_TEST(test_errors)
{
	char tok[64];

	start(_i);
	login(tok, sizeof(tok));
	ck_assert_int_eq(call("GET", "/api/session", NULL, NULL), 401);
	ck_assert_ptr_nonnull(strstr(field("type"), "no-credential"));
	ck_assert_int_eq(call("POST", "/api/sessions", NULL, "{"), 400);
	ck_assert_int_eq(
	    call("POST", "/api/sessions", NULL, "{\"user\":1}"), 422);
	ck_assert_int_eq(
	    call("POST", "/api/sessions", NULL, "{\"user\":\"a\\u0000b\"}"),
	    422);
	ck_assert_int_eq(call("POST", "/api/sessions", NULL,
	                     "{\"user\":\"a\",\"user\":\"b\"}"),
	    400);
	ck_assert_int_eq(call("PUT", "/api/session/data/", tok, "1"), 404);
	ck_assert_int_eq(call("PUT", "/api/session/data/a/b", tok, "1"), 404);
	ck_assert_int_eq(call("PUT", "/api/session/data/%00", tok, "1"), 422);
	ck_assert_int_eq(call("PATCH", "/api/sessions", NULL, NULL), 405);
	ck_assert_str_eq(resp.allow, "POST");
	ck_assert_int_eq(call("POST", "/healthz", NULL, NULL), 405);
	ck_assert_str_eq(resp.allow, "GET, HEAD");
	ck_assert_int_eq(call("GET", "/api/sessions/x", NULL, NULL), 404);
	ck_assert_int_eq(call("GET", "/api/session", tok, NULL), 200);
	ck_assert_str_eq(field("counter"), "0");
	stop();
}
END_TEST

START_TEST(test_wrong_content_type)
{
	const char *headers[] = { "Content-Type", "text/plain", NULL };

	start(_i);
	ck_assert_int_eq(test_http(ctx.base, port, "POST", "/api/sessions",
	                     headers, "{\"user\":\"a\"}", &resp),
	    415);
	stop();
}
END_TEST

START_TEST(test_cors)
{
	const char *allowed[] = { "Origin", "http://allowed.example",
		"Access-Control-Request-Method", "POST", NULL };
	const char *other[] = { "Origin", "http://evil.example", NULL };

	start(_i);
	ck_assert_int_eq(test_http(ctx.base, port, "OPTIONS",
	                     "/api/session/counter", allowed, NULL, &resp),
	    204);
	ck_assert_int_eq(
	    test_http(ctx.base, port, "GET", "/api/info", allowed, NULL, &resp),
	    200);
	ck_assert_int_eq(
	    test_http(ctx.base, port, "GET", "/api/info", other, NULL, &resp),
	    200);
	stop();
}
END_TEST

START_TEST(test_store_faults)
{
	static const struct {
		enum store_rc rc;
		int status;
		const char *type;
	} faults[] = {
		{ STORE_UNAVAIL, 503, "store-unavailable" },
		{ STORE_NOMEM, 503, "out-of-memory" },
		{ STORE_FULL, 503, "session-table-full" },
		{ STORE_MISDIRECTED, 421, "misdirected-request" },
		{ STORE_BADTOKEN, 401, "invalid-credential" },
		{ STORE_TOOBIG, 413, "session-too-large" },
		{ STORE_EXPIRED, 401, "session-expired" },
	};
	char tok[64];
	size_t f;

	start(_i);
	login(tok, sizeof(tok));
	ck_assert_int_eq(call("POST", "/api/session/counter", tok, NULL), 200);
	for (f = 0; f < sizeof(faults) / sizeof(faults[0]); f++) {
		wrap_store_fail_nth(ctx.store, 1, faults[f].rc);
		ck_assert_int_eq(
		    call("POST", "/api/session/counter", tok, NULL),
		    faults[f].status);
		ck_assert_str_eq(resp.content_type, "application/problem+json");
		ck_assert_msg(strstr(field("type"), faults[f].type) != NULL,
		    "%s: type %s", faults[f].type, field("type"));
		ck_assert_str_eq(field("detail"), "injected failure");
	}
	/* None of the failed increments reached the session. */
	ck_assert_int_eq(call("GET", "/api/session", tok, NULL), 200);
	ck_assert_str_eq(field("counter"), "1");
	wrap_store_fail_nth(ctx.store, 1, STORE_UNAVAIL);
	ck_assert_int_eq(
	    call("POST", "/api/sessions", NULL, "{\"user\":\"b\"}"), 503);
	ck_assert_str_eq(resp.retry_after, "1");
	stop();
}
END_TEST

/* A client that hangs up while its store operation is pending. */
START_TEST(test_client_gone)
{
	struct sockaddr_in sin;
	const char *raw = "POST /api/sessions HTTP/1.1\r\nHost: x\r\n"
	                  "Content-Type: application/json\r\n"
	                  "Content-Length: 12\r\n\r\n{\"user\":\"a\"}";
	int fd, i, flag = 0;

	start(1);
	fd = socket(AF_INET, SOCK_STREAM, 0);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((uint16_t)port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(connect(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	ck_assert_int_eq(write(fd, raw, strlen(raw)), (ssize_t)strlen(raw));
	/* Let the server read it and start the (deferred) operation. */
	for (i = 0; i < 20 && ctx.inflight == 0; i++)
		event_base_loop(ctx.base, EVLOOP_ONCE | EVLOOP_NONBLOCK);
	close(fd);
	test_loop_until(ctx.base, &flag, 200);
	ck_assert_int_eq(ctx.inflight, 0);
	ck_assert_int_eq(wrap_store_completed(ctx.store), 1);
	/* And the server still answers. */
	ck_assert_int_eq(call("GET", "/healthz", NULL, NULL), 200);
	stop();
}
END_TEST

static void
on_late_answer(struct evhttp_request *req, void *arg)
{
	*(int *)arg = req != NULL ? evhttp_request_get_response_code(req) : -1;
}

/* SIGTERM while a request waits for the store: it is still answered. */
START_TEST(test_drain_finishes_inflight)
{
	struct evhttp_connection *evcon;
	struct evhttp_request *req;
	int status = 0;

	start(1);
	evcon = evhttp_connection_base_new(
	    ctx.base, NULL, "127.0.0.1", (ev_uint16_t)port);
	req = evhttp_request_new(on_late_answer, &status);
	evhttp_add_header(evhttp_request_get_output_headers(req), "Host", "x");
	evhttp_make_request(evcon, req, EVHTTP_REQ_GET, "/api/info");
	raise(SIGTERM);
	/* The loop ends by itself once the request is answered. */
	event_base_dispatch(ctx.base);
	ck_assert_int_eq(status, 200);
	ck_assert_int_eq(ctx.state, API_DRAINING);
	evhttp_connection_free(evcon);
	stop();
}
END_TEST

START_TEST(test_readyz_and_info)
{
	start(_i);
	ck_assert_int_eq(call("GET", "/readyz", NULL, NULL), 200);
	ctx.admin_ready = 0;
	ck_assert_int_eq(call("GET", "/readyz", NULL, NULL), 503);
	ctx.admin_ready = 1;
	ctx.state = API_STARTING;
	ck_assert_int_eq(call("GET", "/readyz", NULL, NULL), 503);
	ctx.state = API_READY;
	ck_assert_int_eq(call("GET", "/api/info", NULL, NULL), 200);
	ck_assert_str_eq(field("service"), "stateless");
	ck_assert_str_eq(field("boot_id"), "0123456789abcdef");
	ck_assert_int_eq(call("GET", "/metrics", NULL, NULL), 200);
	ck_assert_ptr_nonnull(strstr(resp.body, "route=\"/api/info\""));
	stop();
}
END_TEST

Suite *
api_suite(void)
{
	Suite *s;
	TCase *tc;

	s = suite_create("api");
	tc = tcase_create("core");
	tcase_add_loop_test(tc, test_protocol_walk, 0, 2);
	tcase_add_loop_test(tc, test_readyz_and_info, 0, 2);
	tcase_add_loop_test(tc, test_cors, 0, 2);
	suite_add_tcase(s, tc);
	tc = tcase_create("errors");
	tcase_add_loop_test(tc, test_errors, 0, 2);
	tcase_add_loop_test(tc, test_wrong_content_type, 0, 2);
	tcase_add_loop_test(tc, test_store_faults, 0, 2);
	suite_add_tcase(s, tc);
	tc = tcase_create("lifecycle");
	tcase_set_timeout(tc, 10);
	tcase_add_test(tc, test_client_gone);
	tcase_add_test(tc, test_drain_finishes_inflight);
	suite_add_tcase(s, tc);
	return (s);
}
