// SPDX-License-Identifier: MIT
/*
 * server.c - event base, listener, signals, timers and graceful drain.
 *
 * Lifecycle (ctx->state is what /readyz reports):
 *
 *   STARTING --server_run()--> READY --SIGTERM/SIGINT--> DRAINING
 *                                                           |
 *        --drain-delay s later: stop accepting (still 503)  |
 *        then: no request in flight (+ a 50 ms linger so the |
 *        last replies leave), or --drain-timeout expired     v
 *                       loop exits <--finish()--         STOPPED
 *
 * During the drain delay the instance keeps serving: that is the time a
 * Kubernetes endpoint controller needs to stop sending it traffic.
 * Responses sent while draining carry "Connection: close".  A second
 * signal cuts the drain short.
 *
 * --max-connections is enforced by conn_guard.c: at the cap the
 * connection idle the longest is closed to make room, and a request that
 * is not whole within --timeout of its first byte is cut (slowloris).
 * RLIMIT_NOFILE stays as a backstop at twice the cap plus a reserve: if
 * accept(2) still fails with EMFILE, the listener's error callback pauses
 * accepting until the next flush tick (FLUSH_MS) instead of spinning on a
 * readable socket.  The same path survives descriptor exhaustion from any
 * other cause.
 *
 * Only the event-loop thread touches this state.
 */
#include <sys/resource.h>
#include <sys/socket.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>
#include <event2/http.h>
#include <event2/listener.h>
#include <jansson.h>

#include "api.h"
#include "clock.h"
#include "config.h"
#include "conn_guard.h"
#include "log.h"
#include "metrics.h"
#include "server.h"
#include "session.h"

#define FD_RESERVE           64        /* descriptors kept for files, logs */
#define LIBEVENT_BODY_MAX    (1 << 20) /* above REQUEST_BODY_MAX (HS-17) */
#define LIBEVENT_HEADERS_MAX (1 << 16) /* above REQUEST_HEADS_MAX */
#define SWEEP_MS             1000
#define SWEEP_ROUNDS         10 /* batches per tick at most */
#define FLUSH_MS             200
#define LINGER_MS            50

struct server {
	struct api_ctx *ctx;
	struct evhttp *http;
	struct evhttp_bound_socket *bound; /* NULL once accepting stopped */
	struct conn_guard *guard;          /* deadline and --max-connections */
	struct event *sigterm, *sigint;
	struct event *sweep_timer, *flush_timer;
	struct event *drain_timer;  /* drain delay, then drain timeout */
	struct event *linger_timer; /* lets the last replies leave */
	int64_t drain_started_us;
	int64_t inflight_at_stop; /* requests being finished at stop */
	int port;                 /* the port bound */
	int signals;
};

static int bind_listener(struct server *, char *, size_t);
static void limit_descriptors(const struct config *);
static void on_signal(evutil_socket_t, short, void *);
static void on_drain_timer(evutil_socket_t, short, void *);
static void on_idle(void *);
static void on_linger(evutil_socket_t, short, void *);
static void on_accept_error(struct evconnlistener *, void *);
static void on_sweep(evutil_socket_t, short, void *);
static void on_flush(evutil_socket_t, short, void *);
static void stop_accepting(struct server *);
static void finish(struct server *, const char *);
static struct timeval ms_tv(int64_t);

/*
 * The event loop, with epoll's changelist: a change to a descriptor's
 * events waits for the next epoll_wait(), and the changes made between
 * two waits become one epoll_ctl() call per descriptor (or none, when
 * they cancel out).  evhttp turns reading off and writing on for each
 * reply, and back: four epoll_ctl() calls a request without the
 * changelist, two with it.  libevent leaves it off by default because
 * it is unsafe when two descriptors share one open file description
 * (dup(), fork(), SCM_RIGHTS, an inherited socket); no descriptor our
 * servers give libevent shares one.
 */
struct event_base *
server_base_new(void)
{
	struct event_config *cfg;
	struct event_base *base = NULL;

	if ((cfg = event_config_new()) == NULL)
		return (NULL);
	if (event_config_set_flag(cfg, EVENT_BASE_FLAG_EPOLL_USE_CHANGELIST) !=
	    -1)
		base = event_base_new_with_config(cfg);
	event_config_free(cfg);
	return (base);
}

struct server *
server_new(struct api_ctx *ctx, char *err, size_t errlen)
{
	struct event_base *base = ctx->base;
	struct server *srv;
	struct timeval tv;

	if ((srv = calloc(1, sizeof(*srv))) == NULL) {
		snprintf(err, errlen, "server: out of memory");
		return (NULL);
	}
	srv->ctx = ctx;
	ctx->on_idle = on_idle;
	ctx->on_idle_arg = srv;
	/* A client that hangs up must not kill us with SIGPIPE. */
	signal(SIGPIPE, SIG_IGN);
	limit_descriptors(ctx->cfg);

	if ((srv->http = evhttp_new(base)) == NULL)
		goto nomem;
	/* Every method reaches api_dispatch, which answers 405 itself. */
	evhttp_set_allowed_methods(srv->http,
	    EVHTTP_REQ_GET | EVHTTP_REQ_POST | EVHTTP_REQ_HEAD |
	        EVHTTP_REQ_PUT | EVHTTP_REQ_DELETE | EVHTTP_REQ_OPTIONS |
	        EVHTTP_REQ_TRACE | EVHTTP_REQ_CONNECT | EVHTTP_REQ_PATCH);
	evhttp_set_max_body_size(srv->http, LIBEVENT_BODY_MAX);
	evhttp_set_max_headers_size(srv->http, LIBEVENT_HEADERS_MAX);
	evhttp_set_default_content_type(srv->http, "application/json");
	tv = ms_tv(ctx->cfg->timeout * 1000);
	evhttp_set_timeout_tv(srv->http, &tv);
	evhttp_set_gencb(srv->http, api_dispatch, ctx);
	/* evhttp's timeout restarts per byte; the guard adds a deadline. */
	srv->guard = conn_guard_new(base, srv->http, ctx->cfg->max_connections,
	    ctx->cfg->timeout * 1000);
	if (srv->guard == NULL)
		goto nomem;
	if (bind_listener(srv, err, errlen) == -1)
		goto fail;

	srv->sigterm = evsignal_new(base, SIGTERM, on_signal, srv);
	srv->sigint = evsignal_new(base, SIGINT, on_signal, srv);
	srv->sweep_timer = event_new(base, -1, EV_PERSIST, on_sweep, srv);
	srv->flush_timer = event_new(base, -1, EV_PERSIST, on_flush, srv);
	srv->drain_timer = evtimer_new(base, on_drain_timer, srv);
	srv->linger_timer = evtimer_new(base, on_linger, srv);
	if (srv->sigterm == NULL || srv->sigint == NULL ||
	    srv->sweep_timer == NULL || srv->flush_timer == NULL ||
	    srv->drain_timer == NULL || srv->linger_timer == NULL)
		goto nomem;
	evsignal_add(srv->sigterm, NULL);
	evsignal_add(srv->sigint, NULL);
	tv = ms_tv(SWEEP_MS);
	evtimer_add(srv->sweep_timer, &tv);
	tv = ms_tv(FLUSH_MS);
	evtimer_add(srv->flush_timer, &tv);
	return (srv);
nomem:
	snprintf(err, errlen, "server: out of memory");
fail:
	server_free(srv);
	return (NULL);
}

int
server_run(struct server *srv)
{
	srv->ctx->state = API_READY;
	log_info("server: ready");
	event_base_dispatch(srv->ctx->base);
	return (0);
}

int
server_port(const struct server *srv)
{
	return (srv->port);
}

void
server_free(struct server *srv)
{
	if (srv == NULL)
		return;
	if (srv->sigterm != NULL)
		event_free(srv->sigterm);
	if (srv->sigint != NULL)
		event_free(srv->sigint);
	if (srv->sweep_timer != NULL)
		event_free(srv->sweep_timer);
	if (srv->flush_timer != NULL)
		event_free(srv->flush_timer);
	if (srv->drain_timer != NULL)
		event_free(srv->drain_timer);
	if (srv->linger_timer != NULL)
		event_free(srv->linger_timer);
	/* Closes the listener and any connection still open. */
	if (srv->http != NULL)
		evhttp_free(srv->http);
	conn_guard_free(srv->guard);
	srv->ctx->on_idle = NULL;
	free(srv);
}

/* Bind cfg->listen, log the real address, watch accept errors. */
static int
bind_listener(struct server *srv, char *err, size_t errlen)
{
	const struct config *cfg = srv->ctx->cfg;
	struct sockaddr_storage ss;
	socklen_t sslen = sizeof(ss);
	char host[INET6_ADDRSTRLEN], addr[INET6_ADDRSTRLEN + 8];
	int port;

	srv->bound = evhttp_bind_socket_with_handle(
	    srv->http, cfg->listen_host, (ev_uint16_t)cfg->listen_port);
	if (srv->bound == NULL) {
		snprintf(err, errlen,
		    "cannot listen on %s: %s; is another instance running? "
		    "Choose another address with --listen",
		    cfg->listen, errno != 0 ? strerror(errno) : "bind failed");
		return (-1);
	}
	if (getsockname(evhttp_bound_socket_get_fd(srv->bound),
	        (struct sockaddr *)&ss, &sslen) == -1) {
		snprintf(err, errlen, "getsockname: %s", strerror(errno));
		return (-1);
	}
	if (ss.ss_family == AF_INET6) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;

		inet_ntop(AF_INET6, &s6->sin6_addr, host, sizeof(host));
		port = ntohs(s6->sin6_port);
		snprintf(addr, sizeof(addr), "[%s]:%d", host, port);
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;

		inet_ntop(AF_INET, &s4->sin_addr, host, sizeof(host));
		port = ntohs(s4->sin_port);
		snprintf(addr, sizeof(addr), "%s:%d", host, port);
	}
	srv->port = port;
	evconnlistener_set_error_cb(
	    evhttp_bound_socket_get_listener(srv->bound), on_accept_error);
	log_fields(LOG_LEVEL_INFO, "listening", "addr", addr, NULL);
	return (0);
}

/* Cap open descriptors at --max-connections plus a reserve. */
static void
limit_descriptors(const struct config *cfg)
{
	struct rlimit rl;
	/*
	 * A backstop only: conn_guard keeps connections at the cap, and a
	 * socket it cut stays open until evhttp reads its end.
	 */
	rlim_t want = (rlim_t)cfg->max_connections * 2 + FD_RESERVE;

	if (getrlimit(RLIMIT_NOFILE, &rl) == -1)
		return;
	if (rl.rlim_max != RLIM_INFINITY && want > rl.rlim_max) {
		log_warnx("server: --max-connections %lld is above the "
		          "descriptor limit; holding at most %llu",
		    (long long)cfg->max_connections,
		    (unsigned long long)(rl.rlim_max - FD_RESERVE));
		want = rl.rlim_max;
	}
	rl.rlim_cur = want;
	if (setrlimit(RLIMIT_NOFILE, &rl) == -1)
		log_warn("server: setrlimit(RLIMIT_NOFILE)");
}

static void
on_signal(evutil_socket_t sig, short what, void *arg)
{
	struct server *srv = arg;
	struct api_ctx *ctx = srv->ctx;
	struct timeval tv;

	(void)what;
	if (srv->signals++ > 0) {
		log_warnx("server: second signal; stopping without waiting");
		finish(srv, "second signal");
		return;
	}
	ctx->state = API_DRAINING;
	srv->drain_started_us = clock_mono_us();
	log_info("server: %s: readiness off, draining (delay %llds, "
	         "timeout %llds)",
	    sig == SIGTERM ? "SIGTERM" : "SIGINT",
	    (long long)ctx->cfg->drain_delay,
	    (long long)ctx->cfg->drain_timeout);
	if (ctx->cfg->drain_delay > 0) {
		tv = ms_tv(ctx->cfg->drain_delay * 1000);
		evtimer_add(srv->drain_timer, &tv);
		return;
	}
	on_drain_timer(-1, 0, srv);
}

/* First the end of the drain delay, then the end of the drain timeout. */
static void
on_drain_timer(evutil_socket_t fd, short what, void *arg)
{
	struct server *srv = arg;
	struct timeval tv;

	(void)fd;
	(void)what;
	if (srv->bound == NULL) {
		log_warnx("server: drain timeout: %lld request(s) cut off",
		    (long long)srv->ctx->inflight);
		finish(srv, "drain timeout");
		return;
	}
	stop_accepting(srv);
	srv->inflight_at_stop = srv->ctx->inflight;
	if (srv->ctx->inflight == 0) {
		on_idle(srv);
		return;
	}
	tv = ms_tv(srv->ctx->cfg->drain_timeout * 1000);
	evtimer_add(srv->drain_timer, &tv);
}

/* request.c calls this when the last in-flight request is answered. */
static void
on_idle(void *arg)
{
	struct server *srv = arg;
	struct timeval tv = ms_tv(LINGER_MS);

	if (srv->ctx->state != API_DRAINING || srv->bound != NULL)
		return;
	evtimer_add(srv->linger_timer, &tv);
}

static void
on_linger(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	finish(arg, "drained");
}

static void
on_accept_error(struct evconnlistener *lev, void *arg)
{
	int err = errno;

	/*
	 * arg is evhttp's own; the listener is all we need.  on_flush()
	 * enables it again: a timer that knows the server, so a listener
	 * freed by stop_accepting() is never touched again.
	 */
	(void)arg;
	evconnlistener_disable(lev);
	log_warnx("server: accept: %s; pausing new connections for %d ms",
	    strerror(err), FLUSH_MS);
}

static void
on_sweep(evutil_socket_t fd, short what, void *arg)
{
	struct server *srv = arg;
	int64_t n, total = 0, now = clock_now_ms();
	int round;

	(void)fd;
	(void)what;
	for (round = 0; round < SWEEP_ROUNDS; round++) {
		n = session_store_sweep(srv->ctx->store, now);
		total += n;
		if (n == 0)
			break;
	}
	if (total > 0) {
		metrics_sessions_expired(total);
		log_debug(
		    "server: swept %lld expired session(s)", (long long)total);
	}
}

static void
on_flush(evutil_socket_t fd, short what, void *arg)
{
	struct server *srv = arg;

	(void)fd;
	(void)what;
	/* Resume accepting if on_accept_error paused it; else a no-op. */
	if (srv->bound != NULL)
		evconnlistener_enable(
		    evhttp_bound_socket_get_listener(srv->bound));
	log_flush();
}

static void
stop_accepting(struct server *srv)
{
	if (srv->bound == NULL)
		return;
	evhttp_del_accept_socket(srv->http, srv->bound);
	srv->bound = NULL;
}

/* Leave the loop; the drain is over, one way or another. */
static void
finish(struct server *srv, const char *why)
{
	char ms[32], finished[32];

	stop_accepting(srv);
	snprintf(ms, sizeof(ms), "%lld",
	    (long long)((clock_mono_us() - srv->drain_started_us) / 1000));
	/* A second signal in the drain delay comes before any count. */
	snprintf(finished, sizeof(finished), "%lld",
	    (long long)(srv->inflight_at_stop > srv->ctx->inflight
	            ? srv->inflight_at_stop - srv->ctx->inflight
	            : 0));
	log_fields(LOG_LEVEL_INFO, "drain finished", "reason", why,
	    "requests_finished", finished, "drain_ms", ms, NULL);
	event_base_loopexit(srv->ctx->base, NULL);
}

static struct timeval
ms_tv(int64_t ms)
{
	struct timeval tv;

	tv.tv_sec = (time_t)(ms / 1000);
	tv.tv_usec = (suseconds_t)((ms % 1000) * 1000);
	return (tv);
}
