// SPDX-License-Identifier: MIT
/* check_token.c - tests for common/token.c. */
#include <string.h>

#include <check.h>

#include "check_suites.h"
#include "token.h"

START_TEST(test_generate)
{
	char a[TOKEN_LEN + 1], b[TOKEN_LEN + 1];

	ck_assert_int_eq(token_generate(a), 0);
	ck_assert_int_eq(token_generate(b), 0);
	ck_assert_int_eq(strlen(a), TOKEN_LEN);
	ck_assert(token_is_wellformed(a));
	ck_assert_str_ne(a, b);
}
END_TEST

START_TEST(test_wellformed)
{
	ck_assert(token_is_wellformed("AAAAAAAAAAAAAAAAAAAA-_"));
	ck_assert(!token_is_wellformed("AAAAAAAAAAAAAAAAAAAAA"));
	ck_assert(!token_is_wellformed("AAAAAAAAAAAAAAAAAAAAAAA"));
	ck_assert(!token_is_wellformed("AAAAAAAAAAAAAAAAAAAAA="));
	ck_assert(!token_is_wellformed("AAAAAAAAAAAAAAAAAAAAA+"));
	ck_assert(!token_is_wellformed(""));
}
END_TEST

START_TEST(test_equal)
{
	ck_assert(token_equal("abc", "abc"));
	ck_assert(!token_equal("abc", "abd"));
	ck_assert(!token_equal("abc", "abcd"));
	ck_assert(!token_equal("", "a"));
	ck_assert(token_memeq("xy", "xz", 1));
	ck_assert(!token_memeq("xy", "xz", 2));
}
END_TEST

/* RFC 4648 section 10 vectors, in the URL alphabet without padding. */
START_TEST(test_base64url_vectors)
{
	static const char *const in[] = { "", "f", "fo", "foo", "foob", "fooba",
		"foobar" };
	static const char *const out[] = { "", "Zg", "Zm8", "Zm9v", "Zm9vYg",
		"Zm9vYmE", "Zm9vYmFy" };
	unsigned char bin[2] = { 0xfb, 0xff };
	char buf[32];
	size_t i;

	for (i = 0; i < sizeof(in) / sizeof(in[0]); i++) {
		token_base64url(
		    (const unsigned char *)in[i], strlen(in[i]), buf);
		ck_assert_str_eq(buf, out[i]);
	}
	token_base64url(bin, 2, buf);
	ck_assert_str_eq(buf, "-_8");
}
END_TEST

START_TEST(test_random_hex)
{
	char a[17], b[17];
	size_t i;

	ck_assert_int_eq(token_random_hex(a, 8), 0);
	ck_assert_int_eq(token_random_hex(b, 8), 0);
	ck_assert_int_eq(strlen(a), 16);
	for (i = 0; i < 16; i++)
		ck_assert_ptr_nonnull(strchr("0123456789abcdef", a[i]));
	ck_assert_str_ne(a, b);
	ck_assert_int_eq(token_random_hex(a, 1000), -1);
}
END_TEST

Suite *
token_suite(void)
{
	Suite *s = suite_create("token");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_generate);
	tcase_add_test(tc, test_wellformed);
	tcase_add_test(tc, test_equal);
	tcase_add_test(tc, test_base64url_vectors);
	tcase_add_test(tc, test_random_hex);
	suite_add_tcase(s, tc);
	return (s);
}
