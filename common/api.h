/*
 * api.h - protocol v1: the route table and the gencb that dispatches it.
 */
#ifndef STATELAB_COMMON_API_H
#define STATELAB_COMMON_API_H

#include <stddef.h>
#include <stdint.h>

struct config;
struct json_t;
struct ratelimit;
struct event_base;
struct evhttp_request;
struct session_store;

enum api_state {
	API_STARTING = 0, /* store opening: /readyz 503 */
	API_READY,        /* serving: /readyz 200 */
	API_DRAINING      /* SIGTERM seen: /readyz 503, finishing */
};

/*
 * What every handler reaches through the gencb's arg (HS-18).  Filled by
 * service.c before the loop starts; state is written by server.c, and
 * inflight by request.c.
 */
struct api_ctx {
	const struct config *cfg;    /* borrowed */
	struct session_store *store; /* borrowed */
	struct event_base *base;     /* the loop */
	char boot_id[17];            /* 16 hex digits, new per process */
	int64_t started_at_ms;       /* wall clock */
	int64_t started_mono_us;     /* for uptime */
	enum api_state state;
	int admin_ready;            /* /api/admin/ready can turn this off */
	int64_t inflight;           /* dispatched, not yet answered */
	uint64_t seq;               /* numbers generated request ids */
	void (*on_idle)(void *arg); /* called when inflight drops to 0 */
	void *on_idle_arg;
	struct json_t *served_by; /* the constant "served_by"; owned, or NULL */
	char *served_by_text;     /* it as compact JSON; owned, or NULL */
	struct ratelimit *logins; /* --max-new-sessions-per-minute; owned */
};

/*
 * The evhttp gencb: every request comes through here.  arg is the
 * struct api_ctx.  Each request is answered exactly once, now or when the
 * store completes.
 */
void api_dispatch(struct evhttp_request *req, void *arg);

/*
 * The route templates, for metrics labels ("/api/session/data/{key}").
 * Sets *n; the array is static.
 */
const char *const *api_route_names(size_t *n);

#endif /* STATELAB_COMMON_API_H */
