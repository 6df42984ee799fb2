// SPDX-License-Identifier: MIT
/*
 * check_session_text.c - tests for common/session_text.c.
 *
 * The fast writer must give exactly the bytes jansson gives for
 * json_out_session(): every test writes a session both ways and compares,
 * for plain strings (the fast path) and for every reason to leave it.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>
#include <event2/buffer.h>
#include <event2/event.h>
#include <jansson.h>

#include "api.h"
#include "check_suites.h"
#include "config.h"
#include "json_out.h"
#include "log.h"
#include "memory_store.h"
#include "session.h"
#include "session_text.h"
#include "test_util.h"

static struct config cfg;
static struct api_ctx ctx;

static int64_t
fixed_now(void)
{
	return (1700000000000LL);
}

static void
setup(void)
{
	struct store_params p;
	char err[256];

	log_init(LOG_LEVEL_ERROR, LOG_FORMAT_JSON, "text-test");
	test_config(&cfg, CONFIG_STATELESS, "--instance", "text-test", NULL);
	memset(&ctx, 0, sizeof(ctx));
	ctx.cfg = &cfg;
	ctx.base = event_base_new();
	snprintf(ctx.boot_id, sizeof(ctx.boot_id), "0123456789abcdef");
	p.base = ctx.base;
	p.cfg = &cfg;
	p.now_ms = fixed_now;
	ctx.store = memory_store_open(&p, err, sizeof(err));
	ck_assert_msg(ctx.store != NULL, "%s", err);
	ck_assert_int_eq(json_out_served_by_init(&ctx), 0);
}

static void
teardown(void)
{
	json_out_served_by_free(&ctx);
	session_store_close(ctx.store);
	event_base_free(ctx.base);
	config_free(&cfg);
}

/* A session with plain strings everywhere. */
static struct session
plain(void)
{
	struct session s = {
		.user = "alice@example.org",
		.counter = 42,
		.created_at = 1700000000123LL,
		.updated_at = 1700000001456LL,
		.expires_at = 1700001800789LL,
		.created_by = "stateful-0",
	};

	return (s);
}

/* What jansson writes for s: the reference. */
static char *
reference(const struct session *s)
{
	json_t *doc = json_out_session(s, &ctx);
	char *text;

	ck_assert_ptr_nonnull(doc);
	text = json_dumps(doc, JSON_COMPACT);
	json_decref(doc);
	ck_assert_ptr_nonnull(text);
	return (text);
}

/* What session_text_write appends, as a string. */
static char *
written(const struct session *s)
{
	struct evbuffer *out = evbuffer_new();
	size_t n;
	char *text;

	ck_assert_ptr_nonnull(out);
	evbuffer_add(out, "x", 1); /* appends: what was there stays */
	ck_assert_int_eq(session_text_write(s, &ctx, out), 0);
	n = evbuffer_get_length(out);
	ck_assert_ptr_nonnull(text = malloc(n + 1));
	evbuffer_remove(out, text, n);
	text[n] = '\0';
	evbuffer_free(out);
	ck_assert_int_eq(text[0], 'x');
	memmove(text, text + 1, n);
	return (text);
}

static void
same(const struct session *s)
{
	char *want = reference(s), *got = written(s);

	ck_assert_str_eq(got, want);
	free(want);
	free(got);
}

START_TEST(test_plain)
{
	struct session s = plain();
	char *got;

	same(&s);
	got = written(&s);
	/* The shape, spelled out once, so both ways cannot drift together. */
	ck_assert_str_eq(got,
	    "{\"user\":\"alice@example.org\",\"counter\":42,\"data\":{},"
	    "\"created_at\":\"2023-11-14T22:13:20.123Z\","
	    "\"updated_at\":\"2023-11-14T22:13:21.456Z\","
	    "\"expires_at\":\"2023-11-14T22:43:20.789Z\","
	    "\"created_by\":\"stateful-0\",\"served_by\":{\"instance\":"
	    "\"text-test\",\"service\":\"stateless\",\"store\":\"memory\","
	    "\"boot_id\":\"0123456789abcdef\"}}");
	free(got);
}
END_TEST

START_TEST(test_token_and_store_instance)
{
	struct session s = plain();

	s.token = "0123456789abcdef0123456789abcdef.stateful-1";
	same(&s);
	s.store_instance = "stateful-2";
	same(&s);
	s.token = NULL;
	same(&s);
}
END_TEST

START_TEST(test_counters)
{
	struct session s = plain();
	const int64_t values[] = { 0, 1, -1, 9, 10, -10, 1234567890123LL,
		INT64_MAX, INT64_MIN, INT64_MIN + 1 };
	size_t i;

	for (i = 0; i < sizeof(values) / sizeof(values[0]); i++) {
		s.counter = values[i];
		same(&s);
	}
}
END_TEST

START_TEST(test_times)
{
	struct session s = plain();

	s.created_at = 0;
	s.updated_at = -1;
	s.expires_at = 253402300799999LL; /* 9999-12-31T23:59:59.999Z */
	same(&s);
}
END_TEST

START_TEST(test_data_as_values_and_as_text)
{
	struct session s = plain();
	json_t *map = json_pack("{s:s, s:[i, f, n, b], s:{s:s}}", "color",
	    "bl\"ue\n\xc3\xa9", "list", 1, 1.1, 0, "nested", "k", "v");
	char *text, *via_values;

	ck_assert_ptr_nonnull(map);
	/* A NUL inside a value, as the API allows. */
	json_object_set_new(map, "nul", json_stringn("a\0b", 3));
	s.data = map;
	same(&s);
	via_values = written(&s);
	text = json_dumps(map, JSON_COMPACT);
	s.data = NULL;
	s.data_json = text;
	same(&s);
	text = written(&s);
	ck_assert_str_eq(text, via_values);
	free(text);
	free(via_values);
	free((char *)s.data_json);
	json_decref(map);
}
END_TEST

START_TEST(test_strings_that_need_escaping)
{
	const char *odd[] = { "al\"ice", "back\\slash", "tab\there",
		"caf\xc3\xa9", "del\x7f", "", "line\nbreak" };
	struct session s;
	size_t i;

	for (i = 0; i < sizeof(odd) / sizeof(odd[0]); i++) {
		s = plain();
		s.user = odd[i];
		same(&s);
		s = plain();
		s.created_by = odd[i];
		same(&s);
		s = plain();
		s.token = odd[i];
		same(&s);
		s = plain();
		s.store_instance = odd[i];
		same(&s);
	}
}
END_TEST

START_TEST(test_larger_than_the_stack)
{
	struct session s = plain();
	char *big = malloc(SESSION_TEXT_STACK * 2);
	json_t *map;

	ck_assert_ptr_nonnull(big);
	memset(big, 'z', SESSION_TEXT_STACK * 2 - 1);
	big[SESSION_TEXT_STACK * 2 - 1] = '\0';
	map = json_pack("{s:s}", "big", big);
	ck_assert_ptr_nonnull(map);
	s.data = map;
	same(&s);
	s.data = NULL;
	s.data_json = json_dumps(map, JSON_COMPACT);
	same(&s);
	free((char *)s.data_json);
	json_decref(map);
	free(big);
}
END_TEST

START_TEST(test_without_served_by_text)
{
	struct session s = plain();
	char *saved = ctx.served_by_text;

	ctx.served_by_text = NULL;
	same(&s);
	ctx.served_by_text = saved;
}
END_TEST

START_TEST(test_is_plain)
{
	ck_assert(session_text_is_plain(""));
	ck_assert(session_text_is_plain("Az09._@-:/ ~!"));
	ck_assert(!session_text_is_plain("\""));
	ck_assert(!session_text_is_plain("\\"));
	ck_assert(!session_text_is_plain("\x1f"));
	ck_assert(!session_text_is_plain("\x7f"));
	ck_assert(!session_text_is_plain("\xc3\xa9"));
}
END_TEST

Suite *
session_text_suite(void)
{
	Suite *s = suite_create("session_text");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_plain);
	tcase_add_test(tc, test_token_and_store_instance);
	tcase_add_test(tc, test_counters);
	tcase_add_test(tc, test_times);
	tcase_add_test(tc, test_data_as_values_and_as_text);
	tcase_add_test(tc, test_strings_that_need_escaping);
	tcase_add_test(tc, test_larger_than_the_stack);
	tcase_add_test(tc, test_without_served_by_text);
	tcase_add_test(tc, test_is_plain);
	suite_add_tcase(s, tc);
	return (s);
}
