#!/usr/bin/env bash
# test_bench.sh - `make bench` keeps working: bench/run is run end to end
# with every row cut to two rounds of one second, 100 sessions per row and
# 2,000 for the memory and start-up rows, and its report must hold every
# row of issue 9 with a measured rate and a ratio to the ceiling, the
# memory per session, the start-up time and how the rounds differed.  What the numbers are is not checked here (a test
# never asserts speed); only that each row was really measured.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
CEILING=${STATELAB_BENCH_CEILING:-$ROOT/build/bench/ceiling}
if [ ! -x "$CEILING" ]; then
	echo "SKIP: no ceiling server at $CEILING (make bench-ceiling builds it)"
	exit 77
fi
if ! command -v wrk >/dev/null 2>&1; then
	"$ROOT/tools/deps" wrk >/dev/null 2>&1 || true
	if ! command -v wrk >/dev/null 2>&1; then
		echo "SKIP: wrk is missing and could not be installed (apt-get install wrk)"
		exit 77
	fi
fi

REPORT=$E2E_TMP/benchmarks.md
rc=0
BENCH_BIN=$STATELAB_BIN BENCH_CEILING=$CEILING BENCH_WORK=$E2E_TMP/work \
	BENCH_OUT=$REPORT BENCH_DURATION=1 BENCH_ROUNDS=2 BENCH_WARMUP=0 BENCH_TOKENS=100 \
	BENCH_SESSIONS=2000 BENCH_PROFILE=0 BENCH_CALLGRIND=0 BENCH_QUIET_WAIT=0 \
	timeout 240 "$ROOT/bench/run" >"$E2E_TMP/bench.out" 2>&1 || rc=$?
check_eq 0 "$rc" "bench/run runs every row (two rounds of one second)"
[ "$rc" = 0 ] || tail -n 20 "$E2E_TMP/bench.out" | sed 's/^/#   /'
if [ ! -s "$REPORT" ]; then
	fail "bench/run wrote no report"
	finish
	exit $?
fi

# row LABEL REQUEST: the table line of that row (the first, for the ceiling).
row() {
	awk -F' \\| ' -v l="| $1" -v r="$2" '$1 == l && $2 == r { print; exit }' "$REPORT"
}
# A measured row: a rate with thousands separators and a ratio in percent.
measured='^\| [^|]+ \| [^|]+ \| [0-9]{1,3}(,[0-9]{3})* \| [0-9.]+ ms \| [0-9.]+ ms \| [^|]+ \| [0-9]+ % \|'
while IFS='|' read -r label request; do
	line=$(row "$label" "$request")
	if [[ $line =~ $measured ]]; then
		ok "measured: $label, $request"
	else
		fail "not measured: $label, $request (${line:-no such row})"
	fi
done <<'EOF'
ceiling: bare evhttp, fixed body (first)|GET /
stateless, memory|GET /api/session
stateless, memory|POST /api/session/counter
stateful --sync normal|GET /api/session
stateful --sync normal|POST /api/session/counter
stateful --sync full|GET /api/session
stateful --sync full (group commit)|POST /api/session/counter
stateless, token|GET /api/session
stateless, token|POST /api/session/counter
stateless, remote → stateful|GET /api/session
stateless, remote → stateful|POST /api/session/counter
ceiling: bare evhttp, fixed body (last)|GET /
EOF

# The rows at many sessions, whose label carries the count.
for kind in stateless stateful; do
	if grep -Eq "^\| ${kind}[^|]*, [0-9,]+ sessions \| GET /api/session \| [0-9]{1,3}(,[0-9]{3})* \|" "$REPORT"; then
		ok "measured: $kind reads at 2,000 sessions"
	else
		fail "not measured: $kind reads at 2,000 sessions"
	fi
done
# The express peer needs node and its npm packages; without them the row
# says why (the table is complete either way).
peer=$(row 'express + express-session (MemoryStore)' 'GET /api/session')
if [[ $peer =~ $measured ]] || [[ $peer == *'not available'* ]]; then
	ok "the express peer: measured, or says why not"
else
	fail "the express peer row: ${peer:-missing}"
fi
check_match '\*\*[0-9]+ bytes per session\*\*' "$(cat "$REPORT")" "memory per session is reported"
check_match 'start-up with 2,000 stored sessions: \*\*[0-9]+ ms\*\*' "$(cat "$REPORT")" "stateful start-up is reported"
check_match '2 rounds of 1 s a row, of which the fastest is the row.*The slowest round of a row was a median [0-9]+ % below its fastest, at most [0-9]+ % \(' \
	"$(cat "$REPORT")" "the report says how the rounds of a row differed"
finish
