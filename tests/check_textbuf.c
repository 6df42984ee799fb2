// SPDX-License-Identifier: MIT
/* check_textbuf.c - tests for common/textbuf.h. */
#include <stdint.h>
#include <stdio.h>

#include <check.h>

#include "check_suites.h"
#include "textbuf.h"

START_TEST(test_appends_and_stops_when_full)
{
	char buf[8];
	struct textbuf t;

	textbuf_init(&t, buf, sizeof(buf));
	textbuf_lit(&t, "ab");
	textbuf_puts(&t, "c");
	textbuf_put(&t, "defg", 4);
	ck_assert_int_eq(t.full, 0);
	ck_assert_int_eq(t.p - buf, 7);
	textbuf_puts(&t, "hi"); /* one byte left: nothing is written */
	ck_assert_int_eq(t.full, 1);
	ck_assert_int_eq(t.p - buf, 7);
	textbuf_puts(&t, "");
	ck_assert_int_eq(t.full, 1);
	ck_assert_int_eq(memcmp(buf, "abcdefg", 7), 0);
}
END_TEST

START_TEST(test_integers_as_printf)
{
	const int64_t values[] = { 0, 7, -7, 10, 99, 100, -100, 1234567890123LL,
		INT64_MAX, INT64_MIN, INT64_MIN + 1 };
	char buf[32], want[32];
	struct textbuf t;
	size_t i;

	for (i = 0; i < sizeof(values) / sizeof(values[0]); i++) {
		textbuf_init(&t, buf, sizeof(buf));
		textbuf_put_int(&t, values[i]);
		textbuf_put(&t, "", 1);
		snprintf(want, sizeof(want), "%lld", (long long)values[i]);
		ck_assert_str_eq(buf, want);
	}
	textbuf_init(&t, buf, 3);
	textbuf_put_int(&t, 1234);
	ck_assert_int_eq(t.full, 1);
}
END_TEST

Suite *
textbuf_suite(void)
{
	Suite *s = suite_create("textbuf");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_appends_and_stops_when_full);
	tcase_add_test(tc, test_integers_as_printf);
	suite_add_tcase(s, tc);
	return (s);
}
