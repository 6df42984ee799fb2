// SPDX-License-Identifier: MIT
/*
 * main.c - the stateful service: meant to run as a StatefulSet.
 *
 * Sessions live in an SQLite file (--db) on the pod's volume, so they
 * survive SIGKILL and a restart on the same volume.  The file takes one
 * writer: a second process on it exits 3 and says why (ReadWriteOnce).
 * The credentials it issues name this instance (owner_store.c), so that
 * with several replicas a request reaching the wrong pod is answered 421
 * or forwarded to the owner (--peer-url-template).
 */
#include <malloc.h>
#include <stddef.h>

#include <sqlite3.h>

#include "config.h"
#include "owner_store.h"
#include "service.h"
#include "session.h"
#include "sqlite_store.h"

static struct session_store *open_store(
    const struct store_params *, char *, size_t, int *);

int
main(int argc, char *argv[])
{
	static const struct service_desc desc = {
		.service = CONFIG_STATEFUL,
		.open_store = open_store,
	};

	/*
	 * SQLite's statement journal takes a 64 KiB chunk on every update
	 * and gives it back at reset; with glibc's default trim threshold
	 * that is two brk(2) calls and a page fault per request (measured
	 * by `make bench`, see docs/benchmarks.md).  Keep the top of the
	 * heap instead.
	 */
	mallopt(M_TRIM_THRESHOLD, 16 << 20);
	/*
	 * Debian's SQLite has no lookaside allocator, so every statement
	 * calls malloc a dozen times, and by default each call also takes
	 * a global mutex to count the bytes (memstatus).  Nothing reads
	 * those counts: turning them off saves about 2,000 instructions
	 * per write and 700 per read.  It must precede any other sqlite3
	 * call.
	 */
	sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
	return (service_main(&desc, argc, argv));
}

/* Exit 3 when another process holds the file, 1 for any other failure. */
static struct session_store *
open_store(
    const struct store_params *p, char *err, size_t errlen, int *exit_code)
{
	struct session_store *st;

	if ((st = sqlite_store_open(p, err, errlen, exit_code)) == NULL)
		return (NULL);
	return (owner_store_wrap(st, p, err, errlen, exit_code));
}
