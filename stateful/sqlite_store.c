// SPDX-License-Identifier: MIT
/*
 * sqlite_store.c - sessions in an SQLite file: they survive SIGKILL.
 *
 * The stateful service keeps every session in one database file on the
 * pod's volume.  Kill the process and start it again on the same file:
 * the sessions are still there, and the generation in meta is one higher.
 * Three files: sqlite_file.c opens (creates, locks, migrates) the file,
 * sqlite_commit.c runs the group commit, and this one holds the session
 * operations and the SQL they run.
 *
 * Schema (user_version 2; created by migrations[] in sqlite_file.c):
 *
 *   meta     (id = 1, created_at, generation, opened_at, probed_at,
 *             sessions)  -- one row; times in ms.  generation counts the
 *             opens; sessions is kept by triggers on sessions, so start-
 *             up never counts the table: 1,000,000 rows open in ~5 ms,
 *             where count(*) took 15 ms warm and 130 ms from a cold cache
 *   sessions (token TEXT PRIMARY KEY, user, counter INTEGER, data TEXT
 *             (a JSON object; NULL = {}), created_at, updated_at,
 *             sweep_at, created_by, expires_at (NULL = sweep_at))
 *             WITHOUT ROWID
 *   sessions_expiry ON sessions (sweep_at)  -- the sweep walks it
 *
 * Expiry: expires_at is exact and every use rewrites it; sweep_at is a
 * lower bound of it (sweep_at <= expires_at) that only create and the
 * sweep write.  So the index is not touched by a use: rewriting an entry
 * of an index on expires_at moved it to the index's end and split a page
 * every few writes, a third of the cost of a write.  The sweep deletes
 * the due rows (sweep_at <= now) that have expired and moves sweep_at of
 * the others up to their expires_at: a session in use is re-indexed once
 * per TTL, not once per use.  A use that would leave expires_at below
 * sweep_at (a shorter --session-ttl than the row was created with, or a
 * clock stepped back) lowers sweep_at too: keep_sweep_bound(), the one
 * case in which a use moves the index entry.
 *
 * PRAGMAs and why:
 *   locking_mode=EXCLUSIVE  the lock rule below; also no -shm file and no
 *                           lock system calls per transaction
 *   journal_mode=WAL        a commit is one append to the log, and a
 *                           crash is recovered from the log at next open
 *   synchronous=NORMAL      (--sync normal, the default) a COMMIT has
 *                           written the log when it returns, so a process
 *                           crash loses nothing acknowledged; a power
 *                           loss may lose the last commits
 *   synchronous=FULL        (--sync full) the log is also fsynced at each
 *                           COMMIT: acknowledged writes survive power loss
 *   user_version            the schema version the migrations reached
 *   busy_timeout            200 ms while taking the lock at open, then 2 s
 *   cache_size, journal_size_limit   bounded memory and WAL file
 *   wal_autocheckpoint      100 pages, not SQLite's 1000.  A checkpoint
 *                           runs in the loop, and with NORMAL its first
 *                           fdatasync flushes all the WAL written since
 *                           the last one: every request waits for it.
 *                           Under write load (a commit appends every page
 *                           it changed, about 2 KB a write) 1000 pages
 *                           made 7 ms pauses; 100 pages make pauses
 *                           short enough to halve the write p99, at the
 *                           same throughput (make bench, issue #9)
 *
 * Lock rule (exit status 3): one volume, one writer.  The store holds an
 * EXCLUSIVE lock on the database file from open to close, taken by
 * locking_mode=EXCLUSIVE and the write transaction that counts the
 * generation.  A second process, whatever it is, gets SQLITE_BUSY within
 * 200 ms and sqlite_store_open() reports SQLITE_STORE_EXIT_LOCKED: that
 * is ReadWriteOnce, explained.  The lock is SQLite's own, on the file
 * itself, rather than a flock(2) on a sidecar "<db>.lock": it also keeps
 * out a sqlite3 shell or any other SQLite writer, it cannot drift from
 * the file it protects (a copied or renamed database carries no stale
 * sidecar), and the kernel drops it when the holder dies, so a SIGKILLed
 * pod never leaves a lock behind.  The price: a sqlite3 shell cannot
 * read the file while the server runs.
 *
 * Every statement is prepared once at open from sql_text[] and bound:
 * SQL is never built from input.  A write changes its row and queues its
 * completion for the COMMIT at the end of the loop turn (sqlite_commit.c);
 * a read answers at once.  Every operation reads its row with one
 * point SELECT, decides in C, and writes with a plain UPDATE (never
 * UPDATE ... RETURNING, whose ephemeral table cost more than the rest).
 * Every use slides the TTL (expires_at); a read does so only if the row
 * was last used TOUCH_GRACE_MS ago or more, and its TTL update is
 * committed with the next write, or by the sweep within a second.  The
 * sweep deletes expired rows SWEEP_BATCH at a time, oldest first.  While the
 * file cannot be written (disk full, read-only, I/O errors), writes complete
 * STORE_UNAVAIL with a detail that says so, reads still answer, and the
 * sweep probes with a one-row write until a COMMIT succeeds again.
 */
#include <sys/stat.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <sqlite3.h>

#include "clock.h"
#include "config.h"
#include "log.h"
#include "session.h"
#include "sqlite_commit.h"
#include "sqlite_file.h"
#include "sqlite_store.h"
#include "token.h"

/* ---------------------------------------------------------------- types */

#define SWEEP_BATCH 500 /* rows deleted per sweep call at most */

/* A read within this long of the last use does not write (S_TOUCH). */
#define TOUCH_GRACE_MS 1000

/* The columns every session read returns, in this order. */
#define COLS                                            \
	"user, counter, data, created_at, updated_at, " \
	"coalesce(expires_at, sweep_at), created_by, sweep_at"

enum col {
	C_USER,
	C_COUNTER,
	C_DATA,
	C_CREATED,
	C_UPDATED,
	C_EXPIRES,
	C_BY,
	C_SWEEP
};

enum stmt_id {
	S_INSERT,
	S_TOUCH,
	S_INCR,
	S_LOOKUP,
	S_SET_DATA,
	S_DELETE,
	S_SWEEP,
	S_RESWEEP,
	S_SWEEP_AT,
	S_PROBE,
	S_COUNT,
	S_NSTMT
};

/* Every statement the store runs; prepared once at open. */
static const char *const sql_text[S_NSTMT] = {
	[S_INSERT] = "INSERT INTO sessions (token, user, counter, data, "
	             "created_at, updated_at, sweep_at, expires_at, "
	             "created_by) VALUES (?1, ?2, 0, NULL, ?3, ?3, ?4, ?4, ?5)",
	/*
	 * A use slides the TTL.  Plain UPDATEs, without RETURNING: SQLite
	 * gathers RETURNING rows in an ephemeral table that it opens, fills
	 * and frees on every run, which tripled the cost of a write.  The
	 * row is read first (S_LOOKUP), so the new values are known here.
	 */
	[S_TOUCH] = "UPDATE sessions SET updated_at = ?2, expires_at = ?3 "
	            "WHERE token = ?1",
	[S_INCR] = "UPDATE sessions SET counter = ?2, updated_at = ?3, "
	           "expires_at = ?4 WHERE token = ?1",
	[S_LOOKUP] = "SELECT " COLS " FROM sessions WHERE token = ?1",
	[S_SET_DATA] = "UPDATE sessions SET data = ?2, updated_at = ?3, "
	               "expires_at = ?4 WHERE token = ?1",
	[S_DELETE] = "DELETE FROM sessions WHERE token = ?1",
	/* The oldest first, through sessions_expiry, a batch at a time. */
	[S_SWEEP] = "DELETE FROM sessions WHERE token IN (SELECT token FROM "
	            "sessions WHERE sweep_at <= ?1 AND "
	            "coalesce(expires_at, sweep_at) <= ?1 ORDER BY sweep_at "
	            "LIMIT ?2)",
	/* Due rows that were used since: look again when they expire. */
	[S_RESWEEP] =
	    "UPDATE sessions SET sweep_at = expires_at WHERE token IN "
	    "(SELECT token FROM sessions WHERE sweep_at <= ?1 AND "
	    "expires_at > ?1 ORDER BY sweep_at LIMIT ?2)",
	[S_SWEEP_AT] = "UPDATE sessions SET sweep_at = ?2 WHERE token = ?1",
	[S_PROBE] = "UPDATE meta SET probed_at = ?1 WHERE id = 1",
	[S_COUNT] = "SELECT sessions FROM meta WHERE id = 1",
};

struct sqlite_store {
	sqlite3 *db;
	sqlite3_stmt *stmt[S_NSTMT];
	struct sqlite_commit *tx; /* the transaction of this loop turn */
	int64_t count;            /* rows, the open transaction included */
	int64_t max_sessions;
	int64_t ttl_ms;
	int64_t (*now_ms)(void);
	enum config_sync sync;
	char *path;
	char *wal_path;
	char *instance;
	struct sqlite_file_meta meta; /* as found at open */
	int64_t open_us;              /* how long opening took */
};

/* ---------------------------------------------------- static prototypes */

static void ss_create(void *, const char *, store_done_fn, void *);
static void ss_get(void *, const char *, store_done_fn, void *);
static void ss_incr(void *, const char *, int64_t, store_done_fn, void *);
static void ss_data_put(
    void *, const char *, const char *, const json_t *, store_done_fn, void *);
static void ss_data_delete(
    void *, const char *, const char *, store_done_fn, void *);
static void ss_destroy(void *, const char *, store_done_fn, void *);
static int64_t ss_count(void *);
static int ss_is_ready(void *);
static const char *ss_unready_reason(void *);
static int64_t ss_sweep(void *, int64_t);
static void ss_describe(void *, json_t *);
static void ss_gauges(void *, store_gauge_fn, void *);
static void ss_close(void *);

static int op_start(struct sqlite_store *, const char *, store_done_fn, void *);
static void change_data(struct sqlite_store *, const char *, const char *,
    const json_t *, store_done_fn, void *);
static int step(struct sqlite_store *, enum stmt_id);
static enum store_rc lookup(
    struct sqlite_store *, const char *, int64_t, struct sqlite_row *, int *);
static void read_row(sqlite3_stmt *, struct sqlite_row *);
static int keep_sweep_bound(
    struct sqlite_store *, const char *, const struct sqlite_row *);
static void copy_text(sqlite3_stmt *, int, char *, size_t);
static void reload_count(void *);
static void log_opened(const struct sqlite_store *);
static void free_store(struct sqlite_store *);
static int64_t file_size(const char *);

static const struct session_store_ops sqlite_ops = {
	.name = "sqlite",
	.create = ss_create,
	.get = ss_get,
	.incr = ss_incr,
	.data_put = ss_data_put,
	.data_delete = ss_data_delete,
	.destroy = ss_destroy,
	.count = ss_count,
	.is_ready = ss_is_ready,
	.unready_reason = ss_unready_reason,
	.sweep = ss_sweep,
	.describe = ss_describe,
	.gauges = ss_gauges,
	.close = ss_close,
};

/* ----------------------------------------------------------- public API */

struct session_store *
sqlite_store_open(
    const struct store_params *p, char *err, size_t errlen, int *exit_code)
{
	struct sqlite_store *ss;
	int64_t t0;
	int i;

	t0 = clock_mono_us();
	*exit_code = 1;
	if ((ss = calloc(1, sizeof(*ss))) == NULL ||
	    (ss->path = strdup(p->cfg->db)) == NULL ||
	    (ss->instance = strdup(p->cfg->instance)) == NULL ||
	    asprintf(&ss->wal_path, "%s-wal", p->cfg->db) == -1) {
		if (ss != NULL)
			ss->wal_path = NULL;
		snprintf(err, errlen, "sqlite_store: out of memory");
		goto fail;
	}
	ss->max_sessions = p->cfg->max_sessions;
	ss->ttl_ms = p->cfg->session_ttl * 1000;
	ss->now_ms = p->now_ms;
	ss->sync = p->cfg->sync;

	if ((ss->db = sqlite_file_open(ss->path, ss->sync, ss->now_ms(),
	         &ss->meta, err, errlen, exit_code)) == NULL)
		goto fail;
	for (i = 0; i < S_NSTMT; i++)
		if (sqlite3_prepare_v3(ss->db, sql_text[i], -1,
		        SQLITE_PREPARE_PERSISTENT, &ss->stmt[i],
		        NULL) != SQLITE_OK) {
			snprintf(err, errlen,
			    "the database %s: cannot prepare a statement "
			    "(%s); is it a statelab database?",
			    ss->path, sqlite3_errmsg(ss->db));
			goto fail;
		}
	if ((ss->tx = sqlite_commit_new(
	         ss->db, p->base, ss->path, reload_count, ss)) == NULL) {
		snprintf(err, errlen, "sqlite_store: out of memory");
		goto fail;
	}
	ss->count = ss->meta.sessions;
	ss->open_us = clock_mono_us() - t0;
	log_opened(ss);
	return (session_store_new(&sqlite_ops, ss));
fail:
	free_store(ss);
	return (NULL);
}

/* ------------------------------------------------------------ the ops */

static void
ss_create(void *impl, const char *user, store_done_fn done, void *arg)
{
	struct sqlite_store *ss = impl;
	sqlite3_stmt *st = ss->stmt[S_INSERT];
	struct sqlite_row r;
	int rc, tries;

	memset(&r, 0, sizeof(r));
	if (ss->count >= ss->max_sessions) {
		/* The count includes the uncommitted: answer after them. */
		sqlite_commit_finish(ss->tx, done, arg, STORE_FULL,
		    "this instance holds --max-sessions sessions already",
		    NULL);
		return;
	}
	if (op_start(ss, NULL, done, arg) == -1)
		return;
	r.created_at = r.updated_at = ss->now_ms();
	r.expires_at = r.created_at + ss->ttl_ms;
	snprintf(r.user, sizeof(r.user), "%s", user);
	snprintf(r.created_by, sizeof(r.created_by), "%s", ss->instance);
	/* 128 random bits never collide; a retry costs two lines anyway. */
	for (tries = 0; tries < 2; tries++) {
		if (token_generate(r.token) == -1) {
			sqlite_commit_end(ss->tx);
			done(STORE_UNAVAIL, NULL, "no randomness for a token",
			    arg);
			return;
		}
		sqlite3_bind_text(st, 1, r.token, TOKEN_LEN, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, user, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 3, r.created_at);
		sqlite3_bind_int64(st, 4, r.expires_at);
		sqlite3_bind_text(st, 5, ss->instance, -1, SQLITE_STATIC);
		if ((rc = step(ss, S_INSERT)) != SQLITE_CONSTRAINT_PRIMARYKEY)
			break;
	}
	if (rc != SQLITE_DONE) {
		sqlite_commit_fail(ss->tx, rc, done, arg);
		return;
	}
	ss->count++;
	r.has_token = 1;
	sqlite_commit_dirty(ss->tx);
	sqlite_commit_finish(ss->tx, done, arg, STORE_OK, NULL, &r);
	sqlite_commit_end(ss->tx);
}

static void
ss_get(void *impl, const char *token, store_done_fn done, void *arg)
{
	struct sqlite_store *ss = impl;
	sqlite3_stmt *st = ss->stmt[S_TOUCH];
	struct sqlite_row r;
	enum store_rc src;
	int64_t now;
	int rc;

	if (op_start(ss, token, done, arg) == -1)
		return;
	now = ss->now_ms();
	if ((src = lookup(ss, token, now, &r, &rc)) == STORE_UNAVAIL)
		goto failed;
	/*
	 * A row used less than TOUCH_GRACE_MS ago is left alone: a burst of
	 * reads must not turn into a burst of writes, each rewriting the
	 * row and its index entry.  A TTL update alone is not a client
	 * write (no sqlite_commit_dirty): the read answers now.
	 */
	if (src == STORE_OK && r.updated_at <= now - TOUCH_GRACE_MS) {
		sqlite3_bind_text(st, 1, token, TOKEN_LEN, SQLITE_STATIC);
		sqlite3_bind_int64(st, 2, now);
		sqlite3_bind_int64(st, 3, now + ss->ttl_ms);
		r.updated_at = now;
		r.expires_at = now + ss->ttl_ms;
		if ((rc = step(ss, S_TOUCH)) != SQLITE_DONE ||
		    (rc = keep_sweep_bound(ss, token, &r)) != SQLITE_DONE)
			goto failed;
	}
	sqlite_commit_finish(
	    ss->tx, done, arg, src, NULL, src == STORE_OK ? &r : NULL);
	sqlite_commit_end(ss->tx);
	return;
failed:
	if (src == STORE_OK)
		json_decref(r.data);
	sqlite_commit_fail(ss->tx, rc, done, arg);
}

/*
 * Read the row, add in C, write it back: one writer and one transaction
 * make the pair atomic, and the reply needs the row anyway.
 */
static void
ss_incr(
    void *impl, const char *token, int64_t by, store_done_fn done, void *arg)
{
	struct sqlite_store *ss = impl;
	sqlite3_stmt *st = ss->stmt[S_INCR];
	struct sqlite_row r;
	enum store_rc src;
	int64_t now;
	int rc;

	if (op_start(ss, token, done, arg) == -1)
		return;
	now = ss->now_ms();
	if ((src = lookup(ss, token, now, &r, &rc)) == STORE_UNAVAIL)
		goto failed;
	if (src != STORE_OK) {
		sqlite_commit_finish(ss->tx, done, arg, src, NULL, NULL);
		goto end;
	}
	/* counter + by must fit in 64 bits: SQLite would make it a REAL. */
	if (by >= 0 ? r.counter > INT64_MAX - by : r.counter < INT64_MIN - by) {
		json_decref(r.data);
		sqlite_commit_finish(ss->tx, done, arg, STORE_INVALID,
		    "the counter would overflow a signed 64-bit integer", NULL);
		goto end;
	}
	r.counter += by;
	r.updated_at = now;
	r.expires_at = now + ss->ttl_ms;
	sqlite3_bind_text(st, 1, token, TOKEN_LEN, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, r.counter);
	sqlite3_bind_int64(st, 3, r.updated_at);
	sqlite3_bind_int64(st, 4, r.expires_at);
	if ((rc = step(ss, S_INCR)) != SQLITE_DONE ||
	    (rc = keep_sweep_bound(ss, token, &r)) != SQLITE_DONE) {
		json_decref(r.data);
		goto failed;
	}
	sqlite_commit_dirty(ss->tx);
	sqlite_commit_finish(ss->tx, done, arg, STORE_OK, NULL, &r);
end:
	sqlite_commit_end(ss->tx);
	return;
failed:
	sqlite_commit_fail(ss->tx, rc, done, arg);
}

static void
ss_data_put(void *impl, const char *token, const char *key, const json_t *value,
    store_done_fn done, void *arg)
{
	if (value == NULL) {
		done(STORE_INVALID, NULL, "a value is required", arg);
		return;
	}
	change_data(impl, token, key, value, done, arg);
}

static void
ss_data_delete(void *impl, const char *token, const char *key,
    store_done_fn done, void *arg)
{
	change_data(impl, token, key, NULL, done, arg);
}

static void
ss_destroy(void *impl, const char *token, store_done_fn done, void *arg)
{
	struct sqlite_store *ss = impl;
	enum store_rc src;
	int rc;

	if (op_start(ss, token, done, arg) == -1)
		return;
	if ((src = lookup(ss, token, ss->now_ms(), NULL, &rc)) == STORE_OK) {
		sqlite3_bind_text(
		    ss->stmt[S_DELETE], 1, token, TOKEN_LEN, SQLITE_STATIC);
		if ((rc = step(ss, S_DELETE)) != SQLITE_DONE)
			src = STORE_UNAVAIL;
		else {
			ss->count -= sqlite3_changes(ss->db);
			sqlite_commit_dirty(ss->tx);
		}
	}
	if (src == STORE_UNAVAIL) {
		sqlite_commit_fail(ss->tx, rc, done, arg);
		return;
	}
	/* Logout reports no session, even on STORE_OK. */
	sqlite_commit_finish(ss->tx, done, arg, src, NULL, NULL);
	sqlite_commit_end(ss->tx);
}

static int64_t
ss_count(void *impl)
{
	return (((struct sqlite_store *)impl)->count);
}

static int
ss_is_ready(void *impl)
{
	return (sqlite_commit_is_ready(((struct sqlite_store *)impl)->tx));
}

static const char *
ss_unready_reason(void *impl)
{
	return (sqlite_commit_why(((struct sqlite_store *)impl)->tx));
}

/*
 * Delete at most SWEEP_BATCH expired rows in the current transaction,
 * after moving up sweep_at of at most SWEEP_BATCH due rows still in use.
 * While the store is not ready, first probe with a one-row write: the
 * COMMIT at the end of this turn tells whether the file is writable.
 */
static int64_t
ss_sweep(void *impl, int64_t now_ms)
{
	struct sqlite_store *ss = impl;
	sqlite3_stmt *st;
	int64_t n = 0;

	if (sqlite_commit_begin(ss->tx) == -1)
		return (0);
	if (!sqlite_commit_is_ready(ss->tx)) {
		st = ss->stmt[S_PROBE];
		sqlite3_bind_int64(st, 1, now_ms);
		if (step(ss, S_PROBE) != SQLITE_DONE)
			goto out;
	}
	/* First out of the way: the rows still in use (see the file head). */
	st = ss->stmt[S_RESWEEP];
	sqlite3_bind_int64(st, 1, now_ms);
	sqlite3_bind_int(st, 2, SWEEP_BATCH);
	if (step(ss, S_RESWEEP) != SQLITE_DONE)
		goto out;
	st = ss->stmt[S_SWEEP];
	sqlite3_bind_int64(st, 1, now_ms);
	sqlite3_bind_int(st, 2, SWEEP_BATCH);
	if (step(ss, S_SWEEP) == SQLITE_DONE) {
		n = sqlite3_changes(ss->db);
		ss->count -= n;
	}
out:
	/* Also the TTL updates of the last second, if no write took them. */
	sqlite_commit_soon(ss->tx);
	sqlite_commit_end(ss->tx);
	return (n);
}

static void
ss_describe(void *impl, json_t *info)
{
	struct sqlite_store *ss = impl;
	char created[CLOCK_RFC3339_MAX];
	int ready;

	ready = sqlite_commit_is_ready(ss->tx);
	clock_format_rfc3339(ss->meta.created_at, created, sizeof(created));
	json_object_set_new(
	    info, "generation", json_integer((json_int_t)ss->meta.generation));
	json_object_set_new(info, "db_created_at", json_string(created));
	json_object_set_new(info, "sessions_found_at_start",
	    json_integer((json_int_t)ss->meta.sessions));
	json_object_set_new(
	    info, "open_ms", json_integer((json_int_t)(ss->open_us / 1000)));
	json_object_set_new(info, "db", json_string(ss->path));
	json_object_set_new(info, "sync",
	    json_string(ss->sync == SYNC_FULL ? "full" : "normal"));
	json_object_set_new(
	    info, "schema_version", json_integer(SQLITE_FILE_SCHEMA_VERSION));
	json_object_set_new(info, "store_error",
	    ready ? json_null() : json_string(sqlite_commit_why(ss->tx)));
}

static void
ss_gauges(void *impl, store_gauge_fn emit, void *arg)
{
	struct sqlite_store *ss = impl;

	emit("statelab_volume_generation",
	    "How many times a process has opened this database file.",
	    (double)ss->meta.generation, arg);
	emit("statelab_db_size_bytes", "Size of the SQLite database file.",
	    (double)file_size(ss->path), arg);
	emit("statelab_db_wal_size_bytes",
	    "Size of the SQLite write-ahead log.",
	    (double)file_size(ss->wal_path), arg);
	emit("statelab_store_ready",
	    "1 while the last write reached the database file.",
	    (double)sqlite_commit_is_ready(ss->tx), arg);
}

/* Commit what is pending, checkpoint the WAL into the file, close. */
static void
ss_close(void *impl)
{
	struct sqlite_store *ss = impl;
	int64_t before;

	sqlite_commit_flush(ss->tx);
	before = file_size(ss->wal_path);
	/* PRAGMA wal_checkpoint(TRUNCATE), through its C interface. */
	if (sqlite3_wal_checkpoint_v2(ss->db, NULL, SQLITE_CHECKPOINT_TRUNCATE,
	        NULL, NULL) == SQLITE_OK)
		log_info("sqlite_store: wal_checkpoint(TRUNCATE) of %s: the "
		         "WAL held %lld bytes, now %lld",
		    ss->path, (long long)before,
		    (long long)file_size(ss->wal_path));
	else
		log_warnx("sqlite_store: wal_checkpoint(TRUNCATE) of %s: %s; "
		          "the WAL is replayed at the next open",
		    ss->path, sqlite3_errmsg(ss->db));
	free_store(ss);
}

/* ------------------------------------------------------- static helpers */

/*
 * What every operation on a token does first: refuse a token this
 * server cannot have issued (token NULL: none to check), make room for
 * the completion, join the transaction.  0, or -1 when done has run.
 */
static int
op_start(
    struct sqlite_store *ss, const char *token, store_done_fn done, void *arg)
{
	if (token != NULL && !token_is_wellformed(token)) {
		done(STORE_NOTFOUND, NULL, NULL, arg);
		return (-1);
	}
	if (sqlite_commit_reserve(ss->tx) == -1) {
		done(STORE_NOMEM, NULL, NULL, arg);
		return (-1);
	}
	if (sqlite_commit_begin(ss->tx) == -1) {
		sqlite_commit_fail(ss->tx, SQLITE_ERROR, done, arg);
		return (-1);
	}
	return (0);
}

/*
 * data_put (value) and data_delete (value NULL): read the map, change it
 * here, write it back.  One writer and one transaction make the pair
 * atomic; a map that would grow past SESSION_DATA_MAX is not written.
 */
static void
change_data(struct sqlite_store *ss, const char *token, const char *key,
    const json_t *value, store_done_fn done, void *arg)
{
	sqlite3_stmt *st = ss->stmt[S_SET_DATA];
	struct sqlite_row r;
	enum store_rc src;
	json_t *copy;
	char *text = NULL;
	int64_t now;
	int rc;

	memset(&r, 0, sizeof(r));
	if (op_start(ss, token, done, arg) == -1)
		return;
	now = ss->now_ms();
	if ((src = lookup(ss, token, now, &r, &rc)) == STORE_UNAVAIL)
		goto failed;
	if (src != STORE_OK) {
		sqlite_commit_finish(ss->tx, done, arg, src, NULL, NULL);
		goto end;
	}
	if (r.data == NULL && (r.data = json_object()) == NULL)
		goto nomem;
	if (value == NULL)
		json_object_del(r.data, key);
	else if ((copy = json_deep_copy(value)) == NULL ||
	    json_object_set_new(r.data, key, copy) == -1)
		goto nomem;
	if ((text = json_dumps(r.data, JSON_COMPACT)) == NULL)
		goto nomem;
	if (strlen(text) > SESSION_DATA_MAX) {
		sqlite_commit_finish(
		    ss->tx, done, arg, STORE_TOOBIG, NULL, NULL);
		goto end;
	}
	r.updated_at = now;
	r.expires_at = now + ss->ttl_ms;
	sqlite3_bind_text(st, 1, token, TOKEN_LEN, SQLITE_STATIC);
	if (json_object_size(r.data) == 0)
		sqlite3_bind_null(st, 2);
	else
		sqlite3_bind_text(st, 2, text, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, r.updated_at);
	sqlite3_bind_int64(st, 4, r.expires_at);
	if ((rc = step(ss, S_SET_DATA)) != SQLITE_DONE ||
	    (rc = keep_sweep_bound(ss, token, &r)) != SQLITE_DONE)
		goto failed;
	sqlite_commit_dirty(ss->tx);
	sqlite_commit_finish(ss->tx, done, arg, STORE_OK, NULL, &r);
	goto end;
nomem:
	rc = SQLITE_NOMEM;
failed:
	sqlite_commit_fail(ss->tx, rc, done, arg);
	goto out;
end:
	sqlite_commit_end(ss->tx);
out:
	json_decref(r.data); /* NULL when finish took it */
	free(text);
}

/* Step statement id through the group commit, which notes failures. */
static int
step(struct sqlite_store *ss, enum stmt_id id)
{
	return (sqlite_commit_step(ss->tx, ss->stmt[id]));
}

/*
 * Find the session for token when its row gave no answer: STORE_OK (live;
 * into r if not NULL, r->data owned), STORE_NOTFOUND, STORE_EXPIRED (the
 * row is deleted now), or STORE_UNAVAIL with the SQLite code in *rc.
 */
static enum store_rc
lookup(struct sqlite_store *ss, const char *token, int64_t now,
    struct sqlite_row *r, int *rc)
{
	sqlite3_stmt *st = ss->stmt[S_LOOKUP];
	int64_t expires_at;

	sqlite3_bind_text(st, 1, token, TOKEN_LEN, SQLITE_STATIC);
	if ((*rc = step(ss, S_LOOKUP)) == SQLITE_DONE)
		return (STORE_NOTFOUND);
	if (*rc != SQLITE_ROW)
		return (STORE_UNAVAIL);
	expires_at = sqlite3_column_int64(st, C_EXPIRES);
	if (expires_at > now) {
		if (r != NULL)
			read_row(st, r);
		sqlite3_reset(st);
		return (STORE_OK);
	}
	sqlite3_reset(st);
	/* Expired before the sweep got to it: drop it now, like memory. */
	sqlite3_bind_text(
	    ss->stmt[S_DELETE], 1, token, TOKEN_LEN, SQLITE_STATIC);
	if ((*rc = step(ss, S_DELETE)) != SQLITE_DONE)
		return (STORE_UNAVAIL);
	ss->count -= sqlite3_changes(ss->db);
	return (STORE_EXPIRED);
}

/* Copy the COLS of the current row of st into r (r->data new). */
static void
read_row(sqlite3_stmt *st, struct sqlite_row *r)
{
	const char *text;
	json_error_t jerr;

	memset(r, 0, sizeof(*r));
	copy_text(st, C_USER, r->user, sizeof(r->user));
	copy_text(st, C_BY, r->created_by, sizeof(r->created_by));
	r->counter = sqlite3_column_int64(st, C_COUNTER);
	r->created_at = sqlite3_column_int64(st, C_CREATED);
	r->updated_at = sqlite3_column_int64(st, C_UPDATED);
	r->expires_at = sqlite3_column_int64(st, C_EXPIRES);
	r->sweep_at = sqlite3_column_int64(st, C_SWEEP);
	if ((text = (const char *)sqlite3_column_text(st, C_DATA)) == NULL)
		return;
	/* Values may hold "\u0000": the API accepts it (JSON_ALLOW_NUL). */
	r->data = json_loadb(text, (size_t)sqlite3_column_bytes(st, C_DATA),
	    JSON_ALLOW_NUL, &jerr);
	if (r->data != NULL && json_is_object(r->data))
		return;
	/* Only a hand-edited file gets here: answer {} rather than fail. */
	log_warnx("sqlite_store: a session's data is not a JSON object; "
	          "answering {}");
	json_decref(r->data);
	r->data = NULL;
}

/*
 * After a use wrote r->expires_at, keep sweep_at <= expires_at, so that
 * the sweep finds the row when it expires.  Almost always true already,
 * and then free.  SQLITE_DONE, or the code of the failed statement.
 */
static int
keep_sweep_bound(
    struct sqlite_store *ss, const char *token, const struct sqlite_row *r)
{
	sqlite3_stmt *st = ss->stmt[S_SWEEP_AT];

	if (r->sweep_at <= r->expires_at)
		return (SQLITE_DONE);
	sqlite3_bind_text(st, 1, token, TOKEN_LEN, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, r->expires_at);
	return (step(ss, S_SWEEP_AT));
}

/* Column col of st's row into dst, cut to size - 1 bytes (NULL: ""). */
static void
copy_text(sqlite3_stmt *st, int col, char *dst, size_t size)
{
	const unsigned char *text;
	size_t n;

	/* sqlite3_column_bytes() after _text(): the length of that text. */
	if ((text = sqlite3_column_text(st, col)) == NULL)
		n = 0;
	else if ((n = (size_t)sqlite3_column_bytes(st, col)) >= size)
		n = size - 1;
	if (n > 0)
		memcpy(dst, text, n);
	dst[n] = '\0';
}

/* After a rollback: the committed count, from the triggers' row. */
static void
reload_count(void *arg)
{
	struct sqlite_store *ss = arg;
	sqlite3_stmt *st = ss->stmt[S_COUNT];

	if (sqlite3_step(st) == SQLITE_ROW)
		ss->count = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
}

/* The start-up line: what was found, and how long opening took. */
static void
log_opened(const struct sqlite_store *ss)
{
	char created[CLOCK_RFC3339_MAX];
	json_t *fields;

	clock_format_rfc3339(ss->meta.created_at, created, sizeof(created));
	fields = json_pack("{s:s, s:I, s:I, s:s, s:I, s:s}", "db", ss->path,
	    "generation", (json_int_t)ss->meta.generation, "sessions",
	    (json_int_t)ss->meta.sessions, "db_created_at", created, "open_ms",
	    (json_int_t)(ss->open_us / 1000), "sync",
	    ss->sync == SYNC_FULL ? "full" : "normal");
	log_json(LOG_LEVEL_INFO, "sqlite_store: opened", fields);
	json_decref(fields);
}

static void
free_store(struct sqlite_store *ss)
{
	size_t i;

	if (ss == NULL)
		return;
	sqlite_commit_free(ss->tx);
	for (i = 0; i < S_NSTMT; i++)
		sqlite3_finalize(ss->stmt[i]);
	/* Closing releases the lock; the WAL goes if it is checkpointed. */
	if (ss->db != NULL && sqlite3_close(ss->db) != SQLITE_OK)
		log_warnx("sqlite_store: close %s: %s", ss->path,
		    sqlite3_errmsg(ss->db));
	free(ss->path);
	free(ss->wal_path);
	free(ss->instance);
	free(ss);
}

static int64_t
file_size(const char *path)
{
	struct stat sb;

	return (stat(path, &sb) == 0 ? (int64_t)sb.st_size : 0);
}
