// SPDX-License-Identifier: MIT
/*
 * fuzz_body.c - one JSON body sent to every endpoint that reads one:
 * POST /api/sessions, POST /api/session/counter and
 * PUT /api/session/data/k (the last two with the live session's token).
 *
 * Deep nesting, huge numbers, NUL inside strings, invalid UTF-8 and
 * duplicate keys all end here.  Each reply must keep the protocol's
 * invariants (harness_check), and a refused body must leave the session
 * exactly as it was.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <event2/http.h>

#include "harness.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

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
	static const struct {
		unsigned method;
		const char *uri;
	} targets[] = {
		{ EVHTTP_REQ_POST, "/api/sessions" },
		{ EVHTTP_REQ_POST, "/api/session/counter" },
		{ EVHTTP_REQ_PUT, "/api/session/data/k" },
	};
	struct harness_request rq;
	struct harness_reply reply;
	const char *headers[5];
	char auth[64], before[32768];
	size_t i;

	harness_reset();
	snprintf(auth, sizeof(auth), "Bearer %s", harness_token());
	headers[0] = "Content-Type";
	headers[1] = "application/json";
	headers[2] = "Authorization";
	headers[3] = auth;
	headers[4] = NULL;
	for (i = 0; i < sizeof(targets) / sizeof(targets[0]); i++) {
		memset(&rq, 0, sizeof(rq));
		rq.method = targets[i].method;
		rq.uri = targets[i].uri;
		rq.headers = headers;
		rq.body = data;
		rq.body_len = size;
		harness_snapshot(before, sizeof(before));
		if (harness_dispatch(&rq, &reply) == 0)
			harness_check(&reply, before, targets[i].uri);
	}
	return (0);
}
