/*
 * server.h - event base, listener, signals, timers and graceful drain.
 */
#ifndef STATELAB_COMMON_SERVER_H
#define STATELAB_COMMON_SERVER_H

#include <stddef.h>

struct api_ctx;
struct event_base;
struct server;

/*
 * A new event base as both servers run it: epoll's changelist on (two
 * epoll_ctl() calls a request, not four).  NULL when out of memory.
 */
struct event_base *server_base_new(void);

/*
 * Create the HTTP server for ctx (its cfg, store and base must be set):
 * evhttp with our limits, the gencb, the listening socket (logged as
 * {"msg":"listening","addr":...} with the real port), the signal
 * handlers and timers.  Returns a new server, or NULL with err filled
 * (the caller exits 1).
 */
struct server *server_new(struct api_ctx *ctx, char *err, size_t errlen);

/*
 * Mark the instance ready and run the loop until SIGTERM/SIGINT has
 * drained it (or a second signal cut the drain short).  Returns 0.
 */
int server_run(struct server *srv);

/* The port actually bound (the real one when --listen asked for 0). */
int server_port(const struct server *srv);

/* Close the listener and every connection; free srv.  Accepts NULL. */
void server_free(struct server *srv);

#endif /* STATELAB_COMMON_SERVER_H */
