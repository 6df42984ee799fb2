/*
 * store_sync.h - run one session_store operation to completion and copy
 * what its callback reported, for the Check suites.
 */
#ifndef STATELAB_TESTS_STORE_SYNC_H
#define STATELAB_TESTS_STORE_SYNC_H

#include <stdint.h>

#include "config.h"
#include "session.h"

struct event_base;

/* How long store_sync_wait() runs the loop unless told otherwise. */
#define STORE_SYNC_WAIT_MS 2000

/*
 * What one operation reported, copied out of the callback (where the
 * session is only borrowed).  Strings are "" when the store gave none;
 * the session fields are left zero unless rc is STORE_OK with a session.
 */
struct store_result {
	int calls;                                /* completions seen */
	enum store_rc rc;                         /* the last one's */
	char user[SESSION_USER_MAX + 1];          /* s->user */
	int64_t counter;                          /* s->counter */
	char data[SESSION_DATA_MAX + 1];          /* compact, sorted keys */
	char token[SESSION_TOKEN_MAX + 1];        /* new credential, or "" */
	char created_by[CONFIG_INSTANCE_MAX + 1]; /* s->created_by */
	char store_instance[CONFIG_INSTANCE_MAX + 1]; /* remote: who answered */
	int64_t created_at;                           /* ms since the epoch */
	int64_t updated_at;                           /* ms since the epoch */
	int64_t expires_at;                           /* ms since the epoch */
	char detail[1024];                            /* detail, or "" */
};

/*
 * The completion callback: arg is a struct store_result, which it fills
 * in and whose calls it increments.  Fails the test if a string does not
 * fit its field.  Pass it to session_store_*() directly when a test
 * starts operations itself (clear the result first); wait for them with
 * store_sync_wait().
 */
void store_sync_done(
    enum store_rc rc, const struct session *s, const char *detail, void *arg);

/*
 * Wait for the operation reporting to r to complete, and check that it
 * completed exactly once.  With a base, run its loop until r->calls is
 * set (at most the wait set by store_sync_set_wait()), then one more
 * non-blocking turn in which a second, wrong completion would show up.
 * With base NULL (a store opened without a loop) the operation must have
 * completed before it returned.  Returns r->rc; fails the test unless
 * r->calls is 1.
 */
enum store_rc store_sync_wait(struct event_base *base, struct store_result *r);

/*
 * Set how long store_sync_wait() runs the loop, in ms; 0 or less restores
 * STORE_SYNC_WAIT_MS.  Returns the previous value.  Suites whose stores
 * answer over HTTP set a longer wait in their fixture and restore it in
 * the teardown (it outlives the test with CK_FORK=no).
 */
int store_sync_set_wait(int ms);

/*
 * Clear *r, start one operation on st with store_sync_done, and
 * store_sync_wait(base, r).  Each returns r->rc.  base is the loop st
 * was opened on, or NULL if it has none.  Every string argument is
 * borrowed for the call only.  store_sync_data_put() parses json (any
 * JSON value as text) and fails the test if it does not parse; the value
 * is released as soon as the operation has started, so a store that
 * keeps a reference to it instead of a copy is caught.
 */
enum store_rc store_sync_create(struct event_base *base,
    struct session_store *st, const char *user, struct store_result *r);
enum store_rc store_sync_get(struct event_base *base, struct session_store *st,
    const char *token, struct store_result *r);
enum store_rc store_sync_incr(struct event_base *base, struct session_store *st,
    const char *token, int64_t by, struct store_result *r);
enum store_rc store_sync_data_put(struct event_base *base,
    struct session_store *st, const char *token, const char *key,
    const char *json, struct store_result *r);
enum store_rc store_sync_data_delete(struct event_base *base,
    struct session_store *st, const char *token, const char *key,
    struct store_result *r);
enum store_rc store_sync_destroy(struct event_base *base,
    struct session_store *st, const char *token, struct store_result *r);

#endif /* STATELAB_TESTS_STORE_SYNC_H */
