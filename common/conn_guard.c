// SPDX-License-Identifier: MIT
/*
 * conn_guard.c - a deadline per request and a cap on open connections,
 * on top of libevent 2.1's evhttp, which has neither.
 *
 * evhttp_set_bevcb() lets us create each connection's bufferevent, and
 * we watch its two buffers:
 *
 *   input grows from empty  -> the request started: started_ms = now
 *   output grows            -> an answer is being written: the request
 *                              is done (started_ms = 0, or now if more
 *                              pipelined bytes are already waiting)
 *
 * Lifetime: a record lives exactly as long as evhttp's connection.
 *
 *   bevcb ------------> SETUP: we hold a reference to the bufferevent,
 *                       |      for one loop turn only
 *   next loop turn ---> LIVE: evhttp's connection (the bufferevent's
 *                       |     cbarg) gets our close callback; our
 *                       |     reference is dropped
 *   evhttp_connection_free -> on_close(): record removed, while the
 *                             bufferevent is still whole
 *
 * The reference during SETUP only covers evhttp freeing the connection
 * while it sets it up.  It must not be held longer: a bufferevent kept
 * alive after evhttp closed its socket keeps its read event armed on a
 * descriptor number that the next accept(2) may reuse.
 *
 * A timer (every TICK_MS) cuts requests older than the deadline
 * (slowloris).  "Cut" is shutdown(2) on the socket: evhttp then reads
 * end-of-file and frees the connection on its own path, so nothing here
 * frees what evhttp owns.
 *
 * The cap works at accept time: at max_connections the connection idle
 * the longest is cut to make room (an idle keep-alive connection has no
 * unread bytes, so the client sees a clean close and reconnects); if
 * none is idle, the one whose request has been arriving the longest.
 * Idle connections are still closed by evhttp's own --timeout.
 *
 * Only the event-loop thread touches this state.
 */
#include <sys/queue.h>
#include <sys/socket.h>

#include <stdlib.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/http.h>

#include "clock.h"
#include "conn_guard.h"

#define TICK_MS 250

struct guarded {
	struct conn_guard *g;
	struct bufferevent *bev;       /* one reference is ours */
	struct evbuffer_cb_entry *in;  /* on the input buffer */
	struct evbuffer_cb_entry *out; /* on the output buffer */
	int64_t started_ms;            /* first byte of the current request */
	int64_t active_ms;             /* last answer, or the accept */
	int cut;                       /* shut down by us; not counted */
	int setup;                     /* our reference is still held */
	TAILQ_ENTRY(guarded) link;
};

TAILQ_HEAD(guarded_list, guarded);

struct conn_guard {
	struct event_base *base;
	struct evhttp *http;
	struct event *tick;
	struct event *setup_ev; /* finishes SETUP on the next loop turn */
	struct guarded_list conns;
	int64_t open;     /* counted: not released, not cut */
	int64_t max;      /* 0: no cap */
	int64_t deadline; /* ms; 0: none */
	int64_t cut_deadline, cut_room;
};

static struct bufferevent *on_new_connection(struct event_base *, void *);
static void on_setup(evutil_socket_t, short, void *);
static void on_close(struct evhttp_connection *, void *);
static void on_input(
    struct evbuffer *, const struct evbuffer_cb_info *, void *);
static void on_output(
    struct evbuffer *, const struct evbuffer_cb_info *, void *);
static void on_tick(evutil_socket_t, short, void *);
static void make_room(struct conn_guard *, int64_t);
static void cut(struct guarded *);
static void forget(struct guarded *);
static int64_t now_ms(void);

struct conn_guard *
conn_guard_new(struct event_base *base, struct evhttp *http,
    int64_t max_connections, int64_t deadline_ms)
{
	struct conn_guard *g;
	struct timeval tv = { 0, TICK_MS * 1000 };

	if ((g = calloc(1, sizeof(*g))) == NULL)
		return (NULL);
	g->base = base;
	g->http = http;
	g->max = max_connections > 0 ? max_connections : 0;
	g->deadline = deadline_ms > 0 ? deadline_ms : 0;
	TAILQ_INIT(&g->conns);
	g->tick = event_new(base, -1, EV_PERSIST, on_tick, g);
	g->setup_ev = event_new(base, -1, 0, on_setup, g);
	if (g->tick == NULL || g->setup_ev == NULL) {
		if (g->tick != NULL)
			event_free(g->tick);
		if (g->setup_ev != NULL)
			event_free(g->setup_ev);
		free(g);
		return (NULL);
	}
	event_add(g->tick, &tv);
	evhttp_set_bevcb(http, on_new_connection, g);
	return (g);
}

void
conn_guard_free(struct conn_guard *g)
{
	struct guarded *c;

	if (g == NULL)
		return;
	event_free(g->tick);
	event_free(g->setup_ev);
	/*
	 * After evhttp_free() only records still in SETUP are left (their
	 * connections were freed before they learned of our close
	 * callback); we hold their last reference.
	 */
	while ((c = TAILQ_FIRST(&g->conns)) != NULL)
		forget(c);
	free(g);
}

int64_t
conn_guard_count(struct conn_guard *g)
{
	return (g->open);
}

int64_t
conn_guard_cut_deadline(const struct conn_guard *g)
{
	return (g->cut_deadline);
}

int64_t
conn_guard_cut_room(const struct conn_guard *g)
{
	return (g->cut_room);
}

/*
 * evhttp's bevcb: a new connection was accepted (its socket is set on
 * the bufferevent right after we return, and evhttp's connection is made
 * around it).  NULL makes evhttp create its own bufferevent, so out of
 * memory degrades to an unwatched connection.
 */
static struct bufferevent *
on_new_connection(struct event_base *base, void *arg)
{
	struct conn_guard *g = arg;
	struct guarded *c;
	int64_t now = now_ms();

	if (g->max > 0 && g->open >= g->max)
		make_room(g, now);
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return (NULL);
	/*
	 * No BEV_OPT_CLOSE_ON_FREE: evhttp closes the socket itself when
	 * it frees the connection.
	 */
	if ((c->bev = bufferevent_socket_new(base, -1, 0)) == NULL) {
		free(c);
		return (NULL);
	}
	c->g = g;
	c->active_ms = now;
	c->in = evbuffer_add_cb(bufferevent_get_input(c->bev), on_input, c);
	c->out = evbuffer_add_cb(bufferevent_get_output(c->bev), on_output, c);
	if (c->in == NULL || c->out == NULL) {
		if (c->in != NULL)
			evbuffer_remove_cb_entry(
			    bufferevent_get_input(c->bev), c->in);
		if (c->out != NULL)
			evbuffer_remove_cb_entry(
			    bufferevent_get_output(c->bev), c->out);
		bufferevent_free(c->bev);
		free(c);
		return (NULL);
	}
	/* Held until on_setup(), on the next loop turn (see the head). */
	bufferevent_incref(c->bev);
	c->setup = 1;
	TAILQ_INSERT_TAIL(&g->conns, c, link);
	g->open++;
	event_active(g->setup_ev, EV_TIMEOUT, 0);
	return (c->bev);
}

/* The loop turned: every new connection is evhttp's now, or freed. */
static void
on_setup(evutil_socket_t fd, short what, void *arg)
{
	struct conn_guard *g = arg;
	struct guarded *c, *next;
	bufferevent_event_cb eventcb = NULL;
	void *evcon = NULL;

	(void)fd;
	(void)what;
	for (c = TAILQ_FIRST(&g->conns); c != NULL; c = next) {
		next = TAILQ_NEXT(c, link);
		if (!c->setup)
			continue;
		/* evhttp's connection is the cbarg of its callbacks. */
		bufferevent_getcb(c->bev, NULL, NULL, &eventcb, &evcon);
		if (eventcb == NULL || evcon == NULL) {
			/* bufferevent_free() cleared them: evhttp let it go. */
			forget(c);
			continue;
		}
		evhttp_connection_set_closecb(evcon, on_close, c);
		c->setup = 0;
		bufferevent_decref(c->bev);
	}
}

/* evhttp is freeing the connection; the bufferevent is still whole. */
static void
on_close(struct evhttp_connection *evcon, void *arg)
{
	(void)evcon;
	forget(arg);
}

/* Bytes arrived: a request starts with the first of them. */
static void
on_input(struct evbuffer *buf, const struct evbuffer_cb_info *info, void *arg)
{
	struct guarded *c = arg;

	(void)buf;
	if (info->n_added > 0 && c->started_ms == 0)
		c->started_ms = now_ms();
}

/* An answer is being written: that request is done. */
static void
on_output(struct evbuffer *buf, const struct evbuffer_cb_info *info, void *arg)
{
	struct guarded *c = arg;
	int64_t now;

	(void)buf;
	if (info->n_added == 0)
		return;
	now = now_ms();
	c->active_ms = now;
	/* Pipelined bytes already here start the next request now. */
	c->started_ms =
	    evbuffer_get_length(bufferevent_get_input(c->bev)) > 0 ? now : 0;
}

static void
on_tick(evutil_socket_t fd, short what, void *arg)
{
	struct conn_guard *g = arg;
	struct guarded *c;
	int64_t now = now_ms();

	(void)fd;
	(void)what;
	if (g->deadline == 0)
		return;
	TAILQ_FOREACH(c, &g->conns, link)
	{
		if (!c->cut && c->started_ms != 0 &&
		    now - c->started_ms > g->deadline) {
			cut(c);
			g->cut_deadline++;
		}
	}
}

/* Cut the connection idle the longest, else the slowest request. */
static void
make_room(struct conn_guard *g, int64_t now)
{
	struct guarded *c, *idle = NULL, *slow = NULL;

	(void)now;
	TAILQ_FOREACH(c, &g->conns, link)
	{
		if (c->cut)
			continue;
		if (c->started_ms == 0) {
			if (idle == NULL || c->active_ms < idle->active_ms)
				idle = c;
		} else if (slow == NULL || c->started_ms < slow->started_ms)
			slow = c;
	}
	if ((c = idle != NULL ? idle : slow) != NULL) {
		cut(c);
		g->cut_room++;
	}
}

/*
 * Shut the socket down; evhttp sees end-of-file and frees it.  Every
 * record in the list belongs to a connection evhttp still holds, so the
 * descriptor is still this connection's.
 */
static void
cut(struct guarded *c)
{
	evutil_socket_t fd = bufferevent_getfd(c->bev);

	if (fd >= 0)
		shutdown(fd, SHUT_RDWR);
	c->cut = 1;
	c->g->open--;
}

/* Forget c: our callbacks, our reference if still held, our record. */
static void
forget(struct guarded *c)
{
	struct conn_guard *g = c->g;

	if (!c->cut)
		g->open--;
	TAILQ_REMOVE(&g->conns, c, link);
	evbuffer_remove_cb_entry(bufferevent_get_input(c->bev), c->in);
	evbuffer_remove_cb_entry(bufferevent_get_output(c->bev), c->out);
	if (c->setup)
		bufferevent_decref(c->bev);
	free(c);
}

static int64_t
now_ms(void)
{
	return (clock_mono_us() / 1000);
}
