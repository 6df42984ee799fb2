// SPDX-License-Identifier: MIT
/*
 * fuzz_credential.c - credential_find() over a header list built from
 * the input, one "Name: value" per line (Authorization, Cookie, and
 * whatever else the fuzzer invents).
 *
 * Checked: the result is one of the three codes and consistent with its
 * out-parameters; a found token is 1..SESSION_TOKEN_MAX characters of
 * base64url and '.', and is a piece of some Authorization or Cookie
 * value; no Authorization and no usable sid cookie is NONE; the same
 * headers always give the same answer.
 */
#include <sys/queue.h>

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "credential.h"
#include "session.h"

#define MAX_HEADERS 32

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int appears_in(const struct evkeyvalq *, const char *);
static void die(const char *, const char *);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct evkeyvalq headers;
	const struct evkeyval *h;
	enum credential_rc rc, rc2;
	char *text, *line, *next, *colon, *v, *token = NULL, *token2 = NULL;
	const char *why = NULL, *why2 = NULL;
	int n = 0, auth = 0;

	if ((text = strndup((const char *)data, size)) == NULL)
		return (0);
	TAILQ_INIT(&headers);
	for (line = text; line != NULL && n < MAX_HEADERS; line = next) {
		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		if ((colon = strchr(line, ':')) == NULL)
			continue;
		*colon = '\0';
		v = colon + 1 + strspn(colon + 1, " ");
		if (evhttp_add_header(&headers, line, v) == 0)
			n++;
	}
	TAILQ_FOREACH(h, &headers, next)
	{
		if (strcasecmp(h->key, "Authorization") == 0)
			auth = 1;
	}

	rc = credential_find(&headers, &token, &why);
	rc2 = credential_find(&headers, &token2, &why2);
	if (rc != rc2 || (token == NULL) != (token2 == NULL) ||
	    (token != NULL && strcmp(token, token2) != 0))
		die("two calls disagree", text);
	switch (rc) {
	case CREDENTIAL_FOUND:
		if (token == NULL || *token == '\0' ||
		    strlen(token) > SESSION_TOKEN_MAX ||
		    strspn(token,
		        "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
		        "abcdefghijklmnopqrstuvwxyz0123456789-_.") !=
		        strlen(token))
			die("a malformed token was accepted", token);
		if (!appears_in(&headers, token))
			die("the token is in no credential header", token);
		break;
	case CREDENTIAL_BAD:
		if (token != NULL || why == NULL || *why == '\0')
			die("BAD without a reason, or with a token", text);
		break;
	case CREDENTIAL_NONE:
		if (token != NULL || auth)
			die("NONE with a token or an Authorization header",
			    text);
		break;
	default:
		die("an unknown result", text);
	}
	free(token);
	free(token2);
	evhttp_clear_headers(&headers);
	free(text);
	return (0);
}

/* Is token a substring of some Authorization or Cookie value? */
static int
appears_in(const struct evkeyvalq *headers, const char *token)
{
	const struct evkeyval *h;

	TAILQ_FOREACH(h, headers, next)
	{
		if ((strcasecmp(h->key, "Authorization") == 0 ||
		        strcasecmp(h->key, "Cookie") == 0) &&
		    strstr(h->value, token) != NULL)
			return (1);
	}
	return (0);
}

static void
die(const char *why, const char *what)
{
	fprintf(stderr, "fuzz_credential: %s: '%s'\n", why, what);
	abort();
}
