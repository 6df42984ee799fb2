// SPDX-License-Identifier: MIT
/*
 * check_mem_table.c - tests for stateless/mem_table.c: a reference model
 * (random operations against a plain array in expiry order), and a table
 * that grows over several blocks and index sizes, then shrinks back.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "check_suites.h"
#include "mem_table.h"
#include "token.h"

#define MODEL_MAX 5000  /* past one block of 4096 */
#define GROW_N    20000 /* five blocks, index up to 32768 slots */

/* A deterministic token: base64url of 16 bytes from random(). */
static void
make_token(char *out)
{
	unsigned char raw[TOKEN_BYTES];
	size_t i;

	for (i = 0; i < sizeof(raw); i++)
		raw[i] = (unsigned char)random();
	token_base64url(raw, sizeof(raw), out);
}

/* The record for token must be there and carry the payload it was given. */
static void
assert_holds(struct mem_table *t, const char *token, long long counter)
{
	struct mem_session *e = mem_table_find(t, token);

	ck_assert_ptr_nonnull(e);
	ck_assert_str_eq(e->token, token);
	ck_assert_int_eq(e->counter, counter);
	ck_assert_int_eq(e->created_at, counter * 7);
	ck_assert_str_eq(e->user, token + 10);
}

static void
fill(struct mem_session *e, const char *token, long long counter)
{
	e->counter = counter;
	e->created_at = counter * 7;
	snprintf(e->user, sizeof(e->user), "%s", token + 10);
}

START_TEST(test_reference_model)
{
	/* m[0] is the oldest: the model is the expiry list itself. */
	static char tok[MODEL_MAX][TOKEN_LEN + 1];
	static long long val[MODEL_MAX];
	struct mem_table *t;
	struct mem_session *e;
	char probe[TOKEN_LEN + 1];
	int step, n = 0, i, j;
	long long next = 1, moved;

	srandom(7);
	ck_assert_ptr_nonnull(t = mem_table_new());
	for (step = 0; step < 60000; step++) {
		i = n > 0 ? (int)(random() % n) : 0;
		switch (random() % 8) {
		case 0: /* add; more often than remove, so the table grows */
		case 1:
		case 2:
			if (n == MODEL_MAX)
				break;
			make_token(tok[n]);
			ck_assert_ptr_nonnull(e = mem_table_add(t, tok[n]));
			ck_assert_int_eq(e->counter, 0);
			ck_assert_ptr_null(e->data);
			fill(e, tok[n], val[n] = next++);
			n++;
			break;
		case 3: /* touch: to the tail */
			if (n == 0)
				break;
			mem_table_touch(t, mem_table_find(t, tok[i]));
			memcpy(probe, tok[i], sizeof(probe));
			moved = val[i];
			for (j = i; j < n - 1; j++) {
				memcpy(tok[j], tok[j + 1], sizeof(tok[j]));
				val[j] = val[j + 1];
			}
			memcpy(tok[n - 1], probe, sizeof(probe));
			val[n - 1] = moved;
			break;
		case 4: /* remove */
		case 5:
			if (n == 0)
				break;
			mem_table_remove(t, mem_table_find(t, tok[i]));
			ck_assert_ptr_null(mem_table_find(t, tok[i]));
			for (j = i; j < n - 1; j++) {
				memcpy(tok[j], tok[j + 1], sizeof(tok[j]));
				val[j] = val[j + 1];
			}
			n--;
			break;
		case 6: /* a token never added */
			make_token(probe);
			ck_assert_ptr_null(mem_table_find(t, probe));
			break;
		case 7: /* lookups still land after the moves */
			if (n > 0)
				assert_holds(t, tok[i], val[i]);
			break;
		}
		ck_assert_uint_eq(mem_table_count(t), (size_t)n);
		e = mem_table_oldest(t);
		if (n == 0)
			ck_assert_ptr_null(e);
		else
			ck_assert_str_eq(e->token, tok[0]);
	}
	for (i = 0; i < n; i++)
		assert_holds(t, tok[i], val[i]);
	/* Draining from the head gives the model's order. */
	for (i = 0; i < n; i++) {
		ck_assert_str_eq((e = mem_table_oldest(t))->token, tok[i]);
		mem_table_remove(t, e);
	}
	ck_assert_ptr_null(mem_table_oldest(t));
	mem_table_free(t);
}
END_TEST

START_TEST(test_grows_and_shrinks)
{
	static char tok[GROW_N][TOKEN_LEN + 1];
	struct mem_table *t;
	size_t empty, full;
	int i, j;

	srandom(11);
	ck_assert_ptr_nonnull(t = mem_table_new());
	empty = mem_table_footprint(t);
	for (i = 0; i < GROW_N; i++) {
		make_token(tok[i]);
		fill(mem_table_add(t, tok[i]), tok[i], i);
	}
	full = mem_table_footprint(t);
	/* 128-byte records, an index at most 4/3 .. 8/3 of the count. */
	ck_assert_uint_ge(full, GROW_N * (128 + 8));
	ck_assert_uint_le(full, GROW_N * (128 + 24) + 2 * 4096 * 128);
	for (i = 0; i < GROW_N; i++)
		assert_holds(t, tok[i], i);
	/* Remove every other one, then check the rest: records moved. */
	for (i = 0; i < GROW_N; i += 2)
		mem_table_remove(t, mem_table_find(t, tok[i]));
	ck_assert_uint_eq(mem_table_count(t), GROW_N / 2);
	for (i = 1; i < GROW_N; i += 2)
		assert_holds(t, tok[i], i);
	for (i = 0; i < GROW_N; i += 2)
		ck_assert_ptr_null(mem_table_find(t, tok[i]));
	/* Expiry order survived: the odd ones, oldest first. */
	for (i = 1, j = 0; i < GROW_N - 100; i += 2, j++) {
		ck_assert_str_eq(mem_table_oldest(t)->token, tok[i]);
		mem_table_remove(t, mem_table_oldest(t));
	}
	ck_assert_uint_eq(mem_table_count(t), 50);
	/* Memory went back: a block, one spare and a small index are left. */
	ck_assert_uint_le(
	    mem_table_footprint(t), empty + 2 * 4096 * 128 + 4096);
	ck_assert_uint_lt(mem_table_footprint(t), full / 2);
	for (i = GROW_N - 99; i < GROW_N; i += 2)
		assert_holds(t, tok[i], i);
	mem_table_free(t);
}
END_TEST

START_TEST(test_free_accepts_null)
{
	mem_table_free(NULL);
}
END_TEST

Suite *
mem_table_suite(void)
{
	Suite *s = suite_create("mem_table");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_reference_model);
	tcase_add_test(tc, test_grows_and_shrinks);
	tcase_add_test(tc, test_free_accepts_null);
	suite_add_tcase(s, tc);
	return (s);
}
