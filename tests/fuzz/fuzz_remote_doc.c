// SPDX-License-Identifier: MIT
/*
 * fuzz_remote_doc.c - what the stateless binary in remote mode reads
 * from the stateful service (common/remote_doc.c): the session
 * document, problem documents and RFC 3339 times.  A store is a peer,
 * not a user, but a wrong URL or a proxy in between can answer anything.
 *
 * Input: first byte picks a status (200, 401, 404, 503, other), the rest
 * is the answer's body.  Checked: nothing crashes; a document accepted as
 * a session has a user, a creator and three times; a time accepted once
 * is accepted again and gives the same instant.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "remote_doc.h"
#include "session.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void die(const char *);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const int statuses[] = { 200, 401, 404, 503, 418 };
	struct session s;
	json_t *doc;
	char *text;
	int64_t ms, again;

	if (size == 0)
		return (0);
	doc = json_loadb((const char *)data + 1, size - 1,
	    JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);
	(void)remote_doc_problem_rc(
	    statuses[data[0] % (sizeof(statuses) / sizeof(statuses[0]))], doc);
	if (doc != NULL && remote_doc_session(doc, &s) == 0 &&
	    (s.user == NULL || s.created_by == NULL))
		die("a session without a user or creator");
	json_decref(doc);

	/* The body as a time string. */
	if ((text = strndup((const char *)data + 1, size - 1)) == NULL)
		return (0);
	if (remote_doc_time(text, &ms) == 0 &&
	    (remote_doc_time(text, &again) != 0 || again != ms))
		die("a time parsed twice gives two answers");
	free(text);
	return (0);
}

static void
die(const char *why)
{
	fprintf(stderr, "fuzz_remote_doc: %s\n", why);
	abort();
}
