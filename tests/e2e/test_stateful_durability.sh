#!/usr/bin/env bash
# test_stateful_durability.sh - the stateful service loses no acknowledged
# write when it is SIGKILLed at random moments: several clients increment
# their own counters while the server is killed and restarted on the same
# file, again and again, with --sync normal and with --sync full.  After
# that every counter is >= what was acknowledged and <= what was sent,
# and PRAGMA integrity_check says ok.
#   DURABILITY_KILLS (20 per mode), DURABILITY_CLIENTS (4)
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

KILLS=${DURABILITY_KILLS:-20}
CLIENTS=${DURABILITY_CLIENTS:-4}
root=$(cd "$(dirname "$0")/../.." && pwd)

if ! command -v sqlite3 >/dev/null 2>&1; then
	"$root/tools/deps" sqlite3 >/dev/null 2>&1 || true
fi
if ! command -v sqlite3 >/dev/null 2>&1; then
	echo "SKIP: the sqlite3 shell is missing and could not be installed (apt-get install sqlite3)"
	exit 77
fi

# client N TOKEN URL: increment by 1 until $E2E_TMP/stop exists.  Before
# each request "sent" is written, after each 200 "acked" and the counter
# that answer showed.
client() {
	local n=$1 tok=$2 url=$3 sent=0 acked=0 out
	while [ ! -e "$E2E_TMP/stop" ]; do
		sent=$((sent + 1))
		echo "$sent" >"$E2E_TMP/c$n.sent"
		out=$(curl -s --max-time 3 -w ' %{http_code}' -X POST \
			-H "Authorization: Bearer $tok" "$url/api/session/counter" 2>/dev/null) || out=" 000"
		if [[ $out == *" 200" && $out =~ \"counter\":([0-9]+) ]]; then
			acked=$((acked + 1))
			echo "$acked ${BASH_REMATCH[1]}" >"$E2E_TMP/c$n.acked"
		else
			sleep 0.02 # down: do not spin while it restarts
		fi
	done
}

# info NAME: "generation boot_id" from /api/info of server NAME.
info() {
	req GET "$1:/api/info"
	json '"\(.generation) \(.boot_id)"'
}

durability() {
	local sync=$1
	local name="dur-$sync" port i k tok gen gen2 boot boot2 bad=0 lost=0 fresh=0
	local -a toks=() cpids=()
	local sent acked last final total_acked
	DB[$name]="$E2E_TMP/$sync/stateful.db"
	start_service "$name" stateful --sync "$sync" || { fail "$sync: starts"; return; }
	port=${URL[$name]##*:}

	for i in $(seq 1 "$CLIENTS"); do
		tok=$(login "$name" "client$i")
		toks+=("$tok")
		echo "0" >"$E2E_TMP/c$i.sent"
		echo "0 0" >"$E2E_TMP/c$i.acked"
	done
	rm -f "$E2E_TMP/stop"
	for i in $(seq 1 "$CLIENTS"); do
		client "$i" "${toks[$((i - 1))]}" "${URL[$name]}" &
		cpids+=($!)
	done

	read -r gen boot < <(info "$name")
	for k in $(seq 1 "$KILLS"); do
		# A random moment: 50..449 ms of traffic, then SIGKILL.
		sleep "0.$(printf '%03d' $((RANDOM % 400 + 50)))"
		stop_server "$name" KILL
		[ "$EXIT" = 137 ] || bad=$((bad + 1))
		# start_server reads the log for "listening": not the old one.
		: >"${LOG[$name]}"
		start_service "$name" stateful --sync "$sync" --listen "127.0.0.1:$port" ||
			{ fail "$sync: restart $k after SIGKILL"; break; }
	done
	# Each open of the same file counted once; a new process answers.
	read -r gen2 boot2 < <(info "$name")
	if [ "$gen2" != $((gen + KILLS)) ] || [ "$boot2" = "$boot" ]; then
		fresh=1
		echo "# after $KILLS restarts: generation '$gen2' (want $((gen + KILLS))), boot_id '$boot2' (was $boot)"
	fi
	touch "$E2E_TMP/stop"
	wait "${cpids[@]}" 2>/dev/null || true
	check_eq 0 "$bad" "$sync: $KILLS SIGKILLs, each ending the process (137)"
	check_eq 0 "$fresh" "$sync: a new boot_id, and generation + $KILLS on the same file: each restart counted once"

	total_acked=0
	for i in $(seq 1 "$CLIENTS"); do
		sent=$(cat "$E2E_TMP/c$i.sent")
		read -r acked last <"$E2E_TMP/c$i.acked"
		req GET "$name:/api/session" -H "Authorization: Bearer ${toks[$((i - 1))]}"
		final=$(json .counter)
		total_acked=$((total_acked + acked))
		if [ "$STATUS" != 200 ] || [ "$final" -lt "$acked" ] || [ "$final" -lt "$last" ] ||
			[ "$final" -gt "$sent" ]; then
			lost=$((lost + 1))
			echo "# client$i: status $STATUS counter $final, acknowledged $acked (last seen $last), sent $sent"
		fi
	done
	check_eq 0 "$lost" "$sync: every counter is >= its acknowledged increments and <= those sent ($total_acked acknowledged)"
	if [ "$total_acked" -ge $((CLIENTS * 10)) ]; then
		ok "$sync: the clients got through between kills"
	else
		fail "$sync: only $total_acked increments were acknowledged"
	fi

	# The last kill leaves a WAL to recover: check the file as it is.
	stop_server "$name" KILL
	: >"${LOG[$name]}"
	check_eq ok "$(sqlite3 "${DB[$name]}" 'PRAGMA integrity_check')" "$sync: PRAGMA integrity_check after SIGKILL"
	check_eq "$CLIENTS" "$(sqlite3 "${DB[$name]}" 'SELECT sessions FROM meta')" "$sync: the session count kept in meta is exact"
	start_service "$name" stateful --sync "$sync" || { fail "$sync: restarts after the check"; return; }
	req GET "$name:/api/info"
	check_eq "$CLIENTS" "$(json .sessions_found_at_start)" "$sync: the restart found every session"
	stop_server "$name"
	check_eq 0 "$EXIT" "$sync: SIGTERM drains and exits 0"
	check_match 'wal_checkpoint\(TRUNCATE\)' "$(cat "${LOG[$name]}")" "$sync: the WAL was checkpointed at close"
}

t0=$SECONDS
durability normal
durability full
echo "# $((KILLS * 2)) SIGKILLs in $((SECONDS - t0)) s"
finish
