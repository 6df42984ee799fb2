/*
 * sqlite_file.h - the sqlite store's database file: create it, lock it,
 * configure it, migrate its schema, count one more generation.
 */
#ifndef STATELAB_STATEFUL_SQLITE_FILE_H
#define STATELAB_STATEFUL_SQLITE_FILE_H

#include <stddef.h>
#include <stdint.h>

#include "config.h"

struct sqlite3;

#define SQLITE_FILE_SCHEMA_VERSION 2 /* what migrations[] reach */

/* What the file says about itself at open, from its meta row. */
struct sqlite_file_meta {
	int64_t created_at; /* ms since the epoch: the first open ever */
	int64_t generation; /* opens so far, this one included */
	int64_t sessions;   /* rows in sessions (kept by triggers) */
};

/*
 * Open path for the sqlite store: create its missing directories (0700)
 * and the file (0600), take the exclusive single-writer lock, set the
 * PRAGMAs (WAL, synchronous from sync, cache, busy timeout), migrate the
 * schema to SQLITE_FILE_SCHEMA_VERSION, and count one more generation at
 * now_ms, in one transaction.  Fills *meta.
 *
 * Returns a new connection holding the lock until sqlite3_close(), or
 * NULL with err filled with one line naming the file and what to do and
 * *exit_code set: SQLITE_STORE_EXIT_LOCKED (3) when another process
 * holds the file, else 1.  path is borrowed for the call.
 */
struct sqlite3 *sqlite_file_open(const char *path, enum config_sync sync,
    int64_t now_ms, struct sqlite_file_meta *meta, char *err, size_t errlen,
    int *exit_code);

#endif /* STATELAB_STATEFUL_SQLITE_FILE_H */
