/*
 * sqlite_commit.h - group commit for the sqlite store: the writes of one
 * loop turn share a transaction, and each completes after its COMMIT.
 */
#ifndef STATELAB_STATEFUL_SQLITE_COMMIT_H
#define STATELAB_STATEFUL_SQLITE_COMMIT_H

#include <stdint.h>

#include "config.h"
#include "session.h"
#include "token.h"

struct event_base;
struct json_t;
struct sqlite3;
struct sqlite3_stmt;
struct sqlite_commit;

/* A session as read from its row: what a completion reports. */
struct sqlite_row {
	char user[SESSION_USER_MAX + 1];
	char created_by[CONFIG_INSTANCE_MAX + 1];
	char token[TOKEN_LEN + 1]; /* create only: the new credential */
	int has_token;             /* report token */
	int64_t counter;
	int64_t created_at; /* ms since the epoch */
	int64_t updated_at;
	int64_t expires_at;
	int64_t sweep_at;    /* the store's own: not reported */
	struct json_t *data; /* owned; NULL = {} */
};

/*
 * New group-commit state over db (borrowed: it must outlive c) for the
 * file path (copied; for messages).  With base, the COMMIT runs from a
 * zero-timeout event at the end of the loop turn in which the transaction
 * got its first client write (or sqlite_commit_soon() was called);
 * without base, sqlite_commit_end() commits at once.  rolled_back(arg) runs
 * after a transaction was rolled back, so the caller can reload what it caches.
 * Returns NULL when out of memory.
 */
struct sqlite_commit *sqlite_commit_new(struct sqlite3 *db,
    struct event_base *base, const char *path, void (*rolled_back)(void *),
    void *arg);

/*
 * Commit what is pending (its operations complete), then free c.
 * Accepts NULL.
 */
void sqlite_commit_free(struct sqlite_commit *c);

/*
 * Make room for one more completion; call it before an operation
 * changes anything, so that queueing its completion cannot fail.
 * Returns 0, or -1 when out of memory.
 */
int sqlite_commit_reserve(struct sqlite_commit *c);

/*
 * Join the transaction of this loop turn, or BEGIN one.  Returns 0, or
 * -1 with the cause in sqlite_commit_why().
 */
int sqlite_commit_begin(struct sqlite_commit *c);

/*
 * Step st (a statement of the same connection) once.  Returns
 * SQLITE_ROW (read the row, then sqlite3_reset), SQLITE_DONE, or an
 * error code: then st is reset, the cause is in sqlite_commit_why(),
 * readiness is off if the file cannot take writes, and if SQLite ended
 * the transaction on its own, the operations queued in it have
 * completed with STORE_UNAVAIL already.
 */
int sqlite_commit_step(struct sqlite_commit *c, struct sqlite3_stmt *st);

/*
 * The open transaction now holds a client write (create, incr, ...): it
 * is committed at the end of this loop turn.
 */
void sqlite_commit_dirty(struct sqlite_commit *c);

/*
 * Commit at the end of this loop turn even without a client write.  A
 * transaction holding only TTL updates otherwise stays open, across
 * turns, until a client write or this call (the sweep timer's, every
 * second) commits it: a read costs no COMMIT, and with --sync full no
 * fsync, of its own.
 */
void sqlite_commit_soon(struct sqlite_commit *c);

/*
 * Complete an operation whose outcome came from the data.  While the
 * open transaction holds a client write, the completion waits for its
 * COMMIT (and turns STORE_UNAVAIL if that fails); otherwise done runs
 * now.  row may be NULL; its data is taken (row->data becomes NULL).
 * detail must be a static string.
 */
void sqlite_commit_finish(struct sqlite_commit *c, store_done_fn done,
    void *arg, enum store_rc rc, const char *detail, struct sqlite_row *row);

/*
 * Complete an operation whose statement failed with rc (from
 * sqlite_commit_step): STORE_NOMEM or STORE_UNAVAIL, with
 * sqlite_commit_why() as the detail.  Ends the operation as
 * sqlite_commit_end() does.
 */
void sqlite_commit_fail(
    struct sqlite_commit *c, int rc, store_done_fn done, void *arg);

/* An operation is done with the transaction: without a loop, COMMIT now. */
void sqlite_commit_end(struct sqlite_commit *c);

/* COMMIT now if a transaction is open, and complete its operations. */
void sqlite_commit_flush(struct sqlite_commit *c);

/* Did the last write reach the file?  Drives /readyz. */
int sqlite_commit_is_ready(const struct sqlite_commit *c);

/* Why the last statement failed: a sentence for a client.  Borrowed. */
const char *sqlite_commit_why(const struct sqlite_commit *c);

#endif /* STATELAB_STATEFUL_SQLITE_COMMIT_H */
