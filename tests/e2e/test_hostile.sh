#!/usr/bin/env bash
# test_hostile.sh - hostile clients against each service (issue 10):
# malformed and smuggling-shaped requests, pipelining, hostile JSON and
# credentials, slowloris, thousands of idle connections, hang-ups, and the
# secure defaults.  Loopback only, bounded (well under two minutes).
#
# Raw bytes go through tests/e2e/hostile.c, built here with cc.  After
# every rejected request the server must still answer and the session
# under test must be unchanged.  Requests libevent refuses before our code
# runs (unparsable request line, unknown method, its own size limits) may
# get libevent's HTML answer; everything parsed gets problem+json.
#
# Checks of behaviour issue 10 asks for that the servers may not have yet
# go through pending_*: they fail like any other check, with
# "[pending #10: reason]", so the gap shows in every run; never skipped.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
export LC_ALL=C

HOSTILE=$E2E_TMP/hostile
if ! cc -std=c11 -D_GNU_SOURCE -O2 -o "$HOSTILE" "$(dirname "$0")/hostile.c"; then
	echo "SKIP: cannot build the hostile client (tests/e2e/hostile.c) with cc"
	exit 77
fi
RAW="" RSTATUS="" RSTATUSES="" RCTYPE="" STATE=""
HOSTILE_PIDS=()

hostile_cleanup() {
	local p
	for p in "${HOSTILE_PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
	e2e_cleanup
}
trap hostile_cleanup EXIT

# pending_eq WANT GOT WHAT WHY / pending_match REGEX TEXT WHAT WHY
pending_eq() {
	if [ "$1" = "$2" ]; then
		ok "$3"
	else
		fail "$3 (want '$1', got '$2') [pending #10: $4]"
	fi
}
pending_match() {
	if [[ $2 =~ $1 ]]; then
		ok "$3"
	else
		fail "$3 ('$2' does not match /$1/) [pending #10: $4]"
	fi
}

port_of() { printf '%s' "${URL[$1]##*:}"; }

# raw NAME BYTES [hostile send options]: send BYTES (printf %b escapes) on
# one connection and read until 0.4 s pass without a byte (-w MS to wait
# longer); sets RAW (the answer, CRs removed), RSTATUS (the first
# status), RSTATUSES (all of them, space-separated), RCTYPE.
raw() {
	local name=$1 bytes=$2
	shift 2
	RAW=$(printf '%b' "$bytes" | "$HOSTILE" send "$(port_of "$name")" -w 400 "$@" |
		tr -d '\r' | tr '\0' '?') || true
	RSTATUSES=$(printf '%s\n' "$RAW" | grep -o 'HTTP/1\.[01] [0-9][0-9][0-9]' |
		awk '{print $2}' | tr '\n' ' ' | sed 's/ $//') || true
	RSTATUS=${RSTATUSES%% *}
	RCTYPE=$(printf '%s\n' "$RAW" | sed -n 's/^Content-Type: //Ip' | head -n 1)
}

# post_raw PATH BODY [EXTRA HEADER LINES with \r\n [METHOD]]: a
# well-framed request, still in printf %b escapes, for raw.
post_raw() {
	local path=$1 body=$2 extra=${3:-} method=${4:-POST} len
	len=$(printf '%b' "$body" | wc -c)
	printf '%s' "$method $path HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n${extra}Content-Length: $len\r\n\r\n$body"
}

# state NAME TOKEN: the session's counter and data as one line, in STATE.
state() {
	req GET "$1:/api/session" -H "Authorization: Bearer $2"
	STATE="$STATUS $(json '"\(.counter) \(.data|tojson)"')"
}

alive() {
	req GET "$1:/healthz"
	check_eq 200 "$STATUS" "$2: still serving after $3"
}

unchanged() {
	state "$1" "$2"
	check_eq "$3" "$STATE" "$4: the session is unchanged after $5"
}

cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
fd_count() { find "/proc/$1/fd" -mindepth 1 -maxdepth 1 | wc -l; }
now_ms() { date +%s%3N; }

malformed() {
	local svc=$1 s=$2 big
	raw "$s" 'GARBAGE\r\n\r\n'
	check_eq 400 "$RSTATUS" "$svc: a request line that does not parse: 400"
	raw "$s" 'FOO /api/session HTTP/1.1\r\nHost: x\r\n\r\n'
	check_match '^(405|501)$' "$RSTATUS" "$svc: an unknown method token: 405 or libevent's 501"
	raw "$s" 'GET /healthz HTTP/9.9\r\nHost: x\r\n\r\n'
	check_match '^(400|505)$' "$RSTATUS" "$svc: HTTP/9.9: 400 or 505"
	raw "$s" 'GET /hea\0lthz HTTP/1.1\r\nHost: x\r\n\r\n'
	check_eq 400 "$RSTATUS" "$svc: a NUL byte in the request line: 400"
	raw "$s" 'GET /healthz HTTP/1.1\r\nHost: x\r\nX-A: a\0b\r\n\r\n'
	check_match '^(200|400)$' "$RSTATUS" "$svc: a NUL byte in a header value: 200 (cut there) or 400"
	raw "$s" 'GET /healthz HTTP/1.1\r\nHost x\r\n\r\n'
	check_eq 400 "$RSTATUS" "$svc: a header line without a colon: 400"
	big=$(head -c 70000 /dev/zero | tr '\0' a)
	raw "$s" "GET /$big HTTP/1.1\r\nHost: x\r\n\r\n"
	# The server may close while we still write: a reset can eat its 400.
	check_match '^(400|413|414|)$' "$RSTATUS" "$svc: a 70 KB request target: refused (${RSTATUS:-reset})"
	raw "$s" "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: $big\r\n\r\n"
	check_match '^(400|413|431|)$' "$RSTATUS" "$svc: a 70 KB header: refused (${RSTATUS:-reset})"
	big=$(head -c 20000 /dev/zero | tr '\0' a)
	raw "$s" "GET /api/session/data/$big HTTP/1.1\r\nHost: x\r\n\r\n"
	check_eq "422 application/problem+json" "$RSTATUS $RCTYPE" "$svc: a 20 KB data key (parsed): 422 problem"
	big=$(for i in $(seq 1000); do printf 'X-H%d: v\\r\\n' "$i"; done)
	raw "$s" "GET /healthz HTTP/1.1\r\nHost: x\r\n$big\r\n"
	check_eq "431 application/problem+json" "$RSTATUS $RCTYPE" "$svc: 1,000 headers (9 KB): 431 problem"
	alive "$s" "$svc" "malformed requests"
}

framing() {
	local svc=$1 s=$2 tok=$3 t0 el
	# Two different lengths: which one frames the next request?
	raw "$s" 'POST /api/sessions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 13\r\nContent-Length: 14\r\n\r\n{"user":"cl"}GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n'

	pending_eq "400 application/problem+json" "$RSTATUS $RCTYPE" "$svc: conflicting Content-Length: 400 problem" \
		"libevent frames the body with the first Content-Length; api.c must refuse two different ones"
	pending_eq "400" "$RSTATUSES" "$svc: ... and the connection closes (nothing smuggled after it)" \
		"the 400 must carry Connection: close"
	raw "$s" "$(post_raw /api/sessions '{"user":"dup"}' 'Content-Length: 14\r\n')"
	check_match '^(201|400)$' "$RSTATUS" "$svc: the same Content-Length twice: 201 or 400"
	raw "$s" "$(post_raw /api/sessions '{"user":"x"}' | sed 's/Content-Length: /Content-Length: +/')"
	pending_eq 400 "$RSTATUS" "$svc: Content-Length: +12 is not 1*DIGIT: 400" \
		"libevent's strtoll takes a sign; api.c must check the digits"
	raw "$s" 'POST /api/sessions HTTP/1.1\r\nHost: x\r\nContent-Length: 8x\r\n\r\n12345678'
	check_eq 400 "$RSTATUS" "$svc: Content-Length: 8x: 400"
	raw "$s" 'POST /api/sessions HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n'
	check_eq 400 "$RSTATUS" "$svc: Content-Length: -1: 400"
	raw "$s" 'POST /api/sessions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\ne\r\n{"user":"chk"}\r\n0\r\n\r\n'
	check_eq 201 "$RSTATUS" "$svc: a chunked body is read"
	raw "$s" 'POST /api/sessions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\ne\r\n{"user":"chk"}\r\n0\r\n\r\nGET /healthz HTTP/1.1\r\nHost: x\r\n\r\n'
	check_eq 400 "$RSTATUSES" "$svc: Transfer-Encoding and Content-Length together: 400, then closed"
	raw "$s" 'POST /api/sessions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: identity\r\n\r\ne\r\n{"user":"chk"}\r\n0\r\n\r\n'
	check_eq 400 "$RSTATUS" "$svc: two Transfer-Encodings: 400"
	raw "$s" 'POST /api/sessions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: xchunked\r\n\r\ne\r\n{"user":"chk"}\r\n0\r\n\r\n'
	pending_match '^(400|501)$' "$RSTATUSES" "$svc: an unknown transfer coding: one 400/501, then closed" \
		"libevent treats any coding but 'chunked' as no body; the rest is parsed as a second request"
	raw "$s" "$(post_raw /api/sessions '{"user":"sp"}' 'Transfer-Encoding : chunked\r\n')"
	pending_eq 400 "$RSTATUS" "$svc: whitespace before a header colon: 400 (RFC 9112 5.1)" \
		"libevent keeps 'Transfer-Encoding ' as a name; api.c must refuse names with blanks"
	t0=$(now_ms)
	raw "$s" "$(post_raw /api/sessions '{"user":"short"}' | sed 's/Content-Length: [0-9]*/Content-Length: 100/')" -w 6000
	el=$(($(now_ms) - t0))
	if [ "$el" -lt 4500 ]; then ok "$svc: a body shorter than its Content-Length is cut at --timeout (${el} ms)"; else fail "$svc: a short body held the connection ${el} ms"; fi
	raw "$s" 'GET /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello'
	check_eq 200 "$RSTATUS" "$svc: a GET with a body is answered"
	alive "$s" "$svc" "framing tricks"
}

pipelining() {
	local svc=$1 s=$2 tok=$3 one
	raw "$s" 'GET /healthz HTTP/1.1\r\nHost: x\r\nX-Request-Id: p-one\r\n\r\nGET /nope HTTP/1.1\r\nHost: x\r\nX-Request-Id: p-two\r\n\r\nGET /healthz HTTP/1.1\r\nHost: x\r\nX-Request-Id: p-three\r\n\r\n'
	check_eq "200 404 200" "$RSTATUSES" "$svc: three pipelined requests, three answers in order"
	check_eq "p-one p-two p-three" "$(printf '%s\n' "$RAW" | sed -n 's/^X-Request-Id: //p' | tr '\n' ' ' | sed 's/ $//')" "$svc: ... with their request ids in order"
	one=$(post_raw /api/session/counter '{"by":1}' "Authorization: Bearer $tok\r\n")
	raw "$s" "$one$one$one"
	check_eq "200 200 200" "$RSTATUSES" "$svc: three pipelined increments"
	raw "$s" 'GET /healthz HTTP/1.1\r\nHost: x\r\n\r\nGARBAGE\r\n\r\nGET /healthz HTTP/1.1\r\nHost: x\r\n\r\n'
	check_match '^200 400$' "$RSTATUSES" "$svc: a bad request in a pipeline ends it after a 400"
}

json_bodies() {
	local svc=$1 s=$2 tok=$3 deep t2 big
	raw "$s" "$(post_raw /api/sessions '{"user":"\xc3\x28"}')"
	check_eq "400 application/problem+json" "$RSTATUS $RCTYPE" "$svc: invalid UTF-8 in a user name: 400 problem"
	raw "$s" "$(post_raw /api/sessions '{"user":"a\\u16\xcf\xa4"}')"
	check_eq "400 application/problem+json" "$RSTATUS $RCTYPE" "$svc: a bad escape next to invalid UTF-8: 400 problem (fuzz regression)"
	raw "$s" "$(post_raw /api/sessions '{"user":"\\u00e9t\\u00e9"}')"
	check_eq "422 application/problem+json" "$RSTATUS $RCTYPE" "$svc: a non-ASCII user name: 422 problem"
	raw "$s" "$(post_raw /api/sessions '{"user":"a\\u0000b"}')"
	check_eq 422 "$RSTATUS" "$svc: a user name with an escaped NUL: 422"
	raw "$s" "$(post_raw /api/sessions '{"user":"a\0b"}')"
	check_eq "400 application/problem+json" "$RSTATUS $RCTYPE" "$svc: a raw NUL byte in the body: 400 problem"
	raw "$s" "$(post_raw /api/sessions '{"user":"a","user":"b"}')"
	check_eq 400 "$RSTATUS" "$svc: a duplicated key: 400"
	raw "$s" "$(post_raw /api/sessions '{"user":"x\\",\\"level\\":\\"error"}')"
	check_eq 422 "$RSTATUS" "$svc: a log-injection user name: 422"
	deep=$(head -c 10000 /dev/zero | tr '\0' '[')
	raw "$s" "$(post_raw /api/sessions "$deep")"
	check_eq "400 application/problem+json" "$RSTATUS $RCTYPE" "$svc: 10,000 nested arrays: 400 problem"
	raw "$s" "$(post_raw /api/session/data/k "$deep" "Authorization: Bearer $tok\r\n" PUT)"
	check_eq 400 "$RSTATUS" "$svc: 10,000 nested arrays as a data value: 400"
	# Under jansson's parse limit but over ours: refused, and the session
	# stays readable (stored 2,048 deep, it could never be parsed again).
	t2=$(login "$s" deep)
	deep="$(head -c 2048 /dev/zero | tr '\0' '[')$(head -c 2048 /dev/zero | tr '\0' ']')"
	req PUT "$s:/api/session/data/d" -H "Authorization: Bearer $t2" -H 'Content-Type: application/json' -d "$deep"
	check_eq 422 "$STATUS" "$svc: 2,048 nested arrays (4 KB) as a data value: 422"
	req GET "$s:/api/session" -H "Authorization: Bearer $t2"
	check_eq 200 "$STATUS" "$svc: ... and the session is still readable"
	# At the limit: stored and read back whole.
	deep="$(head -c 64 /dev/zero | tr '\0' '[')$(head -c 64 /dev/zero | tr '\0' ']')"
	req PUT "$s:/api/session/data/d" -H "Authorization: Bearer $t2" -H 'Content-Type: application/json' -d "$deep"
	check_eq 200 "$STATUS" "$svc: 64 nested arrays are a storable value"
	req GET "$s:/api/session/data/d" -H "Authorization: Bearer $t2"
	check_eq "200 $deep" "$STATUS $BODY" "$svc: ... and read back whole"
	req PUT "$s:/api/session/data/d" -H "Authorization: Bearer $t2" -H 'Content-Type: application/json' -d "[$deep]"
	check_eq 422 "$STATUS" "$svc: 65 nested arrays: 422"
	big="[$(printf '1,%.0s' $(seq 7000))1]"
	raw "$s" "$(post_raw /api/sessions "$big")"
	check_eq 422 "$RSTATUS" "$svc: a 14 KB array as the login body: 422"
	big=$(head -c 900000 /dev/zero | tr '\0' ' ')
	raw "$s" "$(post_raw /api/sessions "$big{}")"
	check_eq "413 application/problem+json" "$RSTATUS $RCTYPE" "$svc: a 900 KB body: 413 problem"
	raw "$s" 'POST /api/sessions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 2000000\r\n\r\n'
	check_eq 413 "$RSTATUS" "$svc: a 2 MB Content-Length: 413 (libevent's own limit)"
	alive "$s" "$svc" "hostile JSON"
}

credentials() {
	local svc=$1 s=$2 tok=$3 long
	req GET "$s:/api/session" -H "Cookie: sid=$tok; sid=$tok"
	check_eq 200 "$STATUS" "$svc: the same sid cookie twice: 200"
	req GET "$s:/api/session" -H "Cookie: sid=$tok" -H "Cookie: sid=$tok"
	check_eq 200 "$STATUS" "$svc: two Cookie headers with the same sid: 200"
	req GET "$s:/api/session" -H "Cookie: sid=$tok" -H "Cookie: a=1; sid=AAAAAAAAAAAAAAAAAAAAAA"
	check_eq "401 application/problem+json" "$STATUS $(header Content-Type)" "$svc: two Cookie headers with different sids: 401 problem"
	req GET "$s:/api/session" -H "Cookie: sid=\"$tok\""
	check_eq 200 "$STATUS" "$svc: a quoted sid cookie: 200"
	req GET "$s:/api/session" -H "Cookie: sid=$tok" -H 'Authorization: Bearer AAAAAAAAAAAAAAAAAAAAAA'
	check_eq 401 "$STATUS" "$svc: Authorization wins over the cookie"
	long=$(head -c 5000 /dev/zero | tr '\0' A)
	req GET "$s:/api/session" -H "Authorization: Bearer $long"
	check_match 'invalid-credential$' "$STATUS $(json .type)" "$svc: a 5,000-character token: 401 invalid-credential"
	req GET "$s:/api/session" -H "Authorization: Bearer $tok" -H "Authorization: Bearer $tok"
	check_eq 401 "$STATUS" "$svc: two Authorization headers: 401"
	req GET "$s:/api/session" -H "Cookie: sid=$tok%00"
	check_eq 401 "$STATUS" "$svc: a sid with %00 appended: 401"
}

counter() {
	local svc=$1 s=$2 tok=$3 t2 by
	req POST "$s:/api/session/counter" -H "Authorization: Bearer $tok" -H 'Content-Type: application/json' -d '{"by":9223372036854775807}'
	check_eq 422 "$STATUS" "$svc: counter by INT64_MAX overflows: 422"
	req POST "$s:/api/session/counter" -H "Authorization: Bearer $tok" -H 'Content-Type: application/json' -d '{"by":9223372036854775808}'
	check_eq "400 application/problem+json" "$STATUS $(header Content-Type)" "$svc: by beyond int64: 400 problem"
	for by in 1.5 '"1"' null true '[1]'; do
		req POST "$s:/api/session/counter" -H "Authorization: Bearer $tok" -H 'Content-Type: application/json' -d "{\"by\":$by}"
		check_eq 422 "$STATUS" "$svc: by $by: 422"
	done
	t2=$(login "$s" edge)
	req POST "$s:/api/session/counter" -H "Authorization: Bearer $t2" -H 'Content-Type: application/json' -d '{"by":-9223372036854775808}'
	# jq reads numbers as doubles: look at the JSON text itself.
	check_match '"counter":-9223372036854775808,' "$STATUS $BODY" "$svc: the counter reaches INT64_MIN exactly"
	req POST "$s:/api/session/counter" -H "Authorization: Bearer $t2" -H 'Content-Type: application/json' -d '{"by":-1}'
	check_eq 422 "$STATUS" "$svc: ... and one below is refused"
	req GET "$s:/api/session" -H "Authorization: Bearer $t2"
	check_match '"counter":-9223372036854775808,' "$BODY" "$svc: ... leaving it at INT64_MIN"
}

slow_clients() {
	local svc=$1 s=$2 out t0 el
	out=$E2E_TMP/slowloris.$s
	"$HOSTILE" slowloris "$(port_of "$s")" 300 7 >"$out" 2>/dev/null &
	HOSTILE_PIDS+=($!)
	sleep 0.5
	t0=$(now_ms)
	req GET "$s:/healthz"
	el=$(($(now_ms) - t0))
	check_eq 200 "$STATUS" "$svc: served while a slowloris trickles its headers"
	if [ "$el" -lt 1000 ]; then ok "$svc: ... promptly (${el} ms)"; else fail "$svc: ... but slowly (${el} ms)"; fi
	wait "${HOSTILE_PIDS[-1]}" || true
	pending_match '^cut ([0-9]{1,3}|[0-3][0-9]{3})$' "$(cat "$out")" "$svc: headers trickled a byte every 0.3 s are cut within 4 s (--timeout 2)" \
		"libevent's read timeout restarts on every byte; the request head needs a deadline"
	"$HOSTILE" slowloris "$(port_of "$s")" 2500 8 >"$out" 2>/dev/null || true
	check_match '^cut (1[5-9][0-9]{2}|2[0-9]{3}|3[0-9]{3})$' "$(cat "$out")" "$svc: a header stalled longer than --timeout is cut at about 2 s"
}

idle_connections() {
	local svc=$1 s=$2 out p t0 el a b fds0 fds
	out=$E2E_TMP/idle.$s
	fds0=$(fd_count "${PID[$s]}")
	"$HOSTILE" idle "$(port_of "$s")" 2000 15 >"$out" &
	p=$!
	HOSTILE_PIDS+=("$p")
	for _ in $(seq 120); do grep -q '^connected' "$out" && break; sleep 0.1; done
	check_eq "connected 2000" "$(head -n 1 "$out")" "$svc: 2,000 idle connections are accepted"
	t0=$(now_ms)
	req GET "$s:/healthz"
	el=$(($(now_ms) - t0))
	check_eq 200 "$STATUS" "$svc: a normal client is served beside 2,000 idle ones (${el} ms)"
	# Counted where it matters, in the server: its descriptors go back
	# to what they were within --timeout and some slack (the client may
	# miss a close if the listen backlog overflowed and the kernel dropped
	# a handshake's last ACK).
	for _ in $(seq 100); do
		fds=$(fd_count "${PID[$s]}")
		[ "$fds" -le $((fds0 + 2)) ] && break
		sleep 0.1
	done
	if [ "$fds" -le $((fds0 + 2)) ]; then ok "$svc: ... and --timeout closed them all ($fds descriptors open, $fds0 before)"; else fail "$svc: $fds descriptors still open 10 s after 2,000 idle clients connected with --timeout 2 ($fds0 before)"; fi
	kill "$p" 2>/dev/null || true
	wait "$p" || true

	# At --max-connections: refused cleanly or served, never left hanging.
	start_service "$s-max" "$svc" --max-connections 64 --timeout 30 || { fail "$svc --max-connections 64 starts"; return; }
	"$HOSTILE" idle "$(port_of "$s-max")" 200 20 >"$out" &
	p=$!
	HOSTILE_PIDS+=("$p")
	for _ in $(seq 50); do grep -q '^connected' "$out" && break; sleep 0.1; done
	sleep 0.3
	a=$(cpu_ticks "${PID[$s-max]}")
	req GET "$s-max:/healthz" --max-time 3
	b=$(cpu_ticks "${PID[$s-max]}")
	pending_match '^(200|503)$' "$STATUS" "$svc: at --max-connections a new client gets an answer (200, or 503 problem) within 3 s" \
		"accept(2) pauses at the descriptor limit, so new clients wait in the backlog until an idle connection times out"
	if [ $((b - a)) -lt 50 ]; then ok "$svc: ... and the server does not spin while accept is paused ($((b - a)) ticks in 3 s)"; else fail "$svc: the server burned $((b - a)) CPU ticks in 3 s at the descriptor limit"; fi
	kill "$p" 2>/dev/null || true
	wait "$p" || true
	req GET "$s-max:/healthz" --max-time 5
	check_eq 200 "$STATUS" "$svc: accepting resumes once the idle clients leave"
	stop_server "$s-max"
	check_eq 0 "$EXIT" "$svc: the --max-connections instance exits 0"
}

hangups() {
	local svc=$1 s=$2 i page
	page='GET / HTTP/1.1\r\nHost: x\r\n\r\n'
	for i in $(seq 30); do
		printf '%b' "$(post_raw /api/sessions '{"user":"gone"}' | sed 's/Content-Length: [0-9]*/Content-Length: 100/')" |
			"$HOSTILE" send "$(port_of "$s")" -x 60 || true
		printf '%b' "$page$page$page" | "$HOSTILE" send "$(port_of "$s")" -r || true
		printf '%b' 'GET /metrics HTTP/1.1\r\nHost: x\r\nX-Half' | "$HOSTILE" send "$(port_of "$s")" -x 30 || true
		: "$i"
	done
	alive "$s" "$svc" "90 clients hung up mid-request or mid-response"
}

secure_defaults() {
	local svc=$1 s=$2 tok=$3 t2
	req POST "$s:/api/sessions" -H 'Content-Type: application/json' -d '{"user":"cookie"}'
	check_match '^sid=[A-Za-z0-9_.-]+; Path=/; HttpOnly; SameSite=Lax$' "$(header Set-Cookie)" "$svc: the session cookie is HttpOnly; SameSite=Lax and not Secure by default"
	check_eq no-store "$(header Cache-Control)" "$svc: session responses are Cache-Control: no-store"
	check_eq nosniff "$(header X-Content-Type-Options)" "$svc: nosniff on a success"
	req GET "$s:/api/session"
	check_eq nosniff "$(header X-Content-Type-Options)" "$svc: nosniff on an error"
	check_match '^[A-Za-z_-]+$' "$(header Server)" "$svc: the Server header carries no version"
	req GET "$s:/"
	check_match "default-src 'none'.*frame-ancestors 'none'" "$(header Content-Security-Policy)" "$svc: the page's CSP is strict"
	req GET "$s:/healthz" -H 'X-Request-Id: evil"} {"level":"error'
	if [ "$(header X-Request-Id)" != 'evil"} {"level":"error' ]; then ok "$svc: an unsafe X-Request-Id is replaced"; else fail "$svc: an unsafe X-Request-Id was echoed"; fi
	req POST "$s:/api/sessions" -H 'Content-Type: application/json' -H 'X-Request-Id: ok-id.1' -d '{"user":"x\"y"}'
	check_eq ok-id.1 "$(header X-Request-Id)" "$svc: a safe X-Request-Id is kept"
	: "$tok"

	start_service "$s-sec" "$svc" --cookie-secure || { fail "$svc --cookie-secure starts"; return; }
	req POST "$s-sec:/api/sessions" -H 'Content-Type: application/json' -d '{"user":"sec"}'
	check_match 'HttpOnly; SameSite=Lax; Secure$' "$(header Set-Cookie)" "$svc: --cookie-secure adds Secure"
	stop_server "$s-sec"

	if start_service "$s-vh" "$svc" --verbose-server-header 2>/dev/null; then
		req GET "$s-vh:/healthz"
		check_match '[0-9]+\.[0-9]+' "$(header Server)" "$svc: --verbose-server-header shows the version"
		stop_server "$s-vh"
	else
		fail "$svc: --verbose-server-header shows the version [pending #10: the flag does not exist yet]"
	fi

	if start_service "$s-rl" "$svc" --max-new-sessions-per-minute 3 2>/dev/null; then
		for _ in 1 2 3; do t2=$(login "$s-rl" rate); done
		req POST "$s-rl:/api/sessions" -H 'Content-Type: application/json' -d '{"user":"rate"}'
		check_eq "429 application/problem+json" "$STATUS $(header Content-Type)" "$svc: the 4th login in a minute from one address: 429 problem"
		check_match '^[1-9][0-9]?$' "$(header Retry-After)" "$svc: ... with Retry-After in seconds"
		req GET "$s-rl:/api/session" -H "Authorization: Bearer $t2"
		check_eq 200 "$STATUS" "$svc: ... while existing sessions keep working"
		stop_server "$s-rl"
	else
		fail "$svc: session creation is rate-limited per address (429 + Retry-After) [pending #10: --max-new-sessions-per-minute does not exist yet]"
	fi
}

database_files() {
	local s=$1 f mode
	for f in "${DB[$s]}" "${DB[$s]}-wal"; do
		[ -e "$f" ] || continue
		mode=$(stat -c %a "$f")
		pending_eq 600 "$mode" "stateful: $(basename "$f") is created 0600" "create the database and its WAL with mode 0600 (umask 077 before sqlite3_open_v2)"
	done
	mode=$(stat -c %a "$(dirname "${DB[$s]}")")
	if [ $((8#$mode & 8#002)) -eq 0 ]; then ok "stateful: the database directory is not world-writable"; else fail "stateful: the database directory is world-writable ($mode)"; fi
}

hostile() {
	local svc=$1 s=$1 tok want
	start_service "$s" "$svc" --timeout 2 || { fail "$svc starts"; return; }
	tok=$(login "$s" alice)
	req POST "$s:/api/session/counter" -H "Authorization: Bearer $tok" -H 'Content-Type: application/json' -d '{"by":5}'
	req PUT "$s:/api/session/data/k" -H "Authorization: Bearer $tok" -H 'Content-Type: application/json' -d '{"v":1}'
	state "$s" "$tok"
	want=$STATE
	check_eq '200 5 {"k":{"v":1}}' "$want" "$svc: the session under test"

	malformed "$svc" "$s"
	unchanged "$s" "$tok" "$want" "$svc" "malformed requests"
	framing "$svc" "$s" "$tok"
	unchanged "$s" "$tok" "$want" "$svc" "framing tricks"
	pipelining "$svc" "$s" "$tok"
	want='200 8 {"k":{"v":1}}'
	json_bodies "$svc" "$s" "$tok"
	credentials "$svc" "$s" "$tok"
	counter "$svc" "$s" "$tok"
	unchanged "$s" "$tok" "$want" "$svc" "hostile JSON, credentials and counter overflows"
	slow_clients "$svc" "$s"
	idle_connections "$svc" "$s"
	hangups "$svc" "$s"
	secure_defaults "$svc" "$s" "$tok"
	[ "$svc" = stateful ] && database_files "$s"
	unchanged "$s" "$tok" "$want" "$svc" "everything"

	stop_server "$s"
	check_eq 0 "$EXIT" "$svc: exits 0 on SIGTERM after all that"
	if grep -qE 'ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:' "${LOG[$s]}"; then
		fail "$svc: a sanitizer reported an error (see ${LOG[$s]})"
		grep -E -A 12 'ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:' "${LOG[$s]}" | sed 's/^/#   /' | head -n 40
	else
		ok "$svc: no sanitizer report in the log${STATELAB_SANITIZED:+ (ASan build)}"
	fi
	if grep -q 'evil"' "${LOG[$s]}"; then fail "$svc: an unsafe request id reached the log"; else ok "$svc: no unsafe request id in the log"; fi
}

for svc in ${STATELAB_SERVICES:-stateless stateful}; do
	hostile "$svc"
done
finish
