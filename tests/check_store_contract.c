// SPDX-License-Identifier: MIT
/*
 * check_store_contract.c - one contract, every session_store backend.
 *
 * The same test bodies run against each row of factories[] through
 * tcase_add_loop_test (HS-23), so "the same protocol" is tested, not
 * assumed.  A backend-specific file covers only what is unique to it.
 * Each test gets a fresh loop, config and store from its factory, and
 * the fake clock of test_util.c, so expiry is tested without sleeping.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>
#include <event2/event.h>

#include "check_suites.h"
#include "clock.h"
#include "config.h"
#include "memory_store.h"
#include "remote_store.h"
#include "server.h"
#include "session.h"
#include "sqlite_store.h"
#include "store_server.h"
#include "store_sync.h"
#include "test_util.h"
#include "wrap_store.h"

/* A backend under test: how to open it over a config. */
struct store_factory {
	const char *name;
	enum config_service service;
	struct session_store *(*open)(const struct store_params *p);
	/*
	 * Set when the sessions live in another process (remote): their
	 * count and sweep are that process's, and readiness comes with the
	 * first probe.  Everything else in the contract holds unchanged.
	 */
	int state_elsewhere;
	void (*after_close)(void); /* releases what open made besides st */
};

static struct session_store *
open_memory(const struct store_params *p)
{
	char err[256];

	return (memory_store_open(p, err, sizeof(err)));
}

static struct session_store *
open_deferred_memory(const struct store_params *p)
{
	return (wrap_store_new(open_memory(p), p->base, 1));
}

/* A temporary database file per test (open_store's --db). */
static struct session_store *
open_sqlite(const struct store_params *p)
{
	char err[512];
	int code;

	return (sqlite_store_open(p, err, sizeof(err), &code));
}

/* --sync full: the same group commit, an fsync per transaction. */
static struct session_store *
open_sqlite_full(const struct store_params *p)
{
	struct store_params q = *p;
	struct config c = *p->cfg; /* the store copies what it keeps */

	c.sync = SYNC_FULL;
	q.cfg = &c;
	return (open_sqlite(&q));
}

/* Without a loop: every operation commits before it returns. */
static struct session_store *
open_sqlite_noloop(const struct store_params *p)
{
	struct store_params q = *p;

	q.base = NULL;
	return (open_sqlite(&q));
}

/*
 * The remote store over a protocol server in this process (memory store,
 * same instance, TTL and --max-sessions as the contract's config), so
 * the same bodies run through HTTP and back.
 */
static struct store_server *remote_side;

static struct session_store *
open_remote(const struct store_params *p)
{
	char err[256];

	/* That server sweeps on the real clock: start the fake one there. */
	test_now = clock_now_ms() / 1000 * 1000;
	remote_side = store_server_start(p->base, 0, p->cfg->instance,
	    (int)p->cfg->session_ttl, (int)p->cfg->max_sessions, test_now_ms);
	return (remote_store_open_url(
	    p, store_server_url(remote_side), 2000, 100, err, sizeof(err)));
}

/* The same, the server's store wrapped as a scaled stateful pod's is. */
static struct session_store *
open_remote_routed(const struct store_params *p)
{
	char err[256];

	test_now = clock_now_ms() / 1000 * 1000;
	remote_side = store_server_start_at(p->base, "127.0.0.1:0",
	    p->cfg->instance, (int)p->cfg->session_ttl,
	    (int)p->cfg->max_sessions, test_now_ms, 1);
	return (remote_store_open_url(
	    p, store_server_url(remote_side), 2000, 100, err, sizeof(err)));
}

static void
close_remote(void)
{
	store_server_stop(remote_side);
	remote_side = NULL;
}

static const struct store_factory factories[] = {
	{ "memory", CONFIG_STATELESS, open_memory },
	{ "memory, deferred", CONFIG_STATELESS, open_deferred_memory },
	{ "sqlite", CONFIG_STATEFUL, open_sqlite },
	{ "sqlite, sync full", CONFIG_STATEFUL, open_sqlite_full },
	{ "sqlite, no loop", CONFIG_STATEFUL, open_sqlite_noloop },
	{ "remote", CONFIG_STATELESS, open_remote, 1, close_remote },
	{ "remote, owner-routed", CONFIG_STATELESS, open_remote_routed, 1,
	    close_remote },
};
#define NFACTORIES ((int)(sizeof(factories) / sizeof(factories[0])))

/* The per-test world. */
static struct event_base *base;
static struct config cfg;
static struct session_store *st;
static char dir[64];
static int cur; /* the factory of this test */

static void
open_store(int i)
{
	struct store_params p;
	char db[128];

	snprintf(dir, sizeof(dir), "/tmp/statelab-contract.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(db, sizeof(db), "%s/contract.db", dir);
	base = server_base_new();
	/* For a stateless backend the list ends before "--db". */
	test_config(&cfg, factories[i].service, "--instance", "contract",
	    "--session-ttl", "60", "--max-sessions", "3",
	    factories[i].service == CONFIG_STATEFUL ? "--db" : NULL, db, NULL);
	test_now = 1700000000000LL;
	p.base = base;
	p.cfg = &cfg;
	p.now_ms = test_now_ms;
	cur = i;
	st = factories[i].open(&p);
	ck_assert_msg(st != NULL, "%s: open failed", factories[i].name);
}

static void
close_store(void)
{
	char cmd[96];

	session_store_close(st);
	if (factories[cur].after_close != NULL)
		factories[cur].after_close();
	event_base_free(base);
	config_free(&cfg);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	ck_assert_int_eq(system(cmd), 0);
}

/* Create a session for user and return its token in tok. */
static void
login(const char *user, char *tok, size_t len)
{
	struct store_result r;

	ck_assert_int_eq(store_sync_create(base, st, user, &r), STORE_OK);
	ck_assert_str_eq(r.user, user);
	ck_assert_int_gt(strlen(r.token), 0);
	snprintf(tok, len, "%s", r.token);
}

START_TEST(test_create_then_get)
{
	struct store_result r;
	char tok[4200];

	open_store(_i);
	login("alice", tok, sizeof(tok));
	ck_assert_int_eq(store_sync_get(base, st, tok, &r), STORE_OK);
	ck_assert_str_eq(r.user, "alice");
	ck_assert_int_eq(r.counter, 0);
	ck_assert_str_eq(r.data, "{}");
	ck_assert_str_eq(r.created_by, "contract");
	if (!factories[_i].state_elsewhere)
		ck_assert_int_eq(session_store_count(st), 1);
	close_store();
}
END_TEST

START_TEST(test_tokens_are_distinct)
{
	char a[4200], b[4200];

	open_store(_i);
	login("alice", a, sizeof(a));
	login("alice", b, sizeof(b));
	ck_assert_str_ne(a, b);
	close_store();
}
END_TEST

START_TEST(test_incr)
{
	struct store_result r;
	char tok[4200];

	open_store(_i);
	login("alice", tok, sizeof(tok));
	ck_assert_int_eq(store_sync_incr(base, st, tok, 1, &r), STORE_OK);
	ck_assert_int_eq(r.counter, 1);
	ck_assert_int_eq(store_sync_incr(base, st, tok, 41, &r), STORE_OK);
	ck_assert_int_eq(r.counter, 42);
	ck_assert_int_eq(store_sync_incr(base, st, tok, -50, &r), STORE_OK);
	ck_assert_int_eq(r.counter, -8);
	ck_assert_int_eq(store_sync_get(base, st, tok, &r), STORE_OK);
	ck_assert_int_eq(r.counter, -8);
	close_store();
}
END_TEST

START_TEST(test_incr_overflow_changes_nothing)
{
	struct store_result r;
	char tok[4200];

	open_store(_i);
	login("alice", tok, sizeof(tok));
	ck_assert_int_eq(
	    store_sync_incr(base, st, tok, INT64_MAX, &r), STORE_OK);
	ck_assert_int_eq(store_sync_incr(base, st, tok, 1, &r), STORE_INVALID);
	ck_assert_int_gt(strlen(r.detail), 0);
	ck_assert_int_eq(
	    store_sync_incr(base, st, tok, INT64_MIN, &r), STORE_OK);
	ck_assert_int_eq(r.counter, -1);
	ck_assert_int_eq(
	    store_sync_incr(base, st, tok, INT64_MIN, &r), STORE_INVALID);
	ck_assert_int_eq(store_sync_get(base, st, tok, &r), STORE_OK);
	ck_assert_int_eq(r.counter, -1);
	close_store();
}
END_TEST

START_TEST(test_data_put_get_delete)
{
	struct store_result r;
	char tok[4200];

	open_store(_i);
	login("alice", tok, sizeof(tok));
	ck_assert_int_eq(
	    store_sync_data_put(base, st, tok, "color", "\"blue\"", &r),
	    STORE_OK);
	ck_assert_str_eq(r.data, "{\"color\":\"blue\"}");
	ck_assert_int_eq(
	    store_sync_data_put(base, st, tok, "n", "[1,{\"a\":null}]", &r),
	    STORE_OK);
	ck_assert_int_eq(
	    store_sync_data_put(base, st, tok, "color", "\"red\"", &r),
	    STORE_OK);
	ck_assert_int_eq(store_sync_get(base, st, tok, &r), STORE_OK);
	ck_assert_str_eq(r.data, "{\"color\":\"red\",\"n\":[1,{\"a\":null}]}");
	ck_assert_int_eq(
	    store_sync_data_delete(base, st, tok, "n", &r), STORE_OK);
	ck_assert_int_eq(
	    store_sync_data_delete(base, st, tok, "n", &r), STORE_OK);
	ck_assert_int_eq(store_sync_get(base, st, tok, &r), STORE_OK);
	ck_assert_str_eq(r.data, "{\"color\":\"red\"}");
	close_store();
}
END_TEST

START_TEST(test_data_limit_keeps_old_state)
{
	struct store_result r;
	char tok[4200], value[4100];
	char key[16];
	int i;

	open_store(_i);
	login("alice", tok, sizeof(tok));
	memset(value, 'x', 4000);
	value[0] = '"';
	value[3999] = '"';
	value[4000] = '\0';
	/* Four values of 4000 bytes fit in 16 KiB with their keys... */
	for (i = 0; i < 4; i++) {
		snprintf(key, sizeof(key), "k%d", i);
		ck_assert_int_eq(
		    store_sync_data_put(base, st, tok, key, value, &r),
		    STORE_OK);
	}
	/* ...a fifth does not, and changes nothing. */
	ck_assert_int_eq(
	    store_sync_data_put(base, st, tok, "k4", value, &r), STORE_TOOBIG);
	ck_assert_int_eq(
	    store_sync_data_put(base, st, tok, "k0", "1", &r), STORE_OK);
	ck_assert_int_eq(store_sync_get(base, st, tok, &r), STORE_OK);
	ck_assert_ptr_null(strstr(r.data, "\"k4\""));
	ck_assert_ptr_nonnull(strstr(r.data, "\"k0\":1"));
	close_store();
}
END_TEST

START_TEST(test_destroy)
{
	struct store_result r;
	char tok[4200];

	open_store(_i);
	login("alice", tok, sizeof(tok));
	ck_assert_int_eq(store_sync_destroy(base, st, tok, &r), STORE_OK);
	ck_assert_int_eq(store_sync_get(base, st, tok, &r), STORE_NOTFOUND);
	ck_assert_int_eq(store_sync_destroy(base, st, tok, &r), STORE_NOTFOUND);
	if (!factories[_i].state_elsewhere)
		ck_assert_int_eq(session_store_count(st), 0);
	close_store();
}
END_TEST

START_TEST(test_unknown_and_garbage_tokens)
{
	static const char *const bad[] = { "", "x", "AAAAAAAAAAAAAAAAAAAAAA",
		"AAAAAAAAAAAAAAAAAAAAAAA", "a.b.c", "%00", "' OR 1=1 --" };
	struct store_result r;
	enum store_rc rc;
	size_t i;

	open_store(_i);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		rc = store_sync_get(base, st, bad[i], &r);
		ck_assert_msg(rc == STORE_NOTFOUND || rc == STORE_BADTOKEN,
		    "token '%s': %s", bad[i], session_store_rc_name(rc));
		rc = store_sync_incr(base, st, bad[i], 1, &r);
		ck_assert(rc == STORE_NOTFOUND || rc == STORE_BADTOKEN);
	}
	close_store();
}
END_TEST

START_TEST(test_ttl_slides_then_expires)
{
	struct store_result r;
	char tok[4200];

	open_store(_i);
	login("alice", tok, sizeof(tok));
	test_now += 59000;
	ck_assert_int_eq(store_sync_get(base, st, tok, &r), STORE_OK);
	ck_assert_int_eq(r.expires_at, test_now + 60000);
	test_now += 59000;
	ck_assert_int_eq(store_sync_incr(base, st, tok, 1, &r), STORE_OK);
	test_now += 60001;
	ck_assert_int_eq(store_sync_get(base, st, tok, &r), STORE_EXPIRED);
	ck_assert_int_eq(store_sync_get(base, st, tok, &r), STORE_NOTFOUND);
	close_store();
}
END_TEST

START_TEST(test_sweep)
{
	char a[4200], b[4200];
	struct store_result r;

	open_store(_i);
	if (factories[_i].state_elsewhere) {
		/* The process that holds the sessions sweeps them. */
		ck_assert_int_eq(session_store_sweep(st, test_now + 120000), 0);
		close_store();
		return;
	}
	login("alice", a, sizeof(a));
	test_now += 30000;
	login("bob", b, sizeof(b));
	ck_assert_int_eq(session_store_sweep(st, test_now), 0);
	test_now += 30001;
	ck_assert_int_eq(session_store_sweep(st, test_now), 1);
	ck_assert_int_eq(session_store_count(st), 1);
	ck_assert_int_eq(store_sync_get(base, st, b, &r), STORE_OK);
	test_now += 60001;
	ck_assert_int_eq(session_store_sweep(st, test_now), 1);
	ck_assert_int_eq(session_store_count(st), 0);
	close_store();
}
END_TEST

START_TEST(test_full)
{
	struct store_result r;
	char tok[4200];

	open_store(_i);
	login("a", tok, sizeof(tok));
	login("b", tok, sizeof(tok));
	login("c", tok, sizeof(tok));
	ck_assert_int_eq(store_sync_create(base, st, "d", &r), STORE_FULL);
	ck_assert_int_eq(store_sync_destroy(base, st, tok, &r), STORE_OK);
	ck_assert_int_eq(store_sync_create(base, st, "d", &r), STORE_OK);
	close_store();
}
END_TEST

START_TEST(test_ready_and_name)
{
	int n;

	open_store(_i);
	/* A remote store is ready once its first probe has an answer. */
	for (n = 0; n < 100 && factories[_i].state_elsewhere &&
	     !session_store_is_ready(st);
	     n++)
		event_base_loop(base, EVLOOP_ONCE);
	ck_assert_int_eq(session_store_is_ready(st), 1);
	ck_assert_int_gt(strlen(session_store_name(st)), 0);
	close_store();
}
END_TEST

Suite *
store_contract_suite(void)
{
	Suite *s;
	TCase *tc;

	s = suite_create("store_contract");
	tc = tcase_create("core");
	tcase_add_loop_test(tc, test_create_then_get, 0, NFACTORIES);
	tcase_add_loop_test(tc, test_tokens_are_distinct, 0, NFACTORIES);
	tcase_add_loop_test(tc, test_incr, 0, NFACTORIES);
	tcase_add_loop_test(tc, test_data_put_get_delete, 0, NFACTORIES);
	tcase_add_loop_test(tc, test_destroy, 0, NFACTORIES);
	tcase_add_loop_test(tc, test_ready_and_name, 0, NFACTORIES);
	suite_add_tcase(s, tc);
	tc = tcase_create("limits");
	tcase_add_loop_test(
	    tc, test_incr_overflow_changes_nothing, 0, NFACTORIES);
	tcase_add_loop_test(tc, test_data_limit_keeps_old_state, 0, NFACTORIES);
	tcase_add_loop_test(tc, test_full, 0, NFACTORIES);
	tcase_add_loop_test(tc, test_ttl_slides_then_expires, 0, NFACTORIES);
	tcase_add_loop_test(tc, test_sweep, 0, NFACTORIES);
	suite_add_tcase(s, tc);
	tc = tcase_create("errors");
	tcase_add_loop_test(tc, test_unknown_and_garbage_tokens, 0, NFACTORIES);
	suite_add_tcase(s, tc);
	return (s);
}
