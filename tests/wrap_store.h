/*
 * wrap_store.h - a test-only store around a real one that completes
 * later, or fails on purpose.
 */
#ifndef STATELAB_TESTS_WRAP_STORE_H
#define STATELAB_TESTS_WRAP_STORE_H

#include "session.h"

struct event_base;

/*
 * Wrap inner (steals it).  With defer set, every completion is delivered
 * on a later turn of base's loop, the way the remote store and group
 * commit deliver theirs: handlers must not care.  Returns a new store.
 */
struct session_store *wrap_store_new(
    struct session_store *inner, struct event_base *base, int defer);

/*
 * Make the nth operation from now (1 = the next) complete with rc and a
 * detail, without reaching the inner store (SQLite's *fault.test idea).
 */
void wrap_store_fail_nth(struct session_store *st, int n, enum store_rc rc);

/* How many operations have completed so far (each exactly once). */
int wrap_store_completed(struct session_store *st);

#endif /* STATELAB_TESTS_WRAP_STORE_H */
