// SPDX-License-Identifier: MIT
/*
 * fuzz_token.c - token_is_wellformed(), token_base64url(), token_equal()
 * and token_memeq() against small reference models.
 *
 * Checked: well-formed means exactly TOKEN_LEN base64url characters;
 * encoding any bytes gives ceil(4n/3) characters that a reference decoder
 * turns back into the same bytes; token_equal agrees with strcmp and is
 * symmetric; token_memeq agrees with memcmp.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "token.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

static size_t decode(const char *, unsigned char *);
static void die(const char *);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s, *out, *a, *b;
	unsigned char *back;
	size_t n, half;
	int want;

	/* token_is_wellformed on the input as a C string. */
	if ((s = strndup((const char *)data, size)) == NULL)
		return (0);
	n = strspn(s, alphabet);
	want = n == TOKEN_LEN && s[n] == '\0';
	if (token_is_wellformed(s) != want)
		die("token_is_wellformed disagrees with the alphabet");

	/* Encode, then decode with the reference. */
	out = malloc(4 * ((size + 2) / 3) + 1);
	back = malloc(size + 3);
	if (out == NULL || back == NULL)
		abort();
	n = token_base64url(data, size, out);
	if (n != (4 * size + 2) / 3 || strlen(out) != n ||
	    strspn(out, alphabet) != n)
		die("the encoding has the wrong length or alphabet");
	if (decode(out, back) != size || memcmp(back, data, size) != 0)
		die("decoding the encoding does not give the input back");

	/* Split the input string in two and compare the halves. */
	half = strlen(s) / 2;
	a = strndup(s, half);
	b = strdup(s + half);
	if (a == NULL || b == NULL)
		abort();
	if (token_equal(a, b) != (strcmp(a, b) == 0) ||
	    token_equal(a, b) != token_equal(b, a) || !token_equal(s, s))
		die("token_equal disagrees with strcmp");
	n = strlen(a) < strlen(b) ? strlen(a) : strlen(b);
	if (token_memeq(a, b, n) != (memcmp(a, b, n) == 0))
		die("token_memeq disagrees with memcmp");
	free(a);
	free(b);
	free(out);
	free(back);
	free(s);
	return (0);
}

/* Reference base64url decoder, no padding; returns the byte count. */
static size_t
decode(const char *in, unsigned char *out)
{
	size_t i, len = strlen(in), o = 0;
	unsigned v = 0;
	int bits = 0;

	for (i = 0; i < len; i++) {
		v = v << 6 | (unsigned)(strchr(alphabet, in[i]) - alphabet);
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[o++] = (unsigned char)(v >> bits & 0xff);
		}
	}
	return (o);
}

static void
die(const char *why)
{
	fprintf(stderr, "fuzz_token: %s\n", why);
	abort();
}
