/*
 * memory_store.h - sessions in this process's memory: gone when it dies.
 */
#ifndef STATELAB_STATELESS_MEMORY_STORE_H
#define STATELAB_STATELESS_MEMORY_STORE_H

#include <stddef.h>

struct session_store;
struct store_params;

/*
 * Open an empty in-memory store bounded by cfg->max_sessions with a
 * sliding TTL of cfg->session_ttl.  Every operation completes before it
 * returns.  Returns a new store (release with session_store_close), or
 * NULL with err filled.
 */
struct session_store *memory_store_open(
    const struct store_params *p, char *err, size_t errlen);

#endif /* STATELAB_STATELESS_MEMORY_STORE_H */
