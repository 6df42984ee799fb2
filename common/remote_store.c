// SPDX-License-Identifier: MIT
/*
 * remote_store.c - sessions kept by another service, over protocol v1.
 *
 * The stateless instance keeps nothing: every operation becomes one HTTP
 * request to the stateful service (--store-url), with the client's
 * credential passed on as "Authorization: Bearer", and the answer is
 * mapped back to a store_rc and a struct session.  Instances can die at
 * will; the state lives in a process built to keep it.
 *
 *   op fn --> struct remote_op --> evhttp_make_request on a pooled conn
 *                 |  deadline timer                  |
 *                 +--> on_deadline: cancel  --+      v on_response
 *                                             +--> complete(): done() once
 *
 * Rules that keep it from hanging or crashing when the store dies:
 *   - every op has a deadline timer of its own (REMOTE_STORE_TIMEOUT_MS);
 *     whichever of deadline, answer or transport error comes first
 *     completes it, and complete() is the only place that calls done;
 *   - a transport failure of a GET is retried once on another connection
 *     (a read is idempotent); a write is never retried, since the store
 *     may have applied it, and a timed-out GET is not retried either:
 *     the store is slow, not gone, and a second wait doubles the client's;
 *   - libevent may call on_response before evhttp_make_request returns
 *     (a refused connect to a local address fails at once), so nothing
 *     touches an op after handing it to libevent;
 *   - evhttp_cancel_request runs the error callback (with
 *     EVREQ_HTTP_REQUEST_CANCEL) but not the completion callback, and
 *     evhttp_connection_free runs neither: close() completes every pending
 *     op itself with STORE_UNAVAIL, after freeing the connections.
 *
 * Readiness is the latest evidence: a probe of the store's /readyz every
 * REMOTE_STORE_PROBE_MS, and the outcome of each operation.
 */
#include <sys/queue.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/dns.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <jansson.h>

#include "config.h"
#include "log.h"
#include "remote_doc.h"
#include "remote_store.h"
#include "session.h"

#define BODY_MAX    (1 << 20) /* of an answer; a session is < 24 KiB */
#define HEADERS_MAX (1 << 16)
#define INFO_EVERY  5 /* probes between two GET /api/info */
#define DETAIL_MAX  384
#define TOKEN_CHARS                                                        \
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_" \
	"."

/* ------------------------------------------------------------------ */
/* Types                                                                */
/* ------------------------------------------------------------------ */

enum op_kind {
	OP_SESSION = 0, /* answers a session document, 204, or a problem */
	OP_PROBE_READY, /* GET /readyz */
	OP_PROBE_INFO   /* GET /api/info */
};

struct remote_conn {
	struct evhttp_connection *evcon;
	int inflight; /* requests queued or under way on it */
};

struct remote_store;

struct remote_op {
	TAILQ_ENTRY(remote_op) link;
	struct remote_store *rs;
	struct remote_conn *conn;   /* of the current attempt */
	struct evhttp_request *req; /* handed to libevent, or NULL */
	struct event *deadline;
	enum op_kind kind;
	enum evhttp_cmd_type cmd;
	char *path;  /* owned, with the URL's prefix */
	char *body;  /* owned JSON, or NULL */
	char *auth;  /* owned "Bearer ...", or NULL */
	int retries; /* attempts left after this one */
	int error;   /* last EVREQ_HTTP_* seen, or -1 */
	store_done_fn done;
	void *arg;
};

TAILQ_HEAD(remote_op_list, remote_op);

struct remote_store {
	struct event_base *base;
	struct evdns_base *dns; /* resolves the host without blocking */
	char *url;  /* as given, trailing '/' removed: for details */
	char *host; /* for connections and the Host header */
	char *hostport;
	char *prefix; /* path of the URL, "" or "/x" */
	int port;
	int timeout_ms;
	int probe_ms; /* 0: no probe */
	struct remote_conn conns[REMOTE_STORE_POOL];
	unsigned next_conn; /* where the least-busy search starts */
	struct remote_op_list pending;
	struct event *probe;
	unsigned probes;
	int probing;   /* a probe op is under way */
	int ready;     /* latest evidence that the store answers */
	char why[320]; /* unready_reason()'s sentence */
	int64_t count; /* sessions from /api/info, or -1 */
	char store_instance[CONFIG_INSTANCE_MAX + 1];
	int closing;
};

/* ------------------------------------------------------------------ */
/* Static prototypes                                                    */
/* ------------------------------------------------------------------ */

static int parse_url(struct remote_store *, const char *, char *, size_t);
static void start(struct remote_store *, enum op_kind, enum evhttp_cmd_type,
    const char *, const char *, const char *, store_done_fn, void *);
static void send_attempt(struct remote_op *);
static void on_response(struct evhttp_request *, void *);
static void on_error(enum evhttp_request_error, void *);
static void on_deadline(evutil_socket_t, short, void *);
static void handle_answer(struct remote_op *, struct evhttp_request *);
static void complete(
    struct remote_op *, enum store_rc, const struct session *, const char *);
static void fail_transport(struct remote_op *, int);
static void on_probe(evutil_socket_t, short, void *);
static void probe_done(
    enum store_rc, const struct session *, const char *, void *);
static int token_ok(const char *, store_done_fn, void *);
static char *concat(const char *, const char *);

static void rs_create(void *, const char *, store_done_fn, void *);
static void rs_get(void *, const char *, store_done_fn, void *);
static void rs_incr(void *, const char *, int64_t, store_done_fn, void *);
static void rs_data_put(
    void *, const char *, const char *, const json_t *, store_done_fn, void *);
static void rs_data_delete(
    void *, const char *, const char *, store_done_fn, void *);
static void rs_destroy(void *, const char *, store_done_fn, void *);
static int64_t rs_count(void *);
static int rs_is_ready(void *);
static const char *rs_unready_reason(void *);
static int64_t rs_sweep(void *, int64_t);
static void rs_describe(void *, json_t *);
static void rs_close(void *);

static const struct session_store_ops remote_ops = {
	.name = "remote",
	.create = rs_create,
	.get = rs_get,
	.incr = rs_incr,
	.data_put = rs_data_put,
	.data_delete = rs_data_delete,
	.destroy = rs_destroy,
	.count = rs_count,
	.is_ready = rs_is_ready,
	.unready_reason = rs_unready_reason,
	.sweep = rs_sweep,
	.describe = rs_describe,
	.gauges = NULL,
	.close = rs_close,
};

/* ------------------------------------------------------------------ */
/* Public API                                                           */
/* ------------------------------------------------------------------ */

struct session_store *
remote_store_open(
    const struct store_params *p, char *err, size_t errlen, int *exit_code)
{
	struct session_store *st;

	*exit_code = 2;
	if (p->cfg->store_url == NULL || *p->cfg->store_url == '\0') {
		snprintf(err, errlen,
		    "--sessions remote needs --store-url, the base URL of the "
		    "stateful service (e.g. http://127.0.0.1:8082)");
		return (NULL);
	}
	err[0] = '\0';
	st = remote_store_open_url(p, p->cfg->store_url,
	    REMOTE_STORE_TIMEOUT_MS, REMOTE_STORE_PROBE_MS, err, errlen);
	if (st == NULL && strstr(err, "out of memory") != NULL)
		*exit_code = 1;
	return (st);
}

struct session_store *
remote_store_open_url(const struct store_params *p, const char *url,
    int timeout_ms, int probe_ms, char *err, size_t errlen)
{
	struct remote_store *rs;
	struct timeval tv;
	int i;

	if ((rs = calloc(1, sizeof(*rs))) == NULL) {
		snprintf(err, errlen, "remote_store: out of memory");
		return (NULL);
	}
	rs->base = p->base;
	rs->timeout_ms = timeout_ms;
	rs->probe_ms = probe_ms;
	rs->count = -1;
	TAILQ_INIT(&rs->pending);
	if (parse_url(rs, url, err, errlen) == -1) {
		rs_close(rs);
		return (NULL);
	}
	/* libevent's own timeout only backs up the deadline timers. */
	tv.tv_sec = timeout_ms / 1000 + 1;
	tv.tv_usec = (timeout_ms % 1000) * 1000;
	/*
	 * Without a resolver of its own, libevent looks the host up with a
	 * blocking getaddrinfo(3) on every (re)connect: a slow cluster DNS
	 * would stall the whole loop, /healthz included.
	 */
	if ((rs->dns = evdns_base_new(
	         rs->base, EVDNS_BASE_INITIALIZE_NAMESERVERS)) == NULL)
		log_warnx("remote_store: no DNS resolver (resolv.conf?); "
		          "looking up %s will block the loop",
		    rs->host);
	for (i = 0; i < REMOTE_STORE_POOL; i++) {
		rs->conns[i].evcon = evhttp_connection_base_new(
		    rs->base, rs->dns, rs->host, (unsigned short)rs->port);
		if (rs->conns[i].evcon == NULL) {
			snprintf(err, errlen, "remote_store: out of memory");
			rs_close(rs);
			return (NULL);
		}
		evhttp_connection_set_timeout_tv(rs->conns[i].evcon, &tv);
		evhttp_connection_set_max_body_size(
		    rs->conns[i].evcon, BODY_MAX);
		evhttp_connection_set_max_headers_size(
		    rs->conns[i].evcon, HEADERS_MAX);
	}
	if (probe_ms > 0 &&
	    (rs->probe = evtimer_new(rs->base, on_probe, rs)) == NULL) {
		snprintf(err, errlen, "remote_store: out of memory");
		rs_close(rs);
		return (NULL);
	}
	/* The first probe goes out as soon as the loop runs. */
	tv.tv_sec = 0;
	tv.tv_usec = 0;
	if (rs->probe != NULL)
		evtimer_add(rs->probe, &tv);
	log_info("remote_store: sessions are kept by %s", rs->url);
	return (session_store_new(&remote_ops, rs));
}

/* ------------------------------------------------------------------ */
/* Store operations                                                     */
/* ------------------------------------------------------------------ */

static void
rs_create(void *impl, const char *user, store_done_fn done, void *arg)
{
	json_t *doc;
	char *body;

	doc = json_pack("{s:s}", "user", user);
	body = doc != NULL ? json_dumps(doc, JSON_COMPACT) : NULL;
	json_decref(doc);
	if (body == NULL) {
		done(STORE_NOMEM, NULL, NULL, arg);
		return;
	}
	start(impl, OP_SESSION, EVHTTP_REQ_POST, "/api/sessions", body, NULL,
	    done, arg);
	free(body);
}

static void
rs_get(void *impl, const char *token, store_done_fn done, void *arg)
{
	if (token_ok(token, done, arg))
		start(impl, OP_SESSION, EVHTTP_REQ_GET, "/api/session", NULL,
		    token, done, arg);
}

static void
rs_incr(
    void *impl, const char *token, int64_t by, store_done_fn done, void *arg)
{
	char body[48];

	if (!token_ok(token, done, arg))
		return;
	snprintf(body, sizeof(body), "{\"by\":%lld}", (long long)by);
	start(impl, OP_SESSION, EVHTTP_REQ_POST, "/api/session/counter", body,
	    token, done, arg);
}

static void
rs_data_put(void *impl, const char *token, const char *key, const json_t *value,
    store_done_fn done, void *arg)
{
	char path[32 + SESSION_KEY_MAX];
	char *body;

	if (!token_ok(token, done, arg))
		return;
	if (!session_key_is_valid(key)) {
		done(STORE_INVALID, NULL,
		    "a data key is 1 to 64 characters of A-Z a-z 0-9 . _ -",
		    arg);
		return;
	}
	if ((body = json_dumps(value, JSON_COMPACT | JSON_ENCODE_ANY)) ==
	    NULL) {
		done(STORE_NOMEM, NULL, NULL, arg);
		return;
	}
	snprintf(path, sizeof(path), "/api/session/data/%s", key);
	start(impl, OP_SESSION, EVHTTP_REQ_PUT, path, body, token, done, arg);
	free(body);
}

static void
rs_data_delete(void *impl, const char *token, const char *key,
    store_done_fn done, void *arg)
{
	char path[32 + SESSION_KEY_MAX];

	if (!token_ok(token, done, arg))
		return;
	if (!session_key_is_valid(key)) {
		done(STORE_INVALID, NULL,
		    "a data key is 1 to 64 characters of A-Z a-z 0-9 . _ -",
		    arg);
		return;
	}
	snprintf(path, sizeof(path), "/api/session/data/%s", key);
	start(
	    impl, OP_SESSION, EVHTTP_REQ_DELETE, path, NULL, token, done, arg);
}

static void
rs_destroy(void *impl, const char *token, store_done_fn done, void *arg)
{
	if (token_ok(token, done, arg))
		start(impl, OP_SESSION, EVHTTP_REQ_DELETE, "/api/session", NULL,
		    token, done, arg);
}

/* What the store's /api/info said last; -1 until it said something. */
static int64_t
rs_count(void *impl)
{
	return (((struct remote_store *)impl)->count);
}

static int
rs_is_ready(void *impl)
{
	return (((struct remote_store *)impl)->ready);
}

static const char *
rs_unready_reason(void *impl)
{
	struct remote_store *rs = impl;

	snprintf(rs->why, sizeof(rs->why),
	    "the session store at %s does not answer as ready", rs->url);
	return (rs->why);
}

/* The store expires its own sessions. */
static int64_t
rs_sweep(void *impl, int64_t now_ms)
{
	(void)impl;
	(void)now_ms;
	return (0);
}

static void
rs_describe(void *impl, json_t *info)
{
	struct remote_store *rs = impl;

	json_object_set_new(info, "remote",
	    json_pack("{s:s, s:b, s:s?, s:i}", "url", rs->url, "ready",
	        rs->ready, "store_instance",
	        rs->store_instance[0] != '\0' ? rs->store_instance : NULL,
	        "timeout_ms", rs->timeout_ms));
}

/*
 * Free the pool, then complete every pending op with STORE_UNAVAIL.
 * evhttp_connection_free drops queued requests without calling back, so
 * after it no libevent callback can reach an op.
 */
static void
rs_close(void *impl)
{
	struct remote_store *rs = impl;
	struct remote_op *op;
	char detail[DETAIL_MAX];
	int i;

	rs->closing = 1;
	if (rs->probe != NULL)
		event_free(rs->probe);
	rs->probe = NULL;
	for (i = 0; i < REMOTE_STORE_POOL; i++) {
		if (rs->conns[i].evcon != NULL)
			evhttp_connection_free(rs->conns[i].evcon);
		rs->conns[i].evcon = NULL;
	}
	snprintf(detail, sizeof(detail),
	    "this instance is shutting down; the request to the session store "
	    "at %s was abandoned",
	    rs->url != NULL ? rs->url : "?");
	while ((op = TAILQ_FIRST(&rs->pending)) != NULL) {
		op->req = NULL; /* freed with its connection */
		complete(op, STORE_UNAVAIL, NULL, detail);
	}
	if (rs->dns != NULL)
		evdns_base_free(rs->dns, 1);
	free(rs->url);
	free(rs->host);
	free(rs->hostport);
	free(rs->prefix);
	free(rs);
}

/* ------------------------------------------------------------------ */
/* Static helpers: requests                                             */
/* ------------------------------------------------------------------ */

/* Split url into host, port and prefix.  http only. */
static int
parse_url(struct remote_store *rs, const char *url, char *err, size_t errlen)
{
	struct evhttp_uri *uri = NULL;
	const char *scheme, *host, *path;
	size_t len;
	int rc = -1;

	if ((uri = evhttp_uri_parse(url)) == NULL ||
	    (scheme = evhttp_uri_get_scheme(uri)) == NULL ||
	    strcmp(scheme, "http") != 0 ||
	    (host = evhttp_uri_get_host(uri)) == NULL || *host == '\0' ||
	    evhttp_uri_get_query(uri) != NULL ||
	    evhttp_uri_get_fragment(uri) != NULL ||
	    evhttp_uri_get_userinfo(uri) != NULL) {
		snprintf(err, errlen,
		    "--store-url '%s' is not a URL of the form "
		    "http://HOST[:PORT][/PREFIX] (https is not supported: "
		    "reach the store over the cluster network)",
		    url);
		goto done;
	}
	rs->port = evhttp_uri_get_port(uri) > 0 ? evhttp_uri_get_port(uri) : 80;
	path = evhttp_uri_get_path(uri) != NULL ? evhttp_uri_get_path(uri) : "";
	len = strlen(path);
	while (len > 0 && path[len - 1] == '/')
		len--;
	/* libevent keeps an IPv6 literal's brackets; connect without. */
	if ((rs->host = host[0] == '[' ? strndup(host + 1, strlen(host) - 2)
	                               : strdup(host)) == NULL ||
	    (rs->prefix = strndup(path, len)) == NULL ||
	    asprintf(&rs->hostport, "%s:%d", host, rs->port) == -1 ||
	    asprintf(&rs->url, "http://%s:%d%.*s", host, rs->port, (int)len,
	        path) == -1) {
		rs->hostport = rs->url = NULL;
		snprintf(err, errlen, "remote_store: out of memory");
		goto done;
	}
	rc = 0;
done:
	if (uri != NULL)
		evhttp_uri_free(uri);
	return (rc);
}

/* a followed by b in a new string, or NULL. */
static char *
concat(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	char *s;

	if ((s = malloc(la + lb + 1)) == NULL)
		return (NULL);
	memcpy(s, a, la);
	memcpy(s + la, b, lb + 1);
	return (s);
}

/* Refuse a credential no server could have issued, without a request. */
static int
token_ok(const char *token, store_done_fn done, void *arg)
{
	size_t len = strlen(token);

	if (len == 0 || len > SESSION_TOKEN_MAX ||
	    strspn(token, TOKEN_CHARS) != len) {
		done(STORE_BADTOKEN, NULL,
		    "the credential has characters or a length that no session "
		    "token has",
		    arg);
		return (0);
	}
	return (1);
}

/*
 * Start one operation: METHOD prefix+path with body (JSON) and the
 * credential token.  path, body and token are copied.
 */
static void
start(struct remote_store *rs, enum op_kind kind, enum evhttp_cmd_type cmd,
    const char *path, const char *body, const char *token, store_done_fn done,
    void *arg)
{
	struct remote_op *op;
	struct timeval tv;

	if (rs->closing) {
		done(
		    STORE_UNAVAIL, NULL, "this instance is shutting down", arg);
		return;
	}
	if ((op = calloc(1, sizeof(*op))) == NULL) {
		done(STORE_NOMEM, NULL, NULL, arg);
		return;
	}
	op->rs = rs;
	op->kind = kind;
	op->cmd = cmd;
	op->error = -1;
	op->retries = cmd == EVHTTP_REQ_GET ? 1 : 0;
	op->done = done;
	op->arg = arg;
	if ((op->path = concat(rs->prefix, path)) == NULL ||
	    (body != NULL && (op->body = strdup(body)) == NULL) ||
	    (token != NULL && (op->auth = concat("Bearer ", token)) == NULL) ||
	    (op->deadline = evtimer_new(rs->base, on_deadline, op)) == NULL) {
		free(op->path);
		free(op->body);
		free(op->auth);
		free(op);
		done(STORE_NOMEM, NULL, NULL, arg);
		return;
	}
	TAILQ_INSERT_TAIL(&rs->pending, op, link);
	tv.tv_sec = rs->timeout_ms / 1000;
	tv.tv_usec = (rs->timeout_ms % 1000) * 1000;
	evtimer_add(op->deadline, &tv);
	send_attempt(op);
}

/*
 * Hand op to the least busy connection.  libevent may call on_response
 * (and so complete and free op) before evhttp_make_request returns: op
 * is not touched after it.
 */
static void
send_attempt(struct remote_op *op)
{
	struct remote_store *rs = op->rs;
	struct remote_conn *c, *best = NULL;
	struct evhttp_request *req;
	struct evkeyvalq *h;
	unsigned i;

	for (i = 0; i < REMOTE_STORE_POOL; i++) {
		c = &rs->conns[(rs->next_conn + i) % REMOTE_STORE_POOL];
		/* A retry avoids the connection that just failed. */
		if (c == op->conn && op->error != -1)
			continue;
		if (best == NULL || c->inflight < best->inflight)
			best = c;
	}
	rs->next_conn++;
	if ((req = evhttp_request_new(on_response, op)) == NULL) {
		complete(op, STORE_NOMEM, NULL, NULL);
		return;
	}
	evhttp_request_set_error_cb(req, on_error);
	h = evhttp_request_get_output_headers(req);
	evhttp_add_header(h, "Host", rs->hostport);
	evhttp_add_header(h, "Accept", "application/json");
	if (op->auth != NULL)
		evhttp_add_header(h, "Authorization", op->auth);
	if (op->body != NULL) {
		evhttp_add_header(h, "Content-Type", "application/json");
		evbuffer_add(evhttp_request_get_output_buffer(req), op->body,
		    strlen(op->body));
	}
	op->conn = best;
	op->req = req;
	op->error = -1;
	best->inflight++;
	if (evhttp_make_request(best->evcon, req, op->cmd, op->path) == -1) {
		/*
		 * Only when libevent could not even queue it (no memory);
		 * it has released req or will with the connection.
		 */
		if (op->req == req) {
			op->req = NULL;
			best->inflight--;
			fail_transport(op, 0);
		}
	}
}

/* libevent reports a transport error; the completion callback follows. */
static void
on_error(enum evhttp_request_error error, void *arg)
{
	struct remote_op *op = arg;

	/* A cancel comes from on_deadline, which completes op itself. */
	if (error == EVREQ_HTTP_REQUEST_CANCEL)
		return;
	op->error = (int)error;
}

/*
 * The completion callback: req is NULL, or has no status, when the
 * connection failed; else it is the answer.  libevent frees req after.
 */
static void
on_response(struct evhttp_request *req, void *arg)
{
	struct remote_op *op = arg;

	op->req = NULL;
	op->conn->inflight--;
	if (req == NULL || evhttp_request_get_response_code(req) == 0) {
		fail_transport(op, op->error == EVREQ_HTTP_TIMEOUT);
		return;
	}
	handle_answer(op, req);
}

/* The attempt took too long: cancel it and give up (no retry). */
static void
on_deadline(evutil_socket_t fd, short what, void *arg)
{
	struct remote_op *op = arg;
	struct evhttp_request *req = op->req;

	(void)fd;
	(void)what;
	if (req != NULL) {
		op->req = NULL;
		op->conn->inflight--;
		/* No completion callback follows a cancel. */
		evhttp_cancel_request(req);
	}
	fail_transport(op, 1);
}

/*
 * The store did not answer.  Retry a read once on another connection,
 * unless it timed out; otherwise complete with STORE_UNAVAIL.
 */
static void
fail_transport(struct remote_op *op, int timed_out)
{
	struct remote_store *rs = op->rs;
	char detail[DETAIL_MAX];

	if (!timed_out && op->retries > 0 && !rs->closing) {
		op->retries--;
		op->error = op->error == -1 ? 0 : op->error;
		send_attempt(op);
		return;
	}
	if (timed_out)
		snprintf(detail, sizeof(detail),
		    "the session store at %s does not answer (no answer within "
		    "%d ms); try again shortly",
		    rs->url, rs->timeout_ms);
	else
		snprintf(detail, sizeof(detail),
		    "the session store at %s does not answer (connection "
		    "refused or closed); try again shortly",
		    rs->url);
	if (op->kind == OP_SESSION && rs->ready) {
		log_warnx("remote_store: %s does not answer", rs->url);
		rs->ready = 0;
	}
	complete(op, STORE_UNAVAIL, NULL, detail);
}

/* An HTTP answer came: map it to an outcome. */
static void
handle_answer(struct remote_op *op, struct evhttp_request *req)
{
	struct remote_store *rs = op->rs;
	struct evbuffer *in = evhttp_request_get_input_buffer(req);
	int status = evhttp_request_get_response_code(req);
	struct session s;
	const char *d;
	char detail[DETAIL_MAX];
	json_t *doc = NULL;
	size_t len = evbuffer_get_length(in);
	enum store_rc rc;

	if (len > 0)
		doc = json_loadb((const char *)evbuffer_pullup(in, -1), len,
		    JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);
	if (op->kind != OP_SESSION) {
		/* A probe: its own callback reads status and doc. */
		memset(&s, 0, sizeof(s));
		s.counter = status;
		s.data = doc;
		complete(op, STORE_OK, &s, NULL);
		json_decref(doc);
		return;
	}
	if (!rs->ready) {
		log_info("remote_store: %s answers again", rs->url);
		rs->ready = 1;
	}
	if (status == 204 && op->cmd == EVHTTP_REQ_DELETE) {
		/* Only a DELETE may answer without a session document. */
		complete(op, STORE_OK, NULL, NULL);
	} else if (status >= 200 && status < 300) {
		if (remote_doc_session(doc, &s) == 0) {
			if (s.store_instance != NULL)
				snprintf(rs->store_instance,
				    sizeof(rs->store_instance), "%s",
				    s.store_instance);
			complete(op, STORE_OK, &s, NULL);
		} else {
			snprintf(detail, sizeof(detail),
			    "the session store at %s answered %d with "
			    "something that is not a session",
			    rs->url, status);
			complete(op, STORE_UNAVAIL, NULL, detail);
		}
	} else {
		rc = remote_doc_problem_rc(status, doc);
		d = json_string_value(json_object_get(doc, "detail"));
		if (rc == STORE_UNAVAIL || d == NULL) {
			snprintf(detail, sizeof(detail),
			    "the session store at %s answered %d%s%s", rs->url,
			    status, d != NULL ? ": " : "", d != NULL ? d : "");
			d = detail;
		}
		complete(op, rc, NULL, d);
	}
	json_decref(doc);
}

/*
 * Complete op exactly once: unlink and free it, then call done.  s and
 * detail stay the caller's, valid through the call.
 */
static void
complete(struct remote_op *op, enum store_rc rc, const struct session *s,
    const char *detail)
{
	store_done_fn done = op->done;
	void *arg = op->arg;

	TAILQ_REMOVE(&op->rs->pending, op, link);
	if (op->deadline != NULL)
		event_free(op->deadline);
	free(op->path);
	free(op->body);
	free(op->auth);
	free(op);
	done(rc, rc == STORE_OK ? s : NULL, detail, arg);
}

/* ------------------------------------------------------------------ */
/* Static helpers: the probe                                            */
/* ------------------------------------------------------------------ */

/* Every REMOTE_STORE_PROBE_MS: GET /readyz (and now and then /api/info). */
static void
on_probe(evutil_socket_t fd, short what, void *arg)
{
	struct remote_store *rs = arg;
	struct timeval tv;

	(void)fd;
	(void)what;
	tv.tv_sec = rs->probe_ms / 1000;
	tv.tv_usec = (rs->probe_ms % 1000) * 1000;
	evtimer_add(rs->probe, &tv);
	if (rs->probing)
		return;
	rs->probing = 1;
	if (rs->probes++ % INFO_EVERY == 1)
		start(rs, OP_PROBE_INFO, EVHTTP_REQ_GET, "/api/info", NULL,
		    NULL, probe_done, rs);
	else
		start(rs, OP_PROBE_READY, EVHTTP_REQ_GET, "/readyz", NULL, NULL,
		    probe_done, rs);
}

/*
 * A probe finished: s->counter is the HTTP status and s->data the
 * parsed body (see handle_answer).  rc is not STORE_OK when the store did
 * not answer at all.
 */
static void
probe_done(
    enum store_rc rc, const struct session *s, const char *detail, void *arg)
{
	struct remote_store *rs = arg;
	const json_t *n, *inst;
	int ready;

	rs->probing = 0;
	if (s != NULL && s->data != NULL &&
	    json_object_get(s->data, "service") != NULL) {
		/* /api/info: the count, the instance; not readiness. */
		n = json_object_get(s->data, "sessions");
		rs->count = json_is_integer(n) ? json_integer_value(n) : -1;
		inst = json_object_get(s->data, "instance");
		if (json_is_string(inst))
			snprintf(rs->store_instance, sizeof(rs->store_instance),
			    "%s", json_string_value(inst));
		return;
	}
	ready = rc == STORE_OK && s != NULL && s->counter == 200;
	if (ready != rs->ready) {
		if (ready)
			log_info("remote_store: %s is ready", rs->url);
		else
			log_warnx("remote_store: %s is not ready: %s", rs->url,
			    detail != NULL ? detail : "its /readyz says no");
	}
	rs->ready = ready;
	if (!ready)
		rs->count = -1;
}
