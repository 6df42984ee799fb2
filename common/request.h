/*
 * request.h - one request in flight: its state, its body, its one reply.
 */
#ifndef STATELAB_COMMON_REQUEST_H
#define STATELAB_COMMON_REQUEST_H

#include <stddef.h>
#include <stdint.h>

#include "metrics.h"

struct api_ctx;
struct evbuffer;
struct evhttp_request;
struct json_t;

#define REQUEST_ID_MAX    64    /* X-Request-Id accepted up to this */
#define REQUEST_BODY_MAX  16384 /* larger bodies: 413 */
#define REQUEST_HEADS_MAX 8192  /* larger header blocks: 431 */

enum request_session {
	REQUEST_SESSION_NONE = 0, /* no credential offered */
	REQUEST_SESSION_HIT,      /* it named a live session */
	REQUEST_SESSION_MISS      /* it named none: lost, expired, bad */
};

/*
 * Per-request state, created by api_dispatch and freed by the one reply.
 * evhttp 2.1 has no per-request user pointer, so this travels as the
 * store callback's arg.
 */
struct request {
	struct evhttp_request *req; /* owned by evhttp until the reply */
	struct api_ctx *ctx;        /* borrowed */
	const char *method;         /* "GET", ... */
	size_t route;               /* route id, for logs and metrics */
	int64_t t0_us;              /* dispatch time, monotonic */
	enum request_session session;
	char id[REQUEST_ID_MAX + 1]; /* X-Request-Id, checked or made */
	char remote[64];             /* peer address */
	char *token;                 /* credential offered, or NULL; owned */
	char *key;                   /* decoded data key, or NULL; owned */
	struct json_t *body;         /* parsed JSON body, or NULL; owned */
	enum metrics_store_op op;    /* the store operation under way */
	int64_t op_t0_us;            /* when it started */
	int render;                  /* api_session.c: how to answer */
	const char *cache_control;   /* static text; NULL: "no-store" */
};

/*
 * Start the state for req.  Returns a new request (freed by the reply),
 * or NULL when out of memory (the caller answers 503 directly).
 */
struct request *request_new(
    struct evhttp_request *req, struct api_ctx *ctx, size_t route);

/* Add a response header.  name and value are copied. */
void request_add_header(
    struct request *rq, const char *name, const char *value);

/*
 * Send the reply: the common headers (Date, Content-Length, X-Served-By,
 * X-Request-Id, CORS, nosniff, Cache-Control), then status and body; then log,
 * count, and free rq.  body is not freed (evhttp borrows it); NULL sends what
 * was written into request_body(rq), which is nothing unless written.  If the
 * client has gone, the reply is dropped safely.
 */
void request_send(struct request *rq, int status, const char *content_type,
    struct evbuffer *body);

/* The reply body, to write into before request_send(rq, ..., NULL). */
struct evbuffer *request_body(struct request *rq);

/* Send doc as compact JSON with Content-Type application/json.  doc is
 * borrowed.  Frees rq. */
void request_send_json(
    struct request *rq, int status, const struct json_t *doc);

/*
 * Parse the request body as JSON into rq->body.  Accepts an absent body
 * when optional is set (rq->body stays NULL).  On any failure (415 wrong
 * content type, 400 malformed JSON) the problem reply is sent, rq is
 * freed, and -1 is returned; the caller returns at once.
 */
int request_read_json(struct request *rq, int optional);

/* Length of the request body in bytes. */
size_t request_body_length(const struct request *rq);

#endif /* STATELAB_COMMON_REQUEST_H */
