// SPDX-License-Identifier: MIT
/*
 * request.c - one request in flight: its state, its body, its one reply.
 *
 * Life of a struct request:
 *
 *   api_dispatch --request_new()--> handler --store op--> callback
 *                                      |                     |
 *                                      +---request_send()<---+
 *                                               |
 *                        headers, evhttp_send_reply, log, metrics, free
 *
 * request_send() is the only place that answers a request, so the common
 * headers, the log line and the metrics cannot be forgotten on any path,
 * and ctx->inflight (what the drain waits for) is exact.
 *
 * A client that hung up while its store operation was under way leaves
 * evhttp's request without a connection; evhttp_send_reply then frees it
 * and sends nothing, which is what we want.
 */
#include <sys/queue.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <event2/buffer.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <jansson.h>

#include "api.h"
#include "clock.h"
#include "config.h"
#include "evmem.h"
#include "log.h"
#include "problem.h"
#include "request.h"
#include "textbuf.h"

static const char *method_name(enum evhttp_cmd_type);
static void set_request_id(struct request *);
static void copy_string(char *, size_t, const char *);
static int is_json_type(const char *);
static void free_buffer(const void *, size_t, void *);

struct request *
request_new(struct evhttp_request *req, struct api_ctx *ctx, size_t route)
{
	struct evhttp_connection *evcon;
	struct request *rq;
	char *addr = NULL;
	ev_uint16_t port = 0;

	if ((rq = calloc(1, sizeof(*rq))) == NULL)
		return (NULL);
	rq->req = req;
	rq->ctx = ctx;
	rq->route = route;
	rq->t0_us = clock_mono_us();
	rq->method = method_name(evhttp_request_get_command(req));
	if ((evcon = evhttp_request_get_connection(req)) != NULL)
		evhttp_connection_get_peer(evcon, &addr, &port);
	copy_string(rq->remote, sizeof(rq->remote), addr != NULL ? addr : "-");
	set_request_id(rq);
	ctx->inflight++;
	return (rq);
}

void
request_add_header(struct request *rq, const char *name, const char *value)
{
	evhttp_add_header(
	    evhttp_request_get_output_headers(rq->req), name, value);
}

void
request_send(struct request *rq, int status, const char *content_type,
    struct evbuffer *body)
{
	struct api_ctx *ctx = rq->ctx;
	struct evkeyvalq *out = evhttp_request_get_output_headers(rq->req);
	const char *origin;
	struct log_request line;
	size_t nroutes, bytes;

	/* evhttp sends its output buffer with body appended to it. */
	bytes = evbuffer_get_length(evhttp_request_get_output_buffer(rq->req)) +
	    (body != NULL ? evbuffer_get_length(body) : 0);
	/*
	 * Date and Content-Length are written here, from a per-second cache
	 * and without printf: evhttp would otherwise format each with
	 * snprintf on every reply.  Content-Length goes where evhttp would
	 * put it: on every reply that has a body (not HEAD, 1xx, 204, 304).
	 */
	evhttp_add_header(out, "Date", clock_http_date());
	if (status >= 200 && status != 204 && status != 304 &&
	    evhttp_request_get_command(rq->req) != EVHTTP_REQ_HEAD) {
		char len[24];
		struct textbuf t;

		textbuf_init(&t, len, sizeof(len));
		textbuf_put_int(&t, (int64_t)bytes);
		textbuf_put(&t, "", 1); /* its NUL: 24 bytes hold any size */
		evhttp_add_header(out, "Content-Length", len);
	}
	/* Early in the list too, where evhttp looks it up before sending. */
	if (content_type != NULL)
		evhttp_add_header(out, "Content-Type", content_type);
	evhttp_add_header(out, "X-Served-By", ctx->cfg->instance);
	evhttp_add_header(out, "X-Request-Id", rq->id);
	evhttp_add_header(out, "X-Content-Type-Options", "nosniff");
	evhttp_add_header(out, "Server",
	    ctx->cfg->verbose_server_header ? "statelab/" STATELAB_VERSION
	                                    : "statelab");
	evhttp_add_header(out, "Cache-Control",
	    rq->cache_control != NULL ? rq->cache_control : "no-store");
	origin = evhttp_find_header(
	    evhttp_request_get_input_headers(rq->req), "Origin");
	if (origin != NULL && config_cors_allows(ctx->cfg, origin)) {
		evhttp_add_header(out, "Access-Control-Allow-Origin", origin);
		evhttp_add_header(out, "Access-Control-Expose-Headers",
		    "X-Served-By, X-Request-Id, X-Store-Instance");
		evhttp_add_header(out, "Vary", "Origin");
	}
	/* While draining, let keep-alive clients reconnect elsewhere. */
	if (ctx->state == API_DRAINING)
		evhttp_add_header(out, "Connection", "close");

	line.method = rq->method;
	line.route = api_route_names(&nroutes)[rq->route];
	line.status = status;
	line.bytes = bytes;
	line.session = rq->session == REQUEST_SESSION_HIT ? "hit"
	    : rq->session == REQUEST_SESSION_MISS         ? "miss"
	                                                  : "none";
	line.request_id = rq->id;
	line.remote = rq->remote;

	/* evhttp has no phrase for 422, 429 or 431 ("Client Error"). */
	evhttp_send_reply(rq->req, status,
	    status >= 400 ? problem_title(status) : NULL, body);

	line.dur_us = clock_mono_us() - rq->t0_us;
	log_request(&line);
	metrics_request(rq->route, rq->method, status, line.dur_us);

	free(rq->token);
	evmem_free(rq->key); /* evhttp_uridecode's */
	json_decref(rq->body);
	free(rq);
	if (--ctx->inflight == 0 && ctx->on_idle != NULL)
		ctx->on_idle(ctx->on_idle_arg);
}

struct evbuffer *
request_body(struct request *rq)
{
	return (evhttp_request_get_output_buffer(rq->req));
}

void
request_send_json(struct request *rq, int status, const json_t *doc)
{
	struct evbuffer *out = request_body(rq);
	char *text, stack[2048];
	size_t n;

	/*
	 * A small document is encoded on the stack and copied once into the
	 * reply; a larger one (a data value near its 4 KiB limit, a long
	 * /api/info) takes json_dumps()'s heap buffer, handed over without a
	 * copy.
	 */
	n = json_dumpb(
	    doc, stack, sizeof(stack), JSON_COMPACT | JSON_ENCODE_ANY);
	if (n > 0 && n <= sizeof(stack)) {
		if (evbuffer_add(out, stack, n) == -1)
			goto nomem;
	} else if ((text = json_dumps(doc, JSON_COMPACT | JSON_ENCODE_ANY)) !=
	    NULL) {
		/* The buffer frees the string when it is sent. */
		if (evbuffer_add_reference(
		        out, text, strlen(text), free_buffer, NULL) == -1) {
			free(text);
			goto nomem;
		}
	} else
		goto nomem;
	request_send(rq, status, "application/json", NULL);
	return;
nomem:
	evbuffer_drain(out, evbuffer_get_length(out));
	request_send(rq, 503, NULL, NULL);
}

int
request_read_json(struct request *rq, int optional)
{
	struct evbuffer *in = evhttp_request_get_input_buffer(rq->req);
	const char *type;
	json_error_t jerr;
	size_t len = evbuffer_get_length(in);
	char detail[256], *p;

	if (len == 0 && optional)
		return (0);
	type = evhttp_find_header(
	    evhttp_request_get_input_headers(rq->req), "Content-Type");
	if (type == NULL || !is_json_type(type)) {
		problem_send(rq, 415, "unsupported-media-type",
		    "send the body as JSON with 'Content-Type: application/json'");
		return (-1);
	}
	if (len == 0) {
		problem_send(rq, 400, "malformed-json",
		    "the body is empty; send a JSON document");
		return (-1);
	}
	rq->body = json_loadb((const char *)evbuffer_pullup(in, -1), len,
	    JSON_DECODE_ANY | JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, &jerr);
	if (rq->body == NULL) {
		/*
		 * jansson's message may quote the offending input, which need
		 * not be UTF-8 (and a problem document must be): keep
		 * printable ASCII only.
		 */
		for (p = jerr.text; *p != '\0'; p++) {
			if ((unsigned char)*p < 0x20 ||
			    (unsigned char)*p > 0x7e)
				*p = '?';
		}
		snprintf(detail, sizeof(detail),
		    "the body is not valid JSON: %s (line %d, column %d)",
		    jerr.text, jerr.line, jerr.column);
		problem_send(rq, 400, "malformed-json", detail);
		return (-1);
	}
	return (0);
}

size_t
request_body_length(const struct request *rq)
{
	return (evbuffer_get_length(evhttp_request_get_input_buffer(rq->req)));
}

static const char *
method_name(enum evhttp_cmd_type cmd)
{
	switch (cmd) {
	case EVHTTP_REQ_GET:
		return ("GET");
	case EVHTTP_REQ_HEAD:
		return ("HEAD");
	case EVHTTP_REQ_POST:
		return ("POST");
	case EVHTTP_REQ_PUT:
		return ("PUT");
	case EVHTTP_REQ_DELETE:
		return ("DELETE");
	case EVHTTP_REQ_OPTIONS:
		return ("OPTIONS");
	case EVHTTP_REQ_PATCH:
		return ("PATCH");
	default:
		return ("other");
	}
}

/*
 * Take the client's X-Request-Id when it is 1..REQUEST_ID_MAX characters
 * of [A-Za-z0-9._:-] (it goes into logs and headers unescaped), otherwise
 * make one from the boot id and a sequence number.
 */
static void
set_request_id(struct request *rq)
{
	const char *id, *p;
	struct textbuf t;

	id = evhttp_find_header(
	    evhttp_request_get_input_headers(rq->req), "X-Request-Id");
	if (id != NULL) {
		for (p = id; *p != '\0' && p - id <= REQUEST_ID_MAX; p++)
			if (!((*p >= 'a' && *p <= 'z') ||
			        (*p >= 'A' && *p <= 'Z') ||
			        (*p >= '0' && *p <= '9') || *p == '.' ||
			        *p == '_' || *p == ':' || *p == '-'))
				break;
		if (*p == '\0' && p != id && p - id <= REQUEST_ID_MAX) {
			memcpy(rq->id, id, (size_t)(p - id) + 1);
			return;
		}
	}
	/* "<first 8 of boot_id>-<seq>", without printf on every request. */
	textbuf_init(&t, rq->id, sizeof(rq->id) - 1);
	textbuf_put(&t, rq->ctx->boot_id, strnlen(rq->ctx->boot_id, 8));
	textbuf_put(&t, "-", 1);
	textbuf_put_int(&t, (int64_t)(++rq->ctx->seq & INT64_MAX));
	*t.p = '\0';
}

/* strlcpy: as much of src as fits, always terminated. */
static void
copy_string(char *dst, size_t len, const char *src)
{
	size_t n = strnlen(src, len - 1);

	memcpy(dst, src, n);
	dst[n] = '\0';
}

/* "application/json", optionally with parameters such as charset. */
static int
is_json_type(const char *type)
{
	size_t n = strlen("application/json");

	return (strncasecmp(type, "application/json", n) == 0 &&
	    (type[n] == '\0' || type[n] == ';' || type[n] == ' '));
}

static void
free_buffer(const void *data, size_t len, void *arg)
{
	(void)len;
	(void)arg;
	free((void *)data);
}
