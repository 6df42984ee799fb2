// SPDX-License-Identifier: MIT
/*
 * sqlite_file.c - the sqlite store's database file: create it, lock it,
 * configure it, migrate its schema, count one more generation.
 *
 * The schema, the PRAGMAs and the lock rule behind exit status 3 are
 * described in the head of sqlite_store.c; this file carries them out:
 *
 *   make_parent_dir   missing directories, mode 0700
 *   create_file       the file, mode 0600 (SQLite gives the WAL the same)
 *   sqlite3_open_v2   lazily: nothing is read yet
 *   configure         locking_mode=EXCLUSIVE, then journal_mode=WAL: the
 *                     first read of the file, where a held lock fails
 *                     within LOCK_WAIT_MS; then synchronous, cache size,
 *                     WAL size limit, checkpoint interval
 *   load_schema       BEGIN IMMEDIATE (the exclusive lock, kept until
 *                     close), migrate, generation + 1, read meta, COMMIT
 *
 * Every failure becomes one line naming the file and what to do
 * (open_error); none of them is fatal here: the caller exits.  A file
 * that is not ours (another application's tables, or a schema version
 * from a newer build) is refused and left as it was.
 */
#include <sys/stat.h>
#include <sys/types.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "config.h"
#include "log.h"
#include "sqlite_file.h"
#include "sqlite_store.h"

#define LOCK_WAIT_MS    200          /* a held lock fails fast */
#define BUSY_TIMEOUT_MS 2000         /* once ours, nobody should contend */
#define CACHE_KIB       8192         /* page cache, KiB */
#define WAL_LIMIT       (64LL << 20) /* WAL bytes kept after a checkpoint */
#define WAL_CHECKPOINT  100          /* WAL pages that start a checkpoint */

/* migrations[v] takes a database from user_version v to v + 1. */
static const char *const migrations[SQLITE_FILE_SCHEMA_VERSION] = {
	"CREATE TABLE meta ("
	"  id INTEGER PRIMARY KEY CHECK (id = 1),"
	"  created_at INTEGER NOT NULL,"
	"  generation INTEGER NOT NULL,"
	"  opened_at INTEGER NOT NULL,"
	"  probed_at INTEGER,"
	"  sessions INTEGER NOT NULL);"
	"CREATE TABLE sessions ("
	"  token TEXT PRIMARY KEY,"
	"  user TEXT NOT NULL,"
	"  counter INTEGER NOT NULL,"
	"  data TEXT,"
	"  created_at INTEGER NOT NULL,"
	"  updated_at INTEGER NOT NULL,"
	"  expires_at INTEGER NOT NULL,"
	"  created_by TEXT NOT NULL) WITHOUT ROWID;"
	"CREATE INDEX sessions_expiry ON sessions (expires_at);"
	"CREATE TRIGGER sessions_count_ins AFTER INSERT ON sessions BEGIN"
	"  UPDATE meta SET sessions = sessions + 1 WHERE id = 1; END;"
	"CREATE TRIGGER sessions_count_del AFTER DELETE ON sessions BEGIN"
	"  UPDATE meta SET sessions = sessions - 1 WHERE id = 1; END;",
	/*
	 * 1 -> 2: the index leaves the column that every use rewrites.  The
	 * indexed column becomes sweep_at, a lower bound of the expiry that
	 * only create and the sweep write; expires_at is new and not
	 * indexed (NULL in a row from version 1: sweep_at is exact there).
	 * Both statements change the schema only, so a file of a million
	 * sessions migrates as fast as an empty one.
	 */
	"ALTER TABLE sessions RENAME COLUMN expires_at TO sweep_at;"
	"ALTER TABLE sessions ADD COLUMN expires_at INTEGER;",
};

/* The state of one open: what the steps below share. */
struct opener {
	sqlite3 *db;
	const char *path;
	enum config_sync sync;
	int64_t now; /* ms: created_at of a new file, opened_at */
	struct sqlite_file_meta *meta;
};

static int make_parent_dir(const char *, char *, size_t);
static int create_file(const char *, char *, size_t);
static int configure(struct opener *, char *, size_t, int *);
static int load_schema(struct opener *, char *, size_t, int *);
static int migrate(struct opener *, char *, size_t, int *);
static void open_error(
    struct opener *, int, const char *, char *, size_t, int *);
static long lock_holder(const char *);

sqlite3 *
sqlite_file_open(const char *path, enum config_sync sync, int64_t now_ms,
    struct sqlite_file_meta *meta, char *err, size_t errlen, int *exit_code)
{
	struct opener f = { NULL, path, sync, now_ms, meta };
	int rc;

	*exit_code = 1;
	if (make_parent_dir(path, err, errlen) == -1 ||
	    create_file(path, err, errlen) == -1)
		return (NULL);
	rc = sqlite3_open_v2(
	    path, &f.db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL);
	if (rc != SQLITE_OK) {
		open_error(&f, rc, "open", err, errlen, exit_code);
		goto fail;
	}
	sqlite3_extended_result_codes(f.db, 1);
	if (configure(&f, err, errlen, exit_code) == -1 ||
	    load_schema(&f, err, errlen, exit_code) == -1)
		goto fail;
	/*
	 * The lock is held for good now, so nobody contends; the longer
	 * timeout is a safety net, not a wait anyone should meet.
	 */
	sqlite3_busy_timeout(f.db, BUSY_TIMEOUT_MS);
	return (f.db);
fail:
	sqlite3_close(f.db); /* harmless on NULL */
	return (NULL);
}

/* Create the missing directories above path, mode 0700. */
static int
make_parent_dir(const char *path, char *err, size_t errlen)
{
	char *dir, *p, c;
	int rc = -1;

	if ((dir = strdup(path)) == NULL) {
		snprintf(err, errlen, "sqlite_store: out of memory");
		return (-1);
	}
	if ((p = strrchr(dir, '/')) == NULL || p == dir) {
		rc = 0;
		goto done;
	}
	*p = '\0';
	for (p = dir + 1;; p++) {
		if (*p != '/' && *p != '\0')
			continue;
		c = *p;
		*p = '\0';
		if (mkdir(dir, 0700) == -1 && errno != EEXIST) {
			snprintf(err, errlen,
			    "cannot create the directory %s for the database "
			    "%s: %s; create it, or point --db at a writable "
			    "directory",
			    dir, path, strerror(errno));
			goto done;
		}
		*p = c;
		if (c == '\0')
			break;
	}
	rc = 0;
done:
	free(dir);
	return (rc);
}

/*
 * Create the database file with mode 0600 if it is missing (SQLite gives
 * the WAL the same mode), and check that it can be opened for writing.
 */
static int
create_file(const char *path, char *err, size_t errlen)
{
	struct stat sb;
	int fd;

	if ((fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600)) == -1) {
		snprintf(err, errlen,
		    "cannot open the database %s for writing: %s; %s", path,
		    strerror(errno),
		    errno == EROFS ? "the volume is mounted read-only; "
		                     "mount it read-write"
		        : errno == EISDIR
		        ? "--db must name a file, not a directory"
		        : "make the file and its directory writable by this "
		          "user (in Kubernetes: securityContext.fsGroup), or "
		          "point --db elsewhere");
		return (-1);
	}
	if (fstat(fd, &sb) == 0 && !S_ISREG(sb.st_mode)) {
		close(fd);
		snprintf(err, errlen,
		    "the database %s is not a regular file; point --db at a "
		    "file",
		    path);
		return (-1);
	}
	close(fd);
	return (0);
}

/* The PRAGMAs of the file head; a held lock shows up in the first one. */
static int
configure(struct opener *f, char *err, size_t errlen, int *exit_code)
{
	sqlite3_stmt *st = NULL;
	const char *mode;
	char sql[160];
	int rc;

	sqlite3_busy_timeout(f->db, LOCK_WAIT_MS);
	if ((rc = sqlite3_exec(f->db, "PRAGMA locking_mode = EXCLUSIVE", NULL,
	         NULL, NULL)) != SQLITE_OK)
		goto fail;
	/* The first statement that reads the file takes the lock. */
	if ((rc = sqlite3_prepare_v2(f->db, "PRAGMA journal_mode = WAL", -1,
	         &st, NULL)) != SQLITE_OK ||
	    (rc = sqlite3_step(st)) != SQLITE_ROW)
		goto fail;
	mode = (const char *)sqlite3_column_text(st, 0);
	if (mode == NULL || strcmp(mode, "wal") != 0) {
		snprintf(err, errlen,
		    "cannot put the database %s in WAL mode (it stays in %s "
		    "mode); use a local filesystem that supports it",
		    f->path, mode != NULL ? mode : "an unknown");
		sqlite3_finalize(st);
		return (-1);
	}
	sqlite3_finalize(st);
	st = NULL;
	snprintf(sql, sizeof(sql),
	    "PRAGMA synchronous = %s; PRAGMA cache_size = -%d; "
	    "PRAGMA journal_size_limit = %lld; PRAGMA wal_autocheckpoint = %d",
	    f->sync == SYNC_FULL ? "FULL" : "NORMAL", CACHE_KIB,
	    (long long)WAL_LIMIT, WAL_CHECKPOINT);
	if ((rc = sqlite3_exec(f->db, sql, NULL, NULL, NULL)) != SQLITE_OK)
		goto fail;
	return (0);
fail:
	sqlite3_finalize(st);
	open_error(f, rc, "configure", err, errlen, exit_code);
	return (-1);
}

/*
 * In one write transaction: check and migrate the schema, count one more
 * generation, read meta.  The transaction also takes the lock for good.
 */
static int
load_schema(struct opener *f, char *err, size_t errlen, int *exit_code)
{
	sqlite3_stmt *st = NULL;
	int rc;

	if ((rc = sqlite3_exec(f->db, "BEGIN IMMEDIATE", NULL, NULL, NULL)) !=
	    SQLITE_OK)
		goto fail;
	if (migrate(f, err, errlen, exit_code) == -1)
		goto rollback;
	if ((rc = sqlite3_prepare_v2(f->db,
	         "UPDATE meta SET generation = generation + 1, opened_at = ?1 "
	         "WHERE id = 1 RETURNING created_at, generation, sessions",
	         -1, &st, NULL)) != SQLITE_OK)
		goto fail;
	sqlite3_bind_int64(st, 1, f->now);
	if ((rc = sqlite3_step(st)) != SQLITE_ROW) {
		if (rc == SQLITE_DONE) {
			snprintf(err, errlen,
			    "the database %s has no meta row: it is damaged; "
			    "move it aside to start empty, or restore a backup",
			    f->path);
			goto rollback;
		}
		goto fail;
	}
	f->meta->created_at = sqlite3_column_int64(st, 0);
	f->meta->generation = sqlite3_column_int64(st, 1);
	f->meta->sessions = sqlite3_column_int64(st, 2);
	sqlite3_finalize(st);
	st = NULL;
	if ((rc = sqlite3_exec(f->db, "COMMIT", NULL, NULL, NULL)) != SQLITE_OK)
		goto fail;
	return (0);
fail:
	open_error(f, rc, "schema", err, errlen, exit_code);
rollback:
	sqlite3_finalize(st);
	if (!sqlite3_get_autocommit(f->db))
		sqlite3_exec(f->db, "ROLLBACK", NULL, NULL, NULL);
	return (-1);
}

/* Bring user_version up to SQLITE_FILE_SCHEMA_VERSION; refuse what is not ours.
 */
static int
migrate(struct opener *f, char *err, size_t errlen, int *exit_code)
{
	sqlite3_stmt *st = NULL;
	int version = -1, tables = -1, rc;
	char sql[64];

	if ((rc = sqlite3_prepare_v2(f->db,
	         "SELECT (SELECT user_version FROM pragma_user_version), "
	         "(SELECT count(*) FROM sqlite_schema)",
	         -1, &st, NULL)) != SQLITE_OK ||
	    (rc = sqlite3_step(st)) != SQLITE_ROW)
		goto fail;
	version = sqlite3_column_int(st, 0);
	tables = sqlite3_column_int(st, 1);
	sqlite3_finalize(st);
	st = NULL;
	if (version > SQLITE_FILE_SCHEMA_VERSION) {
		snprintf(err, errlen,
		    "the database %s has schema version %d, newer than this "
		    "build knows (%d); run a newer stateful, or point --db at "
		    "another file",
		    f->path, version, SQLITE_FILE_SCHEMA_VERSION);
		return (-1);
	}
	if (version == 0 && tables > 0) {
		snprintf(err, errlen,
		    "the database %s holds tables that are not a statelab "
		    "schema; point --db at a new file rather than reuse "
		    "another application's database",
		    f->path);
		return (-1);
	}
	if (version == SQLITE_FILE_SCHEMA_VERSION)
		return (0);
	for (; version < SQLITE_FILE_SCHEMA_VERSION; version++)
		if ((rc = sqlite3_exec(f->db, migrations[version], NULL, NULL,
		         NULL)) != SQLITE_OK)
			goto fail;
	if (tables == 0) {
		/* A new file: its first generation starts now. */
		if ((rc = sqlite3_prepare_v2(f->db,
		         "INSERT INTO meta (id, created_at, generation, "
		         "opened_at, sessions) VALUES (1, ?1, 0, ?1, 0)",
		         -1, &st, NULL)) != SQLITE_OK)
			goto fail;
		sqlite3_bind_int64(st, 1, f->now);
		if ((rc = sqlite3_step(st)) != SQLITE_DONE)
			goto fail;
		sqlite3_finalize(st);
		st = NULL;
	}
	/* A constant: PRAGMA takes no parameters. */
	snprintf(sql, sizeof(sql), "PRAGMA user_version = %d",
	    SQLITE_FILE_SCHEMA_VERSION);
	if ((rc = sqlite3_exec(f->db, sql, NULL, NULL, NULL)) != SQLITE_OK)
		goto fail;
	log_info("sqlite_store: %s: schema version %d", f->path,
	    SQLITE_FILE_SCHEMA_VERSION);
	return (0);
fail:
	sqlite3_finalize(st);
	open_error(f, rc, "migrate", err, errlen, exit_code);
	return (-1);
}

/* One line for a failure at open: the file, the cause, what to do. */
static void
open_error(struct opener *f, int rc, const char *what, char *err, size_t errlen,
    int *exit_code)
{
	const char *msg = f->db != NULL ? sqlite3_errmsg(f->db) : "";
	char holder[32] = "";
	long pid;

	*exit_code = 1;
	switch (rc & 0xff) {
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		*exit_code = SQLITE_STORE_EXIT_LOCKED;
		if ((pid = lock_holder(f->path)) > 0)
			snprintf(holder, sizeof(holder), " (pid %ld)", pid);
		snprintf(err, errlen,
		    "the database %s is held by another process%s: one "
		    "volume, one writer. Like a ReadWriteOnce volume, an "
		    "SQLite file takes a single writer, so this instance "
		    "stops rather than share it; stop the other one, or give "
		    "this one its own --db (a StatefulSet gives each pod its "
		    "own volume)",
		    f->path, holder);
		break;
	case SQLITE_NOTADB:
	case SQLITE_CORRUPT:
		snprintf(err, errlen,
		    "the database %s is not an SQLite database or is corrupt "
		    "(%s); move it aside (mv %s %s.bad) to start with an "
		    "empty store, or restore a backup",
		    f->path, msg, f->path, f->path);
		break;
	case SQLITE_READONLY:
	case SQLITE_CANTOPEN:
	case SQLITE_PERM:
	case SQLITE_AUTH:
		snprintf(err, errlen,
		    "cannot write the database %s or create its -wal file "
		    "next to it (%s); make the file and its directory "
		    "writable by this user, or point --db elsewhere",
		    f->path, msg);
		break;
	case SQLITE_FULL:
		snprintf(err, errlen,
		    "the disk holding the database %s is full; free space or "
		    "grow the volume",
		    f->path);
		break;
	default:
		snprintf(err, errlen, "cannot open the database %s (%s: %s)",
		    f->path, what, msg);
		break;
	}
}

/*
 * The pid that holds a lock on path, when the kernel can tell (0 if not:
 * another host, another pid namespace).  Only for a process that holds
 * no lock on path itself: closing any descriptor of a file drops the
 * POSIX locks this process has on it.
 */
static long
lock_holder(const char *path)
{
	struct flock fl;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return (0);
	memset(&fl, 0, sizeof(fl));
	fl.l_type = F_WRLCK;
	fl.l_whence = SEEK_SET;
	if (fcntl(fd, F_GETLK, &fl) == -1 || fl.l_type == F_UNLCK)
		fl.l_pid = 0;
	close(fd);
	return ((long)fl.l_pid);
}
