/*
 * store_server.h - a protocol v1 server in the test process, over a
 * memory store: the "stateful" side that the remote store talks to.
 */
#ifndef STATELAB_TESTS_STORE_SERVER_H
#define STATELAB_TESTS_STORE_SERVER_H

#include <stdint.h>

struct event_base;
struct store_server;

/*
 * Start a server on 127.0.0.1:port (0 = a free one) in base's loop, with
 * a memory store over instance, ttl seconds and max sessions, reading
 * time from now_ms.  Fails the test when it cannot.
 */
struct store_server *store_server_start(struct event_base *base, int port,
    const char *instance, int ttl, int max, int64_t (*now_ms)(void));

/*
 * Like store_server_start on listen ("127.0.0.12:0"), and with route set
 * the memory store is wrapped by owner_store (no peer template), as a
 * stateful pod of a scaled StatefulSet is.
 */
struct store_server *store_server_start_at(struct event_base *base,
    const char *listen, const char *instance, int ttl, int max,
    int64_t (*now_ms)(void), int route);

/* The port it listens on. */
int store_server_port(const struct store_server *ss);

/* The URL of it: "http://127.0.0.1:PORT" (static buffer of ss). */
const char *store_server_url(const struct store_server *ss);

/* Close the listener, its connections and its store.  Accepts NULL. */
void store_server_stop(struct store_server *ss);

/*
 * A listener that accepts connections, counts them and then, by mode:
 * BLACKHOLE never answers, HANGUP closes each at once (half-close, so
 * the client reads EOF), GARBAGE answers 200 with a body that is not
 * JSON.  For the remote store's failure paths.
 */
enum fake_mode { FAKE_BLACKHOLE = 0, FAKE_HANGUP, FAKE_GARBAGE };
struct fake_server;
struct fake_server *fake_server_start(
    struct event_base *base, enum fake_mode mode);
int fake_server_port(const struct fake_server *fs);
int fake_server_accepted(const struct fake_server *fs);
void fake_server_stop(struct fake_server *fs);

#endif /* STATELAB_TESTS_STORE_SERVER_H */
