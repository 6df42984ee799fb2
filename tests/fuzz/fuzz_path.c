// SPDX-License-Identifier: MIT
/*
 * fuzz_path.c - the route table and percent-decoding: one request target
 * sent with every method the server knows, carrying the live session's
 * Bearer token, so /api/session/data/{key} decodes whatever key the
 * fuzzer makes up.
 *
 * Every reply must keep the protocol's invariants (harness_check): a
 * documented status, problem+json for errors, 405 with Allow, and no
 * change to the session from a refused request.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
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
	static const unsigned methods[] = { EVHTTP_REQ_GET, EVHTTP_REQ_HEAD,
		EVHTTP_REQ_POST, EVHTTP_REQ_PUT, EVHTTP_REQ_DELETE,
		EVHTTP_REQ_OPTIONS, EVHTTP_REQ_PATCH, EVHTTP_REQ_TRACE };
	struct harness_request rq;
	struct harness_reply reply;
	const char *headers[7];
	char auth[64], before[32768], *uri;
	size_t i, len;

	harness_reset();
	uri = harness_subst((const char *)data, size, &len);
	snprintf(auth, sizeof(auth), "Bearer %s", harness_token());
	headers[0] = "Authorization";
	headers[1] = auth;
	headers[2] = "Content-Type";
	headers[3] = "application/json";
	headers[4] = "Origin";
	headers[5] = "http://a.example";
	headers[6] = NULL;
	for (i = 0; i < sizeof(methods) / sizeof(methods[0]); i++) {
		memset(&rq, 0, sizeof(rq));
		rq.method = methods[i];
		rq.uri = uri;
		rq.headers = headers;
		rq.body = "1";
		rq.body_len = 1;
		harness_snapshot(before, sizeof(before));
		if (harness_dispatch(&rq, &reply) == 0)
			harness_check(&reply, before, uri);
	}
	free(uri);
	return (0);
}
