// SPDX-License-Identifier: MIT
/*
 * check_metrics.c - tests for common/metrics.c: the exposition parses
 * line by line as Prometheus text 0.0.4, counters move, and the number
 * of series stays bounded whatever is recorded.
 */
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>
#include <event2/buffer.h>

#include "check_suites.h"
#include "config.h"
#include "memory_store.h"
#include "metrics.h"
#include "session.h"
#include "test_util.h"

static const char *const routes[] = { "/a", "/b/{key}", "other" };
static struct session_store *st;
static struct config cfg;

static void
setup(void)
{
	struct store_params p = { NULL, NULL, test_now_ms };
	char err[64];

	test_config(&cfg, CONFIG_STATELESS, NULL);
	p.cfg = &cfg;
	st = memory_store_open(&p, err, sizeof(err));
	metrics_init(routes, 3, "stateless", "memory", "1.2.3", 1700000000000);
}

static void
teardown(void)
{
	session_store_close(st);
	config_free(&cfg);
}

/* Render and return a new string. */
static char *
render(void)
{
	struct evbuffer *b = evbuffer_new();
	size_t n;
	char *s;

	ck_assert_int_eq(metrics_render(b, st), 0);
	n = evbuffer_get_length(b);
	s = malloc(n + 1);
	evbuffer_remove(b, s, n);
	s[n] = '\0';
	evbuffer_free(b);
	return (s);
}

/* Every line is a comment (HELP/TYPE) or name{labels} value. */
START_TEST(test_format)
{
	regex_t sample, comment;
	char *text, *line, *save = NULL;
	int n = 0;

	metrics_request(0, "GET", 200, 120);
	metrics_request(1, "PUT", 413, 5000000);
	metrics_store_op(METRICS_OP_INCR, 30, 0);
	ck_assert_int_eq(
	    regcomp(&sample,
	        "^[a-zA-Z_:][a-zA-Z0-9_:]*(\\{([a-zA-Z_][a-zA-Z0-9_]*=\"[^\"\\\\]*\",?)*\\})? -?[0-9.e+Inf-]+$",
	        REG_EXTENDED | REG_NOSUB),
	    0);
	ck_assert_int_eq(
	    regcomp(&comment,
	        "^# (HELP [a-zA-Z_:][a-zA-Z0-9_:]* .+|TYPE [a-zA-Z_:][a-zA-Z0-9_:]* (counter|gauge|histogram))$",
	        REG_EXTENDED | REG_NOSUB),
	    0);
	text = render();
	for (line = strtok_r(text, "\n", &save); line != NULL;
	     line = strtok_r(NULL, "\n", &save), n++)
		ck_assert_msg(regexec(line[0] == '#' ? &comment : &sample, line,
		                  0, NULL, 0) == 0,
		    "bad line: %s", line);
	ck_assert_int_gt(n, 50);
	free(text);
	regfree(&sample);
	regfree(&comment);
}
END_TEST

START_TEST(test_counters_move)
{
	char *text;

	metrics_request(0, "GET", 200, 10);
	metrics_request(0, "GET", 200, 10);
	metrics_lookup(METRICS_MISS);
	metrics_session_created();
	metrics_sessions_expired(3);
	text = render();
	ck_assert_ptr_nonnull(strstr(text,
	    "http_requests_total{method=\"GET\",route=\"/a\",status=\"200\"} 2\n"));
	ck_assert_ptr_nonnull(strstr(
	    text, "statelab_session_lookups_total{result=\"miss\"} 1\n"));
	ck_assert_ptr_nonnull(
	    strstr(text, "statelab_sessions_created_total 1\n"));
	ck_assert_ptr_nonnull(
	    strstr(text, "statelab_sessions_expired_total 3\n"));
	ck_assert_ptr_nonnull(strstr(text, "statelab_sessions 0\n"));
	ck_assert_ptr_nonnull(strstr(text,
	    "statelab_build_info{version=\"1.2.3\",service=\"stateless\",store=\"memory\"} 1\n"));
	ck_assert_ptr_nonnull(strstr(text,
	    "http_request_duration_seconds_bucket{route=\"/a\",le=\"0.0001\"} 2\n"));
	free(text);
}
END_TEST

/* Whatever statuses and methods arrive, the series stay bounded. */
START_TEST(test_bounded)
{
	char *text, *p;
	int status, lines = 0;

	for (status = 100; status < 1000; status++)
		metrics_request(2, status % 2 ? "BREW" : "GET", status, 1);
	metrics_request(99, "GET", 200, 1); /* unknown route: ignored */
	text = render();
	for (p = text; (p = strstr(p, "http_requests_total{")) != NULL; p++)
		lines++;
	/* 24 status slots + "other", for two method labels at most. */
	ck_assert_int_le(lines, 2 * 25);
	free(text);
}
END_TEST

Suite *
metrics_suite(void)
{
	Suite *s = suite_create("metrics");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_format);
	tcase_add_test(tc, test_counters_move);
	tcase_add_test(tc, test_bounded);
	suite_add_tcase(s, tc);
	return (s);
}
