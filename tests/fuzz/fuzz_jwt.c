// SPDX-License-Identifier: MIT
/*
 * fuzz_jwt.c - JWT decoding and verification in token mode
 * (stateless/token_store.c, over libjwt), through the store interface the
 * handlers use.
 *
 * The store runs with the fixed development key and a frozen clock.  One
 * token is issued for alice at start; "@T@" in the input stands for it,
 * so mutations of a real token (a flipped claim, a swapped header, alg
 * "none", a cut signature) are reached at once.  The input, as a
 * credential, goes to get, incr and data_put.  Checked: every operation
 * completes exactly once, with a code the store may give; a success
 * carries a valid user name and, when a new token comes back, one that
 * is short enough for a cookie and of the credential alphabet.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>
#include <jansson.h>

#include "config.h"
#include "log.h"
#include "session.h"
#include "token_store.h"

#define FROZEN_NOW_MS 1767225600000LL

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct config cfg;
static struct event_base *base; /* kept: the store may hold it */
static struct session_store *store;
static char *issued;
static int calls;

static int64_t frozen_now(void);
static void on_issued(
    enum store_rc, const struct session *, const char *, void *);
static void on_done(
    enum store_rc, const struct session *, const char *, void *);
static void die(const char *, const char *);

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	static char *args[] = { "stateless", "--instance", "fuzz", "--sessions",
		"token", "--insecure-dev-secret", "--log-level", "error",
		NULL };
	struct store_params p;
	char err[256];
	int code;
	FILE *devnull = fopen("/dev/null", "w");

	(void)argc;
	(void)argv;
	if (devnull == NULL ||
	    config_load(&cfg, CONFIG_STATELESS, 8, args, devnull, err,
	        sizeof(err)) != CONFIG_OK)
		abort();
	fclose(devnull);
	log_init(LOG_LEVEL_ERROR, LOG_FORMAT_JSON, cfg.instance);
	p.base = base = event_base_new();
	p.cfg = &cfg;
	p.now_ms = frozen_now;
	if ((store = token_store_open(&p, err, sizeof(err), &code)) == NULL) {
		fprintf(stderr, "fuzz_jwt: %s\n", err);
		abort();
	}
	session_store_create(store, "alice", on_issued, NULL);
	if (issued == NULL)
		abort();
	return (0);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *mark = "@T@";
	char *in, *tok, *at;
	size_t len;
	json_t *one;

	if ((in = strndup((const char *)data, size)) == NULL)
		return (0);
	/* The first mark becomes the issued token. */
	len = strlen(in) + strlen(issued) + 1;
	if ((tok = malloc(len)) == NULL)
		abort();
	if ((at = strstr(in, mark)) != NULL)
		snprintf(tok, len, "%.*s%s%s", (int)(at - in), in, issued,
		    at + strlen(mark));
	else
		snprintf(tok, len, "%s", in);

	calls = 0;
	session_store_get(store, tok, on_done, tok);
	session_store_incr(store, tok, 1, on_done, tok);
	one = json_integer(1);
	session_store_data_put(store, tok, "k", one, on_done, tok);
	json_decref(one);
	if (calls != 3)
		die("an operation did not complete exactly once", tok);
	free(tok);
	free(in);
	return (0);
}

static int64_t
frozen_now(void)
{
	return (FROZEN_NOW_MS);
}

static void
on_issued(
    enum store_rc rc, const struct session *s, const char *detail, void *arg)
{
	(void)detail;
	(void)arg;
	if (rc == STORE_OK && s->token != NULL)
		issued = strdup(s->token);
}

static void
on_done(
    enum store_rc rc, const struct session *s, const char *detail, void *arg)
{
	const char *tok = arg;
	size_t n;

	calls++;
	switch (rc) {
	case STORE_OK:
		if (s == NULL || s->user == NULL ||
		    !session_user_is_valid(s->user))
			die("a success without a valid user", tok);
		if (s->token != NULL) {
			n = strspn(s->token,
			    "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
			    "abcdefghijklmnopqrstuvwxyz"
			    "0123456789-_.");
			if (n != strlen(s->token) || n > TOKEN_STORE_TOKEN_MAX)
				die("a re-issued token unfit for a cookie",
				    tok);
		}
		break;
	case STORE_NOTFOUND:
	case STORE_EXPIRED:
	case STORE_BADTOKEN:
	case STORE_INVALID:
	case STORE_TOOBIG:
	case STORE_NOMEM:
		if (detail != NULL && strlen(detail) > 1024)
			die("an overlong detail", tok);
		break;
	default:
		die("a code the token store should not give", tok);
	}
}

static void
die(const char *why, const char *what)
{
	fprintf(stderr, "fuzz_jwt: %s: '%s'\n", why, what);
	abort();
}
