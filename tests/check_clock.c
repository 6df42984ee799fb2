// SPDX-License-Identifier: MIT
/* check_clock.c - tests for common/clock.c. */
#include <check.h>

#include "check_suites.h"
#include "clock.h"

START_TEST(test_rfc3339)
{
	char buf[CLOCK_RFC3339_MAX];

	ck_assert_str_eq(clock_format_rfc3339(0, buf, sizeof(buf)),
	    "1970-01-01T00:00:00.000Z");
	ck_assert_str_eq(
	    clock_format_rfc3339(1700000000123LL, buf, sizeof(buf)),
	    "2023-11-14T22:13:20.123Z");
	ck_assert_str_eq(clock_format_rfc3339(-1, buf, sizeof(buf)),
	    "1969-12-31T23:59:59.999Z");
	/* The per-second cache must follow the second, both ways. */
	ck_assert_str_eq(
	    clock_format_rfc3339(1700000000007LL, buf, sizeof(buf)),
	    "2023-11-14T22:13:20.007Z");
	ck_assert_str_eq(
	    clock_format_rfc3339(1700000001990LL, buf, sizeof(buf)),
	    "2023-11-14T22:13:21.990Z");
	ck_assert_str_eq(
	    clock_format_rfc3339(1700000000050LL, buf, sizeof(buf)),
	    "2023-11-14T22:13:20.050Z");
	/* A short buffer is cut, never overrun. */
	ck_assert_str_eq(
	    clock_format_rfc3339(1700000000050LL, buf, 11), "2023-11-14");
}
END_TEST

START_TEST(test_clocks_move)
{
	int64_t a = clock_mono_us(), w = clock_now_ms();

	ck_assert_int_ge(clock_mono_us(), a);
	ck_assert_int_gt(w, 1600000000000LL);
}
END_TEST

Suite *
clock_suite(void)
{
	Suite *s = suite_create("clock");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_rfc3339);
	tcase_add_test(tc, test_clocks_move);
	suite_add_tcase(s, tc);
	return (s);
}
