// SPDX-License-Identifier: MIT
/*
 * check_remote_store.c - tests for stateless/remote_store.c.
 *
 * The "stateful" side is a real protocol server in this process (see
 * store_server.c) over a memory store, so the remote store's requests,
 * the server's answers and the mapping back run in one loop.  What the
 * store contract cannot show is here: readiness following the probe, a
 * store that is down, that never answers, that hangs up, that answers
 * garbage; the one retry of reads only; pending operations completed by
 * close; recovery when the store returns.
 */
#include <stdio.h>
#include <string.h>

#include <check.h>
#include <event2/event.h>
#include <jansson.h>

#include "check_suites.h"
#include "clock.h"
#include "config.h"
#include "log.h"
#include "remote_doc.h"
#include "remote_store.h"
#include "server.h"
#include "session.h"
#include "store_server.h"
#include "store_sync.h"
#include "test_util.h"

static struct event_base *base;
static struct store_server *ss;
static struct fake_server *fs;
static struct session_store *st;
static struct config cfg;

static void
setup(void)
{
	log_init(LOG_LEVEL_ERROR, LOG_FORMAT_JSON, "remote-test");
	base = server_base_new();
	/* The in-process server sweeps on the real clock: start there. */
	test_now = clock_now_ms() / 1000 * 1000;
	/* Answers come over HTTP: wait as long as the slowest deadline. */
	store_sync_set_wait(5000);
	ss = NULL;
	fs = NULL;
	st = NULL;
}

static void
teardown(void)
{
	session_store_close(st);
	store_server_stop(ss);
	fake_server_stop(fs);
	event_base_free(base);
	config_free(&cfg);
	store_sync_set_wait(0);
}

/* Open the remote store on url: the real open, or a short deadline. */
static void
open_remote(const char *url, int timeout_ms, int probe_ms)
{
	struct store_params p;
	char err[256];
	int code = 0;

	test_config(&cfg, CONFIG_STATELESS, "--instance", "front", "--sessions",
	    "remote", "--store-url", url, NULL);
	p.base = base;
	p.cfg = &cfg;
	p.now_ms = test_now_ms;
	if (timeout_ms == 0)
		st = remote_store_open(&p, err, sizeof(err), &code);
	else
		st = remote_store_open_url(
		    &p, url, timeout_ms, probe_ms, err, sizeof(err));
	ck_assert_msg(st != NULL, "%s", err);
}

/* Run the loop for ms milliseconds. */
static void
run_for(int ms)
{
	int never = 0;

	test_loop_until(base, &never, ms);
}

/* Wait up to ms for session_store_is_ready to become want. */
static int
ready_within(int want, int ms)
{
	int64_t t0 = clock_mono_us();

	while (session_store_is_ready(st) != want &&
	    clock_mono_us() - t0 < (int64_t)ms * 1000)
		run_for(20);
	return (session_store_is_ready(st) == want);
}

START_TEST(test_walk)
{
	struct store_result r;
	char tok[SESSION_TOKEN_MAX + 1];

	ss = store_server_start(base, 0, "store-0", 60, 10, test_now_ms);
	open_remote(store_server_url(ss), 0, 0);
	ck_assert_int_eq(store_sync_create(base, st, "alice", &r), STORE_OK);
	ck_assert_str_eq(r.user, "alice");
	ck_assert_str_eq(r.created_by, "store-0");
	ck_assert_str_eq(r.store_instance, "store-0");
	ck_assert_int_gt(strlen(r.token), 0);
	snprintf(tok, sizeof(tok), "%s", r.token);
	ck_assert_int_eq(store_sync_incr(base, st, tok, 5, &r), STORE_OK);
	ck_assert_int_eq(r.counter, 5);
	ck_assert_str_eq(r.token, ""); /* an opaque token is not re-issued */
	ck_assert_int_eq(
	    store_sync_data_put(base, st, tok, "color", "\"blue\"", &r),
	    STORE_OK);
	ck_assert_str_eq(r.data, "{\"color\":\"blue\"}");
	ck_assert_int_eq(
	    store_sync_data_delete(base, st, tok, "color", &r), STORE_OK);
	ck_assert_int_eq(store_sync_get(base, st, tok, &r), STORE_OK);
	ck_assert_int_eq(r.counter, 5);
	ck_assert_str_eq(r.data, "{}");
	ck_assert_int_eq(store_sync_destroy(base, st, tok, &r), STORE_OK);
	ck_assert_int_eq(store_sync_get(base, st, tok, &r), STORE_NOTFOUND);
	/* The store's own detail names the store's instance. */
	ck_assert_ptr_nonnull(strstr(r.detail, "store-0"));
	ck_assert_str_eq(session_store_name(st), "remote");
}
END_TEST

START_TEST(test_errors_mapped)
{
	struct store_result r;
	char tok[SESSION_TOKEN_MAX + 1], value[4100];
	char key[16];
	int i;

	ss = store_server_start(base, 0, "store-0", 60, 2, test_now_ms);
	open_remote(store_server_url(ss), 0, 0);
	ck_assert_int_eq(store_sync_get(base, st, "AAAAAAAAAAAAAAAAAAAAAA", &r),
	    STORE_NOTFOUND);
	/* Refused here: it cannot be a token, and must not reach a header. */
	ck_assert_int_eq(
	    store_sync_get(base, st, "a\r\nX-Evil: 1", &r), STORE_BADTOKEN);
	ck_assert_int_eq(store_sync_get(base, st, "", &r), STORE_BADTOKEN);
	ck_assert_int_eq(store_sync_create(base, st, "a", &r), STORE_OK);
	snprintf(tok, sizeof(tok), "%s", r.token);
	ck_assert_int_eq(
	    store_sync_incr(base, st, tok, INT64_MAX, &r), STORE_OK);
	ck_assert_int_eq(store_sync_incr(base, st, tok, 1, &r), STORE_INVALID);
	ck_assert_int_gt(strlen(r.detail), 0);
	memset(value, 'x', 4000);
	value[0] = value[3999] = '"';
	value[4000] = '\0';
	for (i = 0; i < 4; i++) {
		snprintf(key, sizeof(key), "k%d", i);
		ck_assert_int_eq(
		    store_sync_data_put(base, st, tok, key, value, &r),
		    STORE_OK);
	}
	ck_assert_int_eq(
	    store_sync_data_put(base, st, tok, "k4", value, &r), STORE_TOOBIG);
	ck_assert_int_eq(store_sync_create(base, st, "b", &r), STORE_OK);
	ck_assert_int_eq(store_sync_create(base, st, "c", &r), STORE_FULL);
	test_now += 61000;
	ck_assert_int_eq(store_sync_get(base, st, tok, &r), STORE_EXPIRED);
}
END_TEST

START_TEST(test_ready_follows_probe_and_recovers)
{
	struct store_result r;
	int port;

	ss = store_server_start(base, 0, "store-0", 60, 10, test_now_ms);
	port = store_server_port(ss);
	open_remote(store_server_url(ss), 500, 100);
	ck_assert_int_eq(session_store_is_ready(st), 0);
	ck_assert(ready_within(1, 2000));
	/* Every fifth probe reads /api/info: the count comes from there. */
	ck_assert_int_eq(store_sync_create(base, st, "alice", &r), STORE_OK);
	run_for(700);
	ck_assert_int_eq(session_store_count(st), 1);
	store_server_stop(ss);
	ss = NULL;
	ck_assert(ready_within(0, 2000));
	ck_assert_int_eq(store_sync_create(base, st, "bob", &r), STORE_UNAVAIL);
	/* The store comes back on the same address: so does readiness. */
	ss = store_server_start(base, port, "store-0b", 60, 10, test_now_ms);
	ck_assert(ready_within(1, 2000));
	ck_assert_int_eq(store_sync_create(base, st, "bob", &r), STORE_OK);
	ck_assert_str_eq(r.store_instance, "store-0b");
}
END_TEST

START_TEST(test_store_down_is_fast)
{
	struct store_result r;
	char url[64];
	int64_t t0;

	/* A port that was free a moment ago: connections are refused. */
	ss = store_server_start(base, 0, "gone", 60, 10, test_now_ms);
	snprintf(url, sizeof(url), "%s", store_server_url(ss));
	store_server_stop(ss);
	ss = NULL;
	open_remote(url, 0, 0);
	t0 = clock_mono_us();
	ck_assert_int_eq(store_sync_get(base, st, "AAAAAAAAAAAAAAAAAAAAAA", &r),
	    STORE_UNAVAIL);
	ck_assert_int_lt(clock_mono_us() - t0, 500000);
	ck_assert_msg(strstr(r.detail, url) != NULL, "%s", r.detail);
	ck_assert_ptr_nonnull(strstr(r.detail, "does not answer"));
	ck_assert_int_eq(
	    store_sync_incr(base, st, "AAAAAAAAAAAAAAAAAAAAAA", 1, &r),
	    STORE_UNAVAIL);
	ck_assert_int_eq(store_sync_create(base, st, "x", &r), STORE_UNAVAIL);
	ck_assert_int_eq(session_store_is_ready(st), 0);
	ck_assert_int_eq(session_store_count(st), -1);
}
END_TEST

START_TEST(test_no_answer_times_out_once)
{
	struct store_result r;
	char url[64];
	int64_t t0, us;

	fs = fake_server_start(base, FAKE_BLACKHOLE);
	snprintf(url, sizeof(url), "http://127.0.0.1:%d", fake_server_port(fs));
	open_remote(url, 300, 0);
	t0 = clock_mono_us();
	ck_assert_int_eq(store_sync_get(base, st, "AAAAAAAAAAAAAAAAAAAAAA", &r),
	    STORE_UNAVAIL);
	us = clock_mono_us() - t0;
	ck_assert_int_ge(us, 250000);
	ck_assert_int_lt(us, 1500000);
	ck_assert_ptr_nonnull(strstr(r.detail, "within 300 ms"));
	/* A read that timed out is not retried. */
	ck_assert_int_eq(fake_server_accepted(fs), 1);
	/* Nothing arrives late for the cancelled request. */
	run_for(400);
	ck_assert_int_eq(r.calls, 1);
}
END_TEST

START_TEST(test_hangup_retries_reads_only)
{
	struct store_result r;
	char url[64];

	fs = fake_server_start(base, FAKE_HANGUP);
	snprintf(url, sizeof(url), "http://127.0.0.1:%d", fake_server_port(fs));
	open_remote(url, 1000, 0);
	ck_assert_int_eq(store_sync_get(base, st, "AAAAAAAAAAAAAAAAAAAAAA", &r),
	    STORE_UNAVAIL);
	ck_assert_int_eq(fake_server_accepted(fs), 2);
	ck_assert_int_eq(
	    store_sync_incr(base, st, "AAAAAAAAAAAAAAAAAAAAAA", 1, &r),
	    STORE_UNAVAIL);
	ck_assert_int_eq(fake_server_accepted(fs), 3);
	ck_assert_int_eq(store_sync_create(base, st, "x", &r), STORE_UNAVAIL);
	ck_assert_int_eq(fake_server_accepted(fs), 4);
}
END_TEST

START_TEST(test_garbage_answer)
{
	struct store_result r;
	char url[64];

	fs = fake_server_start(base, FAKE_GARBAGE);
	snprintf(url, sizeof(url), "http://127.0.0.1:%d", fake_server_port(fs));
	open_remote(url, 1000, 0);
	ck_assert_int_eq(store_sync_get(base, st, "AAAAAAAAAAAAAAAAAAAAAA", &r),
	    STORE_UNAVAIL);
	ck_assert_msg(
	    strstr(r.detail, "not a session") != NULL, "%s", r.detail);
}
END_TEST

START_TEST(test_close_completes_pending)
{
	struct store_result r[3];
	char url[64];
	int i;

	fs = fake_server_start(base, FAKE_BLACKHOLE);
	snprintf(url, sizeof(url), "http://127.0.0.1:%d", fake_server_port(fs));
	open_remote(url, 5000, 100);
	memset(r, 0, sizeof(r));
	session_store_get(st, "AAAAAAAAAAAAAAAAAAAAAA", store_sync_done, &r[0]);
	session_store_incr(
	    st, "AAAAAAAAAAAAAAAAAAAAAA", 1, store_sync_done, &r[1]);
	session_store_create(st, "x", store_sync_done, &r[2]);
	run_for(150); /* sent, and a probe under way too */
	for (i = 0; i < 3; i++)
		ck_assert_int_eq(r[i].calls, 0);
	session_store_close(st);
	st = NULL;
	for (i = 0; i < 3; i++) {
		ck_assert_int_eq(r[i].calls, 1);
		ck_assert_int_eq(r[i].rc, STORE_UNAVAIL);
	}
	run_for(100);
	for (i = 0; i < 3; i++)
		ck_assert_int_eq(r[i].calls, 1);
}
END_TEST

START_TEST(test_bad_urls)
{
	static const char *const bad[] = { "https://x:1", "127.0.0.1:8082",
		"http://", "http://h:1/?q=1", "ftp://h" };
	struct store_params p;
	char err[256];
	size_t i;
	int code;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		test_config(&cfg, CONFIG_STATELESS, "--sessions", "remote",
		    "--store-url", bad[i], NULL);
		p.base = base;
		p.cfg = &cfg;
		p.now_ms = test_now_ms;
		code = 0;
		ck_assert_ptr_null(
		    remote_store_open(&p, err, sizeof(err), &code));
		ck_assert_int_eq(code, 2);
		ck_assert_ptr_nonnull(strstr(err, "--store-url"));
		config_free(&cfg);
	}
	test_config(&cfg, CONFIG_STATELESS, "--sessions", "remote", NULL);
	code = 0;
	ck_assert_ptr_null(remote_store_open(&p, err, sizeof(err), &code));
	ck_assert_int_eq(code, 2);
}
END_TEST

START_TEST(test_documents)
{
	json_t *doc;
	struct session s;
	int64_t ms;

	ck_assert_int_eq(remote_doc_time("2023-11-14T22:13:20.123Z", &ms), 0);
	ck_assert_int_eq(ms, 1700000000123LL);
	ck_assert_int_eq(remote_doc_time("2023-11-14T22:13:20Z", &ms), 0);
	ck_assert_int_eq(ms, 1700000000000LL);
	ck_assert_int_eq(
	    remote_doc_time("2023-11-14T23:13:20.5+01:00", &ms), 0);
	ck_assert_int_eq(ms, 1700000000500LL);
	ck_assert_int_eq(remote_doc_time("2023-11-14 22:13:20Z", &ms), -1);
	ck_assert_int_eq(remote_doc_time("2023-11-14T22:13:20.123", &ms), -1);
	ck_assert_int_eq(remote_doc_time("2023-11-14T22:13:20Zjunk", &ms), -1);

	doc = json_pack("{s:s}", "type", "https://x/problems/session-expired");
	ck_assert_int_eq(remote_doc_problem_rc(401, doc), STORE_EXPIRED);
	ck_assert_int_eq(remote_doc_problem_rc(401, NULL), STORE_BADTOKEN);
	ck_assert_int_eq(remote_doc_problem_rc(421, NULL), STORE_MISDIRECTED);
	ck_assert_int_eq(remote_doc_problem_rc(500, doc), STORE_UNAVAIL);
	json_decref(doc);
	doc =
	    json_pack("{s:s}", "type", "https://x/problems/session-table-full");
	ck_assert_int_eq(remote_doc_problem_rc(503, doc), STORE_FULL);
	json_decref(doc);

	doc = json_loads("{\"user\":\"a\",\"counter\":7,\"data\":{},"
	                 "\"created_at\":\"2023-11-14T22:13:20.000Z\","
	                 "\"updated_at\":\"2023-11-14T22:13:21.000Z\","
	                 "\"expires_at\":\"2023-11-14T22:14:21.000Z\","
	                 "\"created_by\":\"s-0\",\"served_by\":"
	                 "{\"instance\":\"s-1\"}}",
	    0, NULL);
	ck_assert_int_eq(remote_doc_session(doc, &s), 0);
	ck_assert_int_eq(s.counter, 7);
	ck_assert_int_eq(s.expires_at, 1700000061000LL);
	ck_assert_str_eq(s.store_instance, "s-1");
	ck_assert_ptr_null(s.token);
	json_object_set_new(doc, "counter", json_string("7"));
	ck_assert_int_eq(remote_doc_session(doc, &s), -1);
	json_decref(doc);
	ck_assert_int_eq(remote_doc_session(NULL, &s), -1);
}
END_TEST

Suite *
remote_store_suite(void)
{
	Suite *s;
	TCase *tc;

	s = suite_create("remote_store");
	tc = tcase_create("core");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 20);
	tcase_add_test(tc, test_walk);
	tcase_add_test(tc, test_ready_follows_probe_and_recovers);
	suite_add_tcase(s, tc);
	tc = tcase_create("errors");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 20);
	tcase_add_test(tc, test_errors_mapped);
	tcase_add_test(tc, test_store_down_is_fast);
	tcase_add_test(tc, test_no_answer_times_out_once);
	tcase_add_test(tc, test_hangup_retries_reads_only);
	tcase_add_test(tc, test_garbage_answer);
	tcase_add_test(tc, test_close_completes_pending);
	tcase_add_test(tc, test_bad_urls);
	tcase_add_test(tc, test_documents);
	suite_add_tcase(s, tc);
	return (s);
}
