// SPDX-License-Identifier: MIT
/*
 * api_session.c - the session endpoints of protocol v1.
 *
 * Every handler has the same shape (HS-16): parse and check the input,
 * start one store operation with on_done() as its callback, and return.
 * on_done() renders the answer the handler chose in rq->render.  The
 * store may call on_done() before the operation function returns (memory)
 * or on a later turn of the loop (remote, group commit), so a handler
 * never touches rq after starting the operation.
 *
 * Nothing here knows which backend is behind the store: a new backend
 * never changes this file.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/http.h>
#include <jansson.h>

#include "api.h"
#include "api_session.h"
#include "clock.h"
#include "config.h"
#include "credential.h"
#include "metrics.h"
#include "problem.h"
#include "ratelimit.h"
#include "request.h"
#include "session.h"
#include "session_text.h"

/* What on_done() answers with when the store succeeds. */
enum render {
	RENDER_SESSION = 0, /* 200 session document */
	RENDER_CREATED,     /* 201 session document with token */
	RENDER_VALUE,       /* 200 data[rq->key], or 404 */
	RENDER_EMPTY,       /* 204 */
	RENDER_LOGOUT       /* 204 and the cookie cleared */
};

static int need_token(struct request *);
static int need_key(struct request *, const char *);
static void start(struct request *, enum metrics_store_op, enum render);
static void on_done(
    enum store_rc, const struct session *, const char *, void *);
static void send_value(struct request *, const struct session *);
static void set_cookie(struct request *, const char *);

void
api_session_create(struct request *rq, const char *rest)
{
	json_t *user;
	char key[64], after[24];
	int64_t wait;

	(void)rest;
	/* Before any parsing: a flood costs us as little as possible. */
	ratelimit_client_key(rq->remote, key, sizeof(key));
	wait = ratelimit_take(rq->ctx->logins, key, clock_mono_us() / 1000);
	if (wait > 0) {
		snprintf(after, sizeof(after), "%lld", (long long)wait);
		request_add_header(rq, "Retry-After", after);
		problem_send(rq, 429, "too-many-sessions",
		    "too many new sessions from your address; reuse the "
		    "session you have, or wait Retry-After seconds");
		return;
	}
	if (request_read_json(rq, 0) == -1)
		return;
	if (!json_is_object(rq->body) ||
	    !json_is_string(user = json_object_get(rq->body, "user"))) {
		problem_send(rq, 422, "invalid-field",
		    "send {\"user\": \"<name>\"} with a name of 1 to 64 "
		    "characters of A-Z a-z 0-9 . _ @ -");
		return;
	}
	if (!session_user_is_valid(json_string_value(user)) ||
	    strlen(json_string_value(user)) != json_string_length(user)) {
		problem_send(rq, 422, "invalid-field",
		    "\"user\" must be 1 to 64 characters of A-Z a-z 0-9 . _ @ -");
		return;
	}
	start(rq, METRICS_OP_CREATE, RENDER_CREATED);
	session_store_create(
	    rq->ctx->store, json_string_value(user), on_done, rq);
}

void
api_session_get(struct request *rq, const char *rest)
{
	(void)rest;
	if (need_token(rq) == -1)
		return;
	start(rq, METRICS_OP_GET, RENDER_SESSION);
	session_store_get(rq->ctx->store, rq->token, on_done, rq);
}

void
api_session_delete(struct request *rq, const char *rest)
{
	(void)rest;
	if (need_token(rq) == -1)
		return;
	start(rq, METRICS_OP_DESTROY, RENDER_LOGOUT);
	session_store_destroy(rq->ctx->store, rq->token, on_done, rq);
}

void
api_session_counter(struct request *rq, const char *rest)
{
	json_t *by;
	int64_t n = 1;

	(void)rest;
	if (need_token(rq) == -1 || request_read_json(rq, 1) == -1)
		return;
	if (rq->body != NULL) {
		by = json_is_object(rq->body) ? json_object_get(rq->body, "by")
		                              : NULL;
		if (!json_is_object(rq->body) ||
		    (by != NULL && !json_is_integer(by))) {
			problem_send(rq, 422, "invalid-field",
			    "send no body, or {\"by\": <integer>}");
			return;
		}
		if (by != NULL)
			n = json_integer_value(by);
	}
	start(rq, METRICS_OP_INCR, RENDER_SESSION);
	session_store_incr(rq->ctx->store, rq->token, n, on_done, rq);
}

void
api_session_data_get(struct request *rq, const char *rest)
{
	if (need_key(rq, rest) == -1 || need_token(rq) == -1)
		return;
	start(rq, METRICS_OP_GET, RENDER_VALUE);
	session_store_get(rq->ctx->store, rq->token, on_done, rq);
}

void
api_session_data_put(struct request *rq, const char *rest)
{
	size_t size;

	if (need_key(rq, rest) == -1 || need_token(rq) == -1 ||
	    request_read_json(rq, 0) == -1)
		return;
	size = json_dumpb(rq->body, NULL, 0, JSON_COMPACT | JSON_ENCODE_ANY);
	if (size > SESSION_VALUE_MAX) {
		problem_send(rq, 413, "value-too-large",
		    "a data value may be at most 4096 bytes of compact JSON");
		return;
	}
	if (!session_value_is_shallow(rq->body)) {
		problem_send(rq, 422, "invalid-field",
		    "a data value may nest arrays and objects at most 64 deep");
		return;
	}
	start(rq, METRICS_OP_DATA_PUT, RENDER_SESSION);
	session_store_data_put(
	    rq->ctx->store, rq->token, rq->key, rq->body, on_done, rq);
}

void
api_session_data_delete(struct request *rq, const char *rest)
{
	if (need_key(rq, rest) == -1 || need_token(rq) == -1)
		return;
	start(rq, METRICS_OP_DATA_DELETE, RENDER_EMPTY);
	session_store_data_delete(
	    rq->ctx->store, rq->token, rq->key, on_done, rq);
}

void
api_session_send_error(struct request *rq, int rc, const char *detail)
{
	char buf[320];
	int status = 503;
	const char *type = "store-unavailable";

	switch ((enum store_rc)rc) {
	case STORE_NOTFOUND:
		status = 401;
		type = "session-not-found";
		snprintf(buf, sizeof(buf),
		    "%s does not know this session: it was never created "
		    "here, was logged out, or was lost when the process that "
		    "held it stopped. Log in again with POST /api/sessions.",
		    rq->ctx->cfg->instance);
		break;
	case STORE_EXPIRED:
		status = 401;
		type = "session-expired";
		snprintf(buf, sizeof(buf),
		    "the session expired after %lld s without use; log in "
		    "again with POST /api/sessions",
		    (long long)rq->ctx->cfg->session_ttl);
		break;
	case STORE_NOKEY:
		status = 404;
		type = "no-such-key";
		snprintf(buf, sizeof(buf),
		    "the session has no data under '%s'; PUT it first",
		    rq->key != NULL ? rq->key : "");
		break;
	case STORE_BADTOKEN:
		status = 401;
		type = "invalid-credential";
		snprintf(buf, sizeof(buf), "the credential was refused");
		break;
	case STORE_INVALID:
		status = 422;
		type = "invalid-field";
		snprintf(buf, sizeof(buf), "the request cannot be applied");
		break;
	case STORE_TOOBIG:
		status = 413;
		type = "session-too-large";
		snprintf(buf, sizeof(buf),
		    "the session data may hold at most %d bytes of compact "
		    "JSON; delete some keys first",
		    SESSION_DATA_MAX);
		break;
	case STORE_FULL:
		type = "session-table-full";
		snprintf(buf, sizeof(buf),
		    "%s holds its maximum of %lld sessions; try again later",
		    rq->ctx->cfg->instance,
		    (long long)rq->ctx->cfg->max_sessions);
		request_add_header(rq, "Retry-After", "5");
		break;
	case STORE_MISDIRECTED:
		status = 421;
		type = "misdirected-request";
		snprintf(buf, sizeof(buf),
		    "this session belongs to another instance");
		break;
	case STORE_NOMEM:
		type = "out-of-memory";
		snprintf(buf, sizeof(buf),
		    "%s is out of memory; try again shortly",
		    rq->ctx->cfg->instance);
		request_add_header(rq, "Retry-After", "1");
		break;
	case STORE_UNAVAIL:
	case STORE_OK:
	default:
		snprintf(buf, sizeof(buf),
		    "the %s store cannot answer right now; try again shortly",
		    session_store_name(rq->ctx->store));
		request_add_header(rq, "Retry-After", "1");
		break;
	}
	problem_send(rq, status, type, detail != NULL ? detail : buf);
}

/* Find the credential, or answer 401 and return -1. */
static int
need_token(struct request *rq)
{
	const char *why = NULL;

	switch (credential_find(
	    evhttp_request_get_input_headers(rq->req), &rq->token, &why)) {
	case CREDENTIAL_FOUND:
		return (0);
	case CREDENTIAL_BAD:
		rq->session = REQUEST_SESSION_MISS;
		problem_send(rq, 401, "invalid-credential", why);
		return (-1);
	case CREDENTIAL_NONE:
	default:
		problem_send(rq, 401, "no-credential",
		    "no session credential was sent: log in with POST "
		    "/api/sessions, then send the sid cookie or "
		    "'Authorization: Bearer <token>'");
		return (-1);
	}
}

/* Decode and check the {key} of /api/session/data/{key}, or answer. */
static int
need_key(struct request *rq, const char *rest)
{
	size_t len = 0;

	rq->key = evhttp_uridecode(rest, 0, &len);
	if (rq->key == NULL || strlen(rq->key) != len ||
	    !session_key_is_valid(rq->key)) {
		problem_send(rq, 422, "invalid-field",
		    "a data key is 1 to 64 characters of A-Z a-z 0-9 . _ -");
		return (-1);
	}
	return (0);
}

static void
start(struct request *rq, enum metrics_store_op op, enum render render)
{
	rq->op = op;
	rq->render = render;
	rq->op_t0_us = clock_mono_us();
}

/* The one completion callback of every store operation started here. */
static void
on_done(
    enum store_rc rc, const struct session *s, const char *detail, void *arg)
{
	struct request *rq = arg;
	struct evbuffer *out;

	metrics_store_op(rq->op, clock_mono_us() - rq->op_t0_us,
	    rc == STORE_UNAVAIL || rc == STORE_NOMEM);
	if (rq->token != NULL) {
		if (rc == STORE_OK || rc == STORE_NOKEY)
			metrics_lookup(METRICS_HIT);
		else if (rc == STORE_NOTFOUND)
			metrics_lookup(METRICS_MISS);
		else if (rc == STORE_EXPIRED)
			metrics_lookup(METRICS_EXPIRED);
		/* A store failure says nothing about the session. */
		if (rc == STORE_OK || rc == STORE_NOKEY ||
		    rc == STORE_INVALID || rc == STORE_TOOBIG)
			rq->session = REQUEST_SESSION_HIT;
		else if (rc == STORE_NOTFOUND || rc == STORE_EXPIRED ||
		    rc == STORE_BADTOKEN)
			rq->session = REQUEST_SESSION_MISS;
	}
	if (rc == STORE_EXPIRED)
		metrics_sessions_expired(1);
	if (rc != STORE_OK) {
		api_session_send_error(rq, rc, detail);
		return;
	}
	/* A backend that answers OK without a session is broken: say so. */
	if (s == NULL && rq->render != RENDER_EMPTY &&
	    rq->render != RENDER_LOGOUT) {
		api_session_send_error(rq, STORE_UNAVAIL,
		    "the session store answered without a session");
		return;
	}
	if (rq->op == METRICS_OP_CREATE)
		metrics_session_created();
	if (s != NULL && s->token != NULL)
		set_cookie(rq, s->token);
	/* Remote mode: X-Served-By is this instance, this is the store's. */
	if (s != NULL && s->store_instance != NULL)
		request_add_header(rq, "X-Store-Instance", s->store_instance);
	switch ((enum render)rq->render) {
	case RENDER_VALUE:
		send_value(rq, s);
		return;
	case RENDER_EMPTY:
		request_send(rq, 204, NULL, NULL);
		return;
	case RENDER_LOGOUT:
		set_cookie(rq, NULL);
		request_send(rq, 204, NULL, NULL);
		return;
	case RENDER_SESSION:
	case RENDER_CREATED:
		break;
	}
	out = request_body(rq);
	if (session_text_write(s, rq->ctx, out) == -1) {
		evbuffer_drain(out, evbuffer_get_length(out));
		api_session_send_error(rq, STORE_NOMEM, NULL);
		return;
	}
	request_send(rq, rq->render == RENDER_CREATED ? 201 : 200,
	    "application/json", NULL);
}

static void
send_value(struct request *rq, const struct session *s)
{
	json_t *data, *value;

	if ((data = session_data(s)) == NULL) {
		api_session_send_error(rq, STORE_NOMEM, NULL);
		return;
	}
	if ((value = json_object_get(data, rq->key)) == NULL)
		api_session_send_error(rq, STORE_NOKEY, NULL);
	else
		request_send_json(rq, 200, value);
	json_decref(data);
}

/* Set the session cookie to token, or clear it when token is NULL. */
static void
set_cookie(struct request *rq, const char *token)
{
	const char *secure = rq->ctx->cfg->cookie_secure ? "; Secure" : "";
	char *cookie = NULL;

	if (token != NULL) {
		if (asprintf(&cookie, "%s=%s; Path=/; HttpOnly; SameSite=Lax%s",
		        CREDENTIAL_COOKIE, token, secure) == -1)
			return;
	} else if (asprintf(&cookie,
	               "%s=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax%s",
	               CREDENTIAL_COOKIE, secure) == -1)
		return;
	request_add_header(rq, "Set-Cookie", cookie);
	free(cookie);
}
