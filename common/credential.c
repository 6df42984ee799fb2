// SPDX-License-Identifier: MIT
/*
 * credential.c - find the session token in a request: the sid cookie or
 * an Authorization: Bearer header.
 *
 * Browsers on the same origin send the cookie; the compare view, scripts
 * and other services send Bearer.  The parser is strict on purpose: a
 * value that is not a plausible token is refused here with a reason,
 * before any store sees it.  Nothing here logs a token.
 */
#include <sys/queue.h>

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "credential.h"
#include "session.h"

static int token_chars_ok(const char *, size_t);
static enum credential_rc take(const char *, size_t, char **, const char **);

enum credential_rc
credential_find(
    const struct evkeyvalq *headers, char **token, const char **errstr)
{
	const struct evkeyval *h;
	const char *auth = NULL, *val, *pos, *found = NULL;
	size_t len, found_len = 0;

	*token = NULL;
	TAILQ_FOREACH(h, headers, next)
	{
		if (strcasecmp(h->key, "Authorization") == 0) {
			if (auth != NULL) {
				*errstr =
				    "send one Authorization header, not several";
				return (CREDENTIAL_BAD);
			}
			auth = h->value;
		}
	}
	if (auth != NULL) {
		if (strncasecmp(auth, "Bearer ", 7) != 0) {
			*errstr =
			    "the Authorization header must be 'Bearer <token>'";
			return (CREDENTIAL_BAD);
		}
		auth += 7;
		while (*auth == ' ')
			auth++;
		len = strlen(auth);
		while (len > 0 && auth[len - 1] == ' ')
			len--;
		return (take(auth, len, token, errstr));
	}

	TAILQ_FOREACH(h, headers, next)
	{
		if (strcasecmp(h->key, "Cookie") != 0)
			continue;
		pos = NULL;
		while ((pos = credential_cookie_next(h->value,
		            CREDENTIAL_COOKIE, pos, &val, &len)) != NULL) {
			if (found != NULL &&
			    (found_len != len ||
			        memcmp(found, val, len) != 0)) {
				*errstr =
				    "two different sid cookies were sent; "
				    "clear the cookies for this site";
				return (CREDENTIAL_BAD);
			}
			found = val;
			found_len = len;
		}
	}
	if (found == NULL)
		return (CREDENTIAL_NONE);
	return (take(found, found_len, token, errstr));
}

const char *
credential_cookie_next(const char *header, const char *name, const char *from,
    const char **val, size_t *len)
{
	const char *p = from != NULL ? from : header, *end, *eq;
	size_t nlen = strlen(name);

	/* Cookie: a=1; sid=XYZ; b=2 -- pairs split by ';', spaces around. */
	while (*p != '\0') {
		while (*p == ' ' || *p == ';' || *p == '\t')
			p++;
		end = strchr(p, ';');
		if (end == NULL)
			end = p + strlen(p);
		eq = memchr(p, '=', (size_t)(end - p));
		if (eq != NULL && (size_t)(eq - p) == nlen &&
		    memcmp(p, name, nlen) == 0) {
			*val = eq + 1;
			*len = (size_t)(end - eq - 1);
			while (*len > 0 && (*val)[*len - 1] == ' ')
				(*len)--;
			/* A quoted value: "XYZ" is XYZ (RFC 6265). */
			if (*len >= 2 && (*val)[0] == '"' &&
			    (*val)[*len - 1] == '"') {
				(*val)++;
				*len -= 2;
			}
			return (end);
		}
		p = end;
	}
	return (NULL);
}

static enum credential_rc
take(const char *s, size_t len, char **token, const char **errstr)
{
	if (len == 0) {
		*errstr =
		    "the credential is empty; log in with POST /api/sessions";
		return (CREDENTIAL_BAD);
	}
	if (len > SESSION_TOKEN_MAX || !token_chars_ok(s, len)) {
		*errstr = "the credential is not a token this service issues; "
		          "log in again with POST /api/sessions";
		return (CREDENTIAL_BAD);
	}
	if ((*token = strndup(s, len)) == NULL) {
		*errstr = "out of memory";
		return (CREDENTIAL_BAD);
	}
	return (CREDENTIAL_FOUND);
}

/* base64url plus '.', which joins the three parts of a JWT. */
static int
token_chars_ok(const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++) {
		if (!((s[i] >= 'a' && s[i] <= 'z') ||
		        (s[i] >= 'A' && s[i] <= 'Z') ||
		        (s[i] >= '0' && s[i] <= '9') || s[i] == '-' ||
		        s[i] == '_' || s[i] == '.'))
			return (0);
	}
	return (1);
}
