/*
 * sqlite_store.h - sessions in an SQLite file: they survive SIGKILL.
 */
#ifndef STATELAB_STATEFUL_SQLITE_STORE_H
#define STATELAB_STATEFUL_SQLITE_STORE_H

#include <stddef.h>

struct session_store;
struct store_params;

/* Exit status for "another process holds the database" (ReadWriteOnce). */
#define SQLITE_STORE_EXIT_LOCKED 3

/*
 * Open the database file p->cfg->db, creating it (mode 0600) and its
 * directory (mode 0700) when missing, migrate its schema, take the
 * single-writer lock for the life of the store, and count one more
 * generation.  Synchronous mode comes from p->cfg->sync; the TTL, the
 * session limit and the instance name from the rest of p->cfg, which is
 * copied: it need not outlive the call.
 *
 * Write operations started in one turn of p->base's loop share one
 * transaction, committed at the end of that turn; each completes only
 * after its COMMIT returned (group commit).  Reads complete before the
 * operation function returns unless the open transaction holds a write
 * they could observe.  With p->base NULL every operation commits and
 * completes before it returns.
 *
 * Returns a new store (release it with session_store_close(), which
 * commits what is pending and checkpoints the WAL), or NULL with err
 * filled with one line naming the file and what to do, and *exit_code
 * set to SQLITE_STORE_EXIT_LOCKED when another process holds the
 * database, else 1.  Call from the event-loop thread, before the loop
 * runs.
 */
struct session_store *sqlite_store_open(
    const struct store_params *p, char *err, size_t errlen, int *exit_code);

#endif /* STATELAB_STATEFUL_SQLITE_STORE_H */
