// SPDX-License-Identifier: MIT
/*
 * fuzz_request_id.c - X-Request-Id validation (request.c).
 *
 * The client's id is echoed and logged unescaped, so it is taken only
 * when it is 1..64 characters of [A-Za-z0-9._:-]; anything else is
 * replaced by one the server makes.  Checked both ways: a safe id comes
 * back unchanged, an unsafe one never comes back.
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

static const char safe[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._:-";

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
	struct harness_request rq;
	struct harness_reply reply;
	const char *headers[3];
	char *id;
	size_t n;
	int is_safe;

	if ((id = strndup((const char *)data, size)) == NULL)
		return (0);
	harness_reset();
	headers[0] = "X-Request-Id";
	headers[1] = id;
	headers[2] = NULL;
	memset(&rq, 0, sizeof(rq));
	rq.method = EVHTTP_REQ_GET;
	rq.uri = "/healthz";
	rq.headers = headers;
	if (harness_dispatch(&rq, &reply) == 0) {
		harness_check(&reply, NULL, "X-Request-Id");
		n = strspn(id, safe);
		is_safe = n > 0 && n <= 64 && id[n] == '\0';
		if (is_safe != (strcmp(reply.request_id, id) == 0)) {
			fprintf(stderr,
			    "fuzz_request_id: sent '%s', got '%s'\n", id,
			    reply.request_id);
			abort();
		}
	}
	free(id);
	return (0);
}
