// SPDX-License-Identifier: MIT
/* check_framing.c - tests for common/framing.c. */
#include <sys/queue.h>

#include <stddef.h>

#include <check.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "check_suites.h"
#include "framing.h"

/* Check a header list given as name, value, ..., NULL. */
static int
check(const char *const *kv)
{
	struct evkeyvalq h;
	const char *why = NULL;
	int rc;

	TAILQ_INIT(&h);
	for (; kv[0] != NULL; kv += 2)
		ck_assert_int_eq(evhttp_add_header(&h, kv[0], kv[1]), 0);
	rc = framing_check(&h, &why);
	ck_assert(rc == 0 ? why == NULL : why != NULL);
	evhttp_clear_headers(&h);
	return (rc);
}

START_TEST(test_plain_requests_pass)
{
	const char *none[] = { "Host", "x", NULL };
	const char *cl[] = { "Content-Length", "14", NULL };
	const char *same[] = { "Content-Length", "14", "content-length", "14",
		NULL };
	const char *chunked[] = { "Transfer-Encoding", "Chunked", NULL };
	const char *odd_names[] = { "X-A_b.c~1!", "v", NULL };

	ck_assert_int_eq(check(none), 0);
	ck_assert_int_eq(check(cl), 0);
	ck_assert_int_eq(check(same), 0);
	ck_assert_int_eq(check(chunked), 0);
	ck_assert_int_eq(check(odd_names), 0);
}
END_TEST

START_TEST(test_smuggling_shapes_fail)
{
	const char *two[] = { "Content-Length", "13", "Content-Length", "14",
		NULL };
	const char *sign[] = { "Content-Length", "+14", NULL };
	const char *list[] = { "Content-Length", "14, 14", NULL };
	const char *empty[] = { "Content-Length", "", NULL };
	const char *gzip[] = { "Transfer-Encoding", "gzip, chunked", NULL };
	const char *x[] = { "Transfer-Encoding", "xchunked", NULL };
	const char *twice[] = { "Transfer-Encoding", "chunked",
		"Transfer-Encoding", "chunked", NULL };
	const char *both[] = { "Transfer-Encoding", "chunked", "Content-Length",
		"3", NULL };
	const char *blank[] = { "Transfer-Encoding ", "chunked", NULL };
	const char *tab[] = { "X\tY", "1", NULL };
	const char *noname[] = { "", "1", NULL };

	ck_assert_int_eq(check(two), -1);
	ck_assert_int_eq(check(sign), -1);
	ck_assert_int_eq(check(list), -1);
	ck_assert_int_eq(check(empty), -1);
	ck_assert_int_eq(check(gzip), -1);
	ck_assert_int_eq(check(x), -1);
	ck_assert_int_eq(check(twice), -1);
	ck_assert_int_eq(check(both), -1);
	ck_assert_int_eq(check(blank), -1);
	ck_assert_int_eq(check(tab), -1);
	ck_assert_int_eq(check(noname), -1);
}
END_TEST

Suite *
framing_suite(void)
{
	Suite *s;
	TCase *tc;

	s = suite_create("framing");
	tc = tcase_create("core");
	tcase_add_test(tc, test_plain_requests_pass);
	tcase_add_test(tc, test_smuggling_shapes_fail);
	suite_add_tcase(s, tc);
	return (s);
}
