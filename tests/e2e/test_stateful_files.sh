#!/usr/bin/env bash
# test_stateful_files.sh - the stateful service and its database file:
# one writer per file (a second process exits 3 and explains
# ReadWriteOnce), a missing directory is created private, a corrupt or
# foreign file and a read-only directory stop it at start-up with a line
# naming the file and what to do (never a crash), and a file with
# 1,000,000 sessions opens without scanning them.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

need_sqlite3

# try_start DB [ARGS...]: run stateful in the foreground on DB for at most
# 5 s; sets RC and OUT (stderr and stdout) and the time it took in MS.
try_start() {
	local db=$1 t0
	shift
	t0=$(date +%s%N)
	RC=0
	OUT=$(timeout 5 "$STATELAB_BIN/stateful" --listen 127.0.0.1:0 --db "$db" "$@" 2>&1) || RC=$?
	MS=$((($(date +%s%N) - t0) / 1000000))
}

# An exit status that is not a crash or a hang: 1..3.
check_clean_failure() {
	if [ "$RC" -ge 1 ] && [ "$RC" -le 3 ]; then
		ok "$1: exits $RC, no crash"
	else
		fail "$1: exit status $RC: $OUT"
	fi
}

lock() {
	local db="$E2E_TMP/lock/stateful.db" tok sh
	DB[holder]=$db
	start_service holder stateful || { fail "lock: the first instance starts"; return; }
	tok=$(login holder alice)

	try_start "$db" --instance second
	check_eq 3 "$RC" "lock: a second process on the same file exits 3"
	check_match "$db is held by another process \(pid ${PID[holder]}\)" "$OUT" "lock: ... naming the file and the holder's pid"
	check_match 'one volume, one writer.*ReadWriteOnce' "$OUT" "lock: ... explaining one volume, one writer (ReadWriteOnce)"
	if [ "$MS" -lt 2000 ]; then ok "lock: ... within ${MS} ms (no long busy wait)"; else fail "lock: took ${MS} ms"; fi

	# The lock is SQLite's own, on the file: a sqlite3 shell is kept out too.
	RC=0
	OUT=$(sqlite3 -cmd '.timeout 100' "$db" 'SELECT count(*) FROM sessions' 2>&1) || RC=$?
	check_match 'locked' "$OUT" "lock: a sqlite3 shell cannot use the file while it is held"
	req POST "holder:/api/session/counter" -b "sid=$tok"
	check_eq "200 1" "$STATUS $(json .counter)" "lock: the holder keeps serving"
	stop_server holder
	check_eq 0 "$EXIT" "lock: the holder exits 0 on SIGTERM"

	# And the other way round: a shell in a write transaction holds it.
	{
		echo 'BEGIN IMMEDIATE;'
		echo 'UPDATE meta SET probed_at = 0;'
		sleep 3
		echo 'COMMIT;'
	} | sqlite3 "$db" &
	sh=$!
	sleep 0.5
	try_start "$db"
	check_eq 3 "$RC" "lock: a sqlite3 shell in a write transaction also makes it exit 3"
	kill "$sh" 2>/dev/null || true
	wait "$sh" 2>/dev/null || true
}

new_directory() {
	local db="$E2E_TMP/new/a/b/stateful.db"
	DB[fresh]=$db
	start_service fresh stateful || { fail "files: starts in a missing directory"; return; }
	check_eq "700 700 600" "$(stat -c %a "$E2E_TMP/new/a" "$E2E_TMP/new/a/b" "$db" | xargs)" "files: the directories are created 0700 and the database 0600"
	login fresh alice >/dev/null
	check_eq 600 "$(stat -c %a "$db-wal")" "files: the WAL is 0600 too"
	req GET "fresh:/api/info"
	check_eq "1 0 1" "$(json '"\(.generation) \(.sessions_found_at_start) \(.sessions)"')" "files: /api/info: generation 1, nothing found at start, one session now"
	check_match '^[0-9]{4}-[0-9]{2}-[0-9]{2}T' "$(json .db_created_at)" "files: /api/info has db_created_at"
	req GET "fresh:/metrics"
	check_match 'statelab_volume_generation 1' "$BODY" "files: /metrics has statelab_volume_generation"
	check_match 'statelab_db_wal_size_bytes [1-9]' "$BODY" "files: /metrics has the WAL size"
	stop_server fresh
	if [ -e "$db-wal" ] && [ -s "$db-wal" ]; then fail "files: the WAL is left non-empty after SIGTERM"; else ok "files: SIGTERM checkpoints the WAL away"; fi
}

corrupt() {
	local db="$E2E_TMP/corrupt/stateful.db"
	mkdir -p "$E2E_TMP/corrupt"
	echo "name,counter" >"$db"
	try_start "$db"
	check_eq 1 "$RC" "corrupt: a text file as --db exits 1"
	check_match "$db is not an SQLite database.*move it aside" "$OUT" "corrupt: ... naming the file and what to do"
	check_eq "name,counter" "$(cat "$db")" "corrupt: ... and leaves the file as it was"

	# A real database whose pages were scribbled over after the header.
	rm -f "$db"
	DB[corrupt]=$db
	start_service corrupt stateful || { fail "corrupt: starts"; return; }
	login corrupt alice >/dev/null
	stop_server corrupt
	head -c 8192 /dev/urandom | dd of="$db" bs=4096 seek=1 conv=notrunc status=none
	try_start "$db"
	check_clean_failure "corrupt: damaged pages"
	check_match "$db.*corrupt" "$OUT" "corrupt: ... said so, naming the file"

	# Another application's database is not taken over.
	rm -f "$db"
	sqlite3 "$db" 'CREATE TABLE orders (id INTEGER PRIMARY KEY)'
	try_start "$db"
	check_eq 1 "$RC" "corrupt: another application's database exits 1"
	check_match 'not a statelab schema' "$OUT" "corrupt: ... saying it is not ours"
	check_eq orders "$(sqlite3 "$db" 'SELECT group_concat(name) FROM sqlite_schema')" "corrupt: ... and adds nothing to it"

	sqlite3 "$db" 'DROP TABLE orders; PRAGMA user_version = 42'
	try_start "$db"
	check_eq 1 "$RC" "corrupt: a newer schema version exits 1"
	check_match 'schema version 42, newer' "$OUT" "corrupt: ... saying so"
}

readonly_dir() {
	local dir="$E2E_TMP/ro" runas=()
	mkdir -p "$dir"
	if [ "$(id -u)" -eq 0 ]; then
		# root writes anywhere: run as nobody in a directory of root's.
		chmod 755 "$E2E_TMP" "$dir"
		runas=(setpriv --reuid=nobody --regid=nogroup --clear-groups)
		if ! "${runas[@]}" test -x "$STATELAB_BIN/stateful" 2>/dev/null; then
			echo "# SKIP: readonly: user nobody cannot run $STATELAB_BIN/stateful (setpriv missing or the path is private)"
			return
		fi
	else
		chmod 555 "$dir"
	fi
	RC=0
	OUT=$(timeout 5 "${runas[@]}" "$STATELAB_BIN/stateful" --listen 127.0.0.1:0 --db "$dir/stateful.db" 2>&1) || RC=$?
	check_eq 1 "$RC" "readonly: a directory it cannot write exits 1"
	check_match "cannot open the database $dir/stateful.db for writing: Permission denied.*writable" "$OUT" "readonly: ... naming the file and what to do"
	RC=0
	OUT=$(timeout 5 "${runas[@]}" "$STATELAB_BIN/stateful" --listen 127.0.0.1:0 --db "$dir/sub/stateful.db" 2>&1) || RC=$?
	check_eq 1 "$RC" "readonly: a directory it cannot create exits 1"
	check_match "cannot create the directory $dir/sub" "$OUT" "readonly: ... naming the directory"
	chmod 755 "$dir"

	# A volume mounted read-only (root only: a read-only tmpfs).
	if [ "$(id -u)" -ne 0 ]; then
		echo "# SKIP: readonly: a read-only mount needs root"
		return
	fi
	mkdir -p "$E2E_TMP/romnt"
	E2E_MOUNTS+=("$E2E_TMP/romnt")
	if ! mount -t tmpfs -o size=4m,mode=0755 statelab-ro "$E2E_TMP/romnt" 2>/dev/null; then
		echo "# SKIP: readonly: mount(8) of a tmpfs is not permitted here"
		return
	fi
	DB[romnt]="$E2E_TMP/romnt/stateful.db"
	start_service romnt stateful && login romnt alice >/dev/null && stop_server romnt
	if mount -o remount,ro "$E2E_TMP/romnt"; then
		try_start "$E2E_TMP/romnt/stateful.db"
		check_eq 1 "$RC" "readonly: a database on a read-only mount exits 1"
		check_match 'Read-only file system.*mount it read-write' "$OUT" "readonly: ... saying the volume is read-only"
	else
		fail "readonly: remount read-only"
	fi
	umount "$E2E_TMP/romnt" || true
}

million() {
	local db="$E2E_TMP/million/stateful.db" t0 ms
	DB[million]=$db
	start_service million stateful || { fail "million: starts"; return; }
	stop_server million
	t0=$(date +%s%N)
	sqlite3 "$db" "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1000000)
		INSERT INTO sessions (token, user, counter, data, created_at, updated_at, sweep_at, expires_at, created_by)
		SELECT printf('t%021d', i), 'u' || i, i, NULL, 1, 1, 32503680000000, 32503680000000, 'gen' FROM n"
	ms=$((($(date +%s%N) - t0) / 1000000))
	echo "# 1,000,000 sessions written with sqlite3 in $ms ms"
	: >"${LOG[million]}" # start_server must not find the old "listening" line
	start_service million stateful || { fail "million: starts on 1,000,000 sessions"; return; }
	req GET "million:/api/info"
	check_eq 1000000 "$(json .sessions_found_at_start)" "million: 1,000,000 sessions found at start"
	ms=$(json .open_ms)
	if [ "$ms" -lt 100 ]; then ok "million: opened in $ms ms (< 100, nothing loaded eagerly)"; else fail "million: opening took $ms ms"; fi
	req GET "million:/api/session" -H "Authorization: Bearer t000000000000000999999"
	check_eq "200 999999" "$STATUS $(json .counter)" "million: a session deep in the file is found"
	stop_server million
	rm -f "$db" "$db-wal"
}

lock
new_directory
corrupt
readonly_dir
million
finish
