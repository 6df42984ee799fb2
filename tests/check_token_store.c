// SPDX-License-Identifier: MIT
/*
 * check_token_store.c - tests for stateless/token_store.c.
 *
 * The token store is not a row of the store contract: it keeps nothing,
 * so it cannot count sessions (count is -1), cannot enforce
 * --max-sessions, has nothing to sweep, and cannot make logout revoke a
 * token (a copy stays valid until its exp).  Every other promise of the
 * contract is checked here against its own rules: a new token on every
 * use, the sliding exp, strict verification with precise details, key
 * rotation, and the cookie-sized limit.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>
#include <event2/event.h>
#include <jwt.h>

#include "check_suites.h"
#include "config.h"
#include "log.h"
#include "session.h"
#include "store_sync.h"
#include "test_util.h"
#include "token_store.h"

#define K1 "0123456789abcdef0123456789abcdef-key-one"
#define K2 "fedcba9876543210fedcba9876543210-key-two"

static char dir[64];
static char k1[128], k2[128];

static void
write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	fclose(f);
}

static void
setup(void)
{
	log_init(LOG_LEVEL_ERROR, LOG_FORMAT_JSON, "token-test");
	snprintf(dir, sizeof(dir), "/tmp/statelab-token.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(k1, sizeof(k1), "%s/k1", dir);
	snprintf(k2, sizeof(k2), "%s/k2", dir);
	write_file(k1, K1 "\n");
	write_file(k2, K2 "\n");
	test_now = 1700000000000LL;
}

static void
teardown(void)
{
	char cmd[96];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	ck_assert_int_eq(system(cmd), 0);
}

/* A store over the flags given (NULL-terminated after instance). */
struct tstore {
	struct config cfg;
	struct session_store *st;
};

static void
topen(struct tstore *t, const char *instance, const char *f1, const char *f2)
{
	struct store_params p;
	char err[256];
	int code;

	test_config(&t->cfg, CONFIG_STATELESS, "--instance", instance,
	    "--session-ttl", "60", "--sessions", "token", "--token-secret-file",
	    f1, f2 != NULL ? "--token-secret-file" : NULL, f2, NULL);
	/* No loop: every operation completes before it returns. */
	p.base = NULL;
	p.cfg = &t->cfg;
	p.now_ms = test_now_ms;
	t->st = token_store_open(&p, err, sizeof(err), &code);
	ck_assert_msg(t->st != NULL, "%s", err);
}

static void
tclose(struct tstore *t)
{
	session_store_close(t->st);
	config_free(&t->cfg);
}

/* A claim of tok as an integer, read with key (libjwt, not our code). */
static long
claim_int(const char *tok, const char *key, const char *name)
{
	jwt_t *jwt = NULL;
	long v;

	ck_assert_int_eq(
	    jwt_decode(&jwt, tok, (const unsigned char *)key, (int)strlen(key)),
	    0);
	v = jwt_get_grant_int(jwt, name);
	jwt_free(jwt);
	return (v);
}

static const char *
claim_str(const char *tok, const char *key, const char *name)
{
	static char out[128];
	jwt_t *jwt = NULL;

	ck_assert_int_eq(
	    jwt_decode(&jwt, tok, (const unsigned char *)key, (int)strlen(key)),
	    0);
	snprintf(out, sizeof(out), "%s", jwt_get_grant(jwt, name));
	jwt_free(jwt);
	return (out);
}

/* base64url of text, no padding. */
static void
b64url(const char *text, char *out)
{
	static const char a[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	    "0123456789-_";
	const unsigned char *in = (const unsigned char *)text;
	size_t len = strlen(text), i;
	uint32_t v;

	for (i = 0; i + 2 < len; i += 3) {
		v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 |
		    in[i + 2];
		*out++ = a[v >> 18];
		*out++ = a[(v >> 12) & 63];
		*out++ = a[(v >> 6) & 63];
		*out++ = a[v & 63];
	}
	if (len - i == 1) {
		v = (uint32_t)in[i] << 16;
		*out++ = a[v >> 18];
		*out++ = a[(v >> 12) & 63];
	} else if (len - i == 2) {
		v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8;
		*out++ = a[v >> 18];
		*out++ = a[(v >> 12) & 63];
		*out++ = a[(v >> 6) & 63];
	}
	*out = '\0';
}

/* Sign claims (JSON) with key as HS256: a token we did not issue. */
static char *
forge(const char *claims, const char *key)
{
	jwt_t *jwt = NULL;
	char *tok;

	ck_assert_int_eq(jwt_new(&jwt), 0);
	ck_assert_int_eq(jwt_set_alg(jwt, JWT_ALG_HS256,
	                     (const unsigned char *)key, (int)strlen(key)),
	    0);
	ck_assert_int_eq(jwt_add_grants_json(jwt, claims), 0);
	tok = jwt_encode_str(jwt);
	jwt_free(jwt);
	return (tok);
}

START_TEST(test_every_use_reissues)
{
	struct tstore t;
	struct store_result r;
	char tok[4200], tok2[4200];

	topen(&t, "tok-a", k1, NULL);
	ck_assert_int_eq(store_sync_create(NULL, t.st, "alice", &r), STORE_OK);
	ck_assert_str_eq(r.user, "alice");
	ck_assert_int_eq(r.counter, 0);
	ck_assert_str_eq(r.data, "{}");
	ck_assert_str_eq(r.created_by, "tok-a");
	ck_assert_int_eq(r.expires_at, test_now + 60000);
	snprintf(tok, sizeof(tok), "%s", r.token);
	ck_assert_str_eq(claim_str(tok, K1, "sub"), "alice");
	ck_assert_str_eq(claim_str(tok, K1, "iss"), "tok-a");
	ck_assert_int_eq(
	    claim_int(tok, K1, "exp"), claim_int(tok, K1, "iat") + 60);
	ck_assert_int_eq(claim_int(tok, K1, "iat"), test_now / 1000);

	test_now += 30000;
	ck_assert_int_eq(store_sync_incr(NULL, t.st, tok, 41, &r), STORE_OK);
	ck_assert_int_eq(r.counter, 41);
	ck_assert_str_ne(r.token, tok);
	/* The TTL slides: exp moved with the use. */
	ck_assert_int_eq(r.expires_at, test_now + 60000);
	ck_assert_int_eq(claim_int(r.token, K1, "exp"), test_now / 1000 + 60);
	ck_assert_int_eq(r.created_at, 1700000000000LL);
	snprintf(tok2, sizeof(tok2), "%s", r.token);
	ck_assert_int_eq(
	    store_sync_data_put(NULL, t.st, tok2, "color", "\"blue\"", &r),
	    STORE_OK);
	ck_assert_str_eq(r.data, "{\"color\":\"blue\"}");
	snprintf(tok2, sizeof(tok2), "%s", r.token);
	ck_assert_int_eq(store_sync_get(NULL, t.st, tok2, &r), STORE_OK);
	ck_assert_int_eq(r.counter, 41);
	ck_assert_int_gt(strlen(r.token), 0);
	ck_assert_int_eq(
	    store_sync_data_delete(NULL, t.st, tok2, "color", &r), STORE_OK);
	ck_assert_str_eq(r.data, "{}");
	/* Replay: the old token is still good, with the old counter. */
	ck_assert_int_eq(store_sync_get(NULL, t.st, tok, &r), STORE_OK);
	ck_assert_int_eq(r.counter, 0);
	tclose(&t);
}
END_TEST

START_TEST(test_any_instance_serves)
{
	struct tstore a, b;
	struct store_result r;
	char tok[4200];

	topen(&a, "tok-a", k1, NULL);
	topen(&b, "tok-b", k1, NULL);
	ck_assert_int_eq(store_sync_create(NULL, a.st, "alice", &r), STORE_OK);
	snprintf(tok, sizeof(tok), "%s", r.token);
	ck_assert_int_eq(store_sync_incr(NULL, b.st, tok, 1, &r), STORE_OK);
	ck_assert_int_eq(r.counter, 1);
	ck_assert_str_eq(r.created_by, "tok-a");
	ck_assert_str_eq(claim_str(r.token, K1, "iss"), "tok-b");
	snprintf(tok, sizeof(tok), "%s", r.token);
	ck_assert_int_eq(store_sync_incr(NULL, a.st, tok, 1, &r), STORE_OK);
	ck_assert_int_eq(r.counter, 2);
	tclose(&a);
	tclose(&b);
}
END_TEST

START_TEST(test_rotation)
{
	struct tstore old, next, later;
	struct store_result r;
	char by_old[4200], by_next[4200];

	topen(&old, "old", k1, NULL);
	topen(&next, "next", k2, k1); /* signs with k2, still verifies k1 */
	topen(&later, "later", k2, NULL);
	ck_assert_int_eq(
	    store_sync_create(NULL, old.st, "alice", &r), STORE_OK);
	snprintf(by_old, sizeof(by_old), "%s", r.token);
	ck_assert_int_eq(store_sync_get(NULL, next.st, by_old, &r), STORE_OK);
	snprintf(by_next, sizeof(by_next), "%s", r.token);
	ck_assert_str_eq(claim_str(by_next, K2, "iss"), "next");
	/* The instance with the old key only cannot read the new token... */
	ck_assert_int_eq(
	    store_sync_get(NULL, old.st, by_next, &r), STORE_BADTOKEN);
	ck_assert_ptr_nonnull(strstr(r.detail, "signature"));
	/* ...and once k1 is retired, its tokens are refused. */
	ck_assert_int_eq(
	    store_sync_get(NULL, later.st, by_old, &r), STORE_BADTOKEN);
	ck_assert_ptr_nonnull(strstr(r.detail, "key"));
	ck_assert_int_eq(store_sync_get(NULL, later.st, by_next, &r), STORE_OK);
	tclose(&old);
	tclose(&next);
	tclose(&later);
}
END_TEST

START_TEST(test_expired)
{
	struct tstore t;
	struct store_result r;
	char tok[4200];

	topen(&t, "tok-a", k1, NULL);
	ck_assert_int_eq(store_sync_create(NULL, t.st, "alice", &r), STORE_OK);
	snprintf(tok, sizeof(tok), "%s", r.token);
	test_now += 59999;
	ck_assert_int_eq(store_sync_get(NULL, t.st, tok, &r), STORE_OK);
	test_now += 1;
	ck_assert_int_eq(store_sync_get(NULL, t.st, tok, &r), STORE_EXPIRED);
	ck_assert_ptr_nonnull(
	    strstr(r.detail, "expired at 2023-11-14T22:14:20"));
	ck_assert_int_eq(
	    store_sync_destroy(NULL, t.st, tok, &r), STORE_EXPIRED);
	tclose(&t);
}
END_TEST

START_TEST(test_tampered)
{
	struct tstore t;
	struct store_result r;
	char tok[4200], forged[4200], payload[512];
	char *dot, *sig;

	topen(&t, "tok-a", k1, NULL);
	ck_assert_int_eq(store_sync_create(NULL, t.st, "alice", &r), STORE_OK);
	snprintf(tok, sizeof(tok), "%s", r.token);
	/* A payload with a bigger counter under the old signature. */
	b64url("{\"counter\":1000000,\"created_at\":1700000000000,"
	       "\"created_by\":\"tok-a\",\"data\":{},\"exp\":1700000060,"
	       "\"iat\":1700000000,\"iss\":\"tok-a\",\"sub\":\"alice\"}",
	    payload);
	dot = strchr(tok, '.');
	sig = strrchr(tok, '.');
	snprintf(forged, sizeof(forged), "%.*s.%s%s", (int)(dot - tok), tok,
	    payload, sig);
	ck_assert_int_eq(
	    store_sync_get(NULL, t.st, forged, &r), STORE_BADTOKEN);
	ck_assert_msg(strstr(r.detail, "signature does not match") != NULL,
	    "%s", r.detail);
	/* One flipped character of the signature. */
	snprintf(forged, sizeof(forged), "%s", tok);
	forged[strlen(forged) - 2] =
	    forged[strlen(forged) - 2] == 'A' ? 'B' : 'A';
	ck_assert_int_eq(
	    store_sync_get(NULL, t.st, forged, &r), STORE_BADTOKEN);
	/* The same claims signed by someone else's key. */
	sig = forge("{\"counter\":5,\"created_at\":1700000000000,"
	            "\"created_by\":\"x\",\"data\":{},\"exp\":1900000000,"
	            "\"iat\":1700000000,\"iss\":\"x\",\"sub\":\"mallory\"}",
	    "not-the-key-not-the-key-not-the-key-0000");
	ck_assert_int_eq(store_sync_get(NULL, t.st, sig, &r), STORE_BADTOKEN);
	free(sig);
	tclose(&t);
}
END_TEST

START_TEST(test_wrong_algorithms)
{
	struct tstore t;
	struct store_result r;
	char tok[4200], head[128], forged[4200];
	const char *payload, *sig;
	jwt_t *jwt = NULL;
	char *hs512;

	topen(&t, "tok-a", k1, NULL);
	ck_assert_int_eq(store_sync_create(NULL, t.st, "alice", &r), STORE_OK);
	snprintf(tok, sizeof(tok), "%s", r.token);
	payload = strchr(tok, '.') + 1;
	sig = strrchr(tok, '.');

	b64url("{\"alg\":\"none\",\"typ\":\"JWT\"}", head);
	snprintf(forged, sizeof(forged), "%s.%.*s.", head, (int)(sig - payload),
	    payload);
	ck_assert_int_eq(
	    store_sync_get(NULL, t.st, forged, &r), STORE_BADTOKEN);
	ck_assert_msg(strstr(r.detail, "unsigned (alg \"none\")") != NULL, "%s",
	    r.detail);
	b64url("{\"alg\":\"NONE\"}", head);
	snprintf(forged, sizeof(forged), "%s.%.*s.", head, (int)(sig - payload),
	    payload);
	ck_assert_int_eq(
	    store_sync_get(NULL, t.st, forged, &r), STORE_BADTOKEN);
	ck_assert_ptr_nonnull(strstr(r.detail, "none"));

	b64url("{\"alg\":\"RS256\",\"typ\":\"JWT\"}", head);
	snprintf(forged, sizeof(forged), "%s.%s", head, payload);
	ck_assert_int_eq(
	    store_sync_get(NULL, t.st, forged, &r), STORE_BADTOKEN);
	ck_assert_msg(
	    strstr(r.detail, "signed with \"RS256\", not HS256") != NULL, "%s",
	    r.detail);

	/* HS512 with the right key is still the wrong algorithm. */
	ck_assert_int_eq(jwt_new(&jwt), 0);
	jwt_set_alg(
	    jwt, JWT_ALG_HS512, (const unsigned char *)K1, (int)strlen(K1));
	jwt_add_grants_json(jwt,
	    "{\"counter\":1,\"created_at\":1,\"created_by\":\"x\",\"data\":{},"
	    "\"exp\":1900000000,\"iat\":1,\"iss\":\"x\",\"sub\":\"a\"}");
	hs512 = jwt_encode_str(jwt);
	jwt_free(jwt);
	ck_assert_int_eq(store_sync_get(NULL, t.st, hs512, &r), STORE_BADTOKEN);
	ck_assert_ptr_nonnull(strstr(r.detail, "HS512"));
	free(hs512);
	b64url("{\"typ\":\"JWT\"}", head);
	snprintf(forged, sizeof(forged), "%s.%s", head, payload);
	ck_assert_int_eq(
	    store_sync_get(NULL, t.st, forged, &r), STORE_BADTOKEN);
	ck_assert_ptr_nonnull(strstr(r.detail, "no algorithm"));
	tclose(&t);
}
END_TEST

START_TEST(test_malformed)
{
	static const char *const bad[] = { "", "x", "AAAAAAAAAAAAAAAAAAAAAA",
		"a.b", "a.b.c.d", "..", "a..c", "%%%.b.c", "e30.e30.x",
		"' OR 1=1 --" };
	struct tstore t;
	struct store_result r;
	size_t i;

	topen(&t, "tok-a", k1, NULL);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ck_assert_int_eq(
		    store_sync_get(NULL, t.st, bad[i], &r), STORE_BADTOKEN);
		ck_assert_msg(
		    strlen(r.detail) > 0, "'%s' has no detail", bad[i]);
	}
	ck_assert_int_eq(
	    store_sync_get(NULL, t.st, "AAAAAAAAAAAAAAAAAAAAAA", &r),
	    STORE_BADTOKEN);
	ck_assert_ptr_nonnull(strstr(r.detail, "not a JWT"));
	tclose(&t);
}
END_TEST

START_TEST(test_claims_checked)
{
	static const struct {
		const char *claims;
		const char *detail;
	} cases[] = {
		{ "{\"sub\":\"a\"}", "\"counter\"" },
		{ "{\"counter\":\"5\",\"created_at\":1,\"created_by\":\"x\","
		  "\"data\":{},\"exp\":1900000000,\"iat\":1,\"iss\":\"x\","
		  "\"sub\":\"a\"}",
		    "\"counter\" is missing or not an integer" },
		{ "{\"counter\":5,\"created_at\":1,\"created_by\":\"x\","
		  "\"data\":[],\"exp\":1900000000,\"iat\":1,\"iss\":\"x\","
		  "\"sub\":\"a\"}",
		    "\"data\" is missing or not an object" },
		{ "{\"counter\":5,\"created_at\":1,\"created_by\":\"x\","
		  "\"data\":{},\"exp\":1900000000,\"iat\":1,\"iss\":\"x\","
		  "\"sub\":\"a b\"}",
		    "\"sub\" is not a valid user" },
		{ "{\"counter\":5,\"created_at\":1,\"created_by\":\"x\","
		  "\"data\":{},\"iat\":1,\"iss\":\"x\",\"sub\":\"a\"}",
		    "\"exp\"" },
		/* libjwt reads these as 0: the claim's JSON tells them apart.
		 */
		{ "{\"counter\":0.0,\"created_at\":1,\"created_by\":\"x\","
		  "\"data\":{},\"exp\":1900000000,\"iat\":1,\"iss\":\"x\","
		  "\"sub\":\"a\"}",
		    "\"counter\" is missing or not an integer" },
		{ "{\"counter\":false,\"created_at\":1,\"created_by\":\"x\","
		  "\"data\":{},\"exp\":1900000000,\"iat\":1,\"iss\":\"x\","
		  "\"sub\":\"a\"}",
		    "\"counter\" is missing or not an integer" },
		{ "{\"counter\":0,\"created_at\":null,\"created_by\":\"x\","
		  "\"data\":{},\"exp\":1900000000,\"iat\":1,\"iss\":\"x\","
		  "\"sub\":\"a\"}",
		    "\"created_at\" is missing or not an integer" },
		{ "{\"counter\":0,\"created_at\":1,\"created_by\":7,"
		  "\"data\":{},\"exp\":1900000000,\"iat\":1,\"iss\":\"x\","
		  "\"sub\":\"a\"}",
		    "\"created_by\" is missing or not a string" },
		{ "{\"counter\":0,\"created_at\":1,\"created_by\":\"x\","
		  "\"data\":\"{}\",\"exp\":1900000000,\"iat\":1,\"iss\":\"x\","
		  "\"sub\":\"a\"}",
		    "\"data\" is missing or not an object" },
	};
	struct tstore t;
	struct store_result r;
	char *tok;
	size_t i;

	topen(&t, "tok-a", k1, NULL);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		tok = forge(cases[i].claims, K1);
		ck_assert_int_eq(
		    store_sync_get(NULL, t.st, tok, &r), STORE_BADTOKEN);
		ck_assert_msg(strstr(r.detail, cases[i].detail) != NULL,
		    "case %zu: %s", i, r.detail);
		free(tok);
	}
	/* A true 0 is a counter like any other. */
	tok = forge("{\"counter\":0,\"created_at\":0,\"created_by\":\"x\","
	            "\"data\":{\"k\":[0]},\"exp\":1900000000,\"iat\":0,"
	            "\"iss\":\"x\",\"sub\":\"a\"}",
	    K1);
	ck_assert_int_eq(store_sync_get(NULL, t.st, tok, &r), STORE_OK);
	ck_assert_int_eq(r.counter, 0);
	ck_assert_int_eq(r.created_at, 0);
	ck_assert_str_eq(r.data, "{\"k\":[0]}");
	free(tok);
	tclose(&t);
}
END_TEST

/*
 * A header other than the one we write, in bytes, is parsed and checked:
 * another field, or the same fields in another order, is fine.
 */
START_TEST(test_other_headers)
{
	static const char claims[] =
	    "{\"counter\":3,\"created_at\":1,\"created_by\":\"x\","
	    "\"data\":{},\"exp\":1900000000,\"iat\":1,\"iss\":\"x\","
	    "\"sub\":\"a\"}";
	struct tstore t;
	struct store_result r;
	jwt_t *jwt = NULL;
	char *tok;

	topen(&t, "tok-a", k1, NULL);
	ck_assert_int_eq(jwt_new(&jwt), 0);
	ck_assert_int_eq(jwt_set_alg(jwt, JWT_ALG_HS256,
	                     (const unsigned char *)K1, (int)strlen(K1)),
	    0);
	ck_assert_int_eq(jwt_add_header(jwt, "kid", "2026-11"), 0);
	ck_assert_int_eq(jwt_add_grants_json(jwt, claims), 0);
	ck_assert_ptr_nonnull(tok = jwt_encode_str(jwt));
	jwt_free(jwt);
	ck_assert_int_eq(store_sync_get(NULL, t.st, tok, &r), STORE_OK);
	ck_assert_int_eq(r.counter, 3);
	free(tok);
	tclose(&t);
}
END_TEST

/*
 * libjwt cannot carry U+0000 in a string: a put of one is refused with
 * a reason, and the session it was meant for is unchanged.
 */
START_TEST(test_nul_in_data)
{
	struct tstore t;
	struct store_result r;
	char tok[4200];

	topen(&t, "tok-a", k1, NULL);
	ck_assert_int_eq(store_sync_create(NULL, t.st, "alice", &r), STORE_OK);
	snprintf(tok, sizeof(tok), "%s", r.token);
	ck_assert_int_eq(
	    store_sync_data_put(NULL, t.st, tok, "a", "[\"x\"]", &r), STORE_OK);
	snprintf(tok, sizeof(tok), "%s", r.token);
	ck_assert_int_eq(store_sync_data_put(NULL, t.st, tok, "b",
	                     "{\"deep\":[\"a\\u0000b\"]}", &r),
	    STORE_INVALID);
	ck_assert_msg(strstr(r.detail, "U+0000") != NULL, "%s", r.detail);
	ck_assert_int_eq(store_sync_get(NULL, t.st, tok, &r), STORE_OK);
	ck_assert_str_eq(r.data, "{\"a\":[\"x\"]}");
	tclose(&t);
}
END_TEST

START_TEST(test_size_limit)
{
	struct tstore t;
	struct store_result r;
	char tok[4200], value[2100];

	topen(&t, "tok-a", k1, NULL);
	ck_assert_int_eq(store_sync_create(NULL, t.st, "alice", &r), STORE_OK);
	snprintf(tok, sizeof(tok), "%s", r.token);
	memset(value, 'x', 1500);
	value[0] = value[1499] = '"';
	value[1500] = '\0';
	ck_assert_int_eq(
	    store_sync_data_put(NULL, t.st, tok, "a", value, &r), STORE_OK);
	ck_assert_int_le(strlen(r.token), TOKEN_STORE_TOKEN_MAX);
	snprintf(tok, sizeof(tok), "%s", r.token);
	ck_assert_int_eq(
	    store_sync_data_put(NULL, t.st, tok, "b", value, &r), STORE_TOOBIG);
	ck_assert_msg(strstr(r.detail, "4 KiB") != NULL, "%s", r.detail);
	ck_assert_ptr_nonnull(strstr(r.detail, "--sessions remote"));
	/* Nothing changed: the last good token still has one key. */
	ck_assert_int_eq(store_sync_get(NULL, t.st, tok, &r), STORE_OK);
	ck_assert_ptr_null(strstr(r.data, "\"b\""));
	/* After a put that fits, the counter can still grow to its widest. */
	ck_assert_int_eq(
	    store_sync_incr(NULL, t.st, tok, INT64_MIN, &r), STORE_OK);
	ck_assert_int_le(strlen(r.token), TOKEN_STORE_TOKEN_MAX);
	tclose(&t);
}
END_TEST

START_TEST(test_overflow_and_logout)
{
	struct tstore t;
	struct store_result r;
	char tok[4200];

	topen(&t, "tok-a", k1, NULL);
	ck_assert_int_eq(store_sync_create(NULL, t.st, "alice", &r), STORE_OK);
	snprintf(tok, sizeof(tok), "%s", r.token);
	ck_assert_int_eq(
	    store_sync_incr(NULL, t.st, tok, INT64_MAX, &r), STORE_OK);
	snprintf(tok, sizeof(tok), "%s", r.token);
	ck_assert_int_eq(
	    store_sync_incr(NULL, t.st, tok, 1, &r), STORE_INVALID);
	ck_assert_int_gt(strlen(r.detail), 0);
	ck_assert_int_eq(store_sync_destroy(NULL, t.st, tok, &r), STORE_OK);
	/* No revocation: a kept copy stays valid until its exp. */
	ck_assert_int_eq(store_sync_get(NULL, t.st, tok, &r), STORE_OK);
	ck_assert_int_eq(session_store_count(t.st), -1);
	ck_assert_int_eq(session_store_sweep(t.st, test_now + 1000000), 0);
	ck_assert_int_eq(session_store_is_ready(t.st), 1);
	ck_assert_str_eq(session_store_name(t.st), "token");
	tclose(&t);
}
END_TEST

/* Open with these flags; returns the exit code (0 when it opened). */
static int
try_open(char *err, size_t errlen, ...)
{
	struct store_params p;
	struct session_store *st;
	struct config cfg;
	const char *f[6] = { NULL };
	va_list ap;
	int code = 0, n = 0;

	va_start(ap, errlen);
	while (n < 5 && (f[n] = va_arg(ap, const char *)) != NULL)
		n++;
	va_end(ap);
	test_config(&cfg, CONFIG_STATELESS, "--sessions", "token", f[0], f[1],
	    f[2], f[3], f[4], NULL);
	p.base = NULL;
	p.cfg = &cfg;
	p.now_ms = test_now_ms;
	err[0] = '\0';
	st = token_store_open(&p, err, errlen, &code);
	if (st != NULL)
		code = 0;
	session_store_close(st);
	config_free(&cfg);
	return (code);
}

START_TEST(test_secrets)
{
	char err[512], path[128];

	ck_assert_int_eq(try_open(err, sizeof(err), NULL), 2);
	ck_assert_ptr_nonnull(strstr(err, "--token-secret-file"));
	ck_assert_int_eq(
	    try_open(err, sizeof(err), "--insecure-dev-secret", NULL), 0);
	snprintf(path, sizeof(path), "%s/short", dir);
	/* 31 bytes and a newline: one byte short once the newline goes. */
	write_file(path, "0123456789012345678901234567890\n");
	ck_assert_int_eq(
	    try_open(err, sizeof(err), "--token-secret-file", path, NULL), 2);
	ck_assert_msg(strstr(err, "31 bytes") != NULL, "%s", err);
	ck_assert_ptr_nonnull(strstr(err, "at least 32"));
	write_file(path, "01234567890123456789012345678901\n");
	ck_assert_int_eq(
	    try_open(err, sizeof(err), "--token-secret-file", path, NULL), 0);
	ck_assert_int_eq(try_open(err, sizeof(err), "--token-secret-file",
	                     "/nonexistent/key", NULL),
	    2);
	ck_assert_ptr_nonnull(strstr(err, "/nonexistent/key"));
	/* The second file is checked as strictly as the first. */
	write_file(path, "short\n");
	ck_assert_int_eq(try_open(err, sizeof(err), "--token-secret-file", k1,
	                     "--token-secret-file", path, NULL),
	    2);
}
END_TEST

Suite *
token_store_suite(void)
{
	Suite *s;
	TCase *tc;

	s = suite_create("token_store");
	tc = tcase_create("core");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_every_use_reissues);
	tcase_add_test(tc, test_any_instance_serves);
	tcase_add_test(tc, test_rotation);
	suite_add_tcase(s, tc);
	tc = tcase_create("limits");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_expired);
	tcase_add_test(tc, test_size_limit);
	tcase_add_test(tc, test_overflow_and_logout);
	tcase_add_test(tc, test_secrets);
	suite_add_tcase(s, tc);
	tc = tcase_create("errors");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_tampered);
	tcase_add_test(tc, test_wrong_algorithms);
	tcase_add_test(tc, test_malformed);
	tcase_add_test(tc, test_claims_checked);
	tcase_add_test(tc, test_other_headers);
	tcase_add_test(tc, test_nul_in_data);
	suite_add_tcase(s, tc);
	return (s);
}
