// SPDX-License-Identifier: MIT
/*
 * fuzz_session_text.c - session_text_write() against jansson.
 *
 * The input is split at '\n' into user, created_by, token,
 * store_instance and a data map (JSON), then 3 times and the counter are
 * read from its first bytes.  Whatever the strings hold, the fast writer
 * must append exactly what json_dumps(json_out_session()) gives, or fail
 * where jansson fails (invalid UTF-8).  The data map is tried both as
 * jansson values and as the compact text a store keeps.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <jansson.h>

#include "harness.h"
#include "json_out.h"
#include "session.h"
#include "session_text.h"

#define MAX_MS 253402300800000ULL /* 10000-01-01T00:00:00Z */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void compare(const struct session *, const struct api_ctx *);
static int64_t take_i64(const uint8_t *, size_t, size_t);
static void die(const char *, const char *, const char *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int ready;
	struct session s;
	char *copy, *field[5] = { NULL }, *p;
	json_t *map = NULL;
	size_t i;

	if (!ready) {
		harness_init();
		harness_reset();
		ready = 1;
	}
	if ((copy = strndup((const char *)data, size)) == NULL)
		return (0);
	for (i = 0, p = copy; i < 5 && p != NULL; i++) {
		field[i] = p;
		if ((p = strchr(p, '\n')) != NULL)
			*p++ = '\0';
	}
	memset(&s, 0, sizeof(s));
	s.user = field[0];
	s.created_by = field[1] != NULL ? field[1] : "fuzz";
	s.token = field[2] != NULL && *field[2] != '\0' ? field[2] : NULL;
	s.store_instance =
	    field[3] != NULL && *field[3] != '\0' ? field[3] : NULL;
	/* Times from 1970 to the end of 9999, as RFC 3339 can write them. */
	s.created_at = (int64_t)((uint64_t)take_i64(data, size, 0) % MAX_MS);
	s.updated_at = (int64_t)((uint64_t)take_i64(data, size, 8) % MAX_MS);
	s.expires_at = (int64_t)((uint64_t)take_i64(data, size, 16) % MAX_MS);
	s.counter = take_i64(data, size, 24);
	if (field[4] != NULL)
		map = json_loads(field[4], JSON_ALLOW_NUL, NULL);
	if (map != NULL && !json_is_object(map)) {
		json_decref(map);
		map = NULL;
	}
	compare(&s, harness_ctx());
	if (map != NULL) {
		s.data = map;
		compare(&s, harness_ctx());
		s.data = NULL;
		if ((s.data_json = json_dumps(map, JSON_COMPACT)) != NULL)
			compare(&s, harness_ctx());
		free((char *)s.data_json);
		json_decref(map);
	}
	free(copy);
	return (0);
}

static void
compare(const struct session *s, const struct api_ctx *ctx)
{
	struct evbuffer *out = evbuffer_new();
	json_t *doc;
	char *want = NULL, *got;
	size_t n;
	int rc;

	if (out == NULL)
		abort();
	if ((doc = json_out_session(s, ctx)) != NULL) {
		want = json_dumps(doc, JSON_COMPACT);
		json_decref(doc);
	}
	rc = session_text_write(s, ctx, out);
	if (want == NULL) {
		/* jansson refused a string (not UTF-8): so must we. */
		if (rc != -1)
			die("wrote a document jansson refuses", "", "", 0);
		evbuffer_free(out);
		return;
	}
	if (rc != 0)
		die("failed where jansson succeeds", want, "", 0);
	n = evbuffer_get_length(out);
	got = (char *)evbuffer_pullup(out, -1);
	if (n != strlen(want) || memcmp(got, want, n) != 0)
		die("differs from jansson", want, got, n);
	free(want);
	evbuffer_free(out);
}

/* 8 input bytes at off as a signed number (0 past the end). */
static int64_t
take_i64(const uint8_t *data, size_t size, size_t off)
{
	uint64_t v = 0;
	size_t i;

	for (i = 0; i < 8 && off + i < size; i++)
		v = v << 8 | data[off + i];
	return ((int64_t)v);
}

static void
die(const char *what, const char *want, const char *got, size_t n)
{
	fprintf(stderr, "fuzz_session_text: %s\n want: %s\n got:  %.*s\n", what,
	    want, (int)n, got);
	abort();
}
