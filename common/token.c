// SPDX-License-Identifier: MIT
/*
 * token.c - opaque session tokens: random, base64url, compared in
 * constant time.
 *
 * A token is 128 bits from getrandom(2), encoded as 22 base64url
 * characters, so it is safe in a cookie, a header and a URL.  The server
 * only ever accepts tokens it issued (a store looks them up; an unknown
 * one is "not found"), so a client cannot choose its own session id
 * (no session fixation).
 *
 * What this module does not do: signed tokens (JWT) live with the token
 * store of the stateless binary, which uses libjwt.
 */
#include <sys/random.h>

#include <errno.h>
#include <string.h>

#include "token.h"

static int is_b64url(char);

static const char b64url[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

static int fill_random(unsigned char *, size_t);

int
token_generate(char *out)
{
	unsigned char raw[TOKEN_BYTES];

	if (fill_random(raw, sizeof(raw)) == -1)
		return (-1);
	token_base64url(raw, sizeof(raw), out);
	return (0);
}

int
token_random_hex(char *out, size_t nbytes)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char raw[64];
	size_t i;

	if (nbytes > sizeof(raw) || fill_random(raw, nbytes) == -1)
		return (-1);
	for (i = 0; i < nbytes; i++) {
		out[2 * i] = hex[raw[i] >> 4];
		out[2 * i + 1] = hex[raw[i] & 0xf];
	}
	out[2 * nbytes] = '\0';
	return (0);
}

int
token_is_wellformed(const char *s)
{
	size_t i;

	/* On every request: compared by range, not searched for. */
	for (i = 0; i < TOKEN_LEN; i++)
		if (!is_b64url(s[i]))
			return (0);
	return (s[TOKEN_LEN] == '\0');
}

/* Is c one of the 64 characters of base64url (RFC 4648 5)? */
static int
is_b64url(char c)
{
	return ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	    (c >= '0' && c <= '9') || c == '-' || c == '_');
}

int
token_equal(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);

	/* Lengths are not secret: every token we issue has the same one. */
	if (la != lb)
		return (0);
	return (token_memeq(a, b, la));
}

int
token_memeq(const void *a, const void *b, size_t n)
{
	const unsigned char *pa = a, *pb = b;
	unsigned char diff = 0;
	size_t i;

	/* No early exit: the time taken does not depend on where they differ.
	 */
	for (i = 0; i < n; i++)
		diff |= (unsigned char)(pa[i] ^ pb[i]);
	return (diff == 0);
}

size_t
token_base64url(const unsigned char *in, size_t len, char *out)
{
	size_t i, o = 0;
	unsigned v;

	for (i = 0; i + 2 < len; i += 3) {
		v = (unsigned)in[i] << 16 | (unsigned)in[i + 1] << 8 |
		    in[i + 2];
		out[o++] = b64url[v >> 18 & 63];
		out[o++] = b64url[v >> 12 & 63];
		out[o++] = b64url[v >> 6 & 63];
		out[o++] = b64url[v & 63];
	}
	/* One or two bytes left: two or three characters, no padding. */
	if (i < len) {
		v = (unsigned)in[i] << 16;
		if (i + 1 < len)
			v |= (unsigned)in[i + 1] << 8;
		out[o++] = b64url[v >> 18 & 63];
		out[o++] = b64url[v >> 12 & 63];
		if (i + 1 < len)
			out[o++] = b64url[v >> 6 & 63];
	}
	out[o] = '\0';
	return (o);
}

/* getrandom(2) may return short reads for large sizes or on EINTR. */
static int
fill_random(unsigned char *buf, size_t len)
{
	ssize_t n;
	size_t got = 0;

	while (got < len) {
		n = getrandom(buf + got, len - got, 0);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			return (-1);
		}
		got += (size_t)n;
	}
	return (0);
}
