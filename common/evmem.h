/*
 * evmem.h - libevent's allocations, kept on free lists by size.
 */
#ifndef STATELAB_COMMON_EVMEM_H
#define STATELAB_COMMON_EVMEM_H

#include <stddef.h>

/*
 * Freed blocks are kept up to EVMEM_KEEP_BYTES of each size class: the
 * 32-byte class keeps 8192 blocks, the 8 KiB class 32.
 */
#define EVMEM_KEEP_BYTES       (256u << 10)
#define EVMEM_KEEP(class_size) (EVMEM_KEEP_BYTES / (class_size))

/*
 * Give libevent this allocator.  Call it first, before anything else
 * touches libevent: every block libevent frees must have come from the
 * allocator that frees it.  Later calls do nothing, and so does the
 * first under AddressSanitizer.  Returns whether it is installed.
 */
int evmem_install(void);

/*
 * Free a string libevent returned for the caller to free
 * (evhttp_uridecode): it came from this allocator once installed.
 */
void evmem_free(void *p);

/* The allocator libevent is given (malloc, realloc, free); tests call it. */
void *evmem_alloc(size_t n);
void *evmem_resize(void *p, size_t n);
void evmem_release(void *p);

/* Blocks waiting on the lists now. */
size_t evmem_cached(void);

/* Give every waiting block back to malloc (at exit). */
void evmem_trim(void);

#endif /* STATELAB_COMMON_EVMEM_H */
