// SPDX-License-Identifier: MIT
/*
 * ratelimit.c - a token bucket per client address, for
 * --max-new-sessions-per-minute (429 with Retry-After).
 *
 * Each key has a bucket of at most per_minute tokens that refills at
 * per_minute tokens a minute; an event takes one token.  Levels are kept
 * in milli-tokens so that all arithmetic is exact integers:
 *
 *   level += elapsed_ms * per_minute * 1000 / 60000   (capped at full)
 *   allowed  <=>  level >= 1000, and then level -= 1000
 *   refused  ->   Retry-After = ceil((1000 - level) * 60 / per_minute / 1000)
 *
 * Keys live in a uthash table and on an LRU list; past max_keys the least
 * recently seen key is dropped.  Dropping forgets a debt, which only
 * matters to a client that can present more addresses than max_keys, and
 * such a client is not stopped by per-address limits anyway; it keeps the
 * memory of the server bounded, which matters more.
 *
 * Only the event-loop thread uses a limiter.
 */
#include <sys/queue.h>
#include <sys/socket.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <uthash.h>

#include "ratelimit.h"

#define MILLI     1000
#define MINUTE_MS 60000

struct bucket {
	char key[RATELIMIT_KEY_MAX + 1]; /* the hash key */
	int64_t level;                   /* milli-tokens */
	int64_t last_ms;                 /* when level was last brought up */
	TAILQ_ENTRY(bucket) lru;         /* most recently seen at the tail */
	UT_hash_handle hh;
};

TAILQ_HEAD(bucket_list, bucket);

struct ratelimit {
	int64_t per_minute;
	int64_t full; /* per_minute * MILLI */
	size_t max_keys;
	size_t count;
	struct bucket *table; /* uthash head */
	struct bucket_list lru;
};

static struct bucket *bucket_get(struct ratelimit *, const char *, int64_t);
static void bucket_drop(struct ratelimit *, struct bucket *);

struct ratelimit *
ratelimit_new(int64_t per_minute, size_t max_keys)
{
	struct ratelimit *rl;

	if ((rl = calloc(1, sizeof(*rl))) == NULL)
		return (NULL);
	rl->per_minute = per_minute > 0 ? per_minute : 0;
	rl->full = rl->per_minute * MILLI;
	rl->max_keys = max_keys > 0 ? max_keys : 1;
	TAILQ_INIT(&rl->lru);
	return (rl);
}

void
ratelimit_free(struct ratelimit *rl)
{
	struct bucket *b;

	if (rl == NULL)
		return;
	while ((b = TAILQ_FIRST(&rl->lru)) != NULL)
		bucket_drop(rl, b);
	free(rl);
}

int64_t
ratelimit_take(struct ratelimit *rl, const char *key, int64_t now_ms)
{
	struct bucket *b;
	int64_t elapsed, missing, wait_ms, add;

	if (rl == NULL || rl->per_minute == 0)
		return (0);
	if ((b = bucket_get(rl, key, now_ms)) == NULL)
		return (0); /* out of memory: never refuse for our own reason */

	/* Refill for the time since the last look; a clock step back adds 0. */
	elapsed = now_ms - b->last_ms;
	if (elapsed > 0) {
		/* Past a minute the bucket is full anyway; avoids overflow. */
		if (elapsed >= MINUTE_MS) {
			b->level = rl->full;
			b->last_ms = now_ms;
		} else {
			add = elapsed * rl->full / MINUTE_MS;
			/*
			 * Advance the clock only by the time the added units
			 * stand for: the remainder counts towards the next
			 * look, so frequent retries cannot starve the refill.
			 */
			b->level += add;
			b->last_ms += add * MINUTE_MS / rl->full;
		}
		if (b->level > rl->full)
			b->level = rl->full;
	}
	if (b->level >= MILLI) {
		b->level -= MILLI;
		return (0);
	}
	/* Time until one whole token is back, rounded up to seconds. */
	missing = MILLI - b->level;
	wait_ms = (missing * MINUTE_MS + rl->full - 1) / rl->full;
	return ((wait_ms + 999) / 1000);
}

size_t
ratelimit_count(const struct ratelimit *rl)
{
	return (rl->count);
}

const char *
ratelimit_client_key(const char *addr, char *out, size_t len)
{
	struct in6_addr a6;
	char text[INET6_ADDRSTRLEN];

	if (len == 0)
		return (out);
	if (strchr(addr, ':') == NULL || inet_pton(AF_INET6, addr, &a6) != 1) {
		snprintf(out, len, "%s", addr);
		return (out);
	}
	if (IN6_IS_ADDR_V4MAPPED(&a6)) {
		inet_ntop(AF_INET, &a6.s6_addr[12], text, sizeof(text));
		snprintf(out, len, "%s", text);
		return (out);
	}
	/* The network half only: one key per /64. */
	memset(&a6.s6_addr[8], 0, 8);
	inet_ntop(AF_INET6, &a6, text, sizeof(text));
	snprintf(out, len, "%s/64", text);
	return (out);
}

/* The bucket for key, made full if new; moved to the LRU tail. */
static struct bucket *
bucket_get(struct ratelimit *rl, const char *key, int64_t now_ms)
{
	struct bucket *b = NULL;
	char k[RATELIMIT_KEY_MAX + 1];

	snprintf(k, sizeof(k), "%s", key);
	HASH_FIND_STR(rl->table, k, b);
	if (b != NULL) {
		TAILQ_REMOVE(&rl->lru, b, lru);
		TAILQ_INSERT_TAIL(&rl->lru, b, lru);
		return (b);
	}
	if (rl->count >= rl->max_keys)
		bucket_drop(rl, TAILQ_FIRST(&rl->lru));
	if ((b = calloc(1, sizeof(*b))) == NULL)
		return (NULL);
	memcpy(b->key, k, sizeof(k));
	b->level = rl->full;
	b->last_ms = now_ms;
	HASH_ADD_STR(rl->table, key, b);
	TAILQ_INSERT_TAIL(&rl->lru, b, lru);
	rl->count++;
	return (b);
}

static void
bucket_drop(struct ratelimit *rl, struct bucket *b)
{
	HASH_DEL(rl->table, b);
	TAILQ_REMOVE(&rl->lru, b, lru);
	rl->count--;
	free(b);
}
