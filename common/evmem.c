// SPDX-License-Identifier: MIT
/*
 * evmem.c - libevent's allocations, kept on free lists by size.
 *
 * evhttp allocates about fifty blocks for every request and frees them
 * all when it is answered: the request, each header (a struct and two
 * strdup'd strings), the URI, and the buffer chains.  That many blocks
 * of a size overflow glibc's per-thread cache (seven a size), and the
 * 4 KiB read chain then makes glibc consolidate its fast bins on every
 * request: a tenth of a GET's instructions went to malloc and free.
 *
 * event_set_mem_functions() lets a program give libevent its own
 * allocator.  This one rounds each request up to a power of two from 32
 * bytes to 8 KiB, keeps freed blocks on a list per size, and hands them
 * out again.  Larger requests go straight to malloc.  A 16-byte
 * header in front of each block remembers its size class.
 *
 * Single-threaded, like the servers: libevent runs on one thread and
 * nothing else calls these.  The lists are file-level state because
 * event_set_mem_functions() takes plain functions, with no argument to
 * carry a context.  Each list keeps up to EVMEM_KEEP_BYTES (256 KiB) of
 * payload: 2.3 MB for the nine, about 3 MB with headers and malloc's own.  A
 * cap in bytes rather than in blocks: fifty busy connections hold some fifteen
 * hundred 32-byte blocks (header names and values) at once, and a cap of 512
 * blocks made that list spill into free() and refill from malloc() on every
 * burst -- a tenth of a request's instructions again.
 *
 * Under AddressSanitizer evmem_install() does nothing: reused blocks
 * would hide a use after free, and rounding up would hide an overrun,
 * from ASan's own allocator (make asan).  The allocator itself is still
 * tested there, by calling it directly (tests/check_evmem.c).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "evmem.h"

#if defined(__SANITIZE_ADDRESS__)
#define EVMEM_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define EVMEM_ASAN 1
#endif
#endif
#ifdef EVMEM_ASAN
#include <sanitizer/asan_interface.h>
#define POISON(p, n)   ASAN_POISON_MEMORY_REGION((p), (n))
#define UNPOISON(p, n) ASAN_UNPOISON_MEMORY_REGION((p), (n))
#else
#define POISON(p, n)   ((void)(p), (void)(n))
#define UNPOISON(p, n) ((void)(p), (void)(n))
#endif

#define MIN_SHIFT 5        /* 32 bytes */
#define NCLASSES  9        /* 32 .. 8192 */
#define LARGE     NCLASSES /* straight to malloc */
#define CLASS_MAX (1u << (MIN_SHIFT + NCLASSES - 1))

/* In front of every block, keeping the payload as aligned as malloc's. */
struct header {
	size_t cls;  /* size class, or LARGE */
	size_t size; /* bytes asked for (LARGE) or the class size */
};
_Static_assert(sizeof(struct header) % _Alignof(max_align_t) == 0,
    "evmem's header must keep malloc's alignment");

/* A block waiting on a list: the link lives in its payload. */
struct free_block {
	struct free_block *next;
};

static struct {
	struct free_block *head[NCLASSES];
	unsigned count[NCLASSES];
	int installed;
} cache;

static size_t class_of(size_t);

int
evmem_install(void)
{
#ifndef EVMEM_ASAN
	if (!cache.installed) {
		event_set_mem_functions(
		    evmem_alloc, evmem_resize, evmem_release);
		cache.installed = 1;
	}
#endif
	return (cache.installed);
}

void
evmem_free(void *p)
{
	if (cache.installed)
		evmem_release(p);
	else
		free(p);
}

void
evmem_release(void *p)
{
	struct header *h;
	struct free_block *b;
	size_t cls;

	if (p == NULL)
		return;
	h = (struct header *)p - 1;
	cls = h->cls;
	if (cls == LARGE ||
	    cache.count[cls] >= EVMEM_KEEP_BYTES >> (cls + MIN_SHIFT)) {
		free(h);
		return;
	}
	b = p;
	b->next = cache.head[cls];
	cache.head[cls] = b;
	cache.count[cls]++;
	POISON(h, sizeof(*h) + h->size);
}

size_t
evmem_cached(void)
{
	size_t n = 0, cls;

	for (cls = 0; cls < NCLASSES; cls++)
		n += cache.count[cls];
	return (n);
}

void
evmem_trim(void)
{
	struct free_block *b;
	size_t cls;

	for (cls = 0; cls < NCLASSES; cls++) {
		while ((b = cache.head[cls]) != NULL) {
			UNPOISON((struct header *)b - 1,
			    sizeof(struct header) + sizeof(*b));
			cache.head[cls] = b->next;
			free((struct header *)b - 1);
		}
		cache.count[cls] = 0;
	}
}

void *
evmem_alloc(size_t n)
{
	struct header *h;
	struct free_block *b;
	size_t cls = class_of(n), size;

	if (cls != LARGE && (b = cache.head[cls]) != NULL) {
		h = (struct header *)b - 1;
		UNPOISON(h, sizeof(*h) + sizeof(*b));
		cache.head[cls] = b->next;
		cache.count[cls]--;
		UNPOISON(h, sizeof(*h) + h->size);
		return (b);
	}
	size = cls == LARGE ? n : (size_t)1 << (cls + MIN_SHIFT);
	if (size > SIZE_MAX - sizeof(*h) ||
	    (h = malloc(sizeof(*h) + size)) == NULL)
		return (NULL);
	h->cls = cls;
	h->size = size;
	return (h + 1);
}

void *
evmem_resize(void *p, size_t n)
{
	struct header *h, *nh;
	void *q;

	if (p == NULL)
		return (evmem_alloc(n));
	h = (struct header *)p - 1;
	/* It still fits its block (libevent never shrinks to free memory). */
	if (h->cls != LARGE && n <= h->size)
		return (p);
	if (h->cls == LARGE && class_of(n) == LARGE) {
		if (n > SIZE_MAX - sizeof(*h) ||
		    (nh = realloc(h, sizeof(*h) + n)) == NULL)
			return (NULL);
		nh->size = n;
		return (nh + 1);
	}
	if ((q = evmem_alloc(n)) == NULL)
		return (NULL);
	memcpy(q, p, h->size < n ? h->size : n);
	evmem_release(p);
	return (q);
}

/* The smallest class that holds n bytes, or LARGE. */
static size_t
class_of(size_t n)
{
	if (n > CLASS_MAX)
		return (LARGE);
	if (n <= (size_t)1 << MIN_SHIFT)
		return (0);
	/* The bit length of n - 1 is the power of two that holds n. */
	return ((size_t)(64 - __builtin_clzll((unsigned long long)(n - 1))) -
	    MIN_SHIFT);
}
