// SPDX-License-Identifier: MIT
/*
 * mem_table.c - the memory store's sessions: fixed-size records packed in
 * blocks, found by token, kept in expiry order.
 *
 * Why not one malloc per session: a million small long-lived chunks,
 * created interleaved with each request's short-lived ones, leave glibc's
 * heap a 180 MB field of small holes between sessions.  Every request's
 * own mallocs are then served from those cold holes, and malloc, free and
 * every walk over the request's headers miss the cache: reads at 1M
 * sessions cost twice the CPU they cost at 1,000 (issue #9).  Here the
 * sessions never touch the small-chunk heap at all.
 *
 * Layout:
 *
 *   blocks[]  ->  [ record 0 | record 1 | ... | record 4095 ]  512 KiB
 *                 [ record 4096 | ...                      ]
 *   records 0 .. count-1 are in use, densely: mem_table_remove moves
 *   the last record into the hole, and a second empty block at the end
 *   is given back.
 *
 *   index[]   open addressing with linear probing, load at most 3/4
 *             (grows x2; shrinks /2 below 1/8), 8 bytes a slot:
 *             { 32-bit hash of the token, record number + 1 (0 = empty) }.
 *             Deletion shifts the cluster back (no tombstones).  A slot
 *             keeps the hash, so resizing never reads the records.
 *
 *   head/tail the expiry list, linked through the records by number;
 *             the head is the next to expire.  A record's own number
 *             is its predecessor's next (or head), so it is not stored.
 *
 * Blocks and index come straight from mmap(2), not malloc: glibc raises
 * its mmap threshold each time a large chunk is freed (an outgrown
 * index), after which 512 KiB blocks would land on the heap between the
 * requests' chunks, and fragment it again at a coarser grain.
 *
 * Lookup reads one index slot and one record; the hash only selects the
 * candidate, and the token is compared in constant time (token_memeq).
 * Tokens are 128 random bits drawn by the server, and a lookup never adds
 * a key, so a client cannot build long probe chains.
 */
#include <sys/mman.h>

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "mem_table.h"
#include "token.h"

/* ASan cannot see that a record past count is free: tell it. */
#if defined(__SANITIZE_ADDRESS__)
#define MEM_TABLE_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define MEM_TABLE_ASAN 1
#endif
#endif
#ifdef MEM_TABLE_ASAN
#include <sanitizer/asan_interface.h>
#include <sanitizer/lsan_interface.h>
#define POISON(p, n)   ASAN_POISON_MEMORY_REGION((p), (n))
#define UNPOISON(p, n) ASAN_UNPOISON_MEMORY_REGION((p), (n))
/* LeakSanitizer does not look into mmap'd memory unless told to. */
#define ROOT(p, n)   __lsan_register_root_region((p), (n))
#define UNROOT(p, n) __lsan_unregister_root_region((p), (n))
#else
#define POISON(p, n)   ((void)(p), (void)(n))
#define UNPOISON(p, n) ((void)(p), (void)(n))
#define ROOT(p, n)     ((void)(p), (void)(n))
#define UNROOT(p, n)   ((void)(p), (void)(n))
#endif

#define BLOCK_SHIFT   12 /* 4096 records, 512 KiB a block */
#define BLOCK_RECORDS ((size_t)1 << BLOCK_SHIFT)
#define BLOCK_BYTES   (BLOCK_RECORDS * sizeof(struct mem_session))
#define INDEX_MIN     64               /* slots; a power of two */
#define NONE          UINT32_MAX       /* no record: end of the expiry list */
#define RECORDS_MAX   (UINT32_MAX - 1) /* numbers + 1 must fit a slot */

_Static_assert(sizeof(struct mem_session) == 128, "two cache lines");

struct slot {
	uint32_t hash; /* token_hash() of the record's token */
	uint32_t id;   /* record number + 1; 0 = empty */
};

struct mem_table {
	struct mem_session **blocks;
	size_t nblocks;    /* allocated blocks */
	size_t blocks_cap; /* length of blocks[] */
	size_t count;      /* records in use: 0 .. count-1 */
	struct slot *index;
	size_t mask; /* index slots - 1 */
	uint32_t head;
	uint32_t tail;
};

static struct mem_session *record(const struct mem_table *, uint32_t);
static uint32_t number_of(const struct mem_table *, const struct mem_session *);
static void link_tail(struct mem_table *, struct mem_session *, uint32_t);
static void unlink_record(struct mem_table *, struct mem_session *);
static int add_block(struct mem_table *);
static void *map(size_t);
static void unmap(void *, size_t);
static uint32_t token_hash(const char *);
static void index_put(struct slot *, size_t, uint32_t, uint32_t);
static size_t index_slot(const struct mem_table *, uint32_t, uint32_t);
static void index_delete(struct mem_table *, size_t);
static int index_resize(struct mem_table *, size_t);

struct mem_table *
mem_table_new(void)
{
	struct mem_table *t;

	if ((t = calloc(1, sizeof(*t))) == NULL)
		return (NULL);
	if ((t->index = map(INDEX_MIN * sizeof(*t->index))) == NULL) {
		free(t);
		return (NULL);
	}
	t->mask = INDEX_MIN - 1;
	t->head = t->tail = NONE;
	return (t);
}

void
mem_table_free(struct mem_table *t)
{
	size_t i;

	if (t == NULL)
		return;
	for (i = 0; i < t->nblocks; i++) {
		UNROOT(t->blocks[i], BLOCK_BYTES);
		unmap(t->blocks[i], BLOCK_BYTES);
	}
	free(t->blocks);
	unmap(t->index, (t->mask + 1) * sizeof(*t->index));
	free(t);
}

struct mem_session *
mem_table_add(struct mem_table *t, const char *token)
{
	struct mem_session *e;
	uint32_t n;

	if (t->count >= RECORDS_MAX)
		return (NULL);
	/* Make room first, so that a failure leaves the table as it was. */
	if ((t->count + 1) * 4 > (t->mask + 1) * 3 &&
	    index_resize(t, (t->mask + 1) * 2) == -1)
		return (NULL);
	if (t->count == t->nblocks * BLOCK_RECORDS && add_block(t) == -1)
		return (NULL);
	n = (uint32_t)t->count++;
	e = record(t, n);
	UNPOISON(e, sizeof(*e));
	memset(e, 0, sizeof(*e));
	memcpy(e->token, token, TOKEN_LEN);
	link_tail(t, e, n);
	index_put(t->index, t->mask, token_hash(token), n + 1);
	return (e);
}

struct mem_session *
mem_table_find(struct mem_table *t, const char *token)
{
	struct mem_session *e;
	uint32_t h = token_hash(token);
	size_t i;

	for (i = h & t->mask; t->index[i].id != 0; i = (i + 1) & t->mask) {
		if (t->index[i].hash != h)
			continue;
		e = record(t, t->index[i].id - 1);
		if (token_memeq(e->token, token, TOKEN_LEN))
			return (e);
	}
	return (NULL);
}

struct mem_session *
mem_table_oldest(struct mem_table *t)
{
	return (t->head == NONE ? NULL : record(t, t->head));
}

void
mem_table_touch(struct mem_table *t, struct mem_session *e)
{
	uint32_t n = number_of(t, e);

	if (n == t->tail)
		return;
	unlink_record(t, e);
	link_tail(t, e, n);
}

void
mem_table_remove(struct mem_table *t, struct mem_session *e)
{
	struct mem_session *last;
	uint32_t n = number_of(t, e), ln = (uint32_t)(t->count - 1);

	index_delete(t, index_slot(t, token_hash(e->token), n + 1));
	unlink_record(t, e);
	if (n != ln) {
		/* Fill the hole with the last record and re-point to it. */
		last = record(t, ln);
		*e = *last;
		t->index[index_slot(t, token_hash(e->token), ln + 1)].id =
		    n + 1;
		if (e->prev != NONE)
			record(t, e->prev)->next = n;
		else
			t->head = n;
		if (e->next != NONE)
			record(t, e->next)->prev = n;
		else
			t->tail = n;
	}
	POISON(record(t, ln), sizeof(*e));
	t->count--;
	/* Give memory back, with slack so that add/remove cannot thrash. */
	if (t->mask + 1 > INDEX_MIN && t->count * 8 < t->mask + 1)
		(void)index_resize(t, (t->mask + 1) / 2); /* may stay big */
	if (t->nblocks > 0 &&
	    t->count + 2 * BLOCK_RECORDS <= t->nblocks * BLOCK_RECORDS) {
		--t->nblocks;
		UNROOT(t->blocks[t->nblocks], BLOCK_BYTES);
		unmap(t->blocks[t->nblocks], BLOCK_BYTES);
	}
}

size_t
mem_table_count(const struct mem_table *t)
{
	return (t->count);
}

size_t
mem_table_footprint(const struct mem_table *t)
{
	return (t->nblocks * BLOCK_BYTES + (t->mask + 1) * sizeof(struct slot) +
	    t->blocks_cap * sizeof(*t->blocks) + sizeof(*t));
}

static struct mem_session *
record(const struct mem_table *t, uint32_t n)
{
	return (&t->blocks[n >> BLOCK_SHIFT][n & (BLOCK_RECORDS - 1)]);
}

/* Only its predecessor (or head) knows a record's number. */
static uint32_t
number_of(const struct mem_table *t, const struct mem_session *e)
{
	return (e->prev == NONE ? t->head : record(t, e->prev)->next);
}

static void
link_tail(struct mem_table *t, struct mem_session *e, uint32_t n)
{
	e->prev = t->tail;
	e->next = NONE;
	if (t->tail != NONE)
		record(t, t->tail)->next = n;
	else
		t->head = n;
	t->tail = n;
}

static void
unlink_record(struct mem_table *t, struct mem_session *e)
{
	if (e->prev != NONE)
		record(t, e->prev)->next = e->next;
	else
		t->head = e->next;
	if (e->next != NONE)
		record(t, e->next)->prev = e->prev;
	else
		t->tail = e->prev;
}

static int
add_block(struct mem_table *t)
{
	struct mem_session **blocks, *b;
	size_t cap;

	if (t->nblocks == t->blocks_cap) {
		cap = t->blocks_cap == 0 ? 8 : t->blocks_cap * 2;
		if ((blocks = realloc(t->blocks, cap * sizeof(*blocks))) ==
		    NULL)
			return (-1);
		t->blocks = blocks;
		t->blocks_cap = cap;
	}
	/* Page-aligned, so that a record is exactly two cache lines. */
	if ((b = map(BLOCK_BYTES)) == NULL)
		return (-1);
	POISON(b, BLOCK_BYTES);
	ROOT(b, BLOCK_BYTES); /* records point at their data text */
	t->blocks[t->nblocks++] = b;
	return (0);
}

/* Zeroed, page-aligned memory of its own, or NULL. */
static void *
map(size_t bytes)
{
	void *p;

	p = mmap(NULL, bytes, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	return (p == MAP_FAILED ? NULL : p);
}

static void
unmap(void *p, size_t bytes)
{
	/* Take back any poison, for whatever is mapped here next. */
	UNPOISON(p, bytes);
	(void)munmap(p, bytes);
}

/*
 * 32 bits of a token.  Its characters are already random (the server
 * draws them), so mixing three overlapping words is enough.
 */
static uint32_t
token_hash(const char *token)
{
	uint64_t a, b, c, h;

	memcpy(&a, token, 8);
	memcpy(&b, token + 8, 8);
	memcpy(&c, token + TOKEN_LEN - 8, 8);
	h = a * 0x9e3779b97f4a7c15ULL ^ b * 0xc2b2ae3d27d4eb4fULL ^
	    c * 0x165667b19e3779f9ULL;
	h ^= h >> 29;
	h *= 0xbf58476d1ce4e5b9ULL;
	return ((uint32_t)(h >> 32));
}

static void
index_put(struct slot *index, size_t mask, uint32_t hash, uint32_t id)
{
	size_t i;

	for (i = hash & mask; index[i].id != 0; i = (i + 1) & mask)
		;
	index[i].hash = hash;
	index[i].id = id;
}

/* The slot that holds id; it must be there. */
static size_t
index_slot(const struct mem_table *t, uint32_t hash, uint32_t id)
{
	size_t i;

	for (i = hash & t->mask; t->index[i].id != id; i = (i + 1) & t->mask)
		assert(t->index[i].id != 0);
	return (i);
}

/*
 * Empty slot i, then move back every later slot of its cluster whose home
 * is not between the hole and it, so that no probe meets a gap early.
 */
static void
index_delete(struct mem_table *t, size_t i)
{
	size_t j = i, home;

	for (;;) {
		j = (j + 1) & t->mask;
		if (t->index[j].id == 0)
			break;
		home = t->index[j].hash & t->mask;
		/* Stays if its home lies cyclically in (i, j]. */
		if (i <= j ? (i < home && home <= j) : (i < home || home <= j))
			continue;
		t->index[i] = t->index[j];
		i = j;
	}
	t->index[i].id = 0;
}

/* Rehash into slots slots; -1 (and no change) when memory ran out. */
static int
index_resize(struct mem_table *t, size_t slots)
{
	struct slot *index;
	size_t i;

	if ((index = map(slots * sizeof(*index))) == NULL)
		return (-1);
	for (i = 0; i <= t->mask; i++) {
		if (t->index[i].id != 0)
			index_put(
			    index, slots - 1, t->index[i].hash, t->index[i].id);
	}
	unmap(t->index, (t->mask + 1) * sizeof(*t->index));
	t->index = index;
	t->mask = slots - 1;
	return (0);
}
