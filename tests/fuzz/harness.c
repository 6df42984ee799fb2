// SPDX-License-Identifier: MIT
/*
 * harness.c - drive api_dispatch() in-process for the fuzz targets.
 *
 * One process-wide api_ctx over a memory store with a frozen clock, so
 * that a run is deterministic: the same input always takes the same path.
 * Each input starts from harness_reset(): one session (alice, counter 5,
 * data {"k":1}) whose token the inputs name with HARNESS_TOKEN_MARK.
 *
 * The request is laid out as evhttp's parser leaves it (2.1.12's public
 * struct in <event2/http_struct.h>) and dispatched without a connection;
 * evhttp_send_reply() then frees it instead of writing, unless
 * EVHTTP_REQ_DEFER_FREE is set, which is how the reply is kept to be
 * checked.  Invariant violations abort(), which libFuzzer reports as a
 * crash with the input that caused it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/http_struct.h>
#include <event2/keyvalq_struct.h>
#include <jansson.h>

#include "api.h"
#include "config.h"
#include "json_out.h"
#include "log.h"
#include "memory_store.h"
#include "metrics.h"
#include "session.h"
#include "token.h"

#include "harness.h"

#define FROZEN_NOW_MS 1767225600000LL /* 2026-01-01T00:00:00Z */

static struct config cfg;
static struct api_ctx ctx;
static struct session_store *store;
static char token[TOKEN_LEN + 1];

static int64_t frozen_now(void);
static void on_created(
    enum store_rc, const struct session *, const char *, void *);
static void on_ignored(
    enum store_rc, const struct session *, const char *, void *);
static void on_snapshot(
    enum store_rc, const struct session *, const char *, void *);
static int status_is_documented(int);
static int id_is_safe(const char *);
static void die(const char *, const char *, const char *);

void
harness_init(void)
{
	static char *argv[] = { "stateless", "--instance", "fuzz",
		"--log-level", "error", "--max-sessions", "64",
		"--cors-origins", "http://a.example", NULL };
	const char *const *routes;
	char err[256];
	size_t n;
	FILE *devnull;

	if ((devnull = fopen("/dev/null", "w")) == NULL)
		abort();
	if (config_load(&cfg, CONFIG_STATELESS, 9, argv, devnull, err,
	        sizeof(err)) != CONFIG_OK) {
		fprintf(stderr, "harness: config: %s\n", err);
		abort();
	}
	fclose(devnull);
	/* Errors only: the request lines would drown the fuzzer's output. */
	log_init(LOG_LEVEL_ERROR, LOG_FORMAT_JSON, cfg.instance);
	routes = api_route_names(&n);
	metrics_init(routes, n, "stateless", "memory", "fuzz", FROZEN_NOW_MS);
	ctx.cfg = &cfg;
	if ((ctx.base = event_base_new()) == NULL)
		abort();
	memcpy(ctx.boot_id, "0123456789abcdef", sizeof(ctx.boot_id));
	ctx.started_at_ms = FROZEN_NOW_MS;
	ctx.state = API_READY;
	ctx.admin_ready = 1;
}

const struct api_ctx *
harness_ctx(void)
{
	return (&ctx);
}

void
harness_reset(void)
{
	struct store_params p;
	char err[256];
	json_t *one;

	session_store_close(store);
	p.base = ctx.base;
	p.cfg = &cfg;
	p.now_ms = frozen_now;
	if ((store = memory_store_open(&p, err, sizeof(err))) == NULL)
		abort();
	ctx.store = store;
	ctx.seq = 0;
	/* As service.c does: the served_by every session document shares. */
	json_out_served_by_free(&ctx);
	if (json_out_served_by_init(&ctx) == -1)
		abort();
	token[0] = '\0';
	session_store_create(store, "alice", on_created, NULL);
	if (!token_is_wellformed(token))
		abort();
	session_store_incr(store, token, 5, on_ignored, NULL);
	one = json_integer(1);
	session_store_data_put(store, token, "k", one, on_ignored, NULL);
	json_decref(one);
}

const char *
harness_token(void)
{
	return (token);
}

int
harness_dispatch(const struct harness_request *hr, struct harness_reply *out)
{
	struct evhttp_request *req;
	const char *const *h;
	const char *v;
	int rc = -1;

	memset(out, 0, sizeof(*out));
	if ((req = evhttp_request_new(NULL, NULL)) == NULL)
		abort();
	req->kind = EVHTTP_REQUEST;
	req->type = (enum evhttp_cmd_type)hr->method;
	if ((req->uri = strdup(hr->uri)) == NULL)
		abort();
	/* What evhttp_parse_request_line() does; a failure there is 400. */
	req->uri_elems =
	    evhttp_uri_parse_with_flags(req->uri, EVHTTP_URI_NONCONFORMANT);
	if (req->uri_elems == NULL)
		goto done;
	for (h = hr->headers; h != NULL && h[0] != NULL; h += 2) {
		/* evhttp's header parser refuses the same (400). */
		if (evhttp_add_header(req->input_headers, h[0], h[1]) == -1)
			goto done;
	}
	if (hr->body_len > 0)
		evbuffer_add(req->input_buffer, hr->body, hr->body_len);

	req->flags |= EVHTTP_REQ_DEFER_FREE;
	api_dispatch(req, &ctx);
	out->status = req->response_code;
	out->replies_pending = (int)ctx.inflight;
	v = evhttp_find_header(req->output_headers, "Content-Type");
	snprintf(out->ctype, sizeof(out->ctype), "%s", v != NULL ? v : "");
	v = evhttp_find_header(req->output_headers, "X-Request-Id");
	snprintf(
	    out->request_id, sizeof(out->request_id), "%s", v != NULL ? v : "");
	out->served_by =
	    evhttp_find_header(req->output_headers, "X-Served-By") != NULL;
	/* A dispatch that never replied leaks its struct request: ASan says so.
	 */
	ctx.inflight = 0;
	rc = 0;
done:
	req->flags &= ~(EVHTTP_REQ_DEFER_FREE | EVHTTP_REQ_NEEDS_FREE);
	evhttp_request_free(req);
	return (rc);
}

void
harness_snapshot(char *buf, size_t len)
{
	struct {
		char *buf;
		size_t len;
	} s = { buf, len };

	snprintf(buf, len, "gone");
	session_store_get(store, token, on_snapshot, &s);
}

void
harness_check(
    const struct harness_reply *r, const char *before, const char *what)
{
	char now[32768];

	/* HARNESS_TRACE=1 shows what each input did (for writing seeds). */
	if (getenv("HARNESS_TRACE") != NULL)
		fprintf(
		    stderr, "harness: %d %s %s\n", r->status, r->ctype, what);
	if (r->replies_pending != 0)
		die("a request was left unanswered", what, NULL);
	if (r->status == 0)
		die("no reply was sent", what, NULL);
	if (!status_is_documented(r->status))
		die("a status DESIGN.md does not name", what, NULL);
	if (r->status >= 400 &&
	    strcmp(r->ctype, "application/problem+json") != 0)
		die("an error that is not problem+json", what, r->ctype);
	if (!r->served_by)
		die("no X-Served-By", what, NULL);
	if (!id_is_safe(r->request_id))
		die("an unsafe X-Request-Id", what, r->request_id);
	if (r->status >= 400 && before != NULL) {
		harness_snapshot(now, sizeof(now));
		if (strcmp(before, now) != 0)
			die("a rejected request changed the session", what,
			    now);
	}
}

char *
harness_subst(const char *s, size_t len, size_t *outlen)
{
	size_t mark = strlen(HARNESS_TOKEN_MARK), i, o = 0;
	char *out;

	/* Every mark grows by at most TOKEN_LEN - mark characters. */
	if ((out = malloc(len / mark * TOKEN_LEN + len + 1)) == NULL)
		abort();
	for (i = 0; i < len;) {
		if (len - i >= mark &&
		    memcmp(s + i, HARNESS_TOKEN_MARK, mark) == 0) {
			memcpy(out + o, token, TOKEN_LEN);
			o += TOKEN_LEN;
			i += mark;
		} else
			out[o++] = s[i++];
	}
	out[o] = '\0';
	*outlen = o;
	return (out);
}

unsigned
harness_method(const char *word)
{
	static const struct {
		const char *name;
		unsigned method;
	} methods[] = {
		{ "GET", EVHTTP_REQ_GET },
		{ "POST", EVHTTP_REQ_POST },
		{ "HEAD", EVHTTP_REQ_HEAD },
		{ "PUT", EVHTTP_REQ_PUT },
		{ "DELETE", EVHTTP_REQ_DELETE },
		{ "OPTIONS", EVHTTP_REQ_OPTIONS },
		{ "TRACE", EVHTTP_REQ_TRACE },
		{ "CONNECT", EVHTTP_REQ_CONNECT },
		{ "PATCH", EVHTTP_REQ_PATCH },
	};
	size_t i;

	for (i = 0; i < sizeof(methods) / sizeof(methods[0]); i++) {
		if (strcmp(word, methods[i].name) == 0)
			return (methods[i].method);
	}
	return (0);
}

static int64_t
frozen_now(void)
{
	return (FROZEN_NOW_MS);
}

static void
on_created(
    enum store_rc rc, const struct session *s, const char *detail, void *arg)
{
	(void)detail;
	(void)arg;
	if (rc == STORE_OK && s->token != NULL)
		snprintf(token, sizeof(token), "%s", s->token);
}

static void
on_ignored(
    enum store_rc rc, const struct session *s, const char *detail, void *arg)
{
	(void)s;
	(void)detail;
	(void)arg;
	if (rc != STORE_OK)
		abort();
}

static void
on_snapshot(
    enum store_rc rc, const struct session *s, const char *detail, void *arg)
{
	struct {
		char *buf;
		size_t len;
	} *out = arg;
	char *data = NULL;

	(void)detail;
	if (rc != STORE_OK)
		return;
	if (s->data != NULL)
		data = json_dumps(s->data, JSON_COMPACT | JSON_SORT_KEYS);
	snprintf(out->buf, out->len, "%lld %s", (long long)s->counter,
	    data != NULL ? data : "{}");
	free(data);
}

/* The statuses of DESIGN.md's protocol table and error list. */
static int
status_is_documented(int status)
{
	static const int ok[] = { 200, 201, 204, 400, 401, 404, 405, 413, 415,
		421, 422, 429, 431, 503 };
	size_t i;

	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		if (ok[i] == status)
			return (1);
	}
	return (0);
}

/* 1..64 of [A-Za-z0-9._:-]: what request.c promises for logs. */
static int
id_is_safe(const char *id)
{
	size_t n = strspn(id,
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._:-");

	return (n > 0 && n <= 64 && id[n] == '\0');
}

static void
die(const char *why, const char *what, const char *extra)
{
	fprintf(stderr, "harness: %s: %s%s%s\n", why, what,
	    extra != NULL ? ": " : "", extra != NULL ? extra : "");
	abort();
}
