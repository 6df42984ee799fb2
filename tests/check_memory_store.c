// SPDX-License-Identifier: MIT
/*
 * check_memory_store.c - tests for stateless/memory_store.c beyond the
 * contract: a reference-model test in the spirit of SQLite's
 * sqlite3BitvecBuiltinTest.  Random operations go to the store and to a
 * trivial array model, and the two must agree after every step.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>
#include <jansson.h>

#include "check_suites.h"
#include "config.h"
#include "memory_store.h"
#include "session.h"
#include "test_util.h"

#define MODEL_MAX 64

struct model {
	char token[32];
	long long counter;
	int64_t expires_at;
	int live;
};

struct outcome {
	enum store_rc rc;
	long long counter;
	char token[32];
	int calls;
};

static void
on_done(
    enum store_rc rc, const struct session *s, const char *detail, void *arg)
{
	struct outcome *o = arg;

	(void)detail;
	o->calls++;
	o->rc = rc;
	if (s != NULL) {
		o->counter = (long long)s->counter;
		snprintf(o->token, sizeof(o->token), "%s",
		    s->token != NULL ? s->token : "");
	}
}

START_TEST(test_reference_model)
{
	struct model m[MODEL_MAX];
	struct store_params p = { NULL, NULL, test_now_ms };
	struct session_store *st;
	struct config cfg;
	struct outcome o;
	char err[128];
	int step, i, n = 0, live;

	test_config(&cfg, CONFIG_STATELESS, "--instance", "model",
	    "--session-ttl", "10", "--max-sessions", "40", NULL);
	p.cfg = &cfg;
	test_now = 1000000;
	st = memory_store_open(&p, err, sizeof(err));
	ck_assert_ptr_nonnull(st);
	srandom(42);
	memset(m, 0, sizeof(m));
	for (step = 0; step < 20000; step++) {
		memset(&o, 0, sizeof(o));
		i = n > 0 ? (int)(random() % n) : 0;
		switch (random() % 6) {
		case 0: /* create, unless the model says it is full */
			if (n == MODEL_MAX)
				break;
			for (live = 0, i = 0; i < n; i++)
				live += m[i].live && m[i].expires_at > test_now;
			session_store_create(st, "u", on_done, &o);
			if (live >= 40) {
				/* The store may still hold expired ones. */
				ck_assert(
				    o.rc == STORE_FULL || o.rc == STORE_OK);
				if (o.rc == STORE_FULL)
					break;
			}
			ck_assert_int_eq(o.rc, STORE_OK);
			snprintf(m[n].token, sizeof(m[n].token), "%s", o.token);
			m[n].counter = 0;
			m[n].expires_at = test_now + 10000;
			m[n].live = 1;
			n++;
			break;
		case 1: /* increment */
		case 2:
			if (n == 0)
				break;
			session_store_incr(st, m[i].token, 3, on_done, &o);
			if (m[i].live && m[i].expires_at > test_now) {
				ck_assert_int_eq(o.rc, STORE_OK);
				ck_assert_int_eq(o.counter, m[i].counter += 3);
				m[i].expires_at = test_now + 10000;
			} else {
				ck_assert(o.rc == STORE_NOTFOUND ||
				    o.rc == STORE_EXPIRED);
				m[i].live = 0;
			}
			break;
		case 3: /* destroy */
			if (n == 0)
				break;
			session_store_destroy(st, m[i].token, on_done, &o);
			if (m[i].live && m[i].expires_at > test_now)
				ck_assert_int_eq(o.rc, STORE_OK);
			else
				ck_assert(o.rc == STORE_NOTFOUND ||
				    o.rc == STORE_EXPIRED);
			m[i].live = 0;
			break;
		case 4: /* time passes */
			test_now += random() % 3000;
			break;
		case 5: /* sweep */
			session_store_sweep(st, test_now);
			break;
		}
		ck_assert_int_le(o.calls, 1);
	}
	session_store_close(st);
	config_free(&cfg);
}
END_TEST

START_TEST(test_sweep_is_bounded)
{
	struct store_params p = { NULL, NULL, test_now_ms };
	struct session_store *st;
	struct config cfg;
	struct outcome o;
	char err[128];
	int i;

	test_config(&cfg, CONFIG_STATELESS, "--session-ttl", "1",
	    "--max-sessions", "5000", NULL);
	p.cfg = &cfg;
	st = memory_store_open(&p, err, sizeof(err));
	for (i = 0; i < 2500; i++)
		session_store_create(st, "u", on_done, &o);
	test_now += 5000;
	/* One call drops a bounded batch, never the whole table at once. */
	ck_assert_int_eq(session_store_sweep(st, test_now), 1000);
	ck_assert_int_eq(session_store_count(st), 1500);
	ck_assert_int_eq(session_store_sweep(st, test_now), 1000);
	ck_assert_int_eq(session_store_sweep(st, test_now), 500);
	ck_assert_int_eq(session_store_sweep(st, test_now), 0);
	session_store_close(st);
	config_free(&cfg);
}
END_TEST

Suite *
memory_store_suite(void)
{
	Suite *s = suite_create("memory_store");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_reference_model);
	tcase_add_test(tc, test_sweep_is_bounded);
	suite_add_tcase(s, tc);
	return (s);
}
