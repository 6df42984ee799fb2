// SPDX-License-Identifier: MIT
/*
 * api.c - protocol v1: the route table and the gencb that dispatches it.
 *
 * evhttp_set_cb() matches exact decoded paths only, and the protocol has
 * /api/session/data/{key}, so one gencb dispatches on api_routes[] (HS-15).
 * The same table yields 405 with Allow, and 404.
 *
 * Invariant: every request that reaches api_dispatch() is answered exactly
 * once, through request_send(), either here, in a handler, or in the store
 * callback a handler started.
 *
 * Limits are ours, not libevent's: server.c sets evhttp's own limits above
 * these, so that an oversized body or header block gets our problem+json
 * (413, 431) instead of libevent's HTML.
 */
#include <sys/queue.h>

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <event2/buffer.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <jansson.h>

#include "api.h"
#include "api_admin.h"
#include "api_session.h"
#include "config.h"
#include "framing.h"
#include "json_out.h"
#include "metrics.h"
#include "problem.h"
#include "request.h"
#include "session.h"
#include "web.h"

/* Route ids: the index of each template in route_names[]. */
enum route_id {
	R_SESSIONS = 0,
	R_SESSION,
	R_COUNTER,
	R_DATA,
	R_INFO,
	R_HEALTHZ,
	R_READYZ,
	R_METRICS,
	R_PAGE,
	R_ADMIN_READY,
	R_ADMIN_CRASH,
	R_OTHER,
	R_COUNT_
};

static const char *const route_names[R_COUNT_] = {
	[R_SESSIONS] = "/api/sessions",
	[R_SESSION] = "/api/session",
	[R_COUNTER] = "/api/session/counter",
	[R_DATA] = "/api/session/data/{key}",
	[R_INFO] = "/api/info",
	[R_HEALTHZ] = "/healthz",
	[R_READYZ] = "/readyz",
	[R_METRICS] = "/metrics",
	[R_PAGE] = "/{page}",
	[R_ADMIN_READY] = "/api/admin/ready",
	[R_ADMIN_CRASH] = "/api/admin/crash",
	[R_OTHER] = "other",
};

#define GET_               EVHTTP_REQ_GET
#define POST_              EVHTTP_REQ_POST
#define PUT_               EVHTTP_REQ_PUT
#define DELETE_            EVHTTP_REQ_DELETE
#define CORS_ALLOW_HEADERS "Authorization, Content-Type, X-Request-Id"

struct api_route {
	unsigned method;  /* one EVHTTP_REQ_* (HEAD is served as GET) */
	const char *path; /* exact path, or prefix when is_prefix */
	int is_prefix;    /* the rest of the path goes to the handler */
	enum route_id id; /* for logs and metrics */
	void (*handler)(struct request *, const char *rest);
};

static void api_info(struct request *, const char *);
static void api_healthz(struct request *, const char *);
static void api_readyz(struct request *, const char *);
static void api_metrics(struct request *, const char *);

static const struct api_route api_routes[] = {
	{ POST_, "/api/sessions", 0, R_SESSIONS, api_session_create },
	{ GET_, "/api/session", 0, R_SESSION, api_session_get },
	{ DELETE_, "/api/session", 0, R_SESSION, api_session_delete },
	{ POST_, "/api/session/counter", 0, R_COUNTER, api_session_counter },
	{ GET_, "/api/session/data/", 1, R_DATA, api_session_data_get },
	{ PUT_, "/api/session/data/", 1, R_DATA, api_session_data_put },
	{ DELETE_, "/api/session/data/", 1, R_DATA, api_session_data_delete },
	{ GET_, "/api/info", 0, R_INFO, api_info },
	{ GET_, "/healthz", 0, R_HEALTHZ, api_healthz },
	{ GET_, "/readyz", 0, R_READYZ, api_readyz },
	{ GET_, "/metrics", 0, R_METRICS, api_metrics },
	{ POST_, "/api/admin/ready", 0, R_ADMIN_READY, api_admin_ready },
	{ POST_, "/api/admin/crash", 0, R_ADMIN_CRASH, api_admin_crash },
	{ 0, NULL, 0, R_OTHER, NULL }
};

static const struct api_route *route_find(
    const char *, unsigned, unsigned *, const char **, enum route_id *);
static int check_limits(struct request *);
static void send_options(struct request *, unsigned);
static void send_page(struct request *, const struct web_asset *);

void
api_dispatch(struct evhttp_request *req, void *arg)
{
	struct api_ctx *ctx = arg;
	const struct api_route *r;
	const struct web_asset *page = NULL;
	struct request *rq;
	const char *path, *rest = "";
	unsigned cmd, allow = 0;
	enum route_id id;

	cmd = (unsigned)evhttp_request_get_command(req);
	path = evhttp_uri_get_path(evhttp_request_get_evhttp_uri(req));
	if (path == NULL)
		path = "";
	/* HEAD is answered as GET; evhttp sends the headers only. */
	r = route_find(path, cmd == EVHTTP_REQ_HEAD ? EVHTTP_REQ_GET : cmd,
	    &allow, &rest, &id);
	if (allow == 0 && (page = web_asset_find(path)) != NULL) {
		allow = EVHTTP_REQ_GET | EVHTTP_REQ_HEAD;
		id = R_PAGE;
	}

	if ((rq = request_new(req, ctx, id)) == NULL) {
		evhttp_send_error(req, 503, "Out of memory");
		return;
	}
	if (check_limits(rq) == -1)
		return;
	if (r != NULL) {
		r->handler(rq, rest);
		return;
	}
	if (allow == 0) {
		problem_send(rq, 404, "not-found",
		    "no such path; the API is described in docs/api.md");
		return;
	}
	if (cmd == EVHTTP_REQ_OPTIONS) {
		send_options(rq, allow);
		return;
	}
	if (page != NULL && (cmd == EVHTTP_REQ_GET || cmd == EVHTTP_REQ_HEAD)) {
		send_page(rq, page);
		return;
	}
	problem_send_405(
	    rq, allow | (allow & EVHTTP_REQ_GET ? EVHTTP_REQ_HEAD : 0));
}

const char *const *
api_route_names(size_t *n)
{
	*n = R_COUNT_;
	return (route_names);
}

/*
 * The route for path and method.  Sets *allow to the methods the path
 * takes (for 405 and OPTIONS), *rest to what follows a prefix, and *id to
 * the path's route whatever the method (R_OTHER for an unknown path).
 */
static const struct api_route *
route_find(const char *path, unsigned method, unsigned *allow,
    const char **rest, enum route_id *id)
{
	const struct api_route *r, *hit = NULL;
	size_t len;

	*allow = 0;
	*id = R_OTHER;
	for (r = api_routes; r->path != NULL; r++) {
		len = strlen(r->path);
		if (r->is_prefix ? strncmp(path, r->path, len) != 0 ||
		            path[len] == '\0' || strchr(path + len, '/') != NULL
		                 : strcmp(path, r->path) != 0)
			continue;
		*allow |= r->method;
		*id = r->id;
		if (r->method == method && hit == NULL) {
			hit = r;
			*rest = r->is_prefix ? path + len : "";
		}
	}
	return (hit);
}

/* Our limits, enforced before any handler: 400 framing, 431, then 413. */
static int
check_limits(struct request *rq)
{
	const struct evkeyval *h;
	const char *why;
	size_t total = 0;

	if (framing_check(evhttp_request_get_input_headers(rq->req), &why) ==
	    -1) {
		/* Whatever follows on this connection cannot be trusted. */
		request_add_header(rq, "Connection", "close");
		problem_send(rq, 400, "bad-framing", why);
		return (-1);
	}

	TAILQ_FOREACH(h, evhttp_request_get_input_headers(rq->req), next)
	{
		total += strlen(h->key) + strlen(h->value) + 4;
	}
	if (total > REQUEST_HEADS_MAX) {
		problem_send(rq, 431, "headers-too-large",
		    "the request headers exceed 8 KiB; send fewer or "
		    "smaller headers (clear this site's cookies?)");
		return (-1);
	}
	if (request_body_length(rq) > REQUEST_BODY_MAX) {
		problem_send(rq, 413, "body-too-large",
		    "the request body exceeds 16 KiB; a data value may be at "
		    "most 4 KiB");
		return (-1);
	}
	return (0);
}

/* OPTIONS: the Allow list, and the CORS preflight answer if allowed. */
static void
send_options(struct request *rq, unsigned allow)
{
	char list[96];

	problem_allow_list(allow | EVHTTP_REQ_OPTIONS |
	        (allow & EVHTTP_REQ_GET ? EVHTTP_REQ_HEAD : 0),
	    list, sizeof(list));
	request_add_header(rq, "Allow", list);
	/* request_send() adds Allow-Origin when the origin is listed. */
	request_add_header(rq, "Access-Control-Allow-Methods", list);
	request_add_header(
	    rq, "Access-Control-Allow-Headers", CORS_ALLOW_HEADERS);
	request_add_header(rq, "Access-Control-Max-Age", "600");
	request_send(rq, 204, NULL, NULL);
}

static void
send_page(struct request *rq, const struct web_asset *page)
{
	struct evbuffer *buf;

	if ((buf = evbuffer_new()) == NULL) {
		api_session_send_error(rq, STORE_NOMEM, NULL);
		return;
	}
	/* The asset is static data compiled in: no copy. */
	evbuffer_add_reference(buf, page->data, page->len, NULL, NULL);
	rq->cache_control = "no-cache";
	request_add_header(rq, "Content-Security-Policy", WEB_CSP);
	request_add_header(rq, "Referrer-Policy", "no-referrer");
	request_add_header(rq, "X-Frame-Options", "DENY");
	request_send(rq, 200, page->content_type, buf);
	evbuffer_free(buf);
}

static void
api_info(struct request *rq, const char *rest)
{
	json_t *doc;

	(void)rest;
	if ((doc = json_out_info(rq->ctx)) == NULL) {
		api_session_send_error(rq, STORE_NOMEM, NULL);
		return;
	}
	request_send_json(rq, 200, doc);
	json_decref(doc);
}

static void
api_healthz(struct request *rq, const char *rest)
{
	json_t *doc;

	(void)rest;
	/* Liveness: the loop answered.  Nothing else is checked on purpose. */
	doc = json_pack("{s:s}", "status", "ok");
	request_send_json(rq, 200, doc);
	json_decref(doc);
}

static void
api_readyz(struct request *rq, const char *rest)
{
	struct api_ctx *ctx = rq->ctx;
	json_t *doc;

	(void)rest;
	if (ctx->state == API_DRAINING) {
		problem_send(rq, 503, "draining",
		    "this instance is shutting down; send traffic elsewhere");
		return;
	}
	if (ctx->state == API_STARTING) {
		problem_send(rq, 503, "starting",
		    "this instance is still opening its store");
		return;
	}
	if (!ctx->admin_ready) {
		problem_send(rq, 503, "not-ready",
		    "readiness is off (--start-unready or /api/admin/ready); "
		    "turn it on with POST /api/admin/ready {\"ready\":true}");
		return;
	}
	if (!session_store_is_ready(ctx->store)) {
		api_session_send_error(rq, STORE_UNAVAIL,
		    session_store_unready_reason(ctx->store));
		return;
	}
	doc = json_pack("{s:s}", "status", "ready");
	request_send_json(rq, 200, doc);
	json_decref(doc);
}

static void
api_metrics(struct request *rq, const char *rest)
{
	struct evbuffer *buf;

	(void)rest;
	if ((buf = evbuffer_new()) == NULL) {
		api_session_send_error(rq, STORE_NOMEM, NULL);
		return;
	}
	metrics_render(buf, rq->ctx->store);
	request_send(rq, 200, "text/plain; version=0.0.4; charset=utf-8", buf);
	evbuffer_free(buf);
}
