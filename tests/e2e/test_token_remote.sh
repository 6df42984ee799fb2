#!/usr/bin/env bash
# test_token_remote.sh - stateless done right (issue 7), for real processes:
# three stateless instances in token mode, then three in remote mode behind
# one stateful, killed and replaced at random while a client increments
# through a round-robin "load balancer" (this script) - no session lost,
# the counter never goes backwards; the token checks (tampered, expired,
# alg none, RS256, rotated keys, too big, no secret); the remote store down
# (503 naming it within the timeout, /readyz 503) and back (recovery);
# three stateful pods, each its own file: a request at the wrong pod gets
# 421 naming the owner, and with --peer-url-template it is forwarded.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

for tool in curl jq base64; do
	command -v "$tool" >/dev/null || { echo "SKIP: $tool is not installed"; exit 77; }
done

K1="$E2E_TMP/k1" K2="$E2E_TMP/k2"
head -c 48 /dev/urandom | base64 -w0 >"$K1"
head -c 48 /dev/urandom | base64 -w0 >"$K2"

# b64url TEXT: base64url without padding, as JWTs are encoded.
b64url() {
	printf '%s' "$1" | base64 -w0 | tr '+/' '-_' | tr -d '='
}

# ---------------------------------------------------------------------------
# The round-robin client: POOL holds the instances a "Service" sends to.
POOL=()
RR=0
NEXT_ID=0
TOKEN=""
COUNTER=0
ACKED=0
LOST=0
BACKWARDS=0
EXTRA=()

# incr_rr: one increment through the pool.  A refused or failed request
# (instance just killed) is retried on the next one, like a load balancer
# whose health check has not caught up yet; it was not acknowledged.
incr_rr() {
	local tries name got
	for tries in 1 2 3 4 5 6; do
		name=${POOL[$((RR % ${#POOL[@]}))]}
		RR=$((RR + 1))
		req POST "$name:/api/session/counter" -H "Authorization: Bearer $TOKEN" --max-time 5
		case $STATUS in
		200) ;;
		401)
			LOST=$((LOST + 1))
			echo "# $name: $(json .detail)"
			return 1
			;;
		*) continue ;;
		esac
		got=$(json .counter)
		if [ "$got" -le "$COUNTER" ]; then
			BACKWARDS=$((BACKWARDS + 1))
			echo "# $name answered counter $got after $COUNTER"
		fi
		COUNTER=$got
		ACKED=$((ACKED + 1))
		# Token mode: every answer carries the newest token.
		if [ "$(json '.token // empty')" != "" ]; then TOKEN=$(json .token); fi
		return 0
	done
	: "$tries"
	echo "# no instance answered after 6 tries (last status $STATUS)"
	return 1
}

# chaos PREFIX ROUNDS ARGS...: increment ROUNDS times; every 8th request
# starts a SIGKILL of a random instance that lands while requests are in
# flight, and 3 requests later the victim is replaced by a new instance
# (a new name, like a Deployment's pod) started with ARGS.
chaos() {
	local prefix=$1 rounds=$2 i victim="" killer="" idx new kills=0
	shift 2
	for ((i = 1; i <= rounds; i++)); do
		if [ $((i % 8)) -eq 4 ]; then
			idx=$((RANDOM % ${#POOL[@]}))
			victim=${POOL[$idx]}
			(sleep "0.0$((RANDOM % 9 + 1))" && kill -KILL "${PID[$victim]}") &
			killer=$!
		fi
		incr_rr || break
		if [ $((i % 8)) -eq 7 ] && [ -n "$victim" ]; then
			wait "$killer" || true
			stop_server "$victim" KILL
			kills=$((kills + 1))
			NEXT_ID=$((NEXT_ID + 1))
			new="$prefix-r$NEXT_ID"
			start_service "$new" stateless --instance "$new" "$@" || { fail "$new starts"; return; }
			wait_ready "$new"
			for idx in "${!POOL[@]}"; do
				[ "${POOL[$idx]}" = "$victim" ] && POOL[idx]=$new
			done
			victim=""
		fi
	done
	check_eq "$rounds" "$ACKED" "$prefix: every increment was acknowledged ($kills instances killed and replaced)"
	check_eq 0 "$LOST" "$prefix: no session was lost"
	check_eq 0 "$BACKWARDS" "$prefix: the counter never went backwards"
	EXTRA+=("$kills")
}

# wait_ready NAME: until /readyz is 200 (at most 5 s).
wait_ready() {
	local i
	for i in $(seq 1 100); do
		req GET "$1:/readyz"
		[ "$STATUS" = 200 ] && return 0
		sleep 0.05
	done
	: "$i"
	fail "$1: /readyz did not turn 200 within 5 s ($STATUS)"
	return 1
}

# ---------------------------------------------------------------------------
token_chaos() {
	local n
	POOL=()
	for n in 1 2 3; do
		start_service "tok-$n" stateless --sessions token --token-secret-file "$K1" || { fail "tok-$n starts"; return; }
		POOL+=("tok-$n")
	done
	req POST tok-1:/api/sessions -H 'Content-Type: application/json' -d '{"user":"alice"}'
	TOKEN=$(json .token)
	check_eq 201 "$STATUS" "token: login"
	check_match '^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$' "$TOKEN" "token: the credential is a JWT"
	COUNTER=0 ACKED=0 LOST=0 BACKWARDS=0
	chaos tok 48 --sessions token --token-secret-file "$K1"
	check_eq 48 "$COUNTER" "token: the counter is exactly the acknowledged increments"
	for n in "${POOL[@]}"; do stop_server "$n"; done
}

token_checks() {
	local tok payload head forged big i by_k2 out rc
	start_service tc stateless --sessions token --token-secret-file "$K1" || { fail "tc starts"; return; }
	tok=$(login tc bob)
	req GET tc:/api/session -b "sid=$tok"
	check_eq 200 "$STATUS" "token: the cookie works"
	check_match '^sid=ey' "$(header Set-Cookie)" "token: every use re-sets the cookie"
	req GET tc:/api/info
	check_eq null "$(json .sessions)" "token: /api/info cannot count sessions (null)"

	payload=$(b64url '{"counter":1000,"created_at":1,"created_by":"tc","data":{},"exp":4102444800,"iat":1,"iss":"tc","sub":"bob"}')
	forged="${tok%%.*}.$payload.${tok##*.}"
	req GET tc:/api/session -H "Authorization: Bearer $forged"
	check_eq "401 invalid-credential" "$STATUS $(json .type | sed 's,.*/,,')" "token: a tampered payload is refused"
	check_match 'signature does not match' "$(json .detail)" "token: ... saying the signature does not match"

	head=$(b64url '{"alg":"none","typ":"JWT"}')
	req GET tc:/api/session -H "Authorization: Bearer $head.$payload."
	check_eq 401 "$STATUS" "token: alg none is refused"
	check_match 'unsigned \(alg "none"\)' "$(json .detail)" "token: ... saying it is unsigned"

	head=$(b64url '{"alg":"RS256","typ":"JWT"}')
	req GET tc:/api/session -H "Authorization: Bearer $head.$payload.${tok##*.}"
	check_eq 401 "$STATUS" "token: an RS256-headed token is refused"
	check_match '"RS256", not HS256' "$(json .detail)" "token: ... naming RS256"

	req GET tc:/api/session -H "Authorization: Bearer AAAAAAAAAAAAAAAAAAAAAA"
	check_match 'not a JWT' "$(json .detail)" "token: an opaque token is not a JWT"

	# A string holding U+0000: JSON allows it, libjwt cannot carry it.
	req PUT tc:/api/session/data/nul -H "Authorization: Bearer $tok" \
		-H 'Content-Type: application/json' -d '"a\u0000b"'
	check_eq 422 "$STATUS" "token: a string holding \\u0000 is refused (422)"
	check_match 'U\+0000' "$(json .detail)" "token: ... saying why"
	req GET tc:/api/session -H "Authorization: Bearer $tok"
	check_eq 200 "$STATUS" "token: ... and the token is still good"

	# Too big for a cookie: 413 that says why, the last token still good.
	big=$(printf '"%01500d"' 0)
	for i in 1 2 3; do
		req PUT "tc:/api/session/data/k$i" -H "Authorization: Bearer $tok" \
			-H 'Content-Type: application/json' -d "$big"
		[ "$STATUS" = 200 ] && tok=$(json .token)
		[ "$STATUS" = 200 ] || break
	done
	check_eq 413 "$STATUS" "token: data that would overflow the cookie is refused"
	check_match '4 KiB' "$(json .detail)" "token: ... saying the cookie must stay under 4 KiB"
	req GET tc:/api/session -H "Authorization: Bearer $tok"
	check_eq 200 "$STATUS" "token: the last token is still good"
	check_match '^sid=.{100,3900}; ' "$(header Set-Cookie)" "token: its cookie is under 4 KiB"

	# Logout clears the cookie but cannot revoke the token.
	req DELETE tc:/api/session -H "Authorization: Bearer $tok"
	check_eq 204 "$STATUS" "token: logout answers 204"
	check_match 'Max-Age=0' "$(header Set-Cookie)" "token: ... and clears the cookie"
	req GET tc:/api/session -H "Authorization: Bearer $tok"
	check_eq 200 "$STATUS" "token: a kept copy still works until exp (no server-side logout)"

	# Rotation: k2 signs, k1 still verifies; an instance with only k2
	# refuses k1 tokens, one with only k1 refuses k2 tokens.
	start_service rot stateless --sessions token --token-secret-file "$K2" --token-secret-file "$K1" || { fail "rot starts"; return; }
	start_service new stateless --sessions token --token-secret-file "$K2" || { fail "new starts"; return; }
	tok=$(login tc carol)
	req POST rot:/api/session/counter -H "Authorization: Bearer $tok"
	check_eq 200 "$STATUS" "token: during rotation a token signed with the old key is accepted"
	by_k2=$(json .token)
	req POST tc:/api/session/counter -H "Authorization: Bearer $by_k2"
	check_eq 401 "$STATUS" "token: an instance without the new key refuses a re-signed token"
	req POST new:/api/session/counter -H "Authorization: Bearer $by_k2"
	check_eq "200 2" "$STATUS $(json .counter)" "token: after rotation the new key carries the session on"
	req GET new:/api/session -H "Authorization: Bearer $tok"
	check_eq 401 "$STATUS" "token: once the old key is retired its tokens are refused"
	check_match 'key this server does not hold' "$(json .detail)" "token: ... saying the key is unknown"

	# Expiry.
	start_service short stateless --sessions token --token-secret-file "$K1" --session-ttl 1 || { fail "short starts"; return; }
	tok=$(login short dave)
	sleep 2.1
	req GET short:/api/session -H "Authorization: Bearer $tok"
	check_eq "401 session-expired" "$STATUS $(json .type | sed 's,.*/,,')" "token: an expired token is refused as expired"
	check_match 'expired at 20' "$(json .detail)" "token: ... saying when it expired"
	for n in tc rot new short; do stop_server "$n"; done

	# Secrets.
	rc=0
	out=$("$STATELAB_BIN/stateless" --sessions token 2>&1) || rc=$?
	check_eq 2 "$rc" "token: no secret: exit 2"
	check_match 'needs a signing key' "$out" "token: ... saying a key is needed"
	printf 'too-short\n' >"$E2E_TMP/short"
	rc=0
	out=$("$STATELAB_BIN/stateless" --sessions token --token-secret-file "$E2E_TMP/short" 2>&1) || rc=$?
	check_eq 2 "$rc" "token: a short secret: exit 2"
	check_match 'at least 32' "$out" "token: ... saying at least 32 bytes"
	start_service dev stateless --sessions token --insecure-dev-secret || { fail "dev starts"; return; }
	check_match 'insecure-dev-secret.*forge' "$(cat "${LOG[dev]}")" "token: --insecure-dev-secret starts with a warning"
	stop_server dev
}

# ---------------------------------------------------------------------------
remote_chaos() {
	local n
	start_service store-0 stateful || { fail "store-0 starts"; return; }
	POOL=()
	for n in 1 2 3; do
		start_service "rem-$n" stateless --sessions remote --store-url "${URL[store-0]}" || { fail "rem-$n starts"; return; }
		wait_ready "rem-$n"
		POOL+=("rem-$n")
	done
	req POST rem-1:/api/sessions -H 'Content-Type: application/json' -d '{"user":"erin"}'
	TOKEN=$(json .token)
	check_eq 201 "$STATUS" "remote: login through a stateless instance"
	check_eq store-0 "$(header X-Store-Instance)" "remote: X-Store-Instance names the store"
	check_eq rem-1 "$(header X-Served-By)" "remote: X-Served-By names the stateless instance"
	check_eq "rem-1 store-0" "$(json '.served_by.instance + " " + .served_by.store_instance')" "remote: served_by shows both"
	COUNTER=0 ACKED=0 LOST=0 BACKWARDS=0
	chaos rem 48 --sessions remote --store-url "${URL[store-0]}"
	req GET store-0:/api/session -H "Authorization: Bearer $TOKEN"
	# A write whose answer was lost with its instance may have been
	# applied: at least every acknowledged one, at most one more per kill.
	if [ "$(json .counter)" -ge "$COUNTER" ] && [ "$(json .counter)" -le $((COUNTER + ${EXTRA[-1]})) ]; then
		ok "remote: the store holds every acknowledged increment ($(json .counter) >= $COUNTER)"
	else
		fail "remote: the store holds $(json .counter), acknowledged $COUNTER"
	fi
}

remote_down() {
	local t0 ms port n i
	n=${POOL[0]}
	req GET "$n:/api/info"
	check_eq true "$(json .remote.ready)" "remote: /api/info shows the store ready"
	port=${URL[store-0]##*:}
	stop_server store-0 KILL
	t0=$(date +%s%N)
	req GET "$n:/api/session" -H "Authorization: Bearer $TOKEN"
	ms=$((($(date +%s%N) - t0) / 1000000))
	check_eq 503 "$STATUS" "remote: store down: 503"
	check_match "session store at ${URL[store-0]} does not answer" "$(json .detail)" "remote: ... naming the store"
	check_eq 1 "$(header Retry-After)" "remote: ... with Retry-After"
	if [ "$ms" -lt 2500 ]; then ok "remote: ... within the timeout (${ms} ms)"; else fail "remote: took ${ms} ms"; fi
	for i in $(seq 1 40); do
		req GET "$n:/readyz"
		[ "$STATUS" = 503 ] && break
		sleep 0.1
	done
	: "$i"
	check_eq 503 "$STATUS" "remote: /readyz follows the store: 503"

	# Back on the same address and the same file: recovery, nothing lost.
	start_service store-0 stateful --listen "127.0.0.1:$port" || { fail "store-0 restarts"; return; }
	wait_ready "$n"
	req GET "$n:/api/session" -H "Authorization: Bearer $TOKEN"
	check_eq 200 "$STATUS" "remote: the store is back: the session is served again"
	if [ "$(json .counter)" -ge "$COUNTER" ]; then ok "remote: ... with its counter intact"; else fail "remote: counter $(json .counter) < $COUNTER"; fi

	# A store that hangs (SIGSTOP): an answer within the timeout anyway.
	kill -STOP "${PID[store-0]}"
	t0=$(date +%s%N)
	req POST "$n:/api/session/counter" -H "Authorization: Bearer $TOKEN"
	ms=$((($(date +%s%N) - t0) / 1000000))
	kill -CONT "${PID[store-0]}"
	check_eq 503 "$STATUS" "remote: a store that hangs: 503"
	check_match 'no answer within 2000 ms' "$(json .detail)" "remote: ... saying it timed out"
	if [ "$ms" -lt 3000 ]; then ok "remote: ... after the 2 s deadline, not a hang (${ms} ms)"; else fail "remote: took ${ms} ms"; fi
	wait_ready "$n"
	req GET "$n:/api/session" -H "Authorization: Bearer $TOKEN"
	check_eq 200 "$STATUS" "remote: served again once the store resumes"

	stop_server "$n"
	check_eq 0 "$EXIT" "remote: a stateless instance drains and exits 0"
	rc=0
	"$STATELAB_BIN/stateless" --sessions remote >/dev/null 2>&1 || rc=$?
	check_eq 2 "$rc" "remote: no --store-url: exit 2"
}

# ---------------------------------------------------------------------------
# A scaled StatefulSet on one machine: pods named after loopback addresses
# of their own (all of 127/8 is loopback on Linux), so the template
# http://%s:PORT reaches each pod by its name, as
# http://%s.stateful-headless:8082 does in a cluster.
start_pods() {
	local n
	for n in 1 2 3; do
		start_service "pod-$n" stateful --listen "127.0.0.1$n:$PORT" \
			--instance "127.0.0.1$n" "$@" || return 1
	done
}

stop_pods() {
	local n
	for n in 1 2 3; do
		[ -n "${PID[pod-$n]:-}" ] && stop_server "pod-$n"
	done
	return 0
}

scaled() {
	local tok i c prev
	for i in 1 2 3 4 5; do
		PORT=$((20000 + RANDOM % 30000))
		start_pods && break
		stop_pods
	done
	[ -n "${PID[pod-3]:-}" ] || { fail "scaled: three pods start"; return; }
	req POST pod-2:/api/sessions -H 'Content-Type: application/json' -d '{"user":"frank"}'
	tok=$(json .token)
	if [[ $tok == *.127.0.0.12 ]]; then
		ok "scaled: the credential names the pod that owns it"
	else
		fail "scaled: the credential '$tok' does not name its owner (is stateful/main.c wrapping its store with owner_store_wrap?)"
		stop_pods
		return
	fi
	req POST pod-2:/api/session/counter -H "Authorization: Bearer $tok"
	req GET pod-1:/api/session -H "Authorization: Bearer $tok"
	check_eq "421 misdirected-request" "$STATUS $(json .type | sed 's,.*/,,')" "scaled: at the wrong pod: 421"
	check_match 'belongs to 127\.0\.0\.12, and this is 127\.0\.0\.11' "$(json .detail)" "scaled: ... naming the owner"

	# The same pods, the same files, now forwarding to the owner.
	stop_pods
	start_pods --peer-url-template "http://%s:$PORT" || { fail "scaled: pods restart with --peer-url-template"; return; }
	req GET pod-1:/api/session -H "Authorization: Bearer $tok"
	check_eq "200 1" "$STATUS $(json .counter)" "scaled: forwarded to the owner and answered"
	check_eq "127.0.0.11 127.0.0.12" "$(header X-Served-By) $(header X-Store-Instance)" "scaled: X-Served-By is the pod asked, X-Store-Instance the owner"
	prev=1
	c=0
	for i in $(seq 1 30); do
		req POST "pod-$((i % 3 + 1)):/api/session/counter" -H "Authorization: Bearer $tok"
		[ "$STATUS" = 200 ] && [ "$(json .counter)" -gt "$prev" ] && c=$((c + 1))
		prev=$(json .counter)
	done
	check_eq 30 "$c" "scaled: round-robin over three pods: every increment lands on the owner"
	req GET pod-2:/api/session -H "Authorization: Bearer $tok"
	check_eq 31 "$(json .counter)" "scaled: the owner holds them all"

	stop_server pod-2 KILL
	req GET pod-3:/api/session -H "Authorization: Bearer $tok"
	check_eq 503 "$STATUS" "scaled: owner down: 503"
	check_match "http://127\.0\.0\.12:$PORT does not answer" "$(json .detail)" "scaled: ... naming the owner's address"
	start_service pod-2 stateful --listen "127.0.0.12:$PORT" --instance 127.0.0.12 \
		--peer-url-template "http://%s:$PORT" || { fail "scaled: pod-2 restarts"; return; }
	req GET pod-3:/api/session -H "Authorization: Bearer $tok"
	check_eq "200 31" "$STATUS $(json .counter)" "scaled: the owner is back on its volume: nothing lost"
	stop_pods
}

token_chaos
token_checks
remote_chaos
remote_down
scaled
# Under `make asan` a sanitizer report would land in a server's log.
if grep -l 'Sanitizer\|runtime error:' "$E2E_TMP"/*.log >/dev/null 2>&1; then
	fail "a sanitizer reported: $(grep -l 'Sanitizer\|runtime error:' "$E2E_TMP"/*.log | tr '\n' ' ')"
else
	ok "no sanitizer report in any server's log"
fi
finish
