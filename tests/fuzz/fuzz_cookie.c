// SPDX-License-Identifier: MIT
/*
 * fuzz_cookie.c - the Cookie header splitter, credential_cookie_next().
 *
 * The first input byte picks the cookie name looked for; the rest is the
 * header value.  Checked: the walk always ends (each step moves forward),
 * every value found lies inside the header, holds no ';', and sits right
 * after "name="; the number of values equals what a plain reference
 * split finds.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "credential.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static size_t reference_count(const char *, const char *);
static void die(const char *, const char *);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const names[] = { "sid", "a", "sid2", "s" };
	const char *name, *pos = NULL, *prev, *val, *hend;
	char *header;
	size_t len, nlen, found = 0;

	if (size == 0)
		return (0);
	name = names[data[0] % (sizeof(names) / sizeof(names[0]))];
	nlen = strlen(name);
	if ((header = strndup((const char *)data + 1, size - 1)) == NULL)
		return (0);
	hend = header + strlen(header);
	for (;;) {
		prev = pos;
		pos = credential_cookie_next(header, name, pos, &val, &len);
		if (pos == NULL)
			break;
		if (pos < header || pos > hend || (prev != NULL && pos <= prev))
			die("the walk did not move forward", header);
		if (val < header || val + len > hend)
			die("a value outside the header", header);
		if (memchr(val, ';', len) != NULL)
			die("a value with ';'", header);
		/* A quoted value starts one character later. */
		if (!((val - header >= (ptrdiff_t)nlen + 1 && val[-1] == '=' &&
		          memcmp(val - nlen - 1, name, nlen) == 0) ||
		        (val - header >= (ptrdiff_t)nlen + 2 &&
		            val[-1] == '"' && val[-2] == '=' &&
		            memcmp(val - nlen - 2, name, nlen) == 0)))
			die("a value not after name=", header);
		if (++found > strlen(header) + 1)
			die("more values than characters", header);
	}
	if (found != reference_count(header, name))
		die("the count differs from a plain split", header);
	free(header);
	return (0);
}

/* Split on ';', trim spaces and tabs on the left, compare "name=". */
static size_t
reference_count(const char *header, const char *name)
{
	size_t n = 0, nlen = strlen(name);
	const char *p = header, *end;

	while (*p != '\0') {
		p += strspn(p, " \t;");
		if (*p == '\0')
			break;
		end = strchr(p, ';');
		if (end == NULL)
			end = p + strlen(p);
		if ((size_t)(end - p) > nlen && strncmp(p, name, nlen) == 0 &&
		    p[nlen] == '=')
			n++;
		p = end;
	}
	return (n);
}

static void
die(const char *why, const char *what)
{
	fprintf(stderr, "fuzz_cookie: %s: '%s'\n", why, what);
	abort();
}
