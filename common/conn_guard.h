/*
 * conn_guard.h - what libevent 2.1's evhttp does not do for connections:
 * a deadline for each request to arrive whole (slowloris), and a cap on
 * open connections that makes room instead of making new clients wait.
 */
#ifndef STATELAB_COMMON_CONN_GUARD_H
#define STATELAB_COMMON_CONN_GUARD_H

#include <stddef.h>
#include <stdint.h>

struct event_base;
struct evhttp;
struct conn_guard;

/*
 * Watch every connection http accepts from now on (it installs the
 * evhttp bufferevent callback, so nothing else may).
 *
 *   - deadline_ms: a request must be read and answered within this
 *     time of its first byte; past it the connection is shut down.
 *     evhttp's own timeout restarts on every byte, so a header sent a
 *     byte a second would otherwise hold a connection forever.  Use
 *     --timeout.  0 turns the deadline off.
 *   - max_connections: when a new connection would make one more than
 *     this, the open connection idle the longest (else the one whose
 *     request has been arriving the longest) is shut down to make room,
 *     so a normal client is served while thousands of idle ones sit
 *     there.  0 turns the cap off.
 *
 * Returns a new guard, or NULL when out of memory.  Call from the
 * event-loop thread, before the loop runs.
 */
struct conn_guard *conn_guard_new(struct event_base *base, struct evhttp *http,
    int64_t max_connections, int64_t deadline_ms);

/*
 * Stop watching and release every record.  Call after evhttp_free()
 * (it may be called before; then no connection may be accepted after).
 * Accepts NULL.
 */
void conn_guard_free(struct conn_guard *g);

/* Connections open now (the connections_open gauge). */
int64_t conn_guard_count(struct conn_guard *g);

/* Connections shut down so far: by the deadline, and to make room. */
int64_t conn_guard_cut_deadline(const struct conn_guard *g);
int64_t conn_guard_cut_room(const struct conn_guard *g);

#endif /* STATELAB_COMMON_CONN_GUARD_H */
