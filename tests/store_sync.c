// SPDX-License-Identifier: MIT
/*
 * store_sync.c - run one session_store operation to completion and copy
 * what its callback reported, for the Check suites.
 *
 * Every store completes through a callback, sometimes before the call
 * returns (memory, token, sqlite reads), sometimes on a later loop turn
 * (group commit, the remote store, wrap_store's deferral).  The suites
 * want "call, then look at the answer", so each store_sync_*() clears a
 * struct store_result, starts the operation with store_sync_done() as
 * the callback, and waits.  The wait also checks the contract's "exactly
 * once": after the first completion it runs one more non-blocking turn,
 * in which a second completion would be counted.
 *
 * The only state here is how long to wait (store_sync_set_wait()): the
 * remote suites need longer than the rest, and a test that hangs should
 * fail its own assertion before Check's per-test timeout kills it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>
#include <event2/event.h>
#include <jansson.h>

#include "session.h"
#include "store_sync.h"
#include "test_util.h"

static int wait_ms = STORE_SYNC_WAIT_MS;

static void copy(char *dst, size_t len, const char *src, const char *what);

void
store_sync_done(
    enum store_rc rc, const struct session *s, const char *detail, void *arg)
{
	struct store_result *r = arg;
	json_t *map;
	char *data;

	r->calls++;
	r->rc = rc;
	copy(r->detail, sizeof(r->detail), detail, "detail");
	if (s == NULL)
		return;
	copy(r->user, sizeof(r->user), s->user, "user");
	r->counter = s->counter;
	/* Sorted keys, so tests can compare whole maps as text. */
	map = session_data(s);
	ck_assert_ptr_nonnull(map);
	data = json_dumps(map, JSON_COMPACT | JSON_SORT_KEYS);
	copy(r->data, sizeof(r->data), data != NULL ? data : "{}", "data");
	free(data);
	json_decref(map);
	copy(r->token, sizeof(r->token), s->token, "token");
	copy(r->created_by, sizeof(r->created_by), s->created_by, "created_by");
	copy(r->store_instance, sizeof(r->store_instance), s->store_instance,
	    "store_instance");
	r->created_at = s->created_at;
	r->updated_at = s->updated_at;
	r->expires_at = s->expires_at;
}

enum store_rc
store_sync_wait(struct event_base *base, struct store_result *r)
{
	if (base != NULL) {
		test_loop_until(base, &r->calls, wait_ms);
		/* One more turn: a second (wrong) completion shows up here. */
		event_base_loop(base, EVLOOP_NONBLOCK);
	}
	ck_assert_int_eq(r->calls, 1);
	return (r->rc);
}

int
store_sync_set_wait(int ms)
{
	int old = wait_ms;

	wait_ms = ms > 0 ? ms : STORE_SYNC_WAIT_MS;
	return (old);
}

enum store_rc
store_sync_create(struct event_base *base, struct session_store *st,
    const char *user, struct store_result *r)
{
	memset(r, 0, sizeof(*r));
	session_store_create(st, user, store_sync_done, r);
	return (store_sync_wait(base, r));
}

enum store_rc
store_sync_get(struct event_base *base, struct session_store *st,
    const char *token, struct store_result *r)
{
	memset(r, 0, sizeof(*r));
	session_store_get(st, token, store_sync_done, r);
	return (store_sync_wait(base, r));
}

enum store_rc
store_sync_incr(struct event_base *base, struct session_store *st,
    const char *token, int64_t by, struct store_result *r)
{
	memset(r, 0, sizeof(*r));
	session_store_incr(st, token, by, store_sync_done, r);
	return (store_sync_wait(base, r));
}

enum store_rc
store_sync_data_put(struct event_base *base, struct session_store *st,
    const char *token, const char *key, const char *json,
    struct store_result *r)
{
	json_t *v;

	/* As the API parses a body: "\u0000" is allowed. */
	v = json_loads(json, JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);
	ck_assert_msg(v != NULL, "not JSON: %s", json);
	memset(r, 0, sizeof(*r));
	session_store_data_put(st, token, key, v, store_sync_done, r);
	json_decref(v); /* the store must have copied what it keeps */
	return (store_sync_wait(base, r));
}

enum store_rc
store_sync_data_delete(struct event_base *base, struct session_store *st,
    const char *token, const char *key, struct store_result *r)
{
	memset(r, 0, sizeof(*r));
	session_store_data_delete(st, token, key, store_sync_done, r);
	return (store_sync_wait(base, r));
}

enum store_rc
store_sync_destroy(struct event_base *base, struct session_store *st,
    const char *token, struct store_result *r)
{
	memset(r, 0, sizeof(*r));
	session_store_destroy(st, token, store_sync_done, r);
	return (store_sync_wait(base, r));
}

/*
 * Copy src (NULL reads as "") into dst.  A string cut short could still
 * pass a strstr() check, so one that does not fit fails the test.
 */
static void
copy(char *dst, size_t len, const char *src, const char *what)
{
	if (src == NULL)
		src = "";
	ck_assert_msg(strlen(src) < len, "store_sync: %s of %zu bytes", what,
	    strlen(src));
	memcpy(dst, src, strlen(src) + 1);
}
