#!/usr/bin/env bash
# test_lab.sh - tools/lab end to end, checked through what tools/watch
# reports: 3 stateless pods behind round-robin lose the session on most
# requests; with sticky on it holds until the pinned pod is killed, then is
# lost once; stateful-0 killed and replaced loses nothing; every command can
# be repeated; lab down leaves no process behind.  The lab gets a directory
# and free ports of its own, and is torn down on exit.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

# shellcheck source=lab_lib.sh
. "$(dirname "$0")/lab_lib.sh"

# lab ARGS...: run tools/lab; sets OUT and RC, shows the output as comments.
lab() {
	RC=0
	OUT=$(timeout 60 "$ROOT/tools/lab" "$@" 2>&1) || RC=$?
	printf '%s\n' "$OUT" | sed "s/^/#   lab $1: /"
	note_pids
}
# watch N URL: N rounds of tools/watch; sets W to its output.
watch() {
	W=$(timeout 60 "$ROOT/tools/watch" --count "$1" --user student "$2" 2>&1) || true
	printf '%s\n' "$W" | sed 's/^/#   watch: /'
}
# lost: how many requests the watcher reported as SESSION LOST (not the summary).
lost() { grep -cE '^[0-9]{2}:[0-9]{2}:.*  SESSION LOST' <<<"$W" || true; }
pods() { (cd "$LAB/pods" 2>/dev/null && ls -d "$1"-* 2>/dev/null) | tr '\n' ' '; }

# The stateful half needs bin/stateful (issue 3); until it exists the
# stateless half runs alone and the rest says SKIP.
stateful=1
if start_service probe stateful; then
	stop_server probe
elif grep -q 'not built yet' "${LOG[probe]}"; then
	echo "# SKIP (stateful part): $STATELAB_BIN/stateful is still the placeholder (issue 3)"
	stateful=0
fi

lab up --stateless 3 --stateful "$stateful"
check_eq 0 "$RC" "lab up starts the lab"
if [ "$RC" != 0 ]; then
	finish
	exit 1
fi
check_eq 3 "$(pods stateless | wc -w)" "... with 3 stateless pods"
first_pids=$(cat "$LAB"/pods/*/pid | sort | tr '\n' ' ')
lab up
check_eq "0 $first_pids" "$RC $(cat "$LAB"/pods/*/pid | sort | tr '\n' ' ')" "lab up again changes nothing"
check_match 'already' "$OUT" "... and says so"

# Round-robin, no affinity: every request after the login lands on a pod
# that never saw the session.
watch 12 "$SL"
n=$(lost)
if [ "$n" -ge 8 ]; then ok "round-robin over 3 pods: the session is lost on most requests ($n of 11)"; else fail "round-robin: only $n of 11 requests lost the session"; fi
check_match 'instances: stateless-[a-z0-9]{5} stateless-[a-z0-9]{5} stateless-[a-z0-9]{5}$' \
	"$(tail -n 1 <<<"$W")" "... served by all 3 pods"

# Sticky: the session holds, on one pod.
lab sticky on
check_eq 0 "$RC" "lab sticky on"
lab sticky on
check_match 'already on' "$OUT" "lab sticky on again: nothing to do"
watch 8 "$SL"
check_eq 0 "$(lost)" "sticky on: no session lost"
# watch's columns: time, URL, served by, counter, result.
pinned=$(awk '$5 == "OK" || $5 == "LOGGED" { print $3 }' <<<"$W" | sort -u)
check_eq 1 "$(wc -w <<<"$pinned")" "sticky on: every request served by one pod ($pinned)"

# ... until the pinned pod dies.
"$ROOT/tools/watch" --count 20 --user student "$SL" >"$E2E_TMP/w.out" 2>&1 &
wpid=$!
sleep 1.5
lab kill "$pinned"
check_eq 0 "$RC" "lab kill $pinned"
# In place, not by a reload: a second haproxy process with a copy of the
# stick table could send the client's next request elsewhere once more.
check_match 'haproxy \(pid [0-9]+\) updated: endpoints now' "$OUT" "... haproxy's servers are changed in place"
wait "$wpid" || true
W=$(cat "$E2E_TMP/w.out")
printf '%s\n' "$W" | sed 's/^/#   watch: /'
check_eq 1 "$(lost)" "sticky: the session is lost once, when the pinned pod dies"
check_match "SESSION LOST \\(it lived on $pinned\\)" "$W" "... and the watcher names the pod it lived on"
before=$(sed -n '/SESSION LOST/q;p' <<<"$W" | awk '$5 == "OK" { print $3 }' | sort -u)
after=$(sed -n '/SESSION LOST/,$p' <<<"$W" | awk '$5 == "OK" { print $3 }' | sort -u)
check_eq "$pinned" "$before" "before the kill every request went to $pinned"
if [ -n "$after" ] && [ "$(wc -w <<<"$after")" = 1 ] && [ "$after" != "$pinned" ]; then
	ok "after it, the new session sticks to another pod ($after)"
else
	fail "after the kill: served by '$after'"
fi
now=$(pods stateless)
check_eq 3 "$(wc -w <<<"$now")" "the replica count is back to 3"
if [[ " $now " != *" $pinned "* ]]; then ok "the replacement has a new name ($now)"; else fail "$pinned is still listed"; fi
lab kill "$pinned"
check_eq 0 "$RC" "lab kill $pinned again: nothing to do"
check_match 'already killed' "$OUT" "... and says it was replaced"
lab kill no-such-pod
check_eq 1 "$RC" "lab kill of an unknown name fails"

# stateful-0 killed and replaced: same name, same file, nothing lost.
if [ "$stateful" = 1 ]; then
	gen0=$(curl -s --noproxy '*' "$SF/api/info" | jq -r .generation)
	"$ROOT/tools/watch" --count 20 --user student "$SF" >"$E2E_TMP/w.out" 2>&1 &
	wpid=$!
	sleep 1.5
	lab kill stateful-0
	check_eq 0 "$RC" "lab kill stateful-0"
	wait "$wpid" || true
	W=$(cat "$E2E_TMP/w.out")
	printf '%s\n' "$W" | sed 's/^/#   watch: /'
	check_eq 0 "$(lost)" "stateful-0 killed and replaced: no session lost"
	check_match 'kept across a restart' "$W" "... the watcher saw the restart and the session kept"
	if grep -q 'counter was' <<<"$W"; then
		fail "... but the counter jumped"
	else
		ok "... and every answer counted on from the last one"
	fi
	info=$(curl -s --noproxy '*' "$SF/api/info")
	check_eq "stateful-0 $((gen0 + 1))" "$(jq -r '"\(.instance) \(.generation)"' <<<"$info")" \
		"stateful-0 came back under its name, generation $gen0 -> $((gen0 + 1))"
else
	echo "# SKIP: stateful-0 kill and replace (no bin/stateful yet)"
fi

# Scale.
lab scale stateless 1
check_eq "0 1" "$RC $(pods stateless | wc -w)" "lab scale stateless 1"
lab scale stateless 1
check_match 'nothing to do' "$OUT" "lab scale stateless 1 again: nothing to do"
lab sticky off
watch 4 "$SL"
check_eq 0 "$(lost)" "one pod, no affinity: nothing lost"
lab status
check_eq 0 "$RC" "lab status"
check_match 'stateless-[a-z0-9]{5} +[0-9]+ +127\.0\.0\.1:[0-9]+ +yes +UP' "$OUT" "... lists the pod as ready and UP in haproxy"

# The fixes: token and remote sessions survive round-robin and kills.
if [ "$stateful" = 1 ]; then
	lab scale stateless 3
	for mode in token remote; do
		# A client polls the Service all through the rollout (400 requests
		# at most, stopped by a file).
		rm -f "$E2E_TMP/stop"
		for ((i = 0; i < 400; i++)); do
			[ -e "$E2E_TMP/stop" ] && break
			curl -s --noproxy '*' -o /dev/null -w '%{http_code}\n' --max-time 2 "$SL/healthz" || true
			sleep 0.02
		done >"$E2E_TMP/codes" &
		poller=$!
		lab up --sessions "$mode"
		touch "$E2E_TMP/stop"
		wait "$poller" || true
		check_match "sessions +stateless: $mode" "$OUT" "lab up --sessions $mode rolls the stateless pods"
		check_match 'haproxy \(pid [0-9]+\) updated: endpoints now' "$OUT" "... and haproxy's servers are changed in place"
		check_eq "" "$(grep -v '^200$' "$E2E_TMP/codes" | sort | uniq -c)" \
			"... new pods join the Service before old ones leave: $(wc -l <"$E2E_TMP/codes") requests during the rollout, all 200"
		# 30 requests at most: a pod briefly out of rotation (a slow health
		# check on a busy machine) is fine, a pod never reached is not.
		seen=''
		for ((i = 0; i < 30; i++)); do
			by=$(curl -s --noproxy '*' -D - -o /dev/null "$SL/healthz" | tr -d '\r' | awk 'tolower($1) == "x-served-by:" { print $2 }')
			[[ " $seen " == *" $by "* ]] || seen+=" $by"
			[ "$(wc -w <<<"$seen")" -ge 3 ] && break
			sleep 0.05
		done
		check_eq 3 "$(wc -w <<<"$seen")" "... and round-robin reaches each of the 3 new pods ($seen )"
		# One session, one watcher, and a pod killed in the middle.
		"$ROOT/tools/watch" --count 16 --user student "$SL" >"$E2E_TMP/w.out" 2>&1 &
		wpid=$!
		sleep 1.2
		lab kill "$(pods stateless | cut -d' ' -f1)"
		wait "$wpid" || true
		W=$(cat "$E2E_TMP/w.out")
		printf '%s\n' "$W" | sed 's/^/#   watch: /'
		check_eq 0 "$(lost)" "$mode sessions: round-robin over 3 pods, one killed mid-way: nothing lost"
		check_match '16 requests: 1[56] OK' "$W" "... and (nearly) every request answered OK"
	done
	lab up --sessions memory
	lab scale stateless 1
fi

# Endpoints changed in place all along: haproxy never fell over doing it.
check_eq "" "$(grep -E 'exit-on-failure|Segmentation|Aborted' "$LAB/haproxy/haproxy.log")" \
	"haproxy ran through every change without a crash"

# Down: nothing left.
lab down
check_eq 0 "$RC" "lab down"
sleep 0.2
left=''
for p in $SEEN; do running "$p" && left+=" $p"; done
check_eq "" "$left" "lab down leaves no process behind ($(wc -w <<<"$SEEN") pids checked)"
lab down
check_match 'not running' "$OUT" "lab down again: nothing to stop"

# A fresh lab straight into remote mode: the stateless pods are ready only
# once the stateful Service answers, so it must be up before they start.
if [ "$stateful" = 1 ]; then
	lab up --sessions remote
	check_eq 0 "$RC" "lab up --sessions remote on a fresh lab"
	check_match 'sessions +stateless: remote' "$OUT" "... its pods ready in remote mode"
	lab down
	check_eq 0 "$RC" "... and down again"
fi
finish
