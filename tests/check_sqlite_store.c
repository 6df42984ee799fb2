// SPDX-License-Identifier: MIT
/*
 * check_sqlite_store.c - tests for stateful/sqlite_store.c beyond the
 * contract (HS-23): what only a database file can do or suffer.
 *
 *   "file"    reopen after a crash, generation, user_version migration
 *             (a version 1 file opens as version 2 with its sessions),
 *             modes of a created directory and file
 *   "lock"    a second process on the same file gets exit code 3, fast
 *   "errors"  a corrupt file, a read-only directory, a failing disk
 *             (RLIMIT_FSIZE stands in for a full one: writes fail
 *             STORE_UNAVAIL, reads answer, the sweep's probe recovers),
 *             input that would be SQL if it were spliced
 *   "commit"  group commit: writes of one loop turn complete together,
 *             after their COMMIT, exactly once, even when a callback
 *             starts the next operation; reads commit nothing of their
 *             own, and slide the TTL at most once a second; close
 *             commits the rest; the sweep works in batches and keeps
 *             rows whose sweep_at came while they were in use
 *
 * A crash is a forked child that SIGKILLs itself without closing the
 * store; a second process is a forked child too.  Children report through their
 * exit status, never through ck_assert.
 */
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <fcntl.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>
#include <event2/event.h>
#include <jansson.h>
#include <sqlite3.h>

#include "check_suites.h"
#include "clock.h"
#include "config.h"
#include "session.h"
#include "sqlite_store.h"
#include "store_sync.h"
#include "test_util.h"

#define TOKEN_BUF 64

/* The per-test world: a directory, a loop, a config naming db. */
static char dir[64];
static char db[128];
static struct event_base *base;
static struct config cfg;

static void
setup(void)
{
	snprintf(dir, sizeof(dir), "/tmp/statelab-sqlite.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(db, sizeof(db), "%s/s.db", dir);
	base = event_base_new();
	test_now = 1700000000000LL;
	test_config(&cfg, CONFIG_STATEFUL, "--instance", "sq", "--session-ttl",
	    "60", "--max-sessions", "5000", "--db", db, NULL);
}

static void
teardown(void)
{
	char cmd[200];

	event_base_free(base);
	config_free(&cfg);
	snprintf(cmd, sizeof(cmd), "chmod -R u+rwx %s; rm -rf %s", dir, dir);
	ck_assert_int_eq(system(cmd), 0);
}

/* Open cfg's database on base (or without a loop); NULL with err/code. */
static struct session_store *
try_open(struct event_base *b, char *err, size_t errlen, int *code)
{
	struct store_params p;

	p.base = b;
	p.cfg = &cfg;
	p.now_ms = test_now_ms;
	return (sqlite_store_open(&p, err, errlen, code));
}

static struct session_store *
must_open(void)
{
	struct session_store *st;
	char err[512] = "";
	int code = 0;

	st = try_open(base, err, sizeof(err), &code);
	ck_assert_msg(st != NULL, "open %s: %s", db, err);
	return (st);
}

static void
login(struct session_store *st, const char *user, char *tok)
{
	struct store_result r;

	ck_assert_int_eq(store_sync_create(base, st, user, &r), STORE_OK);
	ck_assert_int_lt(strlen(r.token), TOKEN_BUF);
	memcpy(tok, r.token, strlen(r.token) + 1);
}

/* An integer member of the store's /api/info facts. */
static long long
info_int(struct session_store *st, const char *name)
{
	json_t *info = json_object();
	long long v;

	session_store_describe(st, info);
	ck_assert_msg(json_is_integer(json_object_get(info, name)),
	    "no integer %s in describe", name);
	v = (long long)json_integer_value(json_object_get(info, name));
	json_decref(info);
	return (v);
}

/* One value from SQL on db, read with a connection of our own. */
static char *
query(const char *sql, char *out, size_t len)
{
	sqlite3 *h = NULL;
	sqlite3_stmt *st = NULL;

	out[0] = '\0';
	ck_assert_int_eq(sqlite3_open_v2(db, &h,
	                     SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL),
	    SQLITE_OK);
	if (sqlite3_prepare_v2(h, sql, -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		snprintf(
		    out, len, "%s", (const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	sqlite3_close(h);
	return (out);
}

/* Run a script of SQL on db with a connection of our own. */
static void
exec_sql(const char *sql)
{
	sqlite3 *h = NULL;
	char *msg = NULL;

	ck_assert_int_eq(sqlite3_open_v2(db, &h,
	                     SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL),
	    SQLITE_OK);
	ck_assert_msg(sqlite3_exec(h, sql, NULL, NULL, &msg) == SQLITE_OK, "%s",
	    msg != NULL ? msg : "?");
	sqlite3_close(h);
}

/* Run fn in a child process; returns its exit status (or 128+signal). */
static int
in_child(int (*fn)(void *), void *arg)
{
	pid_t pid;
	int status;

	fflush(stdout);
	ck_assert_int_ne(pid = fork(), -1);
	if (pid == 0)
		_exit(fn(arg));
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	return (
	    WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
}

/* A zeroed page shared with forked children. */
static char *
mmap_shared(void)
{
	void *p;

	p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
	    -1, 0);
	ck_assert(p != MAP_FAILED);
	memset(p, 0, 4096);
	return (p);
}

/* ---------------------------------------------------------------- file */

/*
 * The child: alice counts to 3, each acknowledged; a fourth increment is
 * started but the process dies before its loop turn ends, so it was
 * never committed nor acknowledged.  No close, no checkpoint.
 */
static int
crash_child(void *arg)
{
	struct session_store *st;
	struct store_result r;
	char *tok = arg;
	int i;

	base = event_base_new();
	if ((st = try_open(base, r.detail, sizeof(r.detail), &i)) == NULL)
		return (10);
	memset(&r, 0, sizeof(r));
	session_store_create(st, "alice", store_sync_done, &r);
	if (!test_loop_until(base, &r.calls, 2000) || r.rc != STORE_OK)
		return (11);
	memcpy(tok, r.token, TOKEN_BUF); /* shared memory, see below */
	for (i = 0; i < 3; i++) {
		memset(&r, 0, sizeof(r));
		session_store_incr(st, tok, 1, store_sync_done, &r);
		if (!test_loop_until(base, &r.calls, 2000) || r.rc != STORE_OK)
			return (12);
	}
	memset(&r, 0, sizeof(r));
	session_store_incr(st, tok, 1, store_sync_done, &r);
	if (r.calls != 0)
		return (13); /* a write must wait for its COMMIT */
	raise(SIGKILL);
	return (14);
}

START_TEST(test_reopen_after_crash)
{
	struct session_store *st;
	struct store_result r;
	char *tok, out[64];

	setup();
	/* The child hands the token back through a shared page. */
	tok = mmap_shared();
	ck_assert_int_eq(in_child(crash_child, tok), 128 + SIGKILL);
	ck_assert_int_eq(strlen(tok), 22);
	st = must_open();
	ck_assert_int_eq(info_int(st, "generation"), 2);
	ck_assert_int_eq(info_int(st, "sessions_found_at_start"), 1);
	ck_assert_int_eq(session_store_count(st), 1);
	ck_assert_int_eq(store_sync_get(base, st, tok, &r), STORE_OK);
	ck_assert_str_eq(r.user, "alice");
	ck_assert_int_eq(r.counter, 3);
	ck_assert_int_eq(store_sync_incr(base, st, tok, 1, &r), STORE_OK);
	ck_assert_int_eq(r.counter, 4);
	session_store_close(st);
	ck_assert_str_eq(
	    query("PRAGMA integrity_check", out, sizeof(out)), "ok");
	ck_assert_str_eq(
	    query("SELECT counter FROM sessions", out, sizeof(out)), "4");
	munmap(tok, 4096);
	teardown();
}
END_TEST

START_TEST(test_generation_counts_opens)
{
	struct session_store *st;
	long long created = 0;
	char tok[TOKEN_BUF];
	int i;

	setup();
	for (i = 1; i <= 3; i++) {
		test_now += 1000;
		st = must_open();
		ck_assert_int_eq(info_int(st, "generation"), i);
		if (i == 1) {
			login(st, "bob", tok);
			created = test_now;
		}
		ck_assert_int_eq(
		    info_int(st, "sessions_found_at_start"), i == 1 ? 0 : 1);
		session_store_close(st);
	}
	/* db_created_at stays the first open's time; meta says so too. */
	ck_assert_int_eq(
	    atoll(query("SELECT created_at FROM meta", tok, sizeof(tok))),
	    created);
	ck_assert_str_eq(
	    query("SELECT generation FROM meta", tok, sizeof(tok)), "3");
	teardown();
}
END_TEST

START_TEST(test_user_version)
{
	struct session_store *st;
	char out[512], err[512];
	int code = 0;

	setup();
	st = must_open();
	session_store_close(st);
	ck_assert_str_eq(query("PRAGMA user_version", out, sizeof(out)), "2");
	ck_assert_str_eq(query("PRAGMA journal_mode", out, sizeof(out)), "wal");
	/* Reopening an up-to-date file migrates nothing and keeps meta. */
	st = must_open();
	ck_assert_int_eq(info_int(st, "schema_version"), 2);
	session_store_close(st);
	ck_assert_str_eq(
	    query("SELECT count(*) FROM meta", out, sizeof(out)), "1");

	/* A file from a newer build is refused, not rewritten. */
	query("PRAGMA user_version = 99", out, sizeof(out));
	ck_assert_ptr_null(try_open(base, err, sizeof(err), &code));
	ck_assert_int_eq(code, 1);
	ck_assert_ptr_nonnull(strstr(err, "schema version 99"));
	ck_assert_ptr_nonnull(strstr(err, db));
	ck_assert_str_eq(query("PRAGMA user_version", out, sizeof(out)), "99");
	teardown();
}
END_TEST

/*
 * A file written by schema version 1 (expires_at indexed, every use
 * rewriting it) opens as version 2 without rewriting a row: its sessions
 * keep their expiry, take writes, and are swept when they expire.
 */
START_TEST(test_migrates_version_1)
{
	struct session_store *st;
	struct store_result r;
	char out[512];
	const char *tok = "AAAAAAAAAAAAAAAAAAAAAA";

	setup();
	exec_sql("PRAGMA journal_mode = WAL;"
	         "CREATE TABLE meta (id INTEGER PRIMARY KEY CHECK (id = 1),"
	         "  created_at INTEGER NOT NULL, generation INTEGER NOT NULL,"
	         "  opened_at INTEGER NOT NULL, probed_at INTEGER,"
	         "  sessions INTEGER NOT NULL);"
	         "CREATE TABLE sessions (token TEXT PRIMARY KEY,"
	         "  user TEXT NOT NULL, counter INTEGER NOT NULL, data TEXT,"
	         "  created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL,"
	         "  expires_at INTEGER NOT NULL, created_by TEXT NOT NULL)"
	         "  WITHOUT ROWID;"
	         "CREATE INDEX sessions_expiry ON sessions (expires_at);"
	         "CREATE TRIGGER sessions_count_ins AFTER INSERT ON sessions"
	         "  BEGIN UPDATE meta SET sessions = sessions + 1"
	         "  WHERE id = 1; END;"
	         "CREATE TRIGGER sessions_count_del AFTER DELETE ON sessions"
	         "  BEGIN UPDATE meta SET sessions = sessions - 1"
	         "  WHERE id = 1; END;"
	         "INSERT INTO meta VALUES (1, 1700000000000, 4,"
	         "  1700000000000, NULL, 0);"
	         "INSERT INTO sessions VALUES ('AAAAAAAAAAAAAAAAAAAAAA',"
	         "  'old', 5, '{\"k\":1}', 1699999990000, 1699999990000,"
	         "  1700000050000, 'v1');"
	         "PRAGMA user_version = 1;");
	st = must_open();
	ck_assert_int_eq(info_int(st, "generation"), 5);
	ck_assert_int_eq(info_int(st, "schema_version"), 2);
	ck_assert_int_eq(session_store_count(st), 1);
	/* Within the grace of nothing: a read reports the stored expiry. */
	test_now = 1699999990500LL;
	ck_assert_int_eq(store_sync_get(base, st, tok, &r), STORE_OK);
	ck_assert_str_eq(r.user, "old");
	ck_assert_int_eq(r.counter, 5);
	ck_assert_str_eq(r.data, "{\"k\":1}");
	ck_assert_int_eq(r.expires_at, 1700000050000LL);
	test_now = 1700000000000LL;
	ck_assert_int_eq(store_sync_incr(base, st, tok, 1, &r), STORE_OK);
	ck_assert_int_eq(r.counter, 6);
	ck_assert_int_eq(r.expires_at, test_now + 60000);
	/* Due at its old expiry, but in use: the sweep keeps it. */
	ck_assert_int_eq(session_store_sweep(st, 1700000050000LL), 0);
	test_now += 60001;
	ck_assert_int_eq(session_store_sweep(st, test_now), 1);
	ck_assert_int_eq(session_store_count(st), 0);
	session_store_close(st);
	ck_assert_str_eq(query("PRAGMA user_version", out, sizeof(out)), "2");
	ck_assert_str_eq(
	    query("PRAGMA integrity_check", out, sizeof(out)), "ok");
	ck_assert_str_eq(
	    query("SELECT sessions FROM meta", out, sizeof(out)), "0");
	teardown();
}
END_TEST

START_TEST(test_foreign_database_refused)
{
	char out[64], err[512];
	int code = 0;

	setup();
	query("CREATE TABLE orders (id INTEGER PRIMARY KEY)", out, sizeof(out));
	ck_assert_ptr_null(try_open(base, err, sizeof(err), &code));
	ck_assert_int_eq(code, 1);
	ck_assert_ptr_nonnull(strstr(err, "not a statelab schema"));
	/* Nothing was added to somebody else's file. */
	ck_assert_str_eq(
	    query("SELECT count(*) FROM sqlite_schema", out, sizeof(out)), "1");
	teardown();
}
END_TEST

START_TEST(test_creates_directory_and_file_private)
{
	struct session_store *st;
	struct stat sb;
	char wal[160];

	setup();
	config_free(&cfg);
	snprintf(db, sizeof(db), "%s/a/b/s.db", dir);
	test_config(
	    &cfg, CONFIG_STATEFUL, "--instance", "sq", "--db", db, NULL);
	st = must_open();
	ck_assert_int_eq(stat(db, &sb), 0);
	ck_assert_int_eq(sb.st_mode & 0777, 0600);
	snprintf(wal, sizeof(wal), "%s-wal", db);
	ck_assert_int_eq(stat(wal, &sb), 0);
	ck_assert_int_eq(sb.st_mode & 0777, 0600);
	snprintf(wal, sizeof(wal), "%s/a/b", dir);
	ck_assert_int_eq(stat(wal, &sb), 0);
	ck_assert_int_eq(sb.st_mode & 0777, 0700);
	session_store_close(st);
	/* Closed cleanly: the WAL was checkpointed and removed. */
	snprintf(wal, sizeof(wal), "%s-wal", db);
	ck_assert_int_eq(stat(wal, &sb), -1);
	teardown();
}
END_TEST

/* ---------------------------------------------------------------- lock */

/* The second process: 0 if it was refused with 3 and the explanation. */
static int
second_opener(void *arg)
{
	struct session_store *st;
	char err[512];
	int64_t t0;
	int code = 0;

	(void)arg;
	t0 = clock_mono_us();
	if ((st = try_open(NULL, err, sizeof(err), &code)) != NULL)
		return (20);
	if (code != SQLITE_STORE_EXIT_LOCKED)
		return (21);
	if (strstr(err, "one volume, one writer") == NULL ||
	    strstr(err, "ReadWriteOnce") == NULL || strstr(err, db) == NULL ||
	    strstr(err, "pid ") == NULL)
		return (22);
	/* Fails fast: no long busy wait. */
	if (clock_mono_us() - t0 > 1500000)
		return (23);
	return (0);
}

START_TEST(test_second_process_exits_3)
{
	struct session_store *st;
	struct store_result r;
	char tok[TOKEN_BUF];

	setup();
	st = must_open();
	login(st, "alice", tok);
	ck_assert_int_eq(in_child(second_opener, NULL), 0);
	/* The holder is untouched and keeps writing. */
	ck_assert_int_eq(store_sync_incr(base, st, tok, 1, &r), STORE_OK);
	ck_assert_int_eq(r.counter, 1);
	session_store_close(st);
	/* Once it is closed, the file can be opened again. */
	st = must_open();
	ck_assert_int_eq(info_int(st, "generation"), 2);
	session_store_close(st);
	teardown();
}
END_TEST

/* -------------------------------------------------------------- errors */

static void
write_file(const char *path, const void *buf, size_t len, off_t at)
{
	int fd;

	ck_assert_int_ne(fd = open(path, O_WRONLY | O_CREAT, 0600), -1);
	ck_assert_int_eq(pwrite(fd, buf, len, at), (ssize_t)len);
	close(fd);
}

START_TEST(test_not_a_database)
{
	static const char text[] = "this is a text file, not a database\n";
	char err[512];
	int code = 0;

	setup();
	write_file(db, text, sizeof(text) - 1, 0);
	ck_assert_ptr_null(try_open(base, err, sizeof(err), &code));
	ck_assert_int_eq(code, 1);
	ck_assert_ptr_nonnull(strstr(err, db));
	ck_assert_ptr_nonnull(strstr(err, "not an SQLite database"));
	ck_assert_ptr_nonnull(strstr(err, "move it aside"));
	teardown();
}
END_TEST

START_TEST(test_corrupt_pages)
{
	struct session_store *st;
	char err[512], junk[8192];
	char tok[TOKEN_BUF];
	int code = 0;

	setup();
	st = must_open();
	login(st, "alice", tok);
	session_store_close(st);
	/* Keep the header page, scribble over the tables. */
	memset(junk, 0xa5, sizeof(junk));
	write_file(db, junk, sizeof(junk), 4096);
	ck_assert_ptr_null(try_open(base, err, sizeof(err), &code));
	ck_assert_int_eq(code, 1);
	ck_assert_ptr_nonnull(strstr(err, db));
	ck_assert_ptr_nonnull(strstr(err, "corrupt"));
	teardown();
}
END_TEST

/* As a user who cannot write dir: 0 if open failed with a clear line. */
static int
readonly_opener(void *arg)
{
	struct passwd *pw;
	char err[512];
	int code = 0;

	(void)arg;
	if (geteuid() == 0) {
		/* root writes anywhere: become nobody first. */
		if ((pw = getpwnam("nobody")) == NULL ||
		    setgid(pw->pw_gid) == -1 || setuid(pw->pw_uid) == -1)
			return (30);
	}
	if (try_open(NULL, err, sizeof(err), &code) != NULL)
		return (31);
	if (code != 1 || strstr(err, db) == NULL ||
	    strstr(err, "writable") == NULL)
		return (32);
	return (0);
}

START_TEST(test_readonly_directory)
{
	setup();
	ck_assert_int_eq(chmod(dir, 0555), 0);
	ck_assert_int_eq(in_child(readonly_opener, NULL), 0);
	teardown();
}
END_TEST

/*
 * A file size limit makes every write past it fail, as a full disk
 * does: the store turns not ready, keeps what was committed, serves
 * reads, and recovers at the first successful write after the limit
 * goes.  (The e2e test does the same with a full tmpfs.)
 */
START_TEST(test_write_failure_and_recovery)
{
	struct session_store *st;
	struct rlimit old, lim;
	struct stat sb;
	struct store_result r, w, q[3];
	char tok[TOKEN_BUF], wal[160], out[64];
	int i;

	setup();
	signal(SIGXFSZ, SIG_IGN);
	st = must_open();
	login(st, "alice", tok);
	for (i = 0; i < 5; i++)
		ck_assert_int_eq(
		    store_sync_incr(base, st, tok, 1, &r), STORE_OK);
	snprintf(wal, sizeof(wal), "%s-wal", db);
	ck_assert_int_eq(stat(wal, &sb), 0);
	ck_assert_int_eq(getrlimit(RLIMIT_FSIZE, &old), 0);
	lim = old;
	lim.rlim_cur = (rlim_t)sb.st_size;
	ck_assert_int_eq(setrlimit(RLIMIT_FSIZE, &lim), 0);

	/* Three writes share a COMMIT that fails: each completes UNAVAIL. */
	for (i = 0; i < 3; i++) {
		memset(&q[i], 0, sizeof(q[i]));
		session_store_incr(st, tok, 1, store_sync_done, &q[i]);
		ck_assert_int_eq(q[i].calls, 0);
	}
	for (i = 0; i < 3; i++) {
		ck_assert_int_eq(store_sync_wait(base, &q[i]), STORE_UNAVAIL);
		ck_assert_ptr_nonnull(strstr(q[i].detail, db));
	}
	ck_assert_int_eq(session_store_is_ready(st), 0);
	memset(&w, 0, sizeof(w));
	session_store_create(st, "bob", store_sync_done, &w);
	ck_assert_int_eq(store_sync_wait(base, &w), STORE_UNAVAIL);
	ck_assert_int_eq(session_store_count(st), 1);
	/* What was committed is still there, and reads still answer. */
	ck_assert_int_eq(store_sync_get(base, st, tok, &r), STORE_OK);
	ck_assert_int_eq(r.counter, 5);
	/* Still failing: the sweep's probe keeps it not ready. */
	session_store_sweep(st, test_now);
	event_base_loop(base, EVLOOP_NONBLOCK);
	ck_assert_int_eq(session_store_is_ready(st), 0);

	ck_assert_int_eq(setrlimit(RLIMIT_FSIZE, &old), 0);
	session_store_sweep(st, test_now);
	event_base_loop(base, EVLOOP_NONBLOCK);
	ck_assert_int_eq(session_store_is_ready(st), 1);
	ck_assert_int_eq(store_sync_incr(base, st, tok, 1, &r), STORE_OK);
	ck_assert_int_eq(r.counter, 6);
	session_store_close(st);
	signal(SIGXFSZ, SIG_DFL);
	ck_assert_str_eq(
	    query("PRAGMA integrity_check", out, sizeof(out)), "ok");
	ck_assert_str_eq(
	    query("SELECT counter FROM sessions", out, sizeof(out)), "6");
	teardown();
}
END_TEST

START_TEST(test_input_is_bound_not_spliced)
{
	struct session_store *st;
	struct store_result r;
	char tok[TOKEN_BUF], out[64];
	const char *evil = "x'); DROP TABLE sessions; --";

	setup();
	st = must_open();
	/* The store binds whatever it is given; api.c checks names first. */
	login(st, evil, tok);
	ck_assert_int_eq(store_sync_get(base, st, tok, &r), STORE_OK);
	ck_assert_str_eq(r.user, evil);
	ck_assert_int_eq(
	    store_sync_get(base, st, "' OR 1=1 --", &r), STORE_NOTFOUND);
	session_store_close(st);
	ck_assert_str_eq(
	    query("SELECT count(*) FROM sessions", out, sizeof(out)), "1");
	teardown();
}
END_TEST

/* -------------------------------------------------------------- commit */

START_TEST(test_group_commit)
{
	struct session_store *st;
	struct store_result w[10], rd;
	char tok[TOKEN_BUF], other[TOKEN_BUF];
	long long seen = 0;
	int i;

	setup();
	st = must_open();
	login(st, "alice", tok);
	login(st, "bob", other);
	/* A read with no write pending answers before it returns. */
	memset(&rd, 0, sizeof(rd));
	session_store_get(st, other, store_sync_done, &rd);
	ck_assert_int_eq(rd.calls, 1);

	/* Ten writes in one turn: none is answered before the COMMIT... */
	for (i = 0; i < 10; i++) {
		memset(&w[i], 0, sizeof(w[i]));
		session_store_incr(st, tok, 1, store_sync_done, &w[i]);
	}
	/* ...nor a read that could see them. */
	memset(&rd, 0, sizeof(rd));
	session_store_get(st, other, store_sync_done, &rd);
	for (i = 0; i < 10; i++)
		ck_assert_int_eq(w[i].calls, 0);
	ck_assert_int_eq(rd.calls, 0);
	/* One turn of the loop commits them all, each exactly once. */
	event_base_loop(base, EVLOOP_NONBLOCK);
	for (i = 0; i < 10; i++) {
		ck_assert_int_eq(w[i].calls, 1);
		ck_assert_int_eq(w[i].rc, STORE_OK);
		ck_assert_int_gt(w[i].counter, seen);
		seen = w[i].counter;
	}
	ck_assert_int_eq(seen, 10);
	ck_assert_int_eq(rd.calls, 1);
	event_base_loop(base, EVLOOP_NONBLOCK);
	for (i = 0; i < 10; i++)
		ck_assert_int_eq(w[i].calls, 1);
	session_store_close(st);
	teardown();
}
END_TEST

/* A completion that starts the next operation, as a handler may. */
struct chain {
	struct session_store *st;
	const char *tok;
	struct store_result first, second;
};

static void
on_first(
    enum store_rc rc, const struct session *s, const char *detail, void *arg)
{
	struct chain *c = arg;

	store_sync_done(rc, s, detail, &c->first);
	session_store_incr(c->st, c->tok, 1, store_sync_done, &c->second);
	/* s stays valid for the whole callback, whatever was started. */
	ck_assert_int_eq(s->counter, c->first.counter);
}

START_TEST(test_callback_starts_next_operation)
{
	struct chain c;
	char tok[TOKEN_BUF];

	setup();
	memset(&c, 0, sizeof(c));
	c.st = must_open();
	c.tok = tok;
	login(c.st, "alice", tok);
	session_store_incr(c.st, tok, 1, on_first, &c);
	test_loop_until(base, &c.second.calls, 2000);
	event_base_loop(base, EVLOOP_NONBLOCK);
	ck_assert_int_eq(c.first.calls, 1);
	ck_assert_int_eq(c.first.counter, 1);
	ck_assert_int_eq(c.second.calls, 1);
	ck_assert_int_eq(c.second.rc, STORE_OK);
	ck_assert_int_eq(c.second.counter, 2);
	session_store_close(c.st);
	teardown();
}
END_TEST

static off_t
wal_size(void)
{
	struct stat sb;
	char wal[160];

	snprintf(wal, sizeof(wal), "%s-wal", db);
	return (stat(wal, &sb) == 0 ? sb.st_size : -1);
}

/*
 * A read's TTL update costs no COMMIT of its own: it waits in the open
 * transaction for a client write or the sweep timer.
 */
START_TEST(test_reads_ride_along)
{
	struct session_store *st;
	struct store_result r;
	char tok[TOKEN_BUF];
	off_t before;
	int i;

	setup();
	st = must_open();
	login(st, "alice", tok);
	before = wal_size();
	for (i = 0; i < 5; i++) {
		test_now += 1000;
		ck_assert_int_eq(store_sync_get(base, st, tok, &r), STORE_OK);
		ck_assert_int_eq(r.calls, 1);
	}
	event_base_loop(base, EVLOOP_NONBLOCK);
	ck_assert_int_eq(wal_size(), before);
	/* The sweep commits them; the TTL seen by the last read stays. */
	session_store_sweep(st, test_now);
	event_base_loop(base, EVLOOP_NONBLOCK);
	ck_assert_int_gt(wal_size(), before);
	session_store_close(st);
	st = must_open();
	test_now += 59000;
	ck_assert_int_eq(store_sync_get(base, st, tok, &r), STORE_OK);
	session_store_close(st);
	teardown();
}
END_TEST

/*
 * A read slides the TTL only when the row was last used a second ago or
 * more (TOUCH_GRACE_MS): a burst of reads writes the row once.  Within
 * the grace it reports the row as stored; the slide it made is durable.
 */
START_TEST(test_read_touch_grace)
{
	struct session_store *st;
	struct store_result r;
	char tok[TOKEN_BUF];
	int64_t t0, t1;

	setup();
	st = must_open();
	login(st, "alice", tok);
	t0 = test_now;
	test_now += 500;
	ck_assert_int_eq(store_sync_get(base, st, tok, &r), STORE_OK);
	ck_assert_int_eq(r.updated_at, t0);
	ck_assert_int_eq(r.expires_at, t0 + 60000);
	test_now += 500;
	t1 = test_now;
	ck_assert_int_eq(store_sync_get(base, st, tok, &r), STORE_OK);
	ck_assert_int_eq(r.updated_at, t1);
	ck_assert_int_eq(r.expires_at, t1 + 60000);
	test_now += 999;
	ck_assert_int_eq(store_sync_get(base, st, tok, &r), STORE_OK);
	ck_assert_int_eq(r.updated_at, t1);
	/* A write always slides it, and reports what it wrote. */
	ck_assert_int_eq(store_sync_incr(base, st, tok, 2, &r), STORE_OK);
	ck_assert_int_eq(r.counter, 2);
	ck_assert_int_eq(r.updated_at, test_now);
	ck_assert_int_eq(r.expires_at, test_now + 60000);
	test_now += 1000;
	t1 = test_now;
	ck_assert_int_eq(store_sync_get(base, st, tok, &r), STORE_OK);
	ck_assert_int_eq(r.expires_at, t1 + 60000);
	session_store_close(st);
	/* The last slide was committed at close: a new process sees it. */
	st = must_open();
	ck_assert_int_eq(store_sync_get(base, st, tok, &r), STORE_OK);
	ck_assert_int_eq(r.updated_at, t1);
	ck_assert_int_eq(r.expires_at, t1 + 60000);
	ck_assert_int_eq(r.counter, 2);
	session_store_close(st);
	teardown();
}
END_TEST

START_TEST(test_close_commits_pending)
{
	struct session_store *st;
	struct store_result w, r;
	char tok[TOKEN_BUF];

	setup();
	st = must_open();
	login(st, "alice", tok);
	memset(&w, 0, sizeof(w));
	session_store_incr(st, tok, 7, store_sync_done, &w);
	ck_assert_int_eq(w.calls, 0);
	session_store_close(st);
	ck_assert_int_eq(w.calls, 1);
	ck_assert_int_eq(w.rc, STORE_OK);
	st = must_open();
	ck_assert_int_eq(store_sync_get(base, st, tok, &r), STORE_OK);
	ck_assert_int_eq(r.counter, 7);
	session_store_close(st);
	teardown();
}
END_TEST

/*
 * A use moves expires_at but not the indexed sweep_at: when sweep_at
 * comes, the sweep keeps a row in use and looks again at its expiry.
 */
START_TEST(test_sweep_spares_rows_in_use)
{
	struct session_store *st;
	struct store_result r;
	char used[TOKEN_BUF], idle[TOKEN_BUF], want[64], got[64];
	int64_t t0;

	setup();
	st = must_open();
	t0 = test_now;
	login(st, "u", used);
	login(st, "i", idle);
	test_now = t0 + 30000;
	ck_assert_int_eq(store_sync_get(base, st, used, &r), STORE_OK);
	ck_assert_int_eq(r.expires_at, t0 + 90000);
	test_now = t0 + 60000;
	ck_assert_int_eq(session_store_sweep(st, test_now), 1);
	ck_assert_int_eq(session_store_count(st), 1);
	ck_assert_int_eq(store_sync_get(base, st, idle, &r), STORE_NOTFOUND);
	event_base_loop(base, EVLOOP_NONBLOCK);
	session_store_close(st);
	/* Looked at once, its sweep_at caught up with its expiry. */
	snprintf(want, sizeof(want), "%lld", (long long)(t0 + 90000));
	ck_assert_str_eq(
	    query("SELECT sweep_at FROM sessions", got, sizeof(got)), want);
	st = must_open();
	ck_assert_int_eq(session_store_sweep(st, t0 + 89999), 0);
	test_now = t0 + 89999;
	ck_assert_int_eq(store_sync_get(base, st, used, &r), STORE_OK);
	ck_assert_int_eq(session_store_sweep(st, t0 + 89999 + 60000), 1);
	ck_assert_int_eq(session_store_count(st), 0);
	session_store_close(st);
	teardown();
}
END_TEST

/*
 * Reopened with a shorter --session-ttl, a use moves expires_at below the
 * row's sweep_at: sweep_at follows, so the sweep still finds the row
 * when it expires.
 */
START_TEST(test_sweep_after_shorter_ttl)
{
	struct session_store *st;
	struct store_result r;
	char tok[TOKEN_BUF];
	int64_t t0;

	setup();
	st = must_open();
	t0 = test_now;
	login(st, "u", tok);
	session_store_close(st);
	cfg.session_ttl = 10;
	st = must_open();
	test_now = t0 + 1000;
	ck_assert_int_eq(store_sync_incr(base, st, tok, 1, &r), STORE_OK);
	ck_assert_int_eq(r.expires_at, t0 + 11000);
	ck_assert_int_eq(session_store_sweep(st, t0 + 10999), 0);
	ck_assert_int_eq(session_store_sweep(st, t0 + 11000), 1);
	ck_assert_int_eq(session_store_count(st), 0);
	event_base_loop(base, EVLOOP_NONBLOCK);
	session_store_close(st);
	teardown();
}
END_TEST

START_TEST(test_sweep_in_batches)
{
	struct session_store *st;
	char tok[TOKEN_BUF];
	int64_t n, total = 0;
	int i, calls = 0;

	setup();
	st = must_open();
	for (i = 0; i < 1200; i++)
		login(st, "u", tok);
	ck_assert_int_eq(session_store_sweep(st, test_now), 0);
	test_now += 61000;
	while ((n = session_store_sweep(st, test_now)) > 0) {
		ck_assert_int_le(n, 500);
		total += n;
		calls++;
	}
	ck_assert_int_eq(total, 1200);
	ck_assert_int_eq(calls, 3);
	ck_assert_int_eq(session_store_count(st), 0);
	event_base_loop(base, EVLOOP_NONBLOCK);
	session_store_close(st);
	/* The count kept in meta agrees with the table. */
	ck_assert_str_eq(
	    query("SELECT sessions FROM meta", tok, sizeof(tok)), "0");
	teardown();
}
END_TEST

Suite *
sqlite_store_suite(void)
{
	Suite *s;
	TCase *tc;

	s = suite_create("sqlite_store");
	tc = tcase_create("file");
	tcase_add_test(tc, test_reopen_after_crash);
	tcase_add_test(tc, test_generation_counts_opens);
	tcase_add_test(tc, test_user_version);
	tcase_add_test(tc, test_migrates_version_1);
	tcase_add_test(tc, test_foreign_database_refused);
	tcase_add_test(tc, test_creates_directory_and_file_private);
	suite_add_tcase(s, tc);
	tc = tcase_create("lock");
	tcase_add_test(tc, test_second_process_exits_3);
	suite_add_tcase(s, tc);
	tc = tcase_create("errors");
	tcase_add_test(tc, test_not_a_database);
	tcase_add_test(tc, test_corrupt_pages);
	tcase_add_test(tc, test_readonly_directory);
	tcase_add_test(tc, test_write_failure_and_recovery);
	tcase_add_test(tc, test_input_is_bound_not_spliced);
	suite_add_tcase(s, tc);
	tc = tcase_create("commit");
	tcase_add_test(tc, test_group_commit);
	tcase_add_test(tc, test_callback_starts_next_operation);
	tcase_add_test(tc, test_reads_ride_along);
	tcase_add_test(tc, test_read_touch_grace);
	tcase_add_test(tc, test_close_commits_pending);
	tcase_add_test(tc, test_sweep_in_batches);
	tcase_add_test(tc, test_sweep_spares_rows_in_use);
	tcase_add_test(tc, test_sweep_after_shorter_ttl);
	tcase_set_timeout(tc, 20);
	suite_add_tcase(s, tc);
	return (s);
}
