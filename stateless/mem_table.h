/*
 * mem_table.h - the memory store's sessions: fixed-size records packed in
 * blocks, found by token, kept in expiry order.
 */
#ifndef STATELAB_STATELESS_MEM_TABLE_H
#define STATELAB_STATELESS_MEM_TABLE_H

#include <stddef.h>
#include <stdint.h>

#include "session.h"
#include "token.h"

struct mem_table;

/*
 * One session, 128 bytes (two cache lines).  The store reads and writes
 * the payload fields; prev, next and token belong to the table.  A
 * session expires at updated_at + the store's TTL, which is the same for
 * all, so the time is not stored.
 */
struct mem_session {
	int64_t counter;
	int64_t created_at; /* ms since the epoch */
	int64_t updated_at; /* ms since the epoch; the TTL slides from here */
	char *data;         /* compact JSON text of the map, or NULL: store's */
	uint32_t prev;      /* expiry list neighbours, by record number */
	uint32_t next;
	char token[TOKEN_LEN + 1];       /* NUL-terminated */
	char user[SESSION_USER_MAX + 1]; /* NUL-terminated */
};

/* Returns a new, empty table (release with mem_table_free), or NULL. */
struct mem_table *mem_table_new(void);

/*
 * Release the table and every record in it.  The records' data is not
 * freed: that is the caller's.  Accepts NULL.
 */
void mem_table_free(struct mem_table *t);

/*
 * Add a zeroed record for token (TOKEN_LEN characters, not already in the
 * table) at the tail of the expiry list.  Returns the record, borrowed
 * until the next mem_table_remove or mem_table_free, or NULL when memory
 * ran out (the table is unchanged).
 */
struct mem_session *mem_table_add(struct mem_table *t, const char *token);

/*
 * The record for token (TOKEN_LEN characters), or NULL.  Tokens are
 * compared in constant time.  Borrowed as for mem_table_add.
 */
struct mem_session *mem_table_find(struct mem_table *t, const char *token);

/* The record that was added or touched longest ago, or NULL when empty. */
struct mem_session *mem_table_oldest(struct mem_table *t);

/* Move e to the tail of the expiry list: it becomes the last to expire. */
void mem_table_touch(struct mem_table *t, struct mem_session *e);

/*
 * Take e out of the table.  The last record moves into its place, so
 * every record pointer held before the call is invalid after it.  e's
 * data must have been released already.
 */
void mem_table_remove(struct mem_table *t, struct mem_session *e);

/* How many records the table holds. */
size_t mem_table_count(const struct mem_table *t);

/* Bytes the table has allocated for its records and index (for tests). */
size_t mem_table_footprint(const struct mem_table *t);

#endif /* STATELAB_STATELESS_MEM_TABLE_H */
