// SPDX-License-Identifier: MIT
/* check_problem.c - tests for common/problem.c helpers (replies: check_api). */
#include <check.h>
#include <event2/http.h>

#include "check_suites.h"
#include "problem.h"

START_TEST(test_titles)
{
	ck_assert_str_eq(problem_title(404), "Not Found");
	ck_assert_str_eq(problem_title(431), "Request Header Fields Too Large");
	ck_assert_str_eq(problem_title(418), "Error");
}
END_TEST

START_TEST(test_allow_list)
{
	char buf[96];

	problem_allow_list(
	    EVHTTP_REQ_DELETE | EVHTTP_REQ_GET, buf, sizeof(buf));
	ck_assert_str_eq(buf, "GET, DELETE");
	problem_allow_list(0, buf, sizeof(buf));
	ck_assert_str_eq(buf, "");
	problem_allow_list(EVHTTP_REQ_GET | EVHTTP_REQ_POST, buf, 5);
	ck_assert_str_eq(buf, "GET,");
}
END_TEST

Suite *
problem_suite(void)
{
	Suite *s = suite_create("problem");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_titles);
	tcase_add_test(tc, test_allow_list);
	suite_add_tcase(s, tc);
	return (s);
}
