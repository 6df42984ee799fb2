#!/usr/bin/env bash
# test_stateful_diskfull.sh - the stateful service on a disk that fills
# up: writes get a 503 problem that says the disk is full, /readyz turns
# 503 while it lasts, reads keep working, nothing committed is lost, and
# it recovers by itself once space is freed.  The disk is a small tmpfs,
# so this needs root (mount); elsewhere it is skipped, with the reason.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

root=$(cd "$(dirname "$0")/../.." && pwd)
mnt="$E2E_TMP/disk"

if [ "$(id -u)" -ne 0 ]; then
	echo "SKIP: a full disk is made with a small tmpfs, and mount(8) needs root"
	exit 77
fi
mkdir -p "$mnt"
E2E_MOUNTS+=("$mnt")
if ! mount -t tmpfs -o size=1m,mode=0700 statelab-full "$mnt" 2>/dev/null; then
	echo "SKIP: mount(8) of a tmpfs is not permitted here (a container without CAP_SYS_ADMIN?)"
	exit 77
fi
if ! command -v sqlite3 >/dev/null 2>&1; then
	"$root/tools/deps" sqlite3 >/dev/null 2>&1 || true
fi

db="$mnt/stateful.db"
DB[full]=$db
start_service full stateful || { fail "starts on a 1 MiB tmpfs"; finish; }
tok=$(login full alice)
for _ in 1 2 3 4 5; do req POST "full:/api/session/counter" -b "sid=$tok"; done
check_eq "200 5" "$STATUS $(json .counter)" "counter at 5 before the disk fills"
req PUT "full:/api/session/data/color" -b "sid=$tok" -H 'Content-Type: application/json' -d '"blue"'

# Fill the disk; dd stops with ENOSPC.
dd if=/dev/zero of="$mnt/filler" bs=16k status=none 2>/dev/null || true
acked=5
for _ in $(seq 1 200); do
	req POST "full:/api/session/counter" -b "sid=$tok"
	[ "$STATUS" = 200 ] || break
	acked=$(json .counter)
done
check_eq 503 "$STATUS" "a write on a full disk: 503"
check_eq application/problem+json "$(header Content-Type)" "... as problem+json"
check_match 'store-unavailable$' "$(json .type)" "... of type store-unavailable"
check_match "the disk holding $db is full" "$(json .detail)" "... whose detail says the disk is full"
check_eq 1 "$(header Retry-After)" "... with Retry-After"
req POST "full:/api/sessions" -H 'Content-Type: application/json' -d '{"user":"bob"}'
check_eq 503 "$STATUS" "creating a session on a full disk: 503"
req PUT "full:/api/session/data/color" -b "sid=$tok" -H 'Content-Type: application/json' -d '"red"'
check_eq 503 "$STATUS" "changing data on a full disk: 503"
req GET "full:/readyz"
check_eq 503 "$STATUS" "/readyz is 503 while the disk is full"
req GET "full:/healthz"
check_eq 200 "$STATUS" "/healthz stays 200: the process is fine"
req GET "full:/api/session" -b "sid=$tok"
check_eq "200 $acked blue" "$STATUS $(json .counter) $(json .data.color)" "reads still answer, with everything acknowledged ($acked)"
req GET "full:/api/info"
check_match "full" "$(json .store_error)" "/api/info says what is wrong"

# Free the space: the sweep timer's probe makes it ready again.
rm -f "$mnt/filler"
for _ in $(seq 1 40); do
	req GET "full:/readyz"
	[ "$STATUS" = 200 ] && break
	sleep 0.1
done
check_eq 200 "$STATUS" "/readyz is 200 again once space is freed"
req POST "full:/api/session/counter" -b "sid=$tok"
check_eq "200 $((acked + 1))" "$STATUS $(json .counter)" "writes work again, from where they were"
check_match '"is writable again"|writable again' "$(cat "${LOG[full]}")" "the recovery is logged"

stop_server full KILL
: >"${LOG[full]}" # start_server must not find the old "listening" line
start_service full stateful || { fail "restarts after SIGKILL"; finish; }
req GET "full:/api/session" -b "sid=$tok"
check_eq "200 $((acked + 1)) blue" "$STATUS $(json .counter) $(json .data.color)" "after SIGKILL and restart nothing committed is lost"
stop_server full
check_eq 0 "$EXIT" "exits 0 on SIGTERM"
if command -v sqlite3 >/dev/null 2>&1; then
	check_eq ok "$(sqlite3 "$db" 'PRAGMA integrity_check')" "PRAGMA integrity_check"
fi
finish
