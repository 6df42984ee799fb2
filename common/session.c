// SPDX-License-Identifier: MIT
/*
 * session.c - the store wrappers and the rules for user names and keys.
 *
 * Callers reach a backend only through session_store_*(), never through
 * st->ops directly, so there is one place for argument checks.  The
 * wrappers add no state of their own and never complete an operation
 * twice: a backend's callback is passed straight through.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "session.h"

static int name_is_valid(const char *, size_t, const char *);
static int depth_at_most(const json_t *, int);

struct session_store *
session_store_new(const struct session_store_ops *ops, void *impl)
{
	struct session_store *st;

	if ((st = calloc(1, sizeof(*st))) == NULL) {
		ops->close(impl);
		return (NULL);
	}
	st->ops = ops;
	st->impl = impl;
	return (st);
}

void
session_store_close(struct session_store *st)
{
	if (st == NULL)
		return;
	st->ops->close(st->impl);
	free(st);
}

void
session_store_create(
    struct session_store *st, const char *user, store_done_fn done, void *arg)
{
	st->ops->create(st->impl, user, done, arg);
}

void
session_store_get(
    struct session_store *st, const char *token, store_done_fn done, void *arg)
{
	st->ops->get(st->impl, token, done, arg);
}

void
session_store_incr(struct session_store *st, const char *token, int64_t by,
    store_done_fn done, void *arg)
{
	st->ops->incr(st->impl, token, by, done, arg);
}

void
session_store_data_put(struct session_store *st, const char *token,
    const char *key, const json_t *value, store_done_fn done, void *arg)
{
	st->ops->data_put(st->impl, token, key, value, done, arg);
}

void
session_store_data_delete(struct session_store *st, const char *token,
    const char *key, store_done_fn done, void *arg)
{
	st->ops->data_delete(st->impl, token, key, done, arg);
}

void
session_store_destroy(
    struct session_store *st, const char *token, store_done_fn done, void *arg)
{
	st->ops->destroy(st->impl, token, done, arg);
}

int64_t
session_store_count(struct session_store *st)
{
	return (st->ops->count(st->impl));
}

int
session_store_is_ready(struct session_store *st)
{
	return (st->ops->is_ready(st->impl));
}

const char *
session_store_unready_reason(struct session_store *st)
{
	if (st->ops->unready_reason == NULL || st->ops->is_ready(st->impl))
		return (NULL);
	return (st->ops->unready_reason(st->impl));
}

int64_t
session_store_sweep(struct session_store *st, int64_t now_ms)
{
	return (st->ops->sweep(st->impl, now_ms));
}

void
session_store_describe(struct session_store *st, json_t *info)
{
	if (st->ops->describe != NULL)
		st->ops->describe(st->impl, info);
}

void
session_store_gauges(struct session_store *st, store_gauge_fn emit, void *arg)
{
	if (st->ops->gauges != NULL)
		st->ops->gauges(st->impl, emit, arg);
}

const char *
session_store_name(const struct session_store *st)
{
	return (st->ops->name);
}

json_t *
session_data(const struct session *s)
{
	if (s->data != NULL)
		return (json_incref((json_t *)s->data));
	if (s->data_json != NULL)
		/* Values may hold "\u0000": the API accepts it. */
		return (json_loads(s->data_json, JSON_ALLOW_NUL, NULL));
	return (json_object());
}

int
session_value_is_shallow(const json_t *value)
{
	return (depth_at_most(value, SESSION_VALUE_DEPTH));
}

int
session_user_is_valid(const char *user)
{
	return (name_is_valid(user, SESSION_USER_MAX, "._@-"));
}

int
session_key_is_valid(const char *key)
{
	return (name_is_valid(key, SESSION_KEY_MAX, "._-"));
}

const char *
session_store_rc_name(enum store_rc rc)
{
	static const char *const names[] = { "ok", "notfound", "expired",
		"nokey", "badtoken", "invalid", "toobig", "full", "misdirected",
		"unavail", "nomem" };

	if ((size_t)rc >= sizeof(names) / sizeof(names[0]))
		return ("unknown");
	return (names[rc]);
}

/* 1..max characters, each alphanumeric (ASCII) or one of extra. */
static int
name_is_valid(const char *s, size_t max, const char *extra)
{
	size_t i;

	if (s == NULL)
		return (0);
	for (i = 0; s[i] != '\0'; i++) {
		if (i >= max)
			return (0);
		if (!isascii((unsigned char)s[i]) ||
		    (!isalnum((unsigned char)s[i]) &&
		        strchr(extra, s[i]) == NULL))
			return (0);
	}
	return (i > 0);
}

/* Does v nest at most max arrays and objects (a scalar nests none)? */
static int
depth_at_most(const json_t *v, int max)
{
	const char *key;
	json_t *item;
	size_t i;

	if (!json_is_array(v) && !json_is_object(v))
		return (1);
	if (max == 0)
		return (0);
	if (json_is_array(v)) {
		json_array_foreach(
		    v, i, item) if (!depth_at_most(item, max - 1)) return (0);
		return (1);
	}
	json_object_foreach((json_t *)v, key,
	    item) if (!depth_at_most(item, max - 1)) return (0);
	return (1);
}
