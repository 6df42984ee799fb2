// SPDX-License-Identifier: MIT
/*
 * check_evmem.c - tests for common/evmem.c: blocks of every size keep
 * their contents through resize, freed blocks are reused up to the
 * limit, and trimming empties the lists, calling the allocator directly;
 * and, in a test process of its own, the whole API served and called
 * over HTTP with the allocator installed under libevent, as the binaries
 * run (a block libevent allocated and we free with free(), or the other
 * way round, aborts there).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>
#include <event2/event.h>

#include "check_suites.h"
#include "evmem.h"
#include "server.h"
#include "store_server.h"
#include "test_util.h"

START_TEST(test_sizes_and_alignment)
{
	const size_t sizes[] = { 0, 1, 31, 32, 33, 64, 100, 1024, 1025, 4096,
		8191, 8192, 8193, 100000 };
	void *p[sizeof(sizes) / sizeof(sizes[0])];
	size_t i;

	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		ck_assert_ptr_nonnull(p[i] = evmem_alloc(sizes[i]));
		ck_assert_uint_eq((uintptr_t)p[i] % 16, 0);
		memset(p[i], (int)i, sizes[i]);
	}
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++)
		evmem_release(p[i]);
	evmem_release(NULL);
	evmem_trim();
	ck_assert_uint_eq(evmem_cached(), 0);
}
END_TEST

START_TEST(test_reuse_up_to_the_limit)
{
	void *a, *b;
	void *many[EVMEM_KEEP(128) + 10];
	size_t i;

	evmem_trim();
	a = evmem_alloc(40);
	evmem_release(a);
	ck_assert_uint_eq(evmem_cached(), 1);
	b = evmem_alloc(60); /* same class: 64 bytes */
	ck_assert_ptr_eq(a, b);
	ck_assert_uint_eq(evmem_cached(), 0);
	evmem_release(b);
	/* Large blocks are never kept. */
	evmem_release(evmem_alloc(20000));
	ck_assert_uint_eq(evmem_cached(), 1);
	/* 100 bytes: the 128-byte class. */
	for (i = 0; i < EVMEM_KEEP(128) + 10; i++)
		ck_assert_ptr_nonnull(many[i] = evmem_alloc(100));
	for (i = 0; i < EVMEM_KEEP(128) + 10; i++)
		evmem_release(many[i]);
	ck_assert_uint_eq(evmem_cached(), EVMEM_KEEP(128) + 1);
	evmem_trim();
	ck_assert_uint_eq(evmem_cached(), 0);
}
END_TEST

START_TEST(test_resize_keeps_contents)
{
	unsigned char *p, *q;
	size_t n, i;

	p = evmem_resize(NULL, 10);
	ck_assert_ptr_nonnull(p);
	memset(p, 0xab, 10);
	/* Grow through every class and into a large block, and back. */
	for (n = 16; n <= 65536; n *= 2) {
		q = evmem_resize(p, n);
		ck_assert_ptr_nonnull(q);
		for (i = 0; i < 10; i++)
			ck_assert_uint_eq(q[i], 0xab);
		memset(q + 10, 0xcd, n - 10);
		p = q;
	}
	q = evmem_resize(p, 70000); /* large to large */
	ck_assert_ptr_nonnull(q);
	ck_assert_uint_eq(q[65535], 0xcd);
	p = evmem_resize(q, 20); /* large to small */
	ck_assert_ptr_nonnull(p);
	ck_assert_uint_eq(p[0], 0xab);
	ck_assert_uint_eq(p[19], 0xcd);
	q = evmem_resize(p, 30); /* fits its block: the same block */
	ck_assert_ptr_eq(p, q);
	evmem_release(q);
	evmem_trim();
}
END_TEST

/* The server and its client on one loop, libevent on evmem throughout. */
START_TEST(test_installed_under_libevent)
{
	const char *fork = getenv("CK_FORK");
	struct event_base *base;
	struct store_server *ss;
	struct test_response resp;
	const char *json[] = { "Content-Type", "application/json", NULL, NULL,
		NULL };
	char auth[128], *tok, *end;
	int port;

	/* Installing must come before any libevent call in the process. */
	if (fork != NULL && strcmp(fork, "no") == 0)
		return;
	(void)evmem_install(); /* not under AddressSanitizer: see evmem.c */
	ck_assert_ptr_nonnull(base = server_base_new());
	ss = store_server_start(base, 0, "evmem-test", 60, 10, test_now_ms);
	port = store_server_port(ss);
	ck_assert_int_eq(test_http(base, port, "POST", "/api/sessions", json,
	                     "{\"user\":\"al\"}", &resp),
	    201);
	tok = strstr(resp.body, "\"token\":\"");
	ck_assert_ptr_nonnull(tok);
	tok += strlen("\"token\":\"");
	end = strchr(tok, '"');
	ck_assert_ptr_nonnull(end);
	snprintf(auth, sizeof(auth), "Bearer %.*s", (int)(end - tok), tok);
	json[2] = "Authorization";
	json[3] = auth;
	/* evhttp_uridecode's result is freed with evmem_free. */
	ck_assert_int_eq(test_http(base, port, "PUT", "/api/session/data/k%2Ea",
	                     json, "[1,\"two\",{\"three\":3}]", &resp),
	    200);
	ck_assert_int_eq(test_http(base, port, "GET", "/api/session/data/k.a",
	                     json, NULL, &resp),
	    200);
	ck_assert_str_eq(resp.body, "[1,\"two\",{\"three\":3}]");
	ck_assert_int_eq(
	    test_http(base, port, "GET", "/api/session", json, NULL, &resp),
	    200);
	ck_assert_ptr_nonnull(strstr(resp.body, "\"k.a\":[1,"));
	ck_assert_int_eq(test_http(base, port, "DELETE",
	                     "/api/session/data/k.a", json, NULL, &resp),
	    204);
	ck_assert_int_eq(
	    test_http(base, port, "GET", "/nowhere", json, NULL, &resp), 404);
	store_server_stop(ss);
	event_base_free(base);
	libevent_global_shutdown();
	evmem_trim();
}
END_TEST

START_TEST(test_free_before_install)
{
	/* Not installed in this process: evmem_free is free(). */
	evmem_free(malloc(10));
	evmem_free(NULL);
}
END_TEST

Suite *
evmem_suite(void)
{
	Suite *s = suite_create("evmem");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_sizes_and_alignment);
	tcase_add_test(tc, test_reuse_up_to_the_limit);
	tcase_add_test(tc, test_resize_keeps_contents);
	tcase_add_test(tc, test_free_before_install);
	tcase_add_test(tc, test_installed_under_libevent);
	suite_add_tcase(s, tc);
	return (s);
}
