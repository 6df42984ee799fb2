// SPDX-License-Identifier: MIT
/* check_ratelimit.c - tests for common/ratelimit.c. */
#include <stdio.h>
#include <string.h>

#include <check.h>

#include "check_suites.h"
#include "ratelimit.h"

#define T0 1000000 /* any monotonic start */

START_TEST(test_burst_then_refuse)
{
	struct ratelimit *rl = ratelimit_new(3, 16);
	int i;

	ck_assert_ptr_nonnull(rl);
	for (i = 0; i < 3; i++)
		ck_assert_int_eq(ratelimit_take(rl, "10.0.0.1", T0), 0);
	/* One token comes back every 20 s at 3 a minute. */
	ck_assert_int_eq(ratelimit_take(rl, "10.0.0.1", T0), 20);
	ck_assert_int_eq(ratelimit_take(rl, "10.0.0.1", T0 + 19000), 1);
	ck_assert_int_eq(ratelimit_take(rl, "10.0.0.1", T0 + 20000), 0);
	ck_assert_int_eq(ratelimit_take(rl, "10.0.0.1", T0 + 20000), 20);
	ratelimit_free(rl);
}
END_TEST

START_TEST(test_keys_are_independent)
{
	struct ratelimit *rl = ratelimit_new(1, 16);

	ck_assert_int_eq(ratelimit_take(rl, "10.0.0.1", T0), 0);
	ck_assert_int_gt(ratelimit_take(rl, "10.0.0.1", T0), 0);
	ck_assert_int_eq(ratelimit_take(rl, "10.0.0.2", T0), 0);
	ck_assert_int_eq(ratelimit_count(rl), 2);
	ratelimit_free(rl);
}
END_TEST

START_TEST(test_refills_to_full_only)
{
	struct ratelimit *rl = ratelimit_new(2, 16);
	int64_t t = T0;

	ck_assert_int_eq(ratelimit_take(rl, "a", t), 0);
	/* An hour idle refills to 2, not to 120. */
	t += 3600 * 1000;
	ck_assert_int_eq(ratelimit_take(rl, "a", t), 0);
	ck_assert_int_eq(ratelimit_take(rl, "a", t), 0);
	ck_assert_int_gt(ratelimit_take(rl, "a", t), 0);
	/* A clock that steps back neither refills nor breaks anything. */
	ck_assert_int_gt(ratelimit_take(rl, "a", t - 50000), 0);
	ratelimit_free(rl);
}
END_TEST

/* Retries every 9 ms must not starve the refill (review finding). */
START_TEST(test_frequent_retries_still_refill)
{
	struct ratelimit *rl = ratelimit_new(6, 16);
	int64_t t;
	int allowed = 0;

	for (t = 0; t < 5 * 60000; t += 9)
		if (ratelimit_take(rl, "a", t) == 0)
			allowed++;
	/* A burst of 6, then 6 a minute for 5 minutes. */
	ck_assert_int_ge(allowed, 6 + 29);
	ck_assert_int_le(allowed, 6 + 31);
	ratelimit_free(rl);
}
END_TEST

START_TEST(test_retry_after_is_at_least_one)
{
	struct ratelimit *rl = ratelimit_new(6000, 16);
	int i;

	for (i = 0; i < 6000; i++)
		ck_assert_int_eq(ratelimit_take(rl, "fast", T0), 0);
	ck_assert_int_eq(ratelimit_take(rl, "fast", T0), 1);
	ratelimit_free(rl);
}
END_TEST

START_TEST(test_disabled)
{
	struct ratelimit *rl = ratelimit_new(0, 16);
	int i;

	for (i = 0; i < 1000; i++)
		ck_assert_int_eq(ratelimit_take(rl, "x", T0), 0);
	ck_assert_int_eq(ratelimit_count(rl), 0);
	ratelimit_free(rl);
	ck_assert_int_eq(ratelimit_take(NULL, "x", T0), 0);
	ratelimit_free(NULL);
}
END_TEST

START_TEST(test_bounded_keys)
{
	struct ratelimit *rl = ratelimit_new(1, 100);
	char key[32];
	int i;

	for (i = 0; i < 10000; i++) {
		snprintf(key, sizeof(key), "10.%d.%d.1", i / 256, i % 256);
		ck_assert_int_eq(ratelimit_take(rl, key, T0), 0);
	}
	ck_assert_int_eq(ratelimit_count(rl), 100);
	/* The most recent key is still remembered and still in debt. */
	ck_assert_int_gt(ratelimit_take(rl, key, T0), 0);
	ratelimit_free(rl);
}
END_TEST

START_TEST(test_long_keys_are_cut)
{
	struct ratelimit *rl = ratelimit_new(1, 16);
	char a[200], b[200];

	memset(a, 'a', sizeof(a) - 1);
	a[sizeof(a) - 1] = '\0';
	memcpy(b, a, sizeof(b));
	b[150] = 'b'; /* differs past RATELIMIT_KEY_MAX: the same key */
	ck_assert_int_eq(ratelimit_take(rl, a, T0), 0);
	ck_assert_int_gt(ratelimit_take(rl, b, T0), 0);
	ratelimit_free(rl);
}
END_TEST

START_TEST(test_client_key)
{
	char out[64];

	ck_assert_str_eq(
	    ratelimit_client_key("192.0.2.7", out, sizeof(out)), "192.0.2.7");
	ck_assert_str_eq(
	    ratelimit_client_key("2001:db8:1:2:3:4:5:6", out, sizeof(out)),
	    "2001:db8:1:2::/64");
	ck_assert_str_eq(
	    ratelimit_client_key("2001:db8:1:2:ffff::1", out, sizeof(out)),
	    "2001:db8:1:2::/64");
	ck_assert_str_eq(
	    ratelimit_client_key("::ffff:192.0.2.7", out, sizeof(out)),
	    "192.0.2.7");
	ck_assert_str_eq(ratelimit_client_key("-", out, sizeof(out)), "-");
	ck_assert_str_eq(
	    ratelimit_client_key("not:an:addr::x", out, 5), "not:");
}
END_TEST

Suite *
ratelimit_suite(void)
{
	Suite *s;
	TCase *tc;

	s = suite_create("ratelimit");
	tc = tcase_create("core");
	tcase_add_test(tc, test_burst_then_refuse);
	tcase_add_test(tc, test_keys_are_independent);
	tcase_add_test(tc, test_refills_to_full_only);
	tcase_add_test(tc, test_retry_after_is_at_least_one);
	tcase_add_test(tc, test_frequent_retries_still_refill);
	tcase_add_test(tc, test_disabled);
	suite_add_tcase(s, tc);
	tc = tcase_create("limits");
	tcase_add_test(tc, test_bounded_keys);
	tcase_add_test(tc, test_long_keys_are_cut);
	tcase_add_test(tc, test_client_key);
	suite_add_tcase(s, tc);
	return (s);
}
