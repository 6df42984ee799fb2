// SPDX-License-Identifier: MIT
/*
 * fuzz_framing.c - framing_check() against a reference model.
 *
 * Input: "Name: value" lines, as in fuzz_credential.  The model says, in
 * the plainest code, what RFC 9112 asks: names are tokens, Content-Length
 * copies are equal digit strings, Transfer-Encoding is one "chunked" and
 * never with Content-Length.  framing_check() must agree with it on every
 * input, and give a reason whenever it refuses.
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

#include "framing.h"

#define MAX_HEADERS 32

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int model(const struct evkeyvalq *);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct evkeyvalq headers;
	char *text, *line, *next, *colon;
	const char *why = NULL;
	int n = 0, rc;

	if ((text = strndup((const char *)data, size)) == NULL)
		return (0);
	TAILQ_INIT(&headers);
	for (line = text; line != NULL && n < MAX_HEADERS; line = next) {
		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		if ((colon = strchr(line, ':')) == NULL)
			continue;
		*colon = '\0';
		if (evhttp_add_header(&headers, line,
		        colon + 1 + strspn(colon + 1, " ")) == 0)
			n++;
	}
	rc = framing_check(&headers, &why);
	if (rc != model(&headers) || (rc == -1 && why == NULL)) {
		fprintf(stderr, "fuzz_framing: framing_check says %d\n", rc);
		abort();
	}
	evhttp_clear_headers(&headers);
	free(text);
	return (0);
}

static int
model(const struct evkeyvalq *headers)
{
	const struct evkeyval *h, *k;
	const char *p;
	int te = 0, cl = 0;

	TAILQ_FOREACH(h, headers, next)
	{
		if (*h->key == '\0')
			return (-1);
		for (p = h->key; *p != '\0'; p++) {
			if (!((*p >= 'a' && *p <= 'z') ||
			        (*p >= 'A' && *p <= 'Z') ||
			        (*p >= '0' && *p <= '9') ||
			        strchr("!#$%&'*+-.^_`|~", *p) != NULL))
				return (-1);
		}
		if (strcasecmp(h->key, "Transfer-Encoding") == 0) {
			te++;
			if (strcasecmp(h->value, "chunked") != 0)
				return (-1);
		}
		if (strcasecmp(h->key, "Content-Length") == 0) {
			cl++;
			if (*h->value == '\0')
				return (-1);
			for (p = h->value; *p != '\0'; p++) {
				if (*p < '0' || *p > '9')
					return (-1);
			}
			TAILQ_FOREACH(k, headers, next)
			{
				if (strcasecmp(k->key, "Content-Length") == 0 &&
				    strcmp(k->value, h->value) != 0)
					return (-1);
			}
		}
	}
	return (te > 1 || (te > 0 && cl > 0) ? -1 : 0);
}
