// SPDX-License-Identifier: MIT
/*
 * memory_store.c - sessions in this process's memory: gone when it dies.
 *
 * This is the anti-pattern the workshop shows on purpose.  Kill the
 * process, or let a load balancer send the next request to a sibling, and
 * the session is not there.  It is also as fast as a session can be, which
 * is why people keep writing it.
 *
 * Layout (stateless/mem_table.c):
 *   - every session is a fixed 128-byte record in blocks of 4096, never
 *     a malloc of its own: a million small long-lived chunks between the
 *     requests' short-lived ones fragment glibc's heap until every
 *     request's own mallocs miss the cache (issue #9);
 *   - an open-addressing index keyed by token gives O(1) lookup; the
 *     token itself is compared in constant time (token_memeq);
 *   - an expiry list links the records.  The TTL is the same for all and
 *     slides on every use, so a touched session moves to the tail and the
 *     head is always the next to expire: the sweep pops from the head and
 *     never scans the table.  Expiry is updated_at + ttl, not stored.
 *
 *   - a session's data map is kept as compact JSON text (one malloc, only
 *     when there is data), parsed only to change it (see load_map()) and
 *     handed to replies as that text.
 *
 * Invariants: a session is in the index and on the list exactly when it
 * is in the table; expiry is non-decreasing from head to tail.  Removing
 * a session moves another record, so no record pointer is kept across
 * operations.  All operations complete (call done) before they return.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "config.h"
#include "mem_table.h"
#include "memory_store.h"
#include "session.h"
#include "token.h"

#define SWEEP_BATCH 1000 /* sessions dropped per sweep call at most */

struct memory_store {
	struct mem_table *table;
	int64_t max_sessions;
	int64_t ttl_ms;
	int64_t (*now_ms)(void);
	char *instance; /* created_by of every session here */
};

static struct mem_session *lookup(
    struct memory_store *, const char *, enum store_rc *);
static void touch(struct memory_store *, struct mem_session *);
static void drop(struct memory_store *, struct mem_session *);
static void reply(struct memory_store *, struct mem_session *, const char *,
    store_done_fn, void *);
static json_t *load_map(const struct mem_session *);
static enum store_rc store_map(struct mem_session *, const json_t *);

static void ms_create(void *, const char *, store_done_fn, void *);
static void ms_get(void *, const char *, store_done_fn, void *);
static void ms_incr(void *, const char *, int64_t, store_done_fn, void *);
static void ms_data_put(
    void *, const char *, const char *, const json_t *, store_done_fn, void *);
static void ms_data_delete(
    void *, const char *, const char *, store_done_fn, void *);
static void ms_destroy(void *, const char *, store_done_fn, void *);
static int64_t ms_count(void *);
static int ms_is_ready(void *);
static int64_t ms_sweep(void *, int64_t);
static void ms_close(void *);

static const struct session_store_ops memory_ops = {
	.name = "memory",
	.create = ms_create,
	.get = ms_get,
	.incr = ms_incr,
	.data_put = ms_data_put,
	.data_delete = ms_data_delete,
	.destroy = ms_destroy,
	.count = ms_count,
	.is_ready = ms_is_ready,
	.sweep = ms_sweep,
	.describe = NULL,
	.close = ms_close,
};

struct session_store *
memory_store_open(const struct store_params *p, char *err, size_t errlen)
{
	struct memory_store *ms;

	if ((ms = calloc(1, sizeof(*ms))) == NULL ||
	    (ms->instance = strdup(p->cfg->instance)) == NULL ||
	    (ms->table = mem_table_new()) == NULL) {
		if (ms != NULL)
			free(ms->instance);
		free(ms);
		snprintf(err, errlen, "memory_store: out of memory");
		return (NULL);
	}
	ms->max_sessions = p->cfg->max_sessions;
	ms->ttl_ms = p->cfg->session_ttl * 1000;
	ms->now_ms = p->now_ms;
	return (session_store_new(&memory_ops, ms));
}

static void
ms_create(void *impl, const char *user, store_done_fn done, void *arg)
{
	struct memory_store *ms = impl;
	struct mem_session *e;
	char token[TOKEN_LEN + 1];
	size_t ulen = strlen(user);

	if ((int64_t)mem_table_count(ms->table) >= ms->max_sessions) {
		done(STORE_FULL, NULL,
		    "this instance holds --max-sessions sessions already", arg);
		return;
	}
	/* The API checked the name; the record has room for that much. */
	if (ulen > SESSION_USER_MAX) {
		done(STORE_INVALID, NULL, "the user name is too long", arg);
		return;
	}
	if (token_generate(token) == -1) {
		done(STORE_UNAVAIL, NULL, "no randomness for a token", arg);
		return;
	}
	/* 128 random bits: a collision is not a case worth a branch. */
	if ((e = mem_table_add(ms->table, token)) == NULL) {
		done(STORE_NOMEM, NULL, NULL, arg);
		return;
	}
	memcpy(e->user, user, ulen + 1);
	e->created_at = e->updated_at = ms->now_ms();
	reply(ms, e, e->token, done, arg);
}

static void
ms_get(void *impl, const char *token, store_done_fn done, void *arg)
{
	struct memory_store *ms = impl;
	struct mem_session *e;
	enum store_rc rc;

	if ((e = lookup(ms, token, &rc)) == NULL) {
		done(rc, NULL, NULL, arg);
		return;
	}
	touch(ms, e);
	reply(ms, e, NULL, done, arg);
}

static void
ms_incr(
    void *impl, const char *token, int64_t by, store_done_fn done, void *arg)
{
	struct memory_store *ms = impl;
	struct mem_session *e;
	enum store_rc rc;
	int64_t sum;

	if ((e = lookup(ms, token, &rc)) == NULL) {
		done(rc, NULL, NULL, arg);
		return;
	}
	if (__builtin_add_overflow(e->counter, by, &sum)) {
		done(STORE_INVALID, NULL,
		    "the counter would overflow a signed 64-bit integer", arg);
		return;
	}
	e->counter = sum;
	touch(ms, e);
	reply(ms, e, NULL, done, arg);
}

static void
ms_data_put(void *impl, const char *token, const char *key, const json_t *value,
    store_done_fn done, void *arg)
{
	struct memory_store *ms = impl;
	struct mem_session *e;
	json_t *map = NULL, *copy;
	enum store_rc rc;

	if ((e = lookup(ms, token, &rc)) == NULL) {
		done(rc, NULL, NULL, arg);
		return;
	}
	if ((map = load_map(e)) == NULL ||
	    (copy = json_deep_copy(value)) == NULL ||
	    json_object_set_new(map, key, copy) == -1) {
		json_decref(map);
		done(STORE_NOMEM, NULL, NULL, arg);
		return;
	}
	/* The old text stays until the new map is known to fit. */
	rc = store_map(e, map);
	json_decref(map);
	if (rc != STORE_OK) {
		done(rc, NULL, NULL, arg);
		return;
	}
	touch(ms, e);
	reply(ms, e, NULL, done, arg);
}

static void
ms_data_delete(void *impl, const char *token, const char *key,
    store_done_fn done, void *arg)
{
	struct memory_store *ms = impl;
	struct mem_session *e;
	json_t *map;
	enum store_rc rc;

	if ((e = lookup(ms, token, &rc)) == NULL) {
		done(rc, NULL, NULL, arg);
		return;
	}
	if (e->data != NULL) {
		if ((map = load_map(e)) == NULL) {
			done(STORE_NOMEM, NULL, NULL, arg);
			return;
		}
		json_object_del(map, key);
		rc = store_map(e, map);
		json_decref(map);
		if (rc != STORE_OK) {
			done(rc, NULL, NULL, arg);
			return;
		}
	}
	touch(ms, e);
	reply(ms, e, NULL, done, arg);
}

static void
ms_destroy(void *impl, const char *token, store_done_fn done, void *arg)
{
	struct memory_store *ms = impl;
	struct mem_session *e;
	enum store_rc rc;

	if ((e = lookup(ms, token, &rc)) == NULL) {
		done(rc, NULL, NULL, arg);
		return;
	}
	drop(ms, e);
	done(STORE_OK, NULL, NULL, arg);
}

static int64_t
ms_count(void *impl)
{
	return ((int64_t)mem_table_count(((struct memory_store *)impl)->table));
}

static int
ms_is_ready(void *impl)
{
	(void)impl;
	return (1);
}

static int64_t
ms_sweep(void *impl, int64_t now_ms)
{
	struct memory_store *ms = impl;
	struct mem_session *e;
	int64_t n = 0;

	while (n < SWEEP_BATCH && (e = mem_table_oldest(ms->table)) != NULL &&
	    e->updated_at + ms->ttl_ms <= now_ms) {
		drop(ms, e);
		n++;
	}
	return (n);
}

static void
ms_close(void *impl)
{
	struct memory_store *ms = impl;
	struct mem_session *e;

	while ((e = mem_table_oldest(ms->table)) != NULL)
		drop(ms, e);
	mem_table_free(ms->table);
	free(ms->instance);
	free(ms);
}

/*
 * Find the live session for token.  An expired one found before the sweep
 * got to it is dropped here and reported as STORE_EXPIRED.  The record is
 * borrowed until the next drop().
 */
static struct mem_session *
lookup(struct memory_store *ms, const char *token, enum store_rc *rc)
{
	struct mem_session *e = NULL;

	*rc = STORE_NOTFOUND;
	if (!token_is_wellformed(token))
		return (NULL);
	if ((e = mem_table_find(ms->table, token)) == NULL)
		return (NULL);
	if (e->updated_at + ms->ttl_ms <= ms->now_ms()) {
		drop(ms, e);
		*rc = STORE_EXPIRED;
		return (NULL);
	}
	return (e);
}

/* Slide the TTL: the session becomes the last to expire. */
static void
touch(struct memory_store *ms, struct mem_session *e)
{
	e->updated_at = ms->now_ms();
	mem_table_touch(ms->table, e);
}

static void
drop(struct memory_store *ms, struct mem_session *e)
{
	free(e->data);
	mem_table_remove(ms->table, e); /* moves another record into e */
}

/*
 * The data map as a new JSON object (empty when there is none).  It is
 * kept as compact text, not as jansson values: a 4 KiB array of small
 * numbers is thousands of json_t nodes, and memory is what this store
 * is made of.
 */
static json_t *
load_map(const struct mem_session *e)
{
	if (e->data == NULL)
		return (json_object());
	/* Values may hold "\u0000": the API accepts it (JSON_ALLOW_NUL). */
	return (json_loads(e->data, JSON_ALLOW_NUL, NULL));
}

/* Replace e's map with map's text; STORE_TOOBIG leaves e unchanged. */
static enum store_rc
store_map(struct mem_session *e, const json_t *map)
{
	char *text;

	if (json_object_size(map) == 0) {
		free(e->data);
		e->data = NULL;
		return (STORE_OK);
	}
	if (json_dumpb(map, NULL, 0, JSON_COMPACT) > SESSION_DATA_MAX)
		return (STORE_TOOBIG);
	if ((text = json_dumps(map, JSON_COMPACT)) == NULL)
		return (STORE_NOMEM);
	free(e->data);
	e->data = text;
	return (STORE_OK);
}

/*
 * Complete with a view of e; everything in it is borrowed from e.  The
 * map goes out as the text it is kept as: the document is written from
 * it without parsing (common/session_text.c).
 */
static void
reply(struct memory_store *ms, struct mem_session *e, const char *new_token,
    store_done_fn done, void *arg)
{
	struct session s = {
		.user = e->user,
		.counter = e->counter,
		.data = NULL,
		.data_json = e->data,
		.created_at = e->created_at,
		.updated_at = e->updated_at,
		.expires_at = e->updated_at + ms->ttl_ms,
		.created_by = ms->instance,
		.token = new_token,
		.store_instance = NULL,
	};

	done(STORE_OK, &s, NULL, arg);
}
