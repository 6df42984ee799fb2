/*
 * session.h - the session model and the asynchronous store interface.
 *
 * Every backend (memory, sqlite, token, remote) implements the same
 * operations, and every operation completes through a callback, never by
 * return value: the remote store waits for an HTTP answer and the sqlite
 * store with --sync full answers a write only after its group commit.
 * The memory store calls the callback before returning.  The handlers in
 * api_session.c are written once against this shape.
 */
#ifndef STATELAB_COMMON_SESSION_H
#define STATELAB_COMMON_SESSION_H

#include <stdint.h>

struct event_base;
struct json_t;
struct config;

#define SESSION_USER_MAX    64    /* 1..64 of [A-Za-z0-9._@-] */
#define SESSION_KEY_MAX     64    /* data keys: 1..64 of [A-Za-z0-9._-] */
#define SESSION_VALUE_MAX   4096  /* one data value, compact JSON bytes */
#define SESSION_DATA_MAX    16384 /* the whole data map, compact JSON bytes */
#define SESSION_VALUE_DEPTH 64    /* arrays and objects nested in one value */
#define SESSION_TOKEN_MAX   4096  /* longest credential accepted (JWT) */

/*
 * A session as a store reports it.  Everything is borrowed from the store
 * and valid only while the completion callback runs: copy what you keep.
 */
struct session {
	const char *user;           /* who logged in */
	int64_t counter;            /* the counter the demo increments */
	const struct json_t *data;  /* object of key -> JSON value; NULL = {} */
	const char *data_json;      /* or, when data is NULL: that object as
	                             * json_dumps(map, JSON_COMPACT) wrote it,
	                             * no other flags (it is copied as is) */
	int64_t created_at;         /* ms since the epoch */
	int64_t updated_at;         /* ms since the epoch */
	int64_t expires_at;         /* ms since the epoch (sliding TTL) */
	const char *created_by;     /* instance that created the session */
	const char *token;          /* a new credential to hand out, or NULL */
	const char *store_instance; /* remote: the store that answered */
};

enum store_rc {
	STORE_OK = 0,
	STORE_NOTFOUND,    /* no such session: never issued, or lost */
	STORE_EXPIRED,     /* it existed, and its TTL ran out */
	STORE_NOKEY,       /* the session has no such data key */
	STORE_BADTOKEN,    /* a credential that cannot be valid (detail) */
	STORE_INVALID,     /* a valid request the data cannot take (detail) */
	STORE_TOOBIG,      /* the session would exceed its size limits */
	STORE_FULL,        /* --max-sessions reached */
	STORE_MISDIRECTED, /* another instance owns this session (detail) */
	STORE_UNAVAIL,     /* backend down, locked, read-only or disk full */
	STORE_NOMEM        /* allocation failed */
};

/*
 * The completion callback.  s is non-NULL only with STORE_OK; detail is
 * NULL or a sentence for the client saying what went wrong.  Both are
 * borrowed for the duration of the call.  It runs exactly once per
 * operation, on the event-loop thread, possibly before the operation
 * function returns: the caller must not touch arg after starting an
 * operation unless it knows the callback has not run.
 */
typedef void (*store_done_fn)(
    enum store_rc rc, const struct session *s, const char *detail, void *arg);

/* Reports one gauge of a backend: name, one line of help, value. */
typedef void (*store_gauge_fn)(
    const char *name, const char *help, double value, void *arg);

/* One backend.  See the session_store_* wrappers for each contract. */
struct session_store_ops {
	const char *name; /* "memory", "sqlite", "token", "remote" */
	void (*create)(
	    void *impl, const char *user, store_done_fn done, void *arg);
	void (*get)(
	    void *impl, const char *token, store_done_fn done, void *arg);
	void (*incr)(void *impl, const char *token, int64_t by,
	    store_done_fn done, void *arg);
	void (*data_put)(void *impl, const char *token, const char *key,
	    const struct json_t *value, store_done_fn done, void *arg);
	void (*data_delete)(void *impl, const char *token, const char *key,
	    store_done_fn done, void *arg);
	void (*destroy)(
	    void *impl, const char *token, store_done_fn done, void *arg);
	int64_t (*count)(void *impl);
	int (*is_ready)(void *impl);
	const char *(*unready_reason)(void *impl); /* optional */
	int64_t (*sweep)(void *impl, int64_t now_ms);
	void (*describe)(void *impl, struct json_t *info);
	void (*gauges)(void *impl, store_gauge_fn emit, void *arg);
	void (*close)(void *impl);
};

struct session_store {
	const struct session_store_ops *ops;
	void *impl; /* owned; released by ops->close */
};

/* What every backend is opened with. */
struct store_params {
	struct event_base *base;  /* the server's loop */
	const struct config *cfg; /* ttl, limits, instance, paths */
	int64_t (*now_ms)(void);  /* wall clock; tests pass a fake */
};

/*
 * Wrap impl, which ops->close will release.  Returns a new store, or NULL
 * (and impl is closed) when out of memory.
 */
struct session_store *session_store_new(
    const struct session_store_ops *ops, void *impl);

/* Close the backend and free st.  Accepts NULL. */
void session_store_close(struct session_store *st);

/*
 * Create a session for user (1..SESSION_USER_MAX of [A-Za-z0-9._@-],
 * checked by the caller) and complete with it; s->token is the new
 * credential.  STORE_FULL at --max-sessions.  user is borrowed for the
 * call only.
 */
void session_store_create(
    struct session_store *st, const char *user, store_done_fn done, void *arg);

/*
 * Look up the session for token, extend its TTL, complete with it.
 * STORE_NOTFOUND, STORE_EXPIRED or STORE_BADTOKEN when it is not valid.
 */
void session_store_get(
    struct session_store *st, const char *token, store_done_fn done, void *arg);

/*
 * Add by to the counter atomically and complete with the new session.
 * STORE_INVALID (detail) if the counter would overflow.
 */
void session_store_incr(struct session_store *st, const char *token, int64_t by,
    store_done_fn done, void *arg);

/*
 * Set data[key] = value (key checked by the caller, value at most
 * SESSION_VALUE_MAX bytes of compact JSON).  STORE_TOOBIG when the whole
 * map would exceed SESSION_DATA_MAX.  value is borrowed for the call.
 */
void session_store_data_put(struct session_store *st, const char *token,
    const char *key, const struct json_t *value, store_done_fn done, void *arg);

/* Remove data[key]; removing an absent key succeeds (idempotent). */
void session_store_data_delete(struct session_store *st, const char *token,
    const char *key, store_done_fn done, void *arg);

/* End the session (logout).  s is NULL even on STORE_OK. */
void session_store_destroy(
    struct session_store *st, const char *token, store_done_fn done, void *arg);

/* Sessions held now, or -1 when the backend cannot tell cheaply. */
int64_t session_store_count(struct session_store *st);

/* Can the store take requests right now?  Drives /readyz. */
int session_store_is_ready(struct session_store *st);

/*
 * Why the store is not ready, as a sentence for /readyz ("the disk
 * holding /data/stateful.db is full"), or NULL when it is ready or the
 * backend cannot say.  Borrowed until the next store call.
 */
const char *session_store_unready_reason(struct session_store *st);

/*
 * Drop a bounded batch of sessions expired at now_ms; returns how many
 * went.  Called on a timer; never blocks the loop for long.
 */
int64_t session_store_sweep(struct session_store *st, int64_t now_ms);

/* Add backend facts (generation, file, ...) to the /api/info object. */
void session_store_describe(struct session_store *st, struct json_t *info);

/* Report backend gauges (database size, ...) through emit.  Optional. */
void session_store_gauges(
    struct session_store *st, store_gauge_fn emit, void *arg);

/*
 * The data map of s as a new reference: s->data, or s->data_json parsed,
 * or an empty object.  NULL when out of memory.
 */
struct json_t *session_data(const struct session *s);

/* The backend's name: "memory", "sqlite", "token" or "remote". */
const char *session_store_name(const struct session_store *st);

/* Is user 1..SESSION_USER_MAX characters of [A-Za-z0-9._@-]? */
int session_user_is_valid(const char *user);

/*
 * Does value nest at most SESSION_VALUE_DEPTH arrays and objects?  Deeper
 * ones are refused before they reach a store: inside a session (data
 * map, JWT claims, remote document) they would come close to jansson's
 * own parse limit of 2048, and a stored map that no longer parses would
 * make the whole session unreadable.
 */
int session_value_is_shallow(const struct json_t *value);

/* Is key 1..SESSION_KEY_MAX characters of [A-Za-z0-9._-]? */
int session_key_is_valid(const char *key);

/* A short name for rc, for logs and tests ("ok", "notfound", ...). */
const char *session_store_rc_name(enum store_rc rc);

#endif /* STATELAB_COMMON_SESSION_H */
