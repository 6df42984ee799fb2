/*
 * harness.h - drive api_dispatch() in-process for the fuzz targets.
 *
 * A request is built the way evhttp's parser would leave it (method,
 * parsed URI, input headers, body) with the public evhttp_request layout
 * of <event2/http_struct.h>, and dispatched with no connection.  Its one
 * reply is kept (EVHTTP_REQ_DEFER_FREE) so that the status and the
 * response headers can be checked; the body is dropped by evhttp.
 */
#ifndef STATELAB_TESTS_FUZZ_HARNESS_H
#define STATELAB_TESTS_FUZZ_HARNESS_H

#include <stddef.h>
#include <stdint.h>

struct api_ctx;

#define HARNESS_TOKEN_MARK "@T@" /* replaced by the live session's token */

/* What a reply looked like. */
struct harness_reply {
	int status;          /* 0 if no reply was sent */
	char ctype[64];      /* Content-Type, or "" */
	char request_id[96]; /* X-Request-Id, or "" */
	int served_by;       /* X-Served-By present */
	int replies_pending; /* ctx->inflight after the dispatch */
};

/* One request as the fuzzers describe it; strings are NUL-terminated. */
struct harness_request {
	unsigned method;            /* one EVHTTP_REQ_* */
	const char *uri;            /* request target as sent */
	const char *const *headers; /* name, value, name, value, ..., NULL */
	const void *body;
	size_t body_len;
};

/* Once per process: config, log (errors only), metrics. */
void harness_init(void);

/* A fresh memory store holding one session: alice, counter 5, data {k:1}. */
void harness_reset(void);

/* The server's context (config, store, served_by) after harness_reset. */
const struct api_ctx *harness_ctx(void);

/* The live session's token (22 characters). */
const char *harness_token(void);

/*
 * Dispatch rq.  Returns -1 when evhttp itself would have refused the
 * request line before our code ran (unparsable URI), else 0 with *out
 * filled.
 */
int harness_dispatch(
    const struct harness_request *rq, struct harness_reply *out);

/*
 * The live session as text ("counter data-json"), or "gone", into buf.
 * Used to prove that a rejected request changed nothing.
 */
void harness_snapshot(char *buf, size_t len);

/*
 * abort() unless r obeys the protocol's invariants: exactly one reply,
 * a documented status, problem+json on every error, X-Served-By and a
 * safe X-Request-Id; and, when r is an error, before equals the
 * session's snapshot now.  what names the request in the message.
 */
void harness_check(
    const struct harness_reply *r, const char *before, const char *what);

/*
 * Replace every HARNESS_TOKEN_MARK in s[0..len) by the live token.
 * Returns a new NUL-terminated string (caller frees) and its length.
 */
char *harness_subst(const char *s, size_t len, size_t *outlen);

/* Map "GET", "POST", ... to EVHTTP_REQ_*; 0 for a word evhttp refuses. */
unsigned harness_method(const char *word);

#endif /* STATELAB_TESTS_FUZZ_HARNESS_H */
