/*
 * remote_store.h - sessions kept by another service, over protocol v1.
 */
#ifndef STATELAB_COMMON_REMOTE_STORE_H
#define STATELAB_COMMON_REMOTE_STORE_H

#include <stddef.h>

struct session_store;
struct store_params;

#define REMOTE_STORE_POOL       8    /* keep-alive connections */
#define REMOTE_STORE_TIMEOUT_MS 2000 /* one attempt, start to answer */
#define REMOTE_STORE_PROBE_MS   1000 /* GET /readyz this often */

/*
 * Open a store that forwards every operation to the service at
 * cfg->store_url ("http://host:port", optionally with a path prefix)
 * with libevent's HTTP client.  Nothing is contacted yet: readiness
 * follows a probe of the store's /readyz that starts at once.  Returns a
 * new store, or NULL with err filled and *exit_code set (2 for a missing
 * or unusable URL, 1 when out of memory).
 */
struct session_store *remote_store_open(
    const struct store_params *p, char *err, size_t errlen, int *exit_code);

/*
 * Like remote_store_open, for url, a deadline of timeout_ms per operation
 * and a readiness probe every probe_ms (0: no probe; readiness then
 * follows the operations alone).  For a server that reaches a peer (the
 * pod that owns a session), and for tests.
 */
struct session_store *remote_store_open_url(const struct store_params *p,
    const char *url, int timeout_ms, int probe_ms, char *err, size_t errlen);

#endif /* STATELAB_COMMON_REMOTE_STORE_H */
