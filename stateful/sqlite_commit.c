// SPDX-License-Identifier: MIT
/*
 * sqlite_commit.c - group commit for the sqlite store: the writes of one
 * loop turn share a transaction, and each completes after its COMMIT.
 *
 *   an operation --sqlite_commit_begin()--> BEGIN IMMEDIATE, unless a
 *        |                                  transaction is open already
 *        |  statements via sqlite_commit_step()
 *        |  a client write: sqlite_commit_dirty() makes commit_ev active
 *        v
 *   sqlite_commit_finish(): a client write, or anything after one in
 *        the same transaction, is queued; anything else completes now
 *        |
 *   end of the loop turn: on_commit --COMMIT--> ok: run the queue
 *                                         \--> failed: ROLLBACK, run
 *                                              the queue as STORE_UNAVAIL
 *
 * event_active() puts commit_ev behind the events that the same turn has
 * already made ready, so the requests that arrived together share one
 * COMMIT (one fsync with --sync full).  An answer is never given before
 * the COMMIT of the write it reports: a read that could see an
 * uncommitted write waits too.
 *
 * A read's TTL update is not a client write: a transaction holding only
 * those stays open, across loop turns, until a client write joins it or
 * the sweep timer calls sqlite_commit_soon() (every second).  So reads
 * cost no COMMIT, and no fsync with --sync full, of their own; a crash
 * loses at most a second of TTL extensions, never an acknowledged change.
 *
 * Readiness: a statement failing with SQLITE_FULL, IOERR, READONLY,
 * CANTOPEN or CORRUPT turns it off, with a sentence in why; a COMMIT of
 * a transaction that changed a row turns it on again.  If SQLite rolls a
 * transaction back on its own (it may on FULL, IOERR, NOMEM), the queue
 * fails at once, because those writes are gone.
 *
 * Exactly once: every operation completes through finish or fail (now,
 * or from the queue); the queue is swapped with a spare buffer before it
 * runs, so callbacks may start new operations, which belong to the next
 * transaction.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>
#include <jansson.h>
#include <sqlite3.h>

#include "log.h"
#include "session.h"
#include "sqlite_commit.h"

#define WHY_MAX   320
#define QUEUE_MIN 64

/* One completion waiting for the COMMIT of its transaction. */
struct pending {
	store_done_fn done;
	void *arg;
	enum store_rc rc;
	const char *detail; /* static, or NULL */
	int has_row;
	struct sqlite_row row;
};

/* A growable array of completions, reused from turn to turn. */
struct queue {
	struct pending *v;
	size_t n, cap;
};

struct sqlite_commit {
	sqlite3 *db; /* borrowed */
	sqlite3_stmt *begin, *commit, *rollback;
	struct event *commit_ev; /* NULL: commit after each operation */
	struct queue q;          /* completions of the open transaction */
	struct queue spare;      /* the other buffer */
	int in_txn;              /* BEGIN done, COMMIT not yet */
	int dirty;               /* the transaction holds a client write */
	int flush;               /* commit at the end of this turn anyway */
	sqlite3_int64 changes_at_begin; /* total_changes at BEGIN */
	int ready;                      /* the last write reached the file */
	char why[WHY_MAX];              /* the last failure, for clients */
	char *path;
	void (*rolled_back)(void *);
	void *arg;
};

static void on_commit(evutil_socket_t, short, void *);
static void commit(struct sqlite_commit *);
static void abort_txn(struct sqlite_commit *);
static void run_queue(struct sqlite_commit *, const char *);
static void fire(struct pending *);
static void note_failure(struct sqlite_commit *, int, sqlite3_stmt *);
static int prepare(sqlite3 *, const char *, sqlite3_stmt **);

struct sqlite_commit *
sqlite_commit_new(sqlite3 *db, struct event_base *base, const char *path,
    void (*rolled_back)(void *), void *arg)
{
	struct sqlite_commit *c;

	if ((c = calloc(1, sizeof(*c))) == NULL)
		return (NULL);
	c->db = db;
	c->ready = 1;
	c->rolled_back = rolled_back;
	c->arg = arg;
	if ((c->path = strdup(path)) == NULL ||
	    prepare(db, "BEGIN IMMEDIATE", &c->begin) == -1 ||
	    prepare(db, "COMMIT", &c->commit) == -1 ||
	    prepare(db, "ROLLBACK", &c->rollback) == -1 ||
	    (base != NULL &&
	        (c->commit_ev = event_new(base, -1, 0, on_commit, c)) ==
	            NULL)) {
		sqlite_commit_free(c);
		return (NULL);
	}
	return (c);
}

void
sqlite_commit_free(struct sqlite_commit *c)
{
	if (c == NULL)
		return;
	commit(c);
	if (c->commit_ev != NULL)
		event_free(c->commit_ev);
	sqlite3_finalize(c->begin);
	sqlite3_finalize(c->commit);
	sqlite3_finalize(c->rollback);
	free(c->q.v);
	free(c->spare.v);
	free(c->path);
	free(c);
}

int
sqlite_commit_reserve(struct sqlite_commit *c)
{
	struct queue *q = &c->q;
	struct pending *v;
	size_t cap;

	if (q->n < q->cap)
		return (0);
	cap = q->cap == 0 ? QUEUE_MIN : q->cap * 2;
	if ((v = realloc(q->v, cap * sizeof(*v))) == NULL)
		return (-1);
	q->v = v;
	q->cap = cap;
	return (0);
}

int
sqlite_commit_begin(struct sqlite_commit *c)
{
	if (c->in_txn)
		return (0);
	if (sqlite_commit_step(c, c->begin) != SQLITE_DONE)
		return (-1);
	c->in_txn = 1;
	c->dirty = 0;
	c->changes_at_begin = sqlite3_total_changes64(c->db);
	return (0);
}

int
sqlite_commit_step(struct sqlite_commit *c, sqlite3_stmt *st)
{
	int rc;

	if ((rc = sqlite3_step(st)) == SQLITE_ROW)
		return (rc); /* the caller reads, then resets */
	sqlite3_reset(st);
	if (rc == SQLITE_DONE)
		return (rc);
	note_failure(c, rc, st);
	/* SQLite ended the transaction itself: its writes are gone. */
	if (c->in_txn && sqlite3_get_autocommit(c->db))
		abort_txn(c);
	return (rc);
}

void
sqlite_commit_dirty(struct sqlite_commit *c)
{
	c->dirty = 1;
	/* Runs after the events this turn has already made ready. */
	if (c->commit_ev != NULL)
		event_active(c->commit_ev, EV_TIMEOUT, 0);
}

void
sqlite_commit_soon(struct sqlite_commit *c)
{
	c->flush = 1;
	if (c->commit_ev != NULL)
		event_active(c->commit_ev, EV_TIMEOUT, 0);
}

void
sqlite_commit_finish(struct sqlite_commit *c, store_done_fn done, void *arg,
    enum store_rc rc, const char *detail, struct sqlite_row *row)
{
	struct pending now, *p = &now;

	/* Room was reserved up front; a nested completion may have moved it. */
	if (c->in_txn && c->dirty) {
		if (sqlite_commit_reserve(c) == 0)
			p = &c->q.v[c->q.n++];
		else if (rc == STORE_OK)
			/* Out of memory: never acknowledge before the COMMIT.
			 */
			rc = STORE_NOMEM;
	}
	memset(p, 0, sizeof(*p));
	p->done = done;
	p->arg = arg;
	p->rc = rc;
	p->detail = detail;
	if (row != NULL) {
		p->row = *row;
		p->has_row = 1;
		row->data = NULL;
	}
	if (p == &now)
		fire(p);
}

void
sqlite_commit_fail(
    struct sqlite_commit *c, int rc, store_done_fn done, void *arg)
{
	char why[WHY_MAX];

	/* Copied: the commit below may fail and rewrite c->why. */
	snprintf(why, sizeof(why), "%s", c->why);
	sqlite_commit_end(c);
	done((rc & 0xff) == SQLITE_NOMEM ? STORE_NOMEM : STORE_UNAVAIL, NULL,
	    why, arg);
}

void
sqlite_commit_end(struct sqlite_commit *c)
{
	if (c->commit_ev == NULL)
		commit(c);
}

void
sqlite_commit_flush(struct sqlite_commit *c)
{
	commit(c);
}

int
sqlite_commit_is_ready(const struct sqlite_commit *c)
{
	return (c->ready);
}

const char *
sqlite_commit_why(const struct sqlite_commit *c)
{
	return (c->why);
}

/* The end of a loop turn: commit if a client write or a flush waits. */
static void
on_commit(evutil_socket_t fd, short what, void *arg)
{
	struct sqlite_commit *c = arg;

	(void)fd;
	(void)what;
	if (c->dirty || c->flush)
		commit(c);
}

/*
 * COMMIT the open transaction, then run its queue: each operation with
 * its own result, or STORE_UNAVAIL if the COMMIT failed (then nothing of
 * it reached the file).  Only a transaction that changed a row proves
 * the file writable again.
 */
static void
commit(struct sqlite_commit *c)
{
	char why[WHY_MAX];
	int wrote;

	if (!c->in_txn)
		return;
	wrote = sqlite3_total_changes64(c->db) != c->changes_at_begin;
	c->in_txn = 0;
	c->dirty = 0;
	c->flush = 0;
	if (sqlite_commit_step(c, c->commit) != SQLITE_DONE) {
		snprintf(why, sizeof(why), "%s", c->why);
		if (!sqlite3_get_autocommit(c->db))
			sqlite_commit_step(c, c->rollback);
		if (c->rolled_back != NULL)
			c->rolled_back(c->arg);
		run_queue(c, why);
		return;
	}
	if (wrote && !c->ready) {
		c->ready = 1;
		log_info("sqlite_store: %s is writable again", c->path);
	}
	run_queue(c, NULL);
}

/* SQLite rolled the transaction back: fail what was queued in it. */
static void
abort_txn(struct sqlite_commit *c)
{
	char why[WHY_MAX];

	snprintf(why, sizeof(why), "%s", c->why);
	c->in_txn = 0;
	c->dirty = 0;
	if (c->rolled_back != NULL)
		c->rolled_back(c->arg);
	run_queue(c, why);
}

/*
 * Run and empty the queue: each with its own result, or, when failed is
 * not NULL, STORE_UNAVAIL with failed as the detail.
 */
static void
run_queue(struct sqlite_commit *c, const char *failed)
{
	struct queue q = c->q;
	size_t i;

	/* New operations from the callbacks go to the other buffer. */
	c->q = c->spare;
	memset(&c->spare, 0, sizeof(c->spare));
	for (i = 0; i < q.n; i++) {
		if (failed != NULL) {
			q.v[i].rc = STORE_UNAVAIL;
			q.v[i].detail = failed;
		}
		fire(&q.v[i]);
	}
	q.n = 0;
	/* A nested run may have parked a buffer there already. */
	if (c->spare.v == NULL)
		c->spare = q;
	else
		free(q.v);
}

/* Run one completion; the session is borrowed from p for the call. */
static void
fire(struct pending *p)
{
	struct session s = {
		.user = p->row.user,
		.counter = p->row.counter,
		.data = p->row.data,
		.created_at = p->row.created_at,
		.updated_at = p->row.updated_at,
		.expires_at = p->row.expires_at,
		.created_by = p->row.created_by,
		.token = p->row.has_token ? p->row.token : NULL,
		.store_instance = NULL,
	};

	p->done(p->rc, p->rc == STORE_OK && p->has_row ? &s : NULL, p->detail,
	    p->arg);
	json_decref(p->row.data);
	p->row.data = NULL;
}

static int
prepare(sqlite3 *db, const char *sql, sqlite3_stmt **st)
{
	return (sqlite3_prepare_v3(db, sql, -1, SQLITE_PREPARE_PERSISTENT, st,
	            NULL) == SQLITE_OK
	        ? 0
	        : -1);
}

/*
 * Say in c->why what a failed statement means for a client, and turn
 * readiness off when the file cannot take writes.
 */
static void
note_failure(struct sqlite_commit *c, int rc, sqlite3_stmt *st)
{
	int was_ready = c->ready, down = 1;

	switch (rc & 0xff) {
	case SQLITE_FULL:
		snprintf(c->why, sizeof(c->why),
		    "the disk holding %s is full; nothing was written, and "
		    "what was saved before is intact",
		    c->path);
		break;
	case SQLITE_IOERR:
		snprintf(c->why, sizeof(c->why),
		    "an I/O error on %s (%s); nothing was written", c->path,
		    sqlite3_errstr(rc));
		break;
	case SQLITE_READONLY:
	case SQLITE_CANTOPEN:
	case SQLITE_PERM:
		snprintf(c->why, sizeof(c->why),
		    "%s cannot be written now (%s); nothing was written",
		    c->path, sqlite3_errstr(rc));
		break;
	case SQLITE_CORRUPT:
	case SQLITE_NOTADB:
		snprintf(c->why, sizeof(c->why),
		    "%s is corrupt (%s); restore it from a backup", c->path,
		    sqlite3_errstr(rc));
		break;
	default:
		down = 0;
		snprintf(c->why, sizeof(c->why), "the database %s: %s", c->path,
		    sqlite3_errmsg(c->db));
		break;
	}
	if (down)
		c->ready = 0;
	/* Once per outage at warning level: a full disk fails every write. */
	if (was_ready || !down)
		log_warnx("sqlite_store: %s [%s, in: %.48s]", c->why,
		    sqlite3_errmsg(c->db), sqlite3_sql(st));
	else
		log_debug("sqlite_store: %s", c->why);
}
