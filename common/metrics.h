/*
 * metrics.h - Prometheus counters and histograms, text format 0.0.4.
 */
#ifndef STATELAB_COMMON_METRICS_H
#define STATELAB_COMMON_METRICS_H

#include <stddef.h>
#include <stdint.h>

struct evbuffer;
struct session_store;

#define METRICS_ROUTES_MAX 24

enum metrics_lookup { METRICS_HIT = 0, METRICS_MISS, METRICS_EXPIRED };

enum metrics_store_op {
	METRICS_OP_CREATE = 0,
	METRICS_OP_GET,
	METRICS_OP_INCR,
	METRICS_OP_DATA_PUT,
	METRICS_OP_DATA_DELETE,
	METRICS_OP_DESTROY,
	METRICS_OP_COUNT_ /* number of ops */
};

/*
 * Reset every series and name the routes (templates such as
 * "/api/session/data/{key}"; at most METRICS_ROUTES_MAX, borrowed for the
 * life of the process).  service, store and version label build_info.
 */
void metrics_init(const char *const *routes, size_t nroutes,
    const char *service, const char *store, const char *version,
    int64_t started_at_ms);

/* Count one answered request.  route indexes the routes given to init. */
void metrics_request(
    size_t route, const char *method, int status, int64_t dur_us);

/* A session lookup by a well-formed credential: found, unknown, expired. */
void metrics_lookup(enum metrics_lookup result);

void metrics_session_created(void);
void metrics_sessions_expired(int64_t n);

/* One store operation, its duration, and whether it failed. */
void metrics_store_op(enum metrics_store_op op, int64_t dur_us, int failed);

/*
 * Append the whole exposition to out, reading live gauges from st
 * (sessions held, backend gauges) and from /proc.  Returns 0 or -1.
 */
int metrics_render(struct evbuffer *out, struct session_store *st);

#endif /* STATELAB_COMMON_METRICS_H */
