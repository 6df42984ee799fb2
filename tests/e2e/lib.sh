#!/usr/bin/env bash
# lib.sh - helpers for the end-to-end tests: start the real binaries on free
# loopback ports, talk to them with curl, stop them by PID, count results.
#
# Source it from a test script:   . "$(dirname "$0")/lib.sh"
#   start_server NAME BINARY [ARGS...]   # --listen 127.0.0.1:0 --instance NAME
#   "${URL[NAME]}" "${PID[NAME]}" "${LOG[NAME]}"
#   req METHOD PATH_OR_URL [CURL ARGS...] # sets STATUS, BODY, HEADERS
#   stop_server NAME [SIGNAL]            # waits; sets EXIT to its exit status
#   ok "what" / fail "what" / check_eq WANT GOT "what"
# Every process a test starts is killed on exit (trap), by PID.
# shellcheck disable=SC2034  # variables are used by the sourcing scripts
set -euo pipefail

STATELAB_BIN=${STATELAB_BIN:-bin}
E2E_TMP=$(mktemp -d "${TMPDIR:-/tmp}/statelab-e2e.XXXXXX")
declare -A PID=() URL=() LOG=()
PASSED=0
FAILED=0
STATUS=""
BODY=""
HEADERS=""
EXIT=""

# Mount points a test made under $E2E_TMP, unmounted before it is removed.
E2E_MOUNTS=()

e2e_cleanup() {
	local name m
	for name in "${!PID[@]}"; do
		kill -KILL "${PID[$name]}" 2>/dev/null || true
		{ wait "${PID[$name]}"; } 2>/dev/null || true
	done
	for m in "${E2E_MOUNTS[@]}"; do
		umount "$m" 2>/dev/null || true
	done
	rm -rf "$E2E_TMP"
}

# need_sqlite3: the sqlite3 shell, installed if missing, or SKIP (exit 77).
need_sqlite3() {
	command -v sqlite3 >/dev/null 2>&1 && return 0
	"$(dirname "${BASH_SOURCE[0]}")/../../tools/deps" sqlite3 >/dev/null 2>&1 || true
	command -v sqlite3 >/dev/null 2>&1 && return 0
	echo "SKIP: the sqlite3 shell is missing and could not be installed (apt-get install sqlite3)"
	exit 77
}
trap e2e_cleanup EXIT

ok() {
	PASSED=$((PASSED + 1))
	echo "ok - $*"
}

fail() {
	FAILED=$((FAILED + 1))
	echo "not ok - $*"
}

check_eq() {
	local want=$1 got=$2
	shift 2
	if [ "$want" = "$got" ]; then
		ok "$*"
	else
		fail "$* (want '$want', got '$got')"
	fi
}

# check_match REGEX TEXT WHAT
check_match() {
	local re=$1 text=$2
	shift 2
	if [[ $text =~ $re ]]; then
		ok "$*"
	else
		fail "$* ('$text' does not match /$re/)"
	fi
}

# Print the closing line the test runner counts, and exit accordingly.
finish() {
	echo "$PASSED passed, $FAILED failed"
	[ "$FAILED" -eq 0 ]
}

# start_server NAME BINARY [ARGS...]: start bin/BINARY on a free port.
start_server() {
	local name=$1 binary=$2 i addr=""
	shift 2
	LOG[$name]="$E2E_TMP/$name.log"
	# A restart under the same name must not find the last run's lines.
	: >"${LOG[$name]}"
	"$STATELAB_BIN/$binary" --listen 127.0.0.1:0 --instance "$name" "$@" \
		>"${LOG[$name]}" 2>&1 &
	PID[$name]=$!
	for i in $(seq 1 200); do
		addr=$(sed -n 's/.*"msg":"listening".*"addr":"\([^"]*\)".*/\1/p' \
			"${LOG[$name]}" | head -n 1)
		[ -n "$addr" ] && break
		if ! kill -0 "${PID[$name]}" 2>/dev/null; then
			echo "# $name exited before listening:" >&2
			sed 's/^/#   /' "${LOG[$name]}" >&2
			unset "PID[$name]"
			return 1
		fi
		sleep 0.05
	done
	[ -n "$addr" ] || { echo "# $name did not listen within 10 s" >&2; return 1; }
	: "$i"
	URL[$name]="http://$addr"
}

# stop_server NAME [SIGNAL]: signal it (TERM by default), wait, set EXIT.
stop_server() {
	local name=$1 sig=${2:-TERM}
	kill "-$sig" "${PID[$name]}" 2>/dev/null || true
	EXIT=0
	# Braces: bash reports a killed job on its own stderr, not wait's.
	{ wait "${PID[$name]}"; } 2>/dev/null || EXIT=$?
	unset "PID[$name]"
}

# req METHOD URL_OR_NAME:PATH [CURL ARGS...]: sets STATUS, BODY, HEADERS.
# "alice" style names resolve through URL[]: req GET s1:/api/info
req() {
	local method=$1 target=$2 url
	shift 2
	if [[ $target == http* ]]; then
		url=$target
	else
		url="${URL[${target%%:*}]}${target#*:}"
	fi
	rm -f "$E2E_TMP/body" "$E2E_TMP/headers"
	STATUS=$(curl -sS -o "$E2E_TMP/body" -D "$E2E_TMP/headers" \
		-w '%{http_code}' -X "$method" --max-time 10 "$@" "$url") || STATUS=000
	BODY=$(cat "$E2E_TMP/body" 2>/dev/null || true)
	HEADERS=$(tr -d '\r' <"$E2E_TMP/headers" 2>/dev/null || true)
}

# header NAME: the value of response header NAME from the last req.
header() {
	printf '%s\n' "$HEADERS" | sed -n "s/^$1: //Ip" | head -n 1
}

# json FILTER: apply jq to the last BODY.
json() {
	printf '%s' "$BODY" | jq -r "$1"
}

# login NAME USER: create a session on server NAME, print its token.
login() {
	req POST "$1:/api/sessions" -H 'Content-Type: application/json' \
		-d "{\"user\":\"$2\"}"
	json .token
}

# start_service NAME SERVICE [ARGS...]: like start_server, and for the
# stateful service a database file of its own under the test's directory
# (DB[NAME]), unless ARGS name one.
declare -A DB=()
start_service() {
	local name=$1 service=$2
	shift 2
	if [ "$service" = stateful ]; then
		DB[$name]=${DB[$name]:-$E2E_TMP/$name.db}
		start_server "$name" stateful --db "${DB[$name]}" "$@"
	else
		start_server "$name" "$service" "$@"
	fi
}
