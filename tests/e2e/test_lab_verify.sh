#!/usr/bin/env bash
# test_lab_verify.sh - the self-checking labs (tools/lab verify ACT) of the
# local workshop acts, run for real: act 1 against the binaries; act 2 and
# act 4 (token, then remote) against a lab of their own (own directory, own
# free ports, torn down on exit); act 5 against three stateful pods on
# loopback addresses of their own, first answering 421, then forwarding;
# act 3 says SKIP (exit 77) when no cluster answers.  Each act must also
# fail, with a "fix:" line, when the environment is not what the act needs.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

# shellcheck source=lab_lib.sh
. "$(dirname "$0")/lab_lib.sh"
export NO_COLOR=1

# run CMD...: sets OUT and RC; shows the output as comments.
run() {
	RC=0
	OUT=$(timeout 90 "$@" 2>&1) || RC=$?
	printf '%s\n' "$OUT" | sed 's/^/#   /'
	note_pids
}
verify() { run "$ROOT/tools/lab" verify "$@"; }
lab() { run "$ROOT/tools/lab" "$@"; }
# verify_ok ACT [ARGS...]: the act passes with no FAIL line.
verify_ok() {
	local what=$1
	shift
	verify "$@"
	if [ "$RC" = 0 ] && [[ $OUT =~ all\ [0-9]+\ checks\ passed ]] && [[ $OUT != *FAIL* ]]; then
		ok "$what"
	else
		fail "$what (exit $RC)"
	fi
}
# verify_fix REGEX ACT [ARGS...]: the act fails (1) and its fix line matches.
verify_fix() {
	local re=$1 what=$2
	shift 2
	verify "$@"
	if [ "$RC" = 1 ] && grep -Eq "fix: .*$re" <<<"$OUT"; then
		ok "$what"
	else
		fail "$what (exit $RC, no 'fix: ...$re')"
	fi
}

# Act 1: both binaries, kill -9, compare.
verify_ok "verify 1: both binaries run and the demo's facts hold" 1
check_match 'PASS +stateless: 401 session-not-found' "$OUT" "verify 1 ... names the lost session"
STATELAB_BIN=$E2E_TMP/nobin verify 1
check_eq 1 "$RC" "verify 1 without binaries fails"
check_match 'fix: build it: make' "$OUT" "... and says to build them"

# Act 2 before the lab exists, then with it.
verify_fix 'tools/lab up' "verify 2 with no lab: says to start it" 2
lab up --stateless 3
check_eq 0 "$RC" "lab up --stateless 3"
verify_ok "verify 2: round-robin loses, sticky holds until the kill" 2
check_match 'PASS +after killing stateless-[a-z0-9]{5} the session is lost' "$OUT" "verify 2 ... killed the pinned pod and saw the loss"
check_eq "STICKY=off" "$(grep '^STICKY=' "$LAB/lab.conf")" "verify 2 ... put sticky back off"
lab scale stateless 1
verify_fix 'tools/lab scale stateless 3' "verify 2 with one pod: says to scale up" 2
verify_fix 'tools/lab up --sessions token' "verify 4 in memory mode: says to switch modes" 4

# Act 4: the fixes.
lab up --stateless 3 --sessions token
check_eq 0 "$RC" "lab up --sessions token"
verify_ok "verify 4 (token): sessions survive killing a pod" 4
check_match 'stateless pods keep sessions in token mode' "$OUT" "verify 4 ... checked token mode"
verify_fix 'tools/lab up --sessions memory' "verify 2 in token mode: says to switch back" 2
lab up --sessions remote
check_eq 0 "$RC" "lab up --sessions remote"
verify_ok "verify 4 (remote): sessions survive killing a pod and stateful-0" 4
check_match 'and stateful-0' "$OUT" "verify 4 ... killed stateful-0 too in remote mode"
lab down
check_eq 0 "$RC" "lab down"
left=''
for p in $SEEN; do running "$p" && left+=" $p"; done
check_eq "" "$left" "no lab process left after verify and lab down"

# Act 5: three stateful pods, each on a loopback address of its own, named
# after it, so the template http://%s:PORT reaches each one by name.
PORT=$(free_port)
URLS=()
start_pods() {
	local n
	URLS=()
	for n in 1 2 3; do
		start_service "pod-$n" stateful --listen "127.0.0.1$n:$PORT" --instance "127.0.0.1$n" "$@" || return 1
		URLS+=("http://127.0.0.1$n:$PORT")
	done
}
stop_pods() {
	local n
	for n in 1 2 3; do [ -n "${PID[pod-$n]:-}" ] && stop_server "pod-$n"; done
	return 0
}
verify_fix 'start the three pods' "verify 5 with no pods: says to start them" 5 "http://127.0.0.11:$PORT" "http://127.0.0.12:$PORT"
if start_pods; then
	verify_ok "verify 5: a request at the wrong pod gets 421" 5 "${URLS[@]}"
	check_match '421 Misdirected Request naming the owner, 127\.0\.0\.11' "$OUT" "verify 5 ... naming the owner"
	stop_pods
	start_pods --peer-url-template "http://%s:$PORT" || fail "the pods restart with --peer-url-template"
	verify_ok "verify 5: with --peer-url-template it is forwarded" 5 "${URLS[@]}"
	check_match 'forwarded to the owner, 127\.0\.0\.11' "$OUT" "verify 5 ... to the owner"
	stop_pods
else
	fail "three stateful pods start on 127.0.0.11-13:$PORT"
fi

# Act 3: no cluster here (an empty kubeconfig makes sure of it).
: >"$E2E_TMP/kubeconfig"
KUBECONFIG=$E2E_TMP/kubeconfig verify 3
check_eq 77 "$RC" "verify 3 without a cluster: exit 77"
check_match '^act 3: .*'$'\n''SKIP  .+' "$OUT" "... with a SKIP line that says why"
# Act 3's checks against a stand-in for kubectl (no cluster can run here):
# a script answering the few queries verify makes, for a healthy lab and
# for a broken one (image not loaded, claim Pending).  It tests verify's
# reading of the answers, not a cluster.
mkdir -p "$E2E_TMP/fakebin"
cat >"$E2E_TMP/fakebin/kubectl" <<'STUB'
#!/usr/bin/env bash
# a stand-in for kubectl: canned answers for tools/lab verify 3
case "$*" in
"config current-context") echo kind-statelab ;;
*"get --raw /readyz") echo ok ;;
"get namespace statelab") echo "statelab Active" ;;
*"deployment stateless"*spec.replicas*) printf 1 ;;
*"deployment stateless"*readyReplicas*) [ "$FAKE" = healthy ] && printf 1 ;;
*"get pods"*)
	if [ "$FAKE" = healthy ]; then
		printf 'stateless-5d9c-abcde True  Running\nstateful-0 True  Running\n'
	else
		printf 'stateless-5d9c-abcde False ImagePullBackOff Pending\nstateful-0 False  Pending\n'
	fi ;;
*"pvc data-stateful-0"*) [ "$FAKE" = healthy ] && printf Bound || printf Pending ;;
*) exit 1 ;;
esac
STUB
chmod +x "$E2E_TMP/fakebin/kubectl"
FAKE=healthy PATH="$E2E_TMP/fakebin:$PATH" verify 3
check_eq 0 "$RC" "verify 3 (stand-in kubectl, healthy lab): passes"
check_match 'PASS +PVC data-stateful-0 is Bound' "$OUT" "... and checked the claim"
FAKE=broken PATH="$E2E_TMP/fakebin:$PATH" verify 3
check_eq 1 "$RC" "verify 3 (stand-in kubectl, broken lab): fails"
check_match 'fix: the cluster cannot pull .*kind load docker-image' "$OUT" "... says to load the image"
check_match 'PVC data-stateful-0 is Pending'$'\n'' +fix: .*is-default-class' "$OUT" "... and what a Pending claim needs"

verify 9
check_eq 2 "$RC" "verify 9: no such act, exit 2"
finish
