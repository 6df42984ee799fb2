// SPDX-License-Identifier: MIT
/* check_clock.c - tests for common/clock.c. */
#include <check.h>
#include <regex.h>
#include <string.h>
#include <time.h>

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

START_TEST(test_http_date)
{
	char a[CLOCK_HTTP_DATE_MAX], want[CLOCK_HTTP_DATE_MAX];
	regex_t re;
	struct tm tm;
	time_t now;
	int tries;

	ck_assert_int_eq(
	    regcomp(&re,
	        "^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), [0-3][0-9] "
	        "(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) "
	        "[0-9]{4} [0-2][0-9]:[0-5][0-9]:[0-6][0-9] GMT$",
	        REG_EXTENDED | REG_NOSUB),
	    0);
	/* Equal to strftime's C-locale text of the same second, read from
	 * the same clock (retried if the second turns during the call). */
	for (tries = 0; tries < 3; tries++) {
		now = (time_t)(clock_now_ms() / 1000);
		strcpy(a, clock_http_date());
		if ((time_t)(clock_now_ms() / 1000) == now)
			break;
	}
	ck_assert_ptr_nonnull(gmtime_r(&now, &tm));
	strftime(want, sizeof(want), "%a, %d %b %Y %H:%M:%S GMT", &tm);
	ck_assert_int_eq(regexec(&re, a, 0, NULL, 0), 0);
	ck_assert_str_eq(a, want);
	ck_assert_uint_eq(strlen(a), CLOCK_HTTP_DATE_MAX - 1);
	regfree(&re);
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
	tcase_add_test(tc, test_http_date);
	tcase_add_test(tc, test_clocks_move);
	suite_add_tcase(s, tc);
	return (s);
}
