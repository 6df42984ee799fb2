/*
 * owner_store.h - route a session to the stateful instance that owns it.
 */
#ifndef STATELAB_STATEFUL_OWNER_STORE_H
#define STATELAB_STATEFUL_OWNER_STORE_H

#include <stddef.h>

struct session_store;
struct store_params;

#define OWNER_STORE_PEERS_MAX 16 /* peer clients kept open at most */

/*
 * Wrap inner, this instance's own store (steals it).  The credentials
 * inner issues get this instance's name appended ("<token>.<instance>"),
 * so every later request says which pod holds its session.  A request
 * whose credential names another instance completes with
 * STORE_MISDIRECTED and a detail naming the owner - or, when
 * p->cfg->peer_url_template is set ("http://%s.stateful-headless:8082"),
 * is forwarded to the owner over protocol v1 and answered with the
 * owner's result.  Returns the new store, or NULL with err filled and
 * *exit_code set (2 for a bad template; inner is closed).
 */
struct session_store *owner_store_wrap(struct session_store *inner,
    const struct store_params *p, char *err, size_t errlen, int *exit_code);

#endif /* STATELAB_STATEFUL_OWNER_STORE_H */
