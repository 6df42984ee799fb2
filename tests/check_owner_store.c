// SPDX-License-Identifier: MIT
/*
 * check_owner_store.c - tests for stateful/owner_store.c.
 *
 * Three "pods" of a scaled StatefulSet on loopback addresses named after
 * themselves (127.0.0.11, .12, .13: all of 127/8 is loopback on Linux),
 * so a template "http://%s:PORT" reaches each by its name, the way
 * "http://%s.stateful-headless:8082" does in a cluster.  The pod under
 * test wraps a memory store directly; its peer is a real protocol server
 * in this process whose store is wrapped the same way.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>
#include <event2/event.h>

#include "check_suites.h"
#include "clock.h"
#include "config.h"
#include "log.h"
#include "memory_store.h"
#include "owner_store.h"
#include "remote_store.h"
#include "server.h"
#include "session.h"
#include "store_server.h"
#include "store_sync.h"
#include "test_util.h"
#include "token.h"

static struct event_base *base;
static struct store_server *peer;
static struct session_store *st, *client;
static struct config cfg;

static void
setup(void)
{
	log_init(LOG_LEVEL_ERROR, LOG_FORMAT_JSON, "owner-test");
	base = server_base_new();
	test_now = clock_now_ms() / 1000 * 1000;
	/* Forwarded operations take two HTTP round trips: wait longer. */
	store_sync_set_wait(5000);
	peer = NULL;
	st = client = NULL;
}

static void
teardown(void)
{
	session_store_close(st);
	session_store_close(client);
	store_server_stop(peer);
	event_base_free(base);
	config_free(&cfg);
	store_sync_set_wait(0);
}

/* The pod under test: instance 127.0.0.11, with template or not. */
static void
open_pod(const char *template)
{
	struct store_params p;
	char err[256];
	int code;

	test_config(&cfg, CONFIG_STATEFUL, "--instance", "127.0.0.11",
	    template != NULL ? "--peer-url-template" : NULL, template, NULL);
	p.base = base;
	p.cfg = &cfg;
	p.now_ms = test_now_ms;
	st = memory_store_open(&p, err, sizeof(err));
	ck_assert_ptr_nonnull(st);
	st = owner_store_wrap(st, &p, err, sizeof(err), &code);
	ck_assert_msg(st != NULL, "%s", err);
}

/* Start the peer 127.0.0.12 and log in there; return its credential. */
static void
login_on_peer(char *tok, size_t len)
{
	struct store_params p;
	struct store_result r;
	char err[256];

	peer = store_server_start_at(
	    base, "127.0.0.12:0", "127.0.0.12", 60, 10, test_now_ms, 1);
	p.base = base;
	p.cfg = &cfg;
	p.now_ms = test_now_ms;
	client = remote_store_open_url(
	    &p, store_server_url(peer), 2000, 0, err, sizeof(err));
	ck_assert_ptr_nonnull(client);
	ck_assert_int_eq(
	    store_sync_create(base, client, "alice", &r), STORE_OK);
	snprintf(tok, len, "%s", r.token);
}

START_TEST(test_credentials_name_their_owner)
{
	struct store_result r;
	char tok[SESSION_TOKEN_MAX + 1], opaque[TOKEN_LEN + 1];

	open_pod(NULL);
	ck_assert_int_eq(store_sync_create(base, st, "alice", &r), STORE_OK);
	snprintf(tok, sizeof(tok), "%s", r.token);
	ck_assert_int_eq(strlen(tok), TOKEN_LEN + 1 + strlen("127.0.0.11"));
	ck_assert_str_eq(tok + TOKEN_LEN, ".127.0.0.11");
	ck_assert_int_eq(store_sync_incr(base, st, tok, 2, &r), STORE_OK);
	ck_assert_int_eq(r.counter, 2);
	/* A bare token (from before routing) is still this pod's. */
	snprintf(opaque, sizeof(opaque), "%.*s", TOKEN_LEN, tok);
	ck_assert_int_eq(store_sync_get(base, st, opaque, &r), STORE_OK);
	ck_assert_int_eq(r.counter, 2);
	/* Forwarded to its owner: served here. */
	strcat(tok, ".");
	ck_assert_int_eq(store_sync_get(base, st, tok, &r), STORE_OK);
	ck_assert_int_eq(
	    store_sync_get(base, st, "garbage", &r), STORE_NOTFOUND);
	ck_assert_str_eq(session_store_name(st), "memory");
	ck_assert_int_eq(session_store_count(st), 1);
	ck_assert_int_eq(store_sync_destroy(base, st, opaque, &r), STORE_OK);
	ck_assert_int_eq(session_store_count(st), 0);
}
END_TEST

START_TEST(test_misdirected_names_the_owner)
{
	struct store_result r;
	char tok[SESSION_TOKEN_MAX + 1];

	open_pod(NULL);
	login_on_peer(tok, sizeof(tok));
	ck_assert_int_eq(store_sync_get(base, st, tok, &r), STORE_MISDIRECTED);
	ck_assert_msg(strstr(r.detail,
	                  "belongs to 127.0.0.12, and this is "
	                  "127.0.0.11") != NULL,
	    "%s", r.detail);
	ck_assert_ptr_nonnull(strstr(r.detail, "--peer-url-template"));
}
END_TEST

START_TEST(test_forwarded_to_the_owner)
{
	struct store_result r;
	char tok[SESSION_TOKEN_MAX + 1], tpl[64], fwd[300];

	login_on_peer(tok, sizeof(tok));
	snprintf(tpl, sizeof(tpl), "http://%%s:%d", store_server_port(peer));
	open_pod(tpl);
	ck_assert_int_eq(store_sync_get(base, st, tok, &r), STORE_OK);
	ck_assert_str_eq(r.store_instance, "127.0.0.12");
	ck_assert_int_eq(store_sync_incr(base, st, tok, 5, &r), STORE_OK);
	ck_assert_int_eq(r.counter, 5);
	/* The owner has it: ask it directly. */
	ck_assert_int_eq(store_sync_get(base, client, tok, &r), STORE_OK);
	ck_assert_int_eq(r.counter, 5);
	/* Already forwarded once: never again. */
	snprintf(fwd, sizeof(fwd), "%.*s.127.0.0.13.", TOKEN_LEN, tok);
	ck_assert_int_eq(store_sync_get(base, st, fwd, &r), STORE_MISDIRECTED);
	ck_assert_ptr_nonnull(strstr(r.detail, "forwarded"));
	/* Not a sibling: not contacted. */
	snprintf(fwd, sizeof(fwd), "%.*s.evil-host", TOKEN_LEN, tok);
	ck_assert_int_eq(store_sync_get(base, st, fwd, &r), STORE_MISDIRECTED);
	ck_assert_ptr_nonnull(
	    strstr(r.detail, "not a pod of this StatefulSet"));
	/* A sibling that is down: 503 naming it. */
	snprintf(fwd, sizeof(fwd), "%.*s.127.0.0.13", TOKEN_LEN, tok);
	ck_assert_int_eq(store_sync_get(base, st, fwd, &r), STORE_UNAVAIL);
	ck_assert_ptr_nonnull(strstr(r.detail, "127.0.0.13"));
	/* A session the owner does not know: its answer, passed back. */
	snprintf(fwd, sizeof(fwd), "AAAAAAAAAAAAAAAAAAAAAA.127.0.0.12");
	ck_assert_int_eq(store_sync_get(base, st, fwd, &r), STORE_NOTFOUND);
}
END_TEST

START_TEST(test_bad_templates)
{
	static const char *const bad[] = { "http://x:1", "https://%s:1",
		"http://%s:%d", "http://%d.%s", "%s" };
	struct store_params p;
	char err[256];
	size_t i;
	int code;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		/*
		 * config_load() refuses these already; the store checks
		 * again for configs built another way (defence in depth).
		 */
		test_config(&cfg, CONFIG_STATEFUL, "--instance", "s-0", NULL);
		cfg.peer_url_template = strdup(bad[i]);
		p.base = base;
		p.cfg = &cfg;
		p.now_ms = test_now_ms;
		code = 0;
		ck_assert_ptr_null(
		    owner_store_wrap(memory_store_open(&p, err, sizeof(err)),
		        &p, err, sizeof(err), &code));
		ck_assert_int_eq(code, 2);
		ck_assert_ptr_nonnull(strstr(err, "--peer-url-template"));
		config_free(&cfg);
	}
	test_config(&cfg, CONFIG_STATEFUL, NULL);
}
END_TEST

Suite *
owner_store_suite(void)
{
	Suite *s;
	TCase *tc;

	s = suite_create("owner_store");
	tc = tcase_create("core");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 20);
	tcase_add_test(tc, test_credentials_name_their_owner);
	tcase_add_test(tc, test_misdirected_names_the_owner);
	tcase_add_test(tc, test_forwarded_to_the_owner);
	suite_add_tcase(s, tc);
	tc = tcase_create("errors");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_bad_templates);
	suite_add_tcase(s, tc);
	return (s);
}
