// SPDX-License-Identifier: MIT
/*
 * token_store.c - sessions carried by the client as signed JWTs (HS256).
 *
 * Nothing is kept in this process: the whole session (user, counter, data,
 * times) is the claims of a JWT that the client sends back on every
 * request, signed with HMAC-SHA256 so that no one without the key can
 * change it.  Any instance holding the key can serve any session, which
 * is the point: kill instances at will, nothing is lost.
 *
 * What that costs, and what the docs must say:
 *   - every use re-issues the token (the TTL slides, the counter moves),
 *     so the client must keep the newest one (cookie or "token" field);
 *   - logout cannot revoke anything: the cookie is cleared, but a copy of
 *     the token stays valid until its exp; a denylist would be state
 *     again;
 *   - an old token replayed before its exp shows the old counter;
 *   - the data must fit in a cookie: TOKEN_STORE_TOKEN_MAX bytes.
 *
 * Claims: sub (user), counter, data (object), iat and exp (NumericDate
 * seconds: exp = iat + --session-ttl), iss (the instance that issued this
 * token), created_at (ms) and created_by (the instance that logged in).
 * Times are whole seconds, as JWTs carry them.
 *
 * Verification is strict and in this order, each failure with a precise
 * detail: three base64url parts; a header whose alg is exactly HS256
 * (alg "none" and RS256 are refused before any signature check, so
 * neither an unsigned token nor an algorithm-confusion trick gets near
 * libjwt's verifier); the signature under one of the keys (rotation:
 * the first key signs, every key verifies); every claim present with
 * its type; exp in the future (else STORE_EXPIRED).
 *
 * The JSON is parsed once a request, by libjwt: the claims are read
 * through its accessors, the header we sign with is recognised by its
 * bytes, and a new token is built claim by claim.  Each JSON pass costs
 * about as much as an HMAC here (callgrind: docs/benchmarks.md).
 *
 * Every operation completes before it returns.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <jansson.h>
#include <jwt.h>

#include "clock.h"
#include "config.h"
#include "log.h"
#include "session.h"
#include "token_store.h"

/* libjwt's integer claims are a long; ours (counter, times) are 64-bit. */
_Static_assert(sizeof(long) >= sizeof(int64_t),
    "token mode needs a 64-bit long for libjwt's integer claims");

/*
 * A data_put must leave room for the token to grow on later uses: the
 * counter may gain up to 20 digits and sign, and the next issuer's name
 * may be up to CONFIG_INSTANCE_MAX characters longer; base64 adds a
 * third.
 */
#define TOKEN_HEADROOM (((20 + CONFIG_INSTANCE_MAX) * 4 + 2) / 3)
#define HEADER_MAX     512 /* base64url characters of a JWT header */
#define DETAIL_MAX     256
#define ALNUM          "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"

/* The key --insecure-dev-secret uses: public, so it protects nothing. */
static const char dev_secret[] =
    "statelab-insecure-dev-secret-anyone-can-forge-these";

/* ------------------------------------------------------------------ */
/* Types                                                                */
/* ------------------------------------------------------------------ */

struct token_key {
	unsigned char *bytes;
	size_t len;
};

struct token_store {
	struct token_key keys[CONFIG_SECRETS_MAX]; /* [0] signs */
	int nkeys;
	int64_t ttl_s;
	int64_t (*now_ms)(void);
	char *instance; /* iss of every token issued here */
	char *header;   /* the base64url header libjwt writes for HS256 */
	size_t header_len;
};

/* A verified token: its claims, and views into them. */
struct tok {
	jwt_t *jwt;             /* owned: the verified token */
	const char *user;       /* borrowed from jwt */
	int64_t counter;        /* working copy */
	json_t *data;           /* owned: a copy of the claim; may be changed */
	int64_t created_at;     /* ms */
	const char *created_by; /* borrowed from jwt */
	char detail[DETAIL_MAX];
};

/* ------------------------------------------------------------------ */
/* Static prototypes                                                    */
/* ------------------------------------------------------------------ */

static int load_key(const char *, struct token_key *, char *, size_t);
static int learn_header(struct token_store *);
static ssize_t b64url_decode(const char *, size_t, unsigned char *, size_t);
static enum store_rc check_header(
    struct token_store *, const char *, struct tok *);
static enum store_rc check_signature(
    struct token_store *, const char *, jwt_t **, struct tok *);
static int claim_int(jwt_t *, const char *, int64_t *);
static json_t *claim_object(jwt_t *, const char *);
static enum store_rc check_claims(struct token_store *, struct tok *);
static int holds_nul(const json_t *);
static enum store_rc verify(struct token_store *, const char *, struct tok *);
static enum store_rc issue(struct token_store *, const struct tok *, int64_t,
    size_t, char **, char *, size_t);
static void finish(
    struct token_store *, struct tok *, size_t, store_done_fn, void *);
static void fail(struct tok *, enum store_rc, store_done_fn, void *);
static void tok_clear(struct tok *);

static void ts_create(void *, const char *, store_done_fn, void *);
static void ts_get(void *, const char *, store_done_fn, void *);
static void ts_incr(void *, const char *, int64_t, store_done_fn, void *);
static void ts_data_put(
    void *, const char *, const char *, const json_t *, store_done_fn, void *);
static void ts_data_delete(
    void *, const char *, const char *, store_done_fn, void *);
static void ts_destroy(void *, const char *, store_done_fn, void *);
static int64_t ts_count(void *);
static int ts_is_ready(void *);
static int64_t ts_sweep(void *, int64_t);
static void ts_describe(void *, json_t *);
static void ts_close(void *);

static const struct session_store_ops token_ops = {
	.name = "token",
	.create = ts_create,
	.get = ts_get,
	.incr = ts_incr,
	.data_put = ts_data_put,
	.data_delete = ts_data_delete,
	.destroy = ts_destroy,
	.count = ts_count,
	.is_ready = ts_is_ready,
	.sweep = ts_sweep,
	.describe = ts_describe,
	.gauges = NULL,
	.close = ts_close,
};

/* ------------------------------------------------------------------ */
/* Public API                                                           */
/* ------------------------------------------------------------------ */

struct session_store *
token_store_open(
    const struct store_params *p, char *err, size_t errlen, int *exit_code)
{
	const struct config *cfg = p->cfg;
	struct token_store *ts;
	int i;

	*exit_code = 2;
	if (cfg->token_secret_count == 0 && !cfg->insecure_dev_secret) {
		snprintf(err, errlen,
		    "--sessions token needs a signing key: pass "
		    "--token-secret-file FILE (at least %d bytes, e.g. from "
		    "'head -c 48 /dev/urandom | base64 > FILE'), or "
		    "--insecure-dev-secret for a local demo only",
		    TOKEN_STORE_KEY_MIN);
		return (NULL);
	}
	if ((ts = calloc(1, sizeof(*ts))) == NULL ||
	    (ts->instance = strdup(cfg->instance)) == NULL) {
		free(ts);
		*exit_code = 1;
		snprintf(err, errlen, "token_store: out of memory");
		return (NULL);
	}
	ts->ttl_s = cfg->session_ttl;
	ts->now_ms = p->now_ms;
	for (i = 0; i < cfg->token_secret_count; i++) {
		if (load_key(cfg->token_secret_files[i], &ts->keys[i], err,
		        errlen) == -1) {
			ts_close(ts);
			return (NULL);
		}
		ts->nkeys++;
	}
	if (ts->nkeys == 0) {
		/* Only reached with --insecure-dev-secret (checked above). */
		ts->keys[0].len = sizeof(dev_secret) - 1;
		if ((ts->keys[0].bytes = malloc(ts->keys[0].len)) == NULL) {
			ts_close(ts);
			*exit_code = 1;
			snprintf(err, errlen, "token_store: out of memory");
			return (NULL);
		}
		memcpy(ts->keys[0].bytes, dev_secret, ts->keys[0].len);
		ts->nkeys = 1;
		log_warnx("token_store: --insecure-dev-secret: tokens are "
		          "signed with a public key, so anyone can forge a "
		          "session; never use this outside a local demo");
	}
	*exit_code = 1;
	if (learn_header(ts) == -1) {
		ts_close(ts);
		snprintf(err, errlen,
		    "token_store: libjwt cannot sign an HS256 token (out of "
		    "memory?)");
		return (NULL);
	}
	return (session_store_new(&token_ops, ts));
}

/* ------------------------------------------------------------------ */
/* Store operations                                                     */
/* ------------------------------------------------------------------ */

static void
ts_create(void *impl, const char *user, store_done_fn done, void *arg)
{
	struct token_store *ts = impl;
	struct tok tk;

	memset(&tk, 0, sizeof(tk));
	if ((tk.data = json_object()) == NULL) {
		done(STORE_NOMEM, NULL, NULL, arg);
		return;
	}
	tk.user = user;
	/* Whole seconds, as the iat and exp claims carry time. */
	tk.created_at = ts->now_ms() / 1000 * 1000;
	tk.created_by = ts->instance;
	finish(ts, &tk, 0, done, arg);
}

static void
ts_get(void *impl, const char *token, store_done_fn done, void *arg)
{
	struct token_store *ts = impl;
	struct tok tk;
	enum store_rc rc;

	if ((rc = verify(ts, token, &tk)) != STORE_OK) {
		fail(&tk, rc, done, arg);
		return;
	}
	/* A read re-issues too: that is how the TTL slides. */
	finish(ts, &tk, 0, done, arg);
}

static void
ts_incr(
    void *impl, const char *token, int64_t by, store_done_fn done, void *arg)
{
	struct token_store *ts = impl;
	struct tok tk;
	enum store_rc rc;
	int64_t sum;

	if ((rc = verify(ts, token, &tk)) != STORE_OK) {
		fail(&tk, rc, done, arg);
		return;
	}
	if (__builtin_add_overflow(tk.counter, by, &sum)) {
		done(STORE_INVALID, NULL,
		    "the counter would overflow a signed 64-bit integer", arg);
		tok_clear(&tk);
		return;
	}
	tk.counter = sum;
	finish(ts, &tk, 0, done, arg);
}

static void
ts_data_put(void *impl, const char *token, const char *key, const json_t *value,
    store_done_fn done, void *arg)
{
	struct token_store *ts = impl;
	struct tok tk;
	json_t *copy;
	enum store_rc rc;

	if ((rc = verify(ts, token, &tk)) != STORE_OK) {
		fail(&tk, rc, done, arg);
		return;
	}
	if (holds_nul(value)) {
		/* JSON allows U+0000 in a string; libjwt's parser does not. */
		done(STORE_INVALID, NULL,
		    "in token mode the data travels in a JWT, and libjwt "
		    "cannot carry a string holding \\u0000 (U+0000): store "
		    "the value without it, or run --sessions memory or remote",
		    arg);
		tok_clear(&tk);
		return;
	}
	/* The data is our own copy: change it in place. */
	if ((copy = json_deep_copy(value)) == NULL ||
	    json_object_set_new(tk.data, key, copy) == -1) {
		done(STORE_NOMEM, NULL, NULL, arg);
		tok_clear(&tk);
		return;
	}
	/* Only a put can grow the token much: it must leave headroom. */
	finish(ts, &tk, TOKEN_HEADROOM, done, arg);
}

static void
ts_data_delete(void *impl, const char *token, const char *key,
    store_done_fn done, void *arg)
{
	struct token_store *ts = impl;
	struct tok tk;
	enum store_rc rc;

	if ((rc = verify(ts, token, &tk)) != STORE_OK) {
		fail(&tk, rc, done, arg);
		return;
	}
	json_object_del(tk.data, key);
	finish(ts, &tk, 0, done, arg);
}

/*
 * Logout: the handler clears the cookie.  The token itself stays valid
 * until its exp for whoever kept a copy; refusing it would need a list
 * of revoked tokens shared by every instance, which is state again.
 */
static void
ts_destroy(void *impl, const char *token, store_done_fn done, void *arg)
{
	struct token_store *ts = impl;
	struct tok tk;
	enum store_rc rc;

	if ((rc = verify(ts, token, &tk)) != STORE_OK) {
		fail(&tk, rc, done, arg);
		return;
	}
	done(STORE_OK, NULL, NULL, arg);
	tok_clear(&tk);
}

/* Sessions live in clients: nobody here can count them. */
static int64_t
ts_count(void *impl)
{
	(void)impl;
	return (-1);
}

static int
ts_is_ready(void *impl)
{
	(void)impl;
	return (1);
}

/* Nothing to sweep: an expired token is refused by its exp claim. */
static int64_t
ts_sweep(void *impl, int64_t now_ms)
{
	(void)impl;
	(void)now_ms;
	return (0);
}

static void
ts_describe(void *impl, json_t *info)
{
	struct token_store *ts = impl;

	json_object_set_new(info, "token",
	    json_pack("{s:s, s:i, s:i}", "alg", "HS256", "keys", ts->nkeys,
	        "max_bytes", TOKEN_STORE_TOKEN_MAX));
}

static void
ts_close(void *impl)
{
	struct token_store *ts = impl;
	int i;

	for (i = 0; i < CONFIG_SECRETS_MAX; i++) {
		if (ts->keys[i].bytes != NULL) {
			explicit_bzero(ts->keys[i].bytes, ts->keys[i].len);
			free(ts->keys[i].bytes);
		}
	}
	free(ts->instance);
	free(ts->header);
	free(ts);
}

/* ------------------------------------------------------------------ */
/* Static helpers                                                       */
/* ------------------------------------------------------------------ */

/*
 * Read one secret file into key: at most TOKEN_STORE_KEY_MAX bytes, one
 * trailing newline dropped (echo and editors add it), then at least
 * TOKEN_STORE_KEY_MIN bytes.  Returns 0, or -1 with err filled.
 */
static int
load_key(const char *path, struct token_key *key, char *err, size_t errlen)
{
	unsigned char buf[TOKEN_STORE_KEY_MAX + 1];
	size_t len = 0;
	ssize_t n;
	int fd = -1, rc = -1;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		snprintf(err, errlen, "--token-secret-file %s: %s", path,
		    strerror(errno));
		goto done;
	}
	while (len < sizeof(buf) &&
	    (n = read(fd, buf + len, sizeof(buf) - len)) != 0) {
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			snprintf(err, errlen, "--token-secret-file %s: %s",
			    path, strerror(errno));
			goto done;
		}
		len += (size_t)n;
	}
	if (len > TOKEN_STORE_KEY_MAX) {
		snprintf(err, errlen,
		    "--token-secret-file %s: larger than %d bytes; the file "
		    "must hold one secret",
		    path, TOKEN_STORE_KEY_MAX);
		goto done;
	}
	if (len > 0 && buf[len - 1] == '\n')
		len--;
	if (len < TOKEN_STORE_KEY_MIN) {
		snprintf(err, errlen,
		    "--token-secret-file %s: the secret is %zu bytes, it must "
		    "be at least %d (e.g. 'head -c 48 /dev/urandom | base64 "
		    "> %s')",
		    path, len, TOKEN_STORE_KEY_MIN, path);
		goto done;
	}
	if ((key->bytes = malloc(len)) == NULL) {
		snprintf(err, errlen, "token_store: out of memory");
		goto done;
	}
	memcpy(key->bytes, buf, len);
	key->len = len;
	rc = 0;
done:
	explicit_bzero(buf, sizeof(buf));
	if (fd != -1)
		close(fd);
	return (rc);
}

/*
 * Sign a token without claims to learn the header libjwt writes for
 * ours, so that check_header can recognise it without parsing it.
 * Returns 0, or -1 when libjwt fails (out of memory).
 */
static int
learn_header(struct token_store *ts)
{
	jwt_t *jwt = NULL;
	char *token = NULL, *dot;
	int rc = -1;

	if (jwt_new(&jwt) != 0 ||
	    jwt_set_alg(jwt, JWT_ALG_HS256, ts->keys[0].bytes,
	        (int)ts->keys[0].len) != 0 ||
	    (token = jwt_encode_str(jwt)) == NULL ||
	    (dot = strchr(token, '.')) == NULL ||
	    (ts->header = strndup(token, (size_t)(dot - token))) == NULL)
		goto done;
	ts->header_len = strlen(ts->header);
	rc = 0;
done:
	free(token);
	jwt_free(jwt);
	return (rc);
}

/*
 * Decode len characters of unpadded base64url into out (outlen bytes).
 * Returns the decoded length, or -1 on a character outside the alphabet,
 * an impossible length, or too small an out.
 */
static ssize_t
b64url_decode(const char *in, size_t len, unsigned char *out, size_t outlen)
{
	uint32_t acc = 0;
	size_t i, n = 0;
	int bits = 0, v;
	char c;

	if (len % 4 == 1)
		return (-1);
	for (i = 0; i < len; i++) {
		c = in[i];
		if (c >= 'A' && c <= 'Z')
			v = c - 'A';
		else if (c >= 'a' && c <= 'z')
			v = c - 'a' + 26;
		else if (c >= '0' && c <= '9')
			v = c - '0' + 52;
		else if (c == '-')
			v = 62;
		else if (c == '_')
			v = 63;
		else
			return (-1);
		acc = (acc << 6) | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			if (n >= outlen)
				return (-1);
			out[n++] = (unsigned char)(acc >> bits);
		}
	}
	return ((ssize_t)n);
}

/*
 * Check the shape and the header of token before any key touches it:
 * three parts, a JSON header whose alg is exactly HS256.
 */
static enum store_rc
check_header(struct token_store *ts, const char *token, struct tok *tk)
{
	unsigned char raw[HEADER_MAX];
	const char *dot1, *dot2, *alg, *typ;
	json_t *head = NULL;
	enum store_rc rc = STORE_BADTOKEN;
	ssize_t n;
	int plain;

	dot1 = strchr(token, '.');
	dot2 = dot1 != NULL ? strchr(dot1 + 1, '.') : NULL;
	if (dot1 == NULL || dot2 == NULL || strchr(dot2 + 1, '.') != NULL ||
	    dot1 == token || dot2 == dot1 + 1) {
		snprintf(tk->detail, sizeof(tk->detail),
		    "the credential is not a JWT (header.payload.signature); "
		    "this server runs in token mode: log in again with POST "
		    "/api/sessions");
		goto done;
	}
	/* The header of every token signed here: nothing to parse. */
	if ((size_t)(dot1 - token) == ts->header_len &&
	    memcmp(token, ts->header, ts->header_len) == 0) {
		rc = STORE_OK;
		goto done;
	}
	if ((n = b64url_decode(
	         token, (size_t)(dot1 - token), raw, sizeof(raw))) == -1 ||
	    (head = json_loadb((const char *)raw, (size_t)n, 0, NULL)) ==
	        NULL ||
	    !json_is_object(head)) {
		snprintf(tk->detail, sizeof(tk->detail),
		    "the token's header is not base64url-encoded JSON");
		goto done;
	}
	if ((alg = json_string_value(json_object_get(head, "alg"))) == NULL) {
		snprintf(tk->detail, sizeof(tk->detail),
		    "the token's header names no algorithm (\"alg\"); this "
		    "server accepts only HS256");
		goto done;
	}
	if (strcasecmp(alg, "none") == 0) {
		snprintf(tk->detail, sizeof(tk->detail),
		    "the token is unsigned (alg \"none\"); this server accepts "
		    "only tokens signed with HS256 by its own key");
		goto done;
	}
	if (strcmp(alg, "HS256") != 0) {
		/* Echo the name only when it is short and plain. */
		plain = strlen(alg) <= 8 && strspn(alg, ALNUM) == strlen(alg);
		snprintf(tk->detail, sizeof(tk->detail),
		    "the token is signed with %s%s%s, not HS256; this server "
		    "accepts only HS256 tokens signed with its own key",
		    plain ? "\"" : "", plain ? alg : "another algorithm",
		    plain ? "\"" : "");
		goto done;
	}
	typ = json_string_value(json_object_get(head, "typ"));
	if (json_object_get(head, "typ") != NULL &&
	    (typ == NULL || strcasecmp(typ, "JWT") != 0)) {
		snprintf(tk->detail, sizeof(tk->detail),
		    "the token's header has a \"typ\" other than JWT");
		goto done;
	}
	rc = STORE_OK;
done:
	json_decref(head);
	return (rc);
}

/*
 * Check the signature under each key, newest first.  On success *jwtp
 * is the decoded token (the caller frees it).
 */
static enum store_rc
check_signature(
    struct token_store *ts, const char *token, jwt_t **jwtp, struct tok *tk)
{
	unsigned char raw[SESSION_TOKEN_MAX];
	const char *dot1, *dot2;
	json_t *payload;
	ssize_t n;
	int i;

	*jwtp = NULL;
	for (i = 0; i < ts->nkeys; i++) {
		if (jwt_decode(jwtp, token, ts->keys[i].bytes,
		        (int)ts->keys[i].len) == 0) {
			/* The header was checked; this is belt and braces. */
			if (jwt_get_alg(*jwtp) == JWT_ALG_HS256)
				return (STORE_OK);
			jwt_free(*jwtp);
			*jwtp = NULL;
			break;
		}
		*jwtp = NULL;
	}
	/* Failure costs a second look, to say what was wrong. */
	dot1 = strchr(token, '.');
	dot2 = strchr(dot1 + 1, '.');
	n = b64url_decode(
	    dot1 + 1, (size_t)(dot2 - dot1 - 1), raw, sizeof(raw));
	payload =
	    n == -1 ? NULL : json_loadb((const char *)raw, (size_t)n, 0, NULL);
	if (!json_is_object(payload))
		snprintf(tk->detail, sizeof(tk->detail),
		    "the token's payload is not base64url-encoded JSON");
	else
		snprintf(tk->detail, sizeof(tk->detail),
		    "the token's signature does not match: it was altered, or "
		    "signed with a key this server does not hold (rotated "
		    "out?); log in again with POST /api/sessions");
	json_decref(payload);
	return (STORE_BADTOKEN);
}

/*
 * Read the integer claim name of jwt into *out.  Returns 0, or -1 when
 * it is missing or not an integer.  libjwt answers 0 for a claim of
 * another type, so a 0 is confirmed from the claim's JSON.
 */
static int
claim_int(jwt_t *jwt, const char *name, int64_t *out)
{
	char *text;
	long v;
	int is_zero;

	errno = 0;
	v = jwt_get_grant_int(jwt, name);
	if (errno != 0)
		return (-1);
	if (v == 0) {
		text = jwt_get_grants_json(jwt, name);
		is_zero = text != NULL && strcmp(text, "0") == 0;
		free(text);
		if (!is_zero)
			return (-1);
	}
	*out = v;
	return (0);
}

/* A copy of the object claim name of jwt, or NULL if it is not one. */
static json_t *
claim_object(jwt_t *jwt, const char *name)
{
	json_t *v;
	char *text;

	if ((text = jwt_get_grants_json(jwt, name)) == NULL)
		return (NULL);
	v = json_loads(text, JSON_ALLOW_NUL, NULL);
	free(text);
	if (!json_is_object(v)) {
		json_decref(v);
		return (NULL);
	}
	return (v);
}

/*
 * Fill tk from the claims of tk->jwt, whose signature is good: each one
 * present with its type, read through libjwt, which has parsed them.
 */
static enum store_rc
check_claims(struct token_store *ts, struct tok *tk)
{
	int64_t iat, exp_s, exp_ms; /* iat: its type is all we check */
	const struct {
		const char *name;
		int type;
		int64_t *number; /* where an integer goes */
	} want[] = {
		{ "sub", JSON_STRING, NULL },
		{ "counter", JSON_INTEGER, &tk->counter },
		{ "data", JSON_OBJECT, NULL },
		{ "iat", JSON_INTEGER, &iat },
		{ "exp", JSON_INTEGER, &exp_s },
		{ "iss", JSON_STRING, NULL },
		{ "created_at", JSON_INTEGER, &tk->created_at },
		{ "created_by", JSON_STRING, NULL },
	};
	char when[CLOCK_RFC3339_MAX];
	size_t i;
	int ok;

	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		switch (want[i].type) {
		case JSON_STRING:
			ok = jwt_get_grant(tk->jwt, want[i].name) != NULL;
			break;
		case JSON_INTEGER:
			ok = claim_int(tk->jwt, want[i].name, want[i].number) ==
			    0;
			break;
		default:
			tk->data = claim_object(tk->jwt, want[i].name);
			ok = tk->data != NULL;
			break;
		}
		if (!ok) {
			snprintf(tk->detail, sizeof(tk->detail),
			    "the token's claim \"%s\" is missing or not %s",
			    want[i].name,
			    want[i].type == JSON_STRING       ? "a string"
			        : want[i].type == JSON_OBJECT ? "an object"
			                                      : "an integer");
			return (STORE_BADTOKEN);
		}
	}
	tk->user = jwt_get_grant(tk->jwt, "sub");
	if (!session_user_is_valid(tk->user)) {
		snprintf(tk->detail, sizeof(tk->detail),
		    "the token's claim \"sub\" is not a valid user name");
		return (STORE_BADTOKEN);
	}
	tk->created_by = jwt_get_grant(tk->jwt, "created_by");
	if (__builtin_mul_overflow(exp_s, 1000, &exp_ms) ||
	    exp_ms <= ts->now_ms()) {
		clock_format_rfc3339(exp_ms, when, sizeof(when));
		snprintf(tk->detail, sizeof(tk->detail),
		    "the token expired at %s, %lld s after its last use; log "
		    "in again with POST /api/sessions",
		    when, (long long)ts->ttl_s);
		return (STORE_EXPIRED);
	}
	return (STORE_OK);
}

/* Verify token completely; on STORE_OK tk holds its claims. */
static enum store_rc
verify(struct token_store *ts, const char *token, struct tok *tk)
{
	enum store_rc rc;

	memset(tk, 0, sizeof(*tk));
	if (strlen(token) > SESSION_TOKEN_MAX) {
		snprintf(tk->detail, sizeof(tk->detail),
		    "the token is longer than %d bytes", SESSION_TOKEN_MAX);
		return (STORE_BADTOKEN);
	}
	if ((rc = check_header(ts, token, tk)) != STORE_OK ||
	    (rc = check_signature(ts, token, &tk->jwt, tk)) != STORE_OK)
		return (rc);
	return (check_claims(ts, tk));
}

/*
 * Sign a token for tk's session with the first key, issued now_s by
 * this instance.  Fails with STORE_TOOBIG (detail in err) when the
 * token would exceed TOKEN_STORE_TOKEN_MAX - headroom bytes.
 */
static enum store_rc
issue(struct token_store *ts, const struct tok *tk, int64_t now_s,
    size_t headroom, char **tokenp, char *err, size_t errlen)
{
	json_t *data = NULL;
	jwt_t *jwt = NULL;
	char *text = NULL, *token = NULL;
	enum store_rc rc = STORE_NOMEM;
	size_t len;

	err[0] = '\0';
	/*
	 * Built afresh, so nothing but these claims is ever carried on: the
	 * numbers and strings one at a time, the data map as the one JSON
	 * text libjwt has to parse ({"data":{}} for a new session).
	 */
	if ((data = json_pack("{s:O}", "data", tk->data)) == NULL ||
	    (text = json_dumps(data, JSON_COMPACT)) == NULL ||
	    jwt_new(&jwt) != 0 ||
	    jwt_set_alg(jwt, JWT_ALG_HS256, ts->keys[0].bytes,
	        (int)ts->keys[0].len) != 0 ||
	    jwt_add_grants_json(jwt, text) != 0 ||
	    jwt_add_grant_int(jwt, "counter", tk->counter) != 0 ||
	    jwt_add_grant_int(jwt, "iat", now_s) != 0 ||
	    jwt_add_grant_int(jwt, "exp", now_s + ts->ttl_s) != 0 ||
	    jwt_add_grant_int(jwt, "created_at", tk->created_at) != 0 ||
	    jwt_add_grant(jwt, "sub", tk->user) != 0 ||
	    jwt_add_grant(jwt, "iss", ts->instance) != 0 ||
	    jwt_add_grant(jwt, "created_by", tk->created_by) != 0 ||
	    (token = jwt_encode_str(jwt)) == NULL)
		goto done;
	len = strlen(token);
	if (len + headroom > TOKEN_STORE_TOKEN_MAX) {
		snprintf(err, errlen,
		    "in token mode the whole session travels in the cookie, "
		    "which must stay under 4 KiB: with this change the token "
		    "would be %zu bytes (at most %d, with %zu kept free to "
		    "grow); store less data, or run --sessions remote",
		    len, TOKEN_STORE_TOKEN_MAX, headroom);
		rc = STORE_TOOBIG;
		goto done;
	}
	*tokenp = token;
	token = NULL;
	rc = STORE_OK;
done:
	free(token);
	jwt_free(jwt);
	free(text);
	json_decref(data);
	return (rc);
}

/*
 * Re-issue tk's session now, with headroom bytes kept free, and complete
 * with it; then release tk.
 */
static void
finish(struct token_store *ts, struct tok *tk, size_t headroom,
    store_done_fn done, void *arg)
{
	struct session s;
	char *token = NULL;
	int64_t now_s = ts->now_ms() / 1000;
	enum store_rc rc;

	rc = issue(
	    ts, tk, now_s, headroom, &token, tk->detail, sizeof(tk->detail));
	if (rc != STORE_OK) {
		fail(tk, rc, done, arg);
		return;
	}
	memset(&s, 0, sizeof(s));
	s.user = tk->user;
	s.counter = tk->counter;
	s.data = tk->data;
	s.created_at = tk->created_at;
	s.updated_at = now_s * 1000;
	s.expires_at = (now_s + ts->ttl_s) * 1000;
	s.created_by = tk->created_by;
	s.token = token;
	done(STORE_OK, &s, NULL, arg);
	free(token);
	tok_clear(tk);
}

/* Complete with rc and tk's detail (if any), then release tk. */
static void
fail(struct tok *tk, enum store_rc rc, store_done_fn done, void *arg)
{
	done(rc, NULL, tk->detail[0] != '\0' ? tk->detail : NULL, arg);
	tok_clear(tk);
}

static void
tok_clear(struct tok *tk)
{
	jwt_free(tk->jwt);
	tk->jwt = NULL;
	json_decref(tk->data);
	tk->data = NULL;
}

/* Whether some string in v holds U+0000. */
static int
holds_nul(const json_t *v)
{
	const char *key;
	json_t *item;
	size_t i;

	switch (json_typeof(v)) {
	case JSON_STRING:
		return (strlen(json_string_value(v)) != json_string_length(v));
	case JSON_ARRAY:
		json_array_foreach(v, i, item) if (holds_nul(item)) return (1);
		return (0);
	case JSON_OBJECT:
		json_object_foreach(
		    (json_t *)v, key, item) if (holds_nul(item)) return (1);
		return (0);
	default:
		return (0);
	}
}
