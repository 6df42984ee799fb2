// SPDX-License-Identifier: MIT
/*
 * wrap_store.c - a test-only store around a real one that completes
 * later, or fails on purpose.
 *
 * Deferral copies the session the inner store reported (it is only
 * borrowed during the inner callback) and hands the copy to the caller's
 * callback from a zero-timeout event: the next turn of the loop.  Fault
 * injection answers the chosen operation itself.  Both prove that the
 * handlers work with any backend that honours session.h's contract.
 */
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>
#include <jansson.h>

#include "session.h"
#include "wrap_store.h"

struct wrap {
	struct session_store *inner;
	struct event_base *base;
	int defer;
	int fail_in; /* operations until the injected failure; 0 = none */
	enum store_rc fail_rc;
	int completed;
};

/* One completion on its way to the caller. */
struct pending {
	struct wrap *w;
	store_done_fn done;
	void *arg;
	enum store_rc rc;
	int has_session;
	struct session s;
	char *user, *created_by, *token, *store_instance, *detail;
	json_t *data;
	char *data_json;
};

static char *
dup_or_null(const char *s)
{
	return (s != NULL ? strdup(s) : NULL);
}

static void
deliver(struct pending *p)
{
	p->w->completed++;
	p->done(p->rc, p->has_session ? &p->s : NULL, p->detail, p->arg);
	free(p->user);
	free(p->created_by);
	free(p->token);
	free(p->store_instance);
	free(p->detail);
	json_decref(p->data);
	free(p->data_json);
	free(p);
}

static void
on_turn(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	deliver(arg);
}

static void
on_inner(
    enum store_rc rc, const struct session *s, const char *detail, void *arg)
{
	struct pending *p = arg;
	struct timeval zero = { 0, 0 };

	p->rc = rc;
	p->detail = dup_or_null(detail);
	if (s != NULL) {
		p->has_session = 1;
		p->s = *s;
		p->s.user = p->user = dup_or_null(s->user);
		p->s.created_by = p->created_by = dup_or_null(s->created_by);
		p->s.token = p->token = dup_or_null(s->token);
		p->s.store_instance = p->store_instance =
		    dup_or_null(s->store_instance);
		p->data = s->data != NULL ? json_deep_copy(s->data) : NULL;
		p->s.data = p->data;
		p->s.data_json = p->data_json = dup_or_null(s->data_json);
	}
	if (p->w->defer)
		event_base_once(p->w->base, -1, EV_TIMEOUT, on_turn, p, &zero);
	else
		deliver(p);
}

/* Set up a pending completion, or answer an injected failure. */
static struct pending *
begin(struct wrap *w, store_done_fn done, void *arg)
{
	struct pending *p;

	if ((p = calloc(1, sizeof(*p))) == NULL) {
		done(STORE_NOMEM, NULL, NULL, arg);
		return (NULL);
	}
	p->w = w;
	p->done = done;
	p->arg = arg;
	if (w->fail_in > 0 && --w->fail_in == 0) {
		on_inner(w->fail_rc, NULL, "injected failure", p);
		return (NULL);
	}
	return (p);
}

static void
w_create(void *impl, const char *user, store_done_fn done, void *arg)
{
	struct wrap *w = impl;
	struct pending *p;

	if ((p = begin(w, done, arg)) != NULL)
		session_store_create(w->inner, user, on_inner, p);
}

static void
w_get(void *impl, const char *token, store_done_fn done, void *arg)
{
	struct wrap *w = impl;
	struct pending *p;

	if ((p = begin(w, done, arg)) != NULL)
		session_store_get(w->inner, token, on_inner, p);
}

static void
w_incr(void *impl, const char *token, int64_t by, store_done_fn done, void *arg)
{
	struct wrap *w = impl;
	struct pending *p;

	if ((p = begin(w, done, arg)) != NULL)
		session_store_incr(w->inner, token, by, on_inner, p);
}

static void
w_data_put(void *impl, const char *token, const char *key, const json_t *value,
    store_done_fn done, void *arg)
{
	struct wrap *w = impl;
	struct pending *p;

	if ((p = begin(w, done, arg)) != NULL)
		session_store_data_put(
		    w->inner, token, key, value, on_inner, p);
}

static void
w_data_delete(void *impl, const char *token, const char *key,
    store_done_fn done, void *arg)
{
	struct wrap *w = impl;
	struct pending *p;

	if ((p = begin(w, done, arg)) != NULL)
		session_store_data_delete(w->inner, token, key, on_inner, p);
}

static void
w_destroy(void *impl, const char *token, store_done_fn done, void *arg)
{
	struct wrap *w = impl;
	struct pending *p;

	if ((p = begin(w, done, arg)) != NULL)
		session_store_destroy(w->inner, token, on_inner, p);
}

static int64_t
w_count(void *impl)
{
	return (session_store_count(((struct wrap *)impl)->inner));
}

static int
w_is_ready(void *impl)
{
	return (session_store_is_ready(((struct wrap *)impl)->inner));
}

static const char *
w_unready_reason(void *impl)
{
	return (session_store_unready_reason(((struct wrap *)impl)->inner));
}

static int64_t
w_sweep(void *impl, int64_t now_ms)
{
	return (session_store_sweep(((struct wrap *)impl)->inner, now_ms));
}

static void
w_describe(void *impl, json_t *info)
{
	session_store_describe(((struct wrap *)impl)->inner, info);
}

static void
w_close(void *impl)
{
	struct wrap *w = impl;

	session_store_close(w->inner);
	free(w);
}

static const struct session_store_ops wrap_ops = {
	.name = "wrapped",
	.create = w_create,
	.get = w_get,
	.incr = w_incr,
	.data_put = w_data_put,
	.data_delete = w_data_delete,
	.destroy = w_destroy,
	.count = w_count,
	.is_ready = w_is_ready,
	.unready_reason = w_unready_reason,
	.sweep = w_sweep,
	.describe = w_describe,
	.gauges = NULL,
	.close = w_close,
};

struct session_store *
wrap_store_new(struct session_store *inner, struct event_base *base, int defer)
{
	struct wrap *w;

	if ((w = calloc(1, sizeof(*w))) == NULL) {
		session_store_close(inner);
		return (NULL);
	}
	w->inner = inner;
	w->base = base;
	w->defer = defer;
	return (session_store_new(&wrap_ops, w));
}

void
wrap_store_fail_nth(struct session_store *st, int n, enum store_rc rc)
{
	struct wrap *w = st->impl;

	w->fail_in = n;
	w->fail_rc = rc;
}

int
wrap_store_completed(struct session_store *st)
{
	return (((struct wrap *)st->impl)->completed);
}
