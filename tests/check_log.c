// SPDX-License-Identifier: MIT
/*
 * check_log.c - tests for common/log.c: JSON lines with the required
 * fields, level filtering, text format.  stdout is redirected to a file
 * for each test (Check forks, so this stays inside the test).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>
#include <jansson.h>

#include "check_suites.h"
#include "log.h"

static char path[64];

static void
capture(void)
{
	snprintf(path, sizeof(path), "/tmp/statelab-log.XXXXXX");
	close(mkstemp(path));
	ck_assert_ptr_nonnull(freopen(path, "w", stdout));
}

/* Read back line n (0-based) of what was logged. */
static json_t *
line(int n)
{
	char buf[8192];
	FILE *f;
	json_t *doc = NULL;

	log_flush();
	f = fopen(path, "r");
	while (fgets(buf, sizeof(buf), f) != NULL)
		if (n-- == 0) {
			doc = json_loads(buf, 0, NULL);
			break;
		}
	fclose(f);
	return (doc);
}

START_TEST(test_json_fields)
{
	struct log_request r = { "GET", "/api/session", 200, 42, 10, "hit",
		"req-1", "127.0.0.1" };
	json_t *doc;

	capture();
	log_init(LOG_LEVEL_INFO, LOG_FORMAT_JSON, "inst-1");
	log_info("hello \"%s\"", "world");
	log_request(&r);
	log_fields(LOG_LEVEL_WARN, "listening", "addr", "[::1]:80", NULL);
	doc = line(0);
	ck_assert_ptr_nonnull(doc);
	ck_assert_str_eq(
	    json_string_value(json_object_get(doc, "msg")), "hello \"world\"");
	ck_assert_str_eq(
	    json_string_value(json_object_get(doc, "level")), "info");
	ck_assert_str_eq(
	    json_string_value(json_object_get(doc, "instance")), "inst-1");
	ck_assert_int_eq(
	    strlen(json_string_value(json_object_get(doc, "ts"))), 24);
	json_decref(doc);
	doc = line(1);
	ck_assert_ptr_nonnull(doc);
	ck_assert_str_eq(
	    json_string_value(json_object_get(doc, "route")), "/api/session");
	ck_assert_int_eq(
	    json_integer_value(json_object_get(doc, "status")), 200);
	ck_assert_str_eq(
	    json_string_value(json_object_get(doc, "session")), "hit");
	ck_assert_str_eq(
	    json_string_value(json_object_get(doc, "method")), "GET");
	ck_assert_int_eq(
	    json_integer_value(json_object_get(doc, "dur_us")), 42);
	ck_assert_int_eq(json_integer_value(json_object_get(doc, "bytes")), 10);
	ck_assert_str_eq(
	    json_string_value(json_object_get(doc, "request_id")), "req-1");
	ck_assert_str_eq(
	    json_string_value(json_object_get(doc, "remote")), "127.0.0.1");
	ck_assert_str_eq(
	    json_string_value(json_object_get(doc, "instance")), "inst-1");
	json_decref(doc);
	doc = line(2);
	ck_assert_str_eq(
	    json_string_value(json_object_get(doc, "addr")), "[::1]:80");
	json_decref(doc);
	unlink(path);
}
END_TEST

/* A field longer than the line buffer still gives one whole line. */
START_TEST(test_request_line_long)
{
	static char remote[3000];
	struct log_request r = { "POST", "/api/sessions", 201, -1, 0, "none",
		"req-2", remote };
	json_t *doc;

	memset(remote, 'r', sizeof(remote) - 1);
	capture();
	log_init(LOG_LEVEL_INFO, LOG_FORMAT_JSON, "inst-1");
	log_request(&r);
	doc = line(0);
	ck_assert_ptr_nonnull(doc);
	ck_assert_uint_eq(
	    strlen(json_string_value(json_object_get(doc, "remote"))),
	    sizeof(remote) - 1);
	ck_assert_int_eq(
	    json_integer_value(json_object_get(doc, "dur_us")), -1);
	json_decref(doc);
}
END_TEST

START_TEST(test_levels)
{
	json_t *doc;

	capture();
	log_init(LOG_LEVEL_WARN, LOG_FORMAT_JSON, "x");
	ck_assert(!log_enabled(LOG_LEVEL_INFO));
	log_debug("no");
	log_info("no");
	log_warnx("yes");
	doc = line(0);
	ck_assert_str_eq(json_string_value(json_object_get(doc, "msg")), "yes");
	json_decref(doc);
	ck_assert_ptr_null(line(1));
	unlink(path);
}
END_TEST

START_TEST(test_text_and_parse)
{
	enum log_level l;
	char buf[256];
	FILE *f;

	capture();
	log_init(LOG_LEVEL_DEBUG, LOG_FORMAT_TEXT, "x");
	log_fields(LOG_LEVEL_INFO, "listening", "addr", "1.2.3.4:5", NULL);
	log_flush();
	f = fopen(path, "r");
	ck_assert_ptr_nonnull(fgets(buf, sizeof(buf), f));
	fclose(f);
	ck_assert_ptr_nonnull(strstr(buf, " info  listening addr=1.2.3.4:5"));
	ck_assert_int_eq(log_level_parse("warn", &l), 0);
	ck_assert_int_eq(l, LOG_LEVEL_WARN);
	ck_assert_int_eq(log_level_parse("loud", &l), -1);
	unlink(path);
}
END_TEST

Suite *
log_suite(void)
{
	Suite *s = suite_create("log");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_json_fields);
	tcase_add_test(tc, test_request_line_long);
	tcase_add_test(tc, test_levels);
	tcase_add_test(tc, test_text_and_parse);
	suite_add_tcase(s, tc);
	return (s);
}
