#!/usr/bin/env bash
# test_lifecycle.sh - what the workshop is about, for real processes:
# SIGKILL and restart (stateless loses the session, stateful keeps it),
# graceful SIGTERM drain, expiry, limits and start-up failures.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

# kill -9 and restart the way Kubernetes would: stateless as a fresh
# process, stateful on the same database file.
kill_and_restart() {
	local svc=$1 s=$1 tok boot gen
	start_service "$s" "$svc" || { fail "$svc starts"; return; }
	tok=$(login "$s" alice)
	for _ in 1 2 3; do req POST "$s:/api/session/counter" -b "sid=$tok"; done
	check_eq 3 "$(json .counter)" "$svc: counter at 3 before the kill"
	req GET "$s:/api/info"
	boot=$(json .boot_id)
	gen=$(json '.generation // 0')
	stop_server "$s" KILL
	check_eq 137 "$EXIT" "$svc: SIGKILL ends the process"
	start_service "$s" "$svc" || { fail "$svc restarts"; return; }
	req GET "$s:/api/info"
	if [ "$(json .boot_id)" != "$boot" ]; then ok "$svc: a new boot_id after restart"; else fail "$svc: boot_id unchanged"; fi
	req GET "$s:/api/session" -b "sid=$tok"
	if [ "$svc" = stateless ]; then
		check_eq 401 "$STATUS" "stateless: the session is gone after SIGKILL"
		check_match 'session-not-found$' "$(json .type)" "stateless: ... session-not-found"
	else
		check_eq "200 3" "$STATUS $(json .counter)" "stateful: the session and counter survive SIGKILL"
		req GET "$s:/api/info"
		check_eq $((gen + 1)) "$(json .generation)" "stateful: generation went up by one"
	fi
	stop_server "$s"
	check_eq 0 "$EXIT" "$svc: exits 0 on SIGTERM after the restart"
}

drain() {
	local svc=$1 s="$1-drain" t0 elapsed slow
	start_service "$s" "$svc" --drain-delay 2 || { fail "$svc starts"; return; }
	# A request whose body is still arriving when SIGTERM comes.
	{
		printf 'POST /api/sessions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 16\r\nConnection: close\r\n\r\n{"user":'
		sleep 1
		printf '"alice"}'
		sleep 1
	} | curl -s --max-time 5 \
		"telnet://${URL[$s]#http://}" >"$E2E_TMP/slow.out" 2>&1 &
	slow=$!
	sleep 0.3
	t0=$(date +%s%N)
	kill -TERM "${PID[$s]}"
	sleep 0.2
	req GET "$s:/readyz"
	check_eq 503 "$STATUS" "$svc: /readyz is 503 at once after SIGTERM"
	check_match 'draining$' "$(json .type)" "$svc: ... of type draining"
	req GET "$s:/api/info"
	check_eq 200 "$STATUS" "$svc: still serving during --drain-delay"
	check_eq close "$(header Connection)" "$svc: ... with Connection: close"
	wait "$slow" || true
	if grep -q 'HTTP/1.1 201' "$E2E_TMP/slow.out"; then ok "$svc: the in-flight request completed"; else fail "$svc: the in-flight request was cut: $(cat "$E2E_TMP/slow.out")"; fi
	stop_server "$s" 0
	elapsed=$((($(date +%s%N) - t0) / 1000000))
	check_eq 0 "$EXIT" "$svc: drained and exited 0"
	if [ "$elapsed" -ge 1500 ]; then ok "$svc: waited for the drain delay"; else fail "$svc: exited after ${elapsed} ms, before the drain delay"; fi
	check_match '"msg":"drain finished"' "$(cat "${LOG[$s]}")" "$svc: logged the drain"
}

limits() {
	local svc=$1 s="$1-limits" tok
	start_service "$s" "$svc" --session-ttl 1 --max-sessions 2 || { fail "$svc starts"; return; }
	tok=$(login "$s" alice)
	login "$s" bob >/dev/null
	req POST "$s:/api/sessions" -H 'Content-Type: application/json' -d '{"user":"carol"}'
	check_eq 503 "$STATUS" "$svc: beyond --max-sessions: 503"
	check_match 'session-table-full$' "$(json .type)" "$svc: ... of type session-table-full"
	check_eq 5 "$(header Retry-After)" "$svc: ... with Retry-After"
	sleep 1.3
	req GET "$s:/api/session" -b "sid=$tok"
	check_eq 401 "$STATUS" "$svc: a session unused for longer than --session-ttl is refused"
	check_match 'session-(expired|not-found)$' "$(json .type)" "$svc: ... as expired"
	sleep 1.2
	req GET "$s:/api/info"
	check_eq 0 "$(json .sessions)" "$svc: the sweep removed expired sessions"
	stop_server "$s"
}

startup_errors() {
	local svc=$1 out rc
	rc=0
	out=$("$STATELAB_BIN/$svc" --max-sessions lots 2>&1) || rc=$?
	check_eq 2 "$rc" "$svc: a bad value exits 2"
	check_match "^$svc: --max-sessions: 'lots'" "$out" "$svc: ... naming the flag and the value"
	rc=0
	out=$(STATELAB_TIMEOUT=-1 "$STATELAB_BIN/$svc" 2>&1) || rc=$?
	check_eq 2 "$rc" "$svc: a bad environment value exits 2"
	check_match 'STATELAB_TIMEOUT' "$out" "$svc: ... naming the variable"
	rc=0
	"$STATELAB_BIN/$svc" --version >/dev/null || rc=$?
	check_eq 0 "$rc" "$svc: --version exits 0"
	start_service "$svc-port" "$svc" || { fail "$svc starts"; return; }
	rc=0
	out=$("$STATELAB_BIN/$svc" --listen "${URL[$svc-port]#http://}" --db "$E2E_TMP/other.db" 2>&1) || rc=$?
	[ "$svc" = stateless ] && { rc=0; out=$("$STATELAB_BIN/$svc" --listen "${URL[$svc-port]#http://}" 2>&1) || rc=$?; }
	check_eq 1 "$rc" "$svc: a port in use exits 1"
	check_match 'cannot listen on' "$out" "$svc: ... saying it cannot listen"
	stop_server "$svc-port"
}

for svc in ${STATELAB_SERVICES:-stateless stateful}; do
	kill_and_restart "$svc"
	drain "$svc"
	limits "$svc"
	startup_errors "$svc"
done
finish
