// SPDX-License-Identifier: MIT
/*
 * owner_store.c - route a session to the stateful instance that owns it.
 *
 * Scale the StatefulSet to three and each pod has its own volume, so a
 * session lives in exactly one file.  A Service spreads requests over all
 * three, and two of three land on a pod that has never heard of the
 * session.  Scaling a stateful service needs coordination; this is the
 * smallest kind: the credential names its owner, and a pod that is not
 * the owner says so (421 Misdirected Request naming it) or, given
 * --peer-url-template, forwards the request to the owner through the
 * headless Service's per-pod DNS name and passes the answer back.
 *
 * Credentials:
 *   "<token>.<instance>"   what create hands out: the inner store's
 *                          opaque token, then the owner's name;
 *   "<token>.<instance>."  the same, forwarded by a peer: it is served
 *                          here or refused, never forwarded again, so a
 *                          template that maps names to the wrong pods
 *                          cannot make requests go round in circles;
 *   anything else          passed to the inner store as it is (a
 *                          token from before routing, or garbage).
 *
 * Forwarding goes through the remote store (stateless/remote_store.c),
 * one client per peer, created on first use, at most
 * OWNER_STORE_PEERS_MAX.  The owner's name comes from the client and is
 * not signed, so only names of this instance's own StatefulSet are
 * contacted: the same prefix up to the last '-' or '.', then digits
 * ("stateful-2" from "stateful-0").
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "remote_store.h"
#include "config.h"
#include "log.h"
#include "owner_store.h"
#include "session.h"
#include "token.h"

#define PEER_TIMEOUT_MS 2000
#define DETAIL_MAX      384

/* ------------------------------------------------------------------ */
/* Types                                                                */
/* ------------------------------------------------------------------ */

struct peer {
	char name[CONFIG_INSTANCE_MAX + 1];
	struct session_store *st; /* a remote store, or NULL */
};

struct owner_store {
	struct session_store_ops ops; /* inner's name, our functions */
	struct session_store *inner;
	struct event_base *base;
	struct store_params params; /* for peer clients */
	char *instance;
	char *template; /* or NULL: answer 421 */
	int routable;   /* the name can be appended to a credential */
	struct peer peers[OWNER_STORE_PEERS_MAX];
	unsigned next_evict;
};

/* Where a credential goes. */
enum route { ROUTE_LOCAL = 0, ROUTE_PEER, ROUTE_MISDIRECTED };

struct routing {
	enum route route;
	const char *local;        /* ROUTE_LOCAL: the inner credential */
	char copy[TOKEN_LEN + 1]; /* when it must be cut out */
	char owner[CONFIG_INSTANCE_MAX + 1];
	char detail[DETAIL_MAX];    /* ROUTE_MISDIRECTED */
	struct session_store *peer; /* ROUTE_PEER */
	char *forward;              /* ROUTE_PEER: credential to send */
};

/* A create in flight: its token is rewritten on the way back. */
struct create_ctx {
	struct owner_store *os;
	store_done_fn done;
	void *arg;
};

/* One credential-taking operation and its arguments. */
enum op_kind { OP_GET, OP_INCR, OP_PUT, OP_DELETE, OP_DESTROY };

struct op {
	enum op_kind kind;
	int64_t by;
	const char *key;
	const json_t *value;
	store_done_fn done;
	void *arg;
};

/* An operation that needs memory until it completes. */
struct hold_ctx {
	store_done_fn done;
	void *arg;
	char token[TOKEN_LEN + 1];
};

/* ------------------------------------------------------------------ */
/* Static prototypes                                                    */
/* ------------------------------------------------------------------ */

static void dispatch(struct owner_store *, const char *, struct op *);
static int route(struct owner_store *, const char *, struct routing *);
static int is_sibling(const char *, const char *);
static struct session_store *peer_for(struct owner_store *, const char *);
static int hold(struct routing *, store_done_fn *, void **);
static void hold_done(
    enum store_rc, const struct session *, const char *, void *);
static void created(
    enum store_rc, const struct session *, const char *, void *);

static void os_create(void *, const char *, store_done_fn, void *);
static void os_get(void *, const char *, store_done_fn, void *);
static void os_incr(void *, const char *, int64_t, store_done_fn, void *);
static void os_data_put(
    void *, const char *, const char *, const json_t *, store_done_fn, void *);
static void os_data_delete(
    void *, const char *, const char *, store_done_fn, void *);
static void os_destroy(void *, const char *, store_done_fn, void *);
static int64_t os_count(void *);
static int os_is_ready(void *);
static const char *os_unready_reason(void *);
static int64_t os_sweep(void *, int64_t);
static void os_describe(void *, json_t *);
static void os_gauges(void *, store_gauge_fn, void *);
static void os_close(void *);

static const struct session_store_ops owner_ops = {
	.name = "owner",
	.create = os_create,
	.get = os_get,
	.incr = os_incr,
	.data_put = os_data_put,
	.data_delete = os_data_delete,
	.destroy = os_destroy,
	.count = os_count,
	.is_ready = os_is_ready,
	.unready_reason = os_unready_reason,
	.sweep = os_sweep,
	.describe = os_describe,
	.gauges = os_gauges,
	.close = os_close,
};

/* ------------------------------------------------------------------ */
/* Public API                                                           */
/* ------------------------------------------------------------------ */

struct session_store *
owner_store_wrap(struct session_store *inner, const struct store_params *p,
    char *err, size_t errlen, int *exit_code)
{
	const char *tpl = p->cfg->peer_url_template, *s;
	struct owner_store *os;
	size_t len;

	*exit_code = 2;
	if (tpl != NULL && *tpl != '\0' &&
	    (strncmp(tpl, "http://", 7) != 0 ||
	        (s = strstr(tpl, "%s")) == NULL || strchr(s + 2, '%') != NULL ||
	        strchr(tpl, '%') != s)) {
		snprintf(err, errlen,
		    "--peer-url-template '%s' must be an http:// URL with "
		    "exactly one %%s where the instance name goes, e.g. "
		    "'http://%%s.stateful-headless:8082'",
		    tpl);
		session_store_close(inner);
		return (NULL);
	}
	*exit_code = 1;
	if ((os = calloc(1, sizeof(*os))) == NULL ||
	    (os->instance = strdup(p->cfg->instance)) == NULL ||
	    (tpl != NULL && *tpl != '\0' &&
	        (os->template = strdup(tpl)) == NULL)) {
		if (os != NULL)
			free(os->instance);
		free(os);
		session_store_close(inner);
		snprintf(err, errlen, "owner_store: out of memory");
		return (NULL);
	}
	os->inner = inner;
	os->ops = owner_ops;
	os->ops.name = session_store_name(inner);
	os->base = p->base;
	os->params = *p;
	/* A name that starts or ends with '.' could not be told apart. */
	len = strlen(os->instance);
	os->routable =
	    len > 0 && os->instance[0] != '.' && os->instance[len - 1] != '.';
	if (!os->routable)
		log_warnx("owner_store: instance name '%s' starts or ends with "
		          "'.': credentials will not name their owner",
		    os->instance);
	return (session_store_new(&os->ops, os));
}

/* ------------------------------------------------------------------ */
/* Store operations                                                     */
/* ------------------------------------------------------------------ */

static void
os_create(void *impl, const char *user, store_done_fn done, void *arg)
{
	struct owner_store *os = impl;
	struct create_ctx *c;

	if (!os->routable) {
		session_store_create(os->inner, user, done, arg);
		return;
	}
	if ((c = malloc(sizeof(*c))) == NULL) {
		done(STORE_NOMEM, NULL, NULL, arg);
		return;
	}
	c->os = os;
	c->done = done;
	c->arg = arg;
	session_store_create(os->inner, user, created, c);
}

static void
os_get(void *impl, const char *token, store_done_fn done, void *arg)
{
	struct op op = { .kind = OP_GET, .done = done, .arg = arg };

	dispatch(impl, token, &op);
}

static void
os_incr(
    void *impl, const char *token, int64_t by, store_done_fn done, void *arg)
{
	struct op op = { .kind = OP_INCR, .by = by, .done = done, .arg = arg };

	dispatch(impl, token, &op);
}

static void
os_data_put(void *impl, const char *token, const char *key, const json_t *value,
    store_done_fn done, void *arg)
{
	struct op op = { .kind = OP_PUT,
		.key = key,
		.value = value,
		.done = done,
		.arg = arg };

	dispatch(impl, token, &op);
}

static void
os_data_delete(void *impl, const char *token, const char *key,
    store_done_fn done, void *arg)
{
	struct op op = {
		.kind = OP_DELETE, .key = key, .done = done, .arg = arg
	};

	dispatch(impl, token, &op);
}

static void
os_destroy(void *impl, const char *token, store_done_fn done, void *arg)
{
	struct op op = { .kind = OP_DESTROY, .done = done, .arg = arg };

	dispatch(impl, token, &op);
}

static int64_t
os_count(void *impl)
{
	return (session_store_count(((struct owner_store *)impl)->inner));
}

static int
os_is_ready(void *impl)
{
	return (session_store_is_ready(((struct owner_store *)impl)->inner));
}

static const char *
os_unready_reason(void *impl)
{
	return (
	    session_store_unready_reason(((struct owner_store *)impl)->inner));
}

static int64_t
os_sweep(void *impl, int64_t now_ms)
{
	return (
	    session_store_sweep(((struct owner_store *)impl)->inner, now_ms));
}

static void
os_describe(void *impl, json_t *info)
{
	struct owner_store *os = impl;
	json_t *peers;
	int i;

	session_store_describe(os->inner, info);
	if ((peers = json_array()) == NULL)
		return;
	for (i = 0; i < OWNER_STORE_PEERS_MAX; i++)
		if (os->peers[i].st != NULL)
			json_array_append_new(
			    peers, json_string(os->peers[i].name));
	json_object_set_new(info, "routing",
	    json_pack("{s:s, s:s?, s:o}", "mode",
	        os->template != NULL ? "forward" : "misdirect",
	        "peer_url_template", os->template, "peers", peers));
}

static void
os_gauges(void *impl, store_gauge_fn emit, void *arg)
{
	session_store_gauges(((struct owner_store *)impl)->inner, emit, arg);
}

/* Peers first: their pending operations complete with STORE_UNAVAIL. */
static void
os_close(void *impl)
{
	struct owner_store *os = impl;
	int i;

	for (i = 0; i < OWNER_STORE_PEERS_MAX; i++)
		session_store_close(os->peers[i].st);
	session_store_close(os->inner);
	free(os->instance);
	free(os->template);
	free(os);
}

/* ------------------------------------------------------------------ */
/* Static helpers                                                       */
/* ------------------------------------------------------------------ */

/*
 * Route token, then run op on the inner store, on the owner's client,
 * or not at all (421).  Every path completes op exactly once.
 */
static void
dispatch(struct owner_store *os, const char *token, struct op *op)
{
	struct session_store *st = os->inner;
	struct routing r;
	const char *tok;

	if (route(os, token, &r) == -1) {
		op->done(STORE_NOMEM, NULL, NULL, op->arg);
		return;
	}
	switch (r.route) {
	case ROUTE_MISDIRECTED:
		op->done(STORE_MISDIRECTED, NULL, r.detail, op->arg);
		return;
	case ROUTE_PEER:
		st = r.peer;
		tok = r.forward;
		break;
	case ROUTE_LOCAL:
	default:
		if (hold(&r, &op->done, &op->arg) == -1) {
			op->done(STORE_NOMEM, NULL, NULL, op->arg);
			return;
		}
		tok = r.local;
		break;
	}
	switch (op->kind) {
	case OP_GET:
		session_store_get(st, tok, op->done, op->arg);
		break;
	case OP_INCR:
		session_store_incr(st, tok, op->by, op->done, op->arg);
		break;
	case OP_PUT:
		session_store_data_put(
		    st, tok, op->key, op->value, op->done, op->arg);
		break;
	case OP_DELETE:
		session_store_data_delete(st, tok, op->key, op->done, op->arg);
		break;
	case OP_DESTROY:
		session_store_destroy(st, tok, op->done, op->arg);
		break;
	}
	/* The remote store copied the credential when it started. */
	free(r.forward);
}

/*
 * Decide where token goes.  Returns 0 with r filled, or -1 when out of
 * memory.
 */
static int
route(struct owner_store *os, const char *token, struct routing *r)
{
	size_t len = strlen(token), olen;
	int forwarded = 0;
	const char *owner;

	memset(r, 0, sizeof(*r));
	r->route = ROUTE_LOCAL;
	r->local = token;
	if (len > 0 && token[len - 1] == '.') {
		forwarded = 1;
		len--;
	}
	/* Not "<opaque>.<owner>": the inner store judges it as it is. */
	if (len < TOKEN_LEN + 2 || token[TOKEN_LEN] != '.')
		return (0);
	owner = token + TOKEN_LEN + 1;
	olen = len - TOKEN_LEN - 1;
	if (olen > CONFIG_INSTANCE_MAX)
		return (0);
	memcpy(r->owner, owner, olen);
	r->owner[olen] = '\0';
	memcpy(r->copy, token, TOKEN_LEN);
	r->copy[TOKEN_LEN] = '\0';
	r->local = r->copy;
	if (strcmp(r->owner, os->instance) == 0)
		return (0);

	r->route = ROUTE_MISDIRECTED;
	if (forwarded)
		snprintf(r->detail, sizeof(r->detail),
		    "this session belongs to %s, but a peer forwarded it to "
		    "%s: --peer-url-template must reach each pod by its own "
		    "name",
		    r->owner, os->instance);
	else if (os->template == NULL)
		snprintf(r->detail, sizeof(r->detail),
		    "this session belongs to %s, and this is %s: each pod of "
		    "the StatefulSet keeps its own file. Send the request to "
		    "%s, or run the pods with --peer-url-template to forward "
		    "it",
		    r->owner, os->instance, r->owner);
	else if (!is_sibling(r->owner, os->instance))
		snprintf(r->detail, sizeof(r->detail),
		    "the credential names %s, which is not a pod of this "
		    "StatefulSet (%s); log in again with POST /api/sessions",
		    r->owner, os->instance);
	else if ((r->peer = peer_for(os, r->owner)) == NULL)
		return (-1);
	else {
		/* The trailing '.' marks it forwarded: no second hop. */
		if ((r->forward = malloc(len + 2)) == NULL)
			return (-1);
		memcpy(r->forward, token, len);
		memcpy(r->forward + len, ".", 2);
		r->route = ROUTE_PEER;
	}
	return (0);
}

/*
 * Are a and b names of one StatefulSet: equal up to and including the
 * last '-' or '.', then 1 to 5 digits each?
 */
static int
is_sibling(const char *a, const char *b)
{
	const char *sa = strrchr(a, '-'), *sb = strrchr(b, '-');
	const char *da = strrchr(a, '.'), *db = strrchr(b, '.');

	if (da != NULL && (sa == NULL || da > sa))
		sa = da;
	if (db != NULL && (sb == NULL || db > sb))
		sb = db;
	if (sa == NULL || sb == NULL || sa - a != sb - b ||
	    strncmp(a, b, (size_t)(sa - a + 1)) != 0)
		return (0);
	sa++;
	sb++;
	return (strlen(sa) >= 1 && strlen(sa) <= 5 &&
	    strspn(sa, "0123456789") == strlen(sa) && strlen(sb) >= 1 &&
	    strspn(sb, "0123456789") == strlen(sb));
}

/*
 * The client for peer name, opened on first use.  When all slots are
 * taken the oldest is closed (its pending operations complete with
 * STORE_UNAVAIL).  NULL when out of memory.
 */
static struct session_store *
peer_for(struct owner_store *os, const char *name)
{
	struct peer *p = NULL;
	char url[512], err[256];
	int i;

	for (i = 0; i < OWNER_STORE_PEERS_MAX; i++) {
		if (os->peers[i].st != NULL &&
		    strcmp(os->peers[i].name, name) == 0)
			return (os->peers[i].st);
		if (p == NULL && os->peers[i].st == NULL)
			p = &os->peers[i];
	}
	if (p == NULL) {
		p = &os->peers[os->next_evict++ % OWNER_STORE_PEERS_MAX];
		session_store_close(p->st);
		p->st = NULL;
	}
	/* The template was checked: one %s and no other conversion. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
	snprintf(url, sizeof(url), os->template, name);
#pragma GCC diagnostic pop
	p->st = remote_store_open_url(
	    &os->params, url, PEER_TIMEOUT_MS, 0, err, sizeof(err));
	if (p->st == NULL) {
		log_warnx("owner_store: peer %s: %s", name, err);
		return (NULL);
	}
	snprintf(p->name, sizeof(p->name), "%s", name);
	log_info("owner_store: forwarding sessions of %s to %s", name, url);
	return (p->st);
}

/*
 * The inner store may complete later (group commit) and the credential
 * it was given must live that long.  A credential cut out of a longer
 * one lives in r, on the stack: move it to the heap with the callback.
 */
static int
hold(struct routing *r, store_done_fn *done, void **arg)
{
	struct hold_ctx *h;

	if (r->local != r->copy)
		return (0);
	if ((h = malloc(sizeof(*h))) == NULL)
		return (-1);
	h->done = *done;
	h->arg = *arg;
	memcpy(h->token, r->copy, sizeof(h->token));
	r->local = h->token;
	*done = hold_done;
	*arg = h;
	return (0);
}

static void
hold_done(
    enum store_rc rc, const struct session *s, const char *detail, void *arg)
{
	struct hold_ctx *h = arg;
	store_done_fn done = h->done;
	void *a = h->arg;

	free(h);
	done(rc, s, detail, a);
}

/* A create completed: hand out "<token>.<instance>" instead. */
static void
created(
    enum store_rc rc, const struct session *s, const char *detail, void *arg)
{
	struct create_ctx *c = arg;
	struct owner_store *os = c->os;
	store_done_fn done = c->done;
	void *a = c->arg;
	struct session copy;
	char *token = NULL;

	free(c);
	if (rc != STORE_OK || s == NULL || s->token == NULL) {
		done(rc, s, detail, a);
		return;
	}
	if (asprintf(&token, "%s.%s", s->token, os->instance) == -1) {
		done(STORE_NOMEM, NULL, NULL, a);
		return;
	}
	copy = *s;
	copy.token = token;
	done(STORE_OK, &copy, NULL, a);
	free(token);
}
