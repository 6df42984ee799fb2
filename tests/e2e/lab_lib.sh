#!/usr/bin/env bash
# lab_lib.sh - what the tests of tools/lab share: a lab directory and free
# ports of their own (exported for tools/lab), the lab's PIDs noted as it
# runs, and a cleanup that runs `lab down` and then stops by PID whatever
# is left.  Source it after lib.sh; it exits 77 when haproxy cannot be had.
# shellcheck disable=SC2034  # ROOT, LAB, SL, SF are used by the sourcing tests
# shellcheck source=lib.sh

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
export STATELAB_BIN
export STATELAB_LAB_DIR="$E2E_TMP/lab"
LAB=$STATELAB_LAB_DIR

if ! command -v haproxy >/dev/null && ! "$ROOT/tools/deps" haproxy >/dev/null 2>&1; then
	echo "SKIP: haproxy is not installed and could not be (tools/deps haproxy)"
	exit 77
fi

port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
TAKEN=''
free_port() {
	local p
	while :; do
		p=$((20000 + SRANDOM % 12000)) # below the ephemeral range
		port_busy "$p" || [[ " $TAKEN " == *" $p "* ]] || break
	done
	TAKEN+=" $p"
	printf '%s' "$p"
}
STATELAB_LAB_STATELESS_PORT=$(free_port)
STATELAB_LAB_STATEFUL_PORT=$(free_port)
STATELAB_LAB_STATS_PORT=$(free_port)
STATELAB_LAB_PEER_PORT=$(free_port)
STATELAB_LAB_ADMIN_PORT=$(free_port)
export STATELAB_LAB_STATELESS_PORT STATELAB_LAB_STATEFUL_PORT STATELAB_LAB_STATS_PORT STATELAB_LAB_PEER_PORT STATELAB_LAB_ADMIN_PORT
SL="http://127.0.0.1:$STATELAB_LAB_STATELESS_PORT"
SF="http://127.0.0.1:$STATELAB_LAB_STATEFUL_PORT"

# Every PID the lab ever recorded, to stop whatever lab down might miss.
SEEN=''
note_pids() {
	local f
	for f in "$LAB"/pods/*/pid "$LAB"/haproxy/pid; do
		[ -f "$f" ] && SEEN+=" $(cat "$f")"
	done
	return 0
}
running() {
	local st
	st=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
	st=${st##*) }
	[ "${st%% *}" != Z ]
}
# shellcheck disable=SC2317  # run by the trap
lab_cleanup() {
	note_pids
	NO_COLOR=1 "$ROOT/tools/lab" down >/dev/null 2>&1 || true
	for p in $SEEN; do running "$p" && kill -KILL "$p" 2>/dev/null; done
	e2e_cleanup
}
trap lab_cleanup EXIT
