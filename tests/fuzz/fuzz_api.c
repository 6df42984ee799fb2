// SPDX-License-Identifier: MIT
/*
 * fuzz_api.c - whole requests through api_dispatch(): routes, percent-
 * decoded keys, credentials, X-Request-Id, JSON bodies, limits.
 *
 * Input: up to four requests separated by a line "%%".  Each is
 *
 *   METHOD SP target LF
 *   Name: value LF        (any number; a line starting with a space
 *   ...                    continues the previous value, as evhttp does)
 *   LF
 *   body bytes
 *
 * and "@T@" anywhere stands for the token of the one live session, so a
 * short input can reach every handler.  A request evhttp would refuse
 * itself (unknown method, unparsable target, header without a colon) is
 * skipped.  After each request harness_check() enforces the protocol's
 * invariants, including "a rejected request changes nothing".
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

#define MAX_HEADERS 64
#define SEPARATOR   "\n%%\n"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void run_one(char *, size_t);
static char *next_line(char **, char *);

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	harness_init();
	return (0);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text, *p, *end, *sep;
	size_t len;
	int n;

	harness_reset();
	text = harness_subst((const char *)data, size, &len);
	end = text + len;
	for (p = text, n = 0; p < end && n < 4; n++) {
		sep =
		    memmem(p, (size_t)(end - p), SEPARATOR, strlen(SEPARATOR));
		if (sep == NULL)
			sep = end;
		*sep = '\0';
		run_one(p, (size_t)(sep - p));
		p = sep + (sep == end ? 0 : strlen(SEPARATOR));
	}
	free(text);
	return (0);
}

/* Parse one request of the input format above and dispatch it. */
static void
run_one(char *s, size_t len)
{
	struct harness_request rq;
	struct harness_reply reply;
	const char *headers[2 * MAX_HEADERS + 1];
	char *end = s + len, *line, *sp, *colon, *v, *prev = NULL;
	char before[32768], what[160];
	size_t n = 0, vlen;

	memset(&rq, 0, sizeof(rq));
	if ((line = next_line(&s, end)) == NULL ||
	    (sp = strchr(line, ' ')) == NULL)
		return;
	*sp = '\0';
	if ((rq.method = harness_method(line)) == 0)
		return; /* evhttp answers 501 itself */
	rq.uri = sp + 1;
	while ((line = next_line(&s, end)) != NULL && *line != '\0') {
		if ((*line == ' ' || *line == '\t') && prev != NULL) {
			/* Folded header: evhttp appends it to the last value.
			 */
			continue;
		}
		if ((colon = strchr(line, ':')) == NULL || n == MAX_HEADERS)
			return; /* evhttp answers 400 itself */
		*colon = '\0';
		v = colon + 1;
		v += strspn(v, " \t");
		vlen = strlen(v);
		while (vlen > 0 && (v[vlen - 1] == ' ' || v[vlen - 1] == '\t'))
			v[--vlen] = '\0';
		headers[2 * n] = line;
		headers[2 * n + 1] = v;
		prev = v;
		n++;
	}
	headers[2 * n] = NULL;
	rq.headers = headers;
	rq.body = s < end ? s : NULL;
	rq.body_len = s < end ? (size_t)(end - s) : 0;

	harness_snapshot(before, sizeof(before));
	snprintf(what, sizeof(what), "%s", rq.uri);
	if (harness_dispatch(&rq, &reply) == 0)
		harness_check(&reply, before, what);
}

/* Cut the next LF-terminated line (CR LF too) out of *s; NULL at end. */
static char *
next_line(char **s, char *end)
{
	char *line = *s, *lf;

	if (*s >= end)
		return (NULL);
	if ((lf = memchr(*s, '\n', (size_t)(end - *s))) == NULL)
		lf = end;
	*lf = '\0';
	*s = lf < end ? lf + 1 : end;
	if (lf > line && lf[-1] == '\r')
		lf[-1] = '\0';
	return (line);
}
