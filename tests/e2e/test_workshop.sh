#!/usr/bin/env bash
# test_workshop.sh - docs/workshop.md stays true: its captured blocks are
# well formed and match what the programs print today (tools/capture-workshop
# is run again into a temporary directory and compared, with pids, ports,
# pod names, ids and times masked), and every command the page shows exists
# (tools and their subcommands and flags, make targets, the servers' flags,
# the paths given to kubectl and kind).
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
DOC=${WORKSHOP_DOC:-$ROOT/docs/workshop.md}   # another page only to test this test
export STATELAB_BIN NO_COLOR=1

# --- the blocks -------------------------------------------------------------

# block NAME: the text between the fences of capture block NAME.
block() {
	awk -v n="$1" '
		$0 == "<!-- capture:" n " -->" { on = 1; next }
		$0 == "<!-- /capture:" n " -->" { on = 0 }
		on && !/^```/ { print }
	' "$DOC"
}
mapfile -t NAMES < <(sed -n 's/^<!-- capture:\([a-z0-9-]*\) -->$/\1/p' "$DOC")
mapfile -t ENDS < <(sed -n 's/^<!-- \/capture:\([a-z0-9-]*\) -->$/\1/p' "$DOC")
check_eq "${NAMES[*]}" "${ENDS[*]}" "every capture block is closed, in order (${#NAMES[@]} blocks)"
dups=$(printf '%s\n' "${NAMES[@]}" | sort | uniq -d | tr '\n' ' ')
check_eq "" "$dups" "no capture block appears twice"
empty=''
for n in "${NAMES[@]}"; do
	[ -n "$(block "$n")" ] || empty+=" $n"
done
check_eq "" "$empty" "no capture block is empty"
# Each block holds a fence, then "$ COMMAND" first.
bad=''
for n in "${NAMES[@]}"; do
	first=$(awk -v n="$n" '$0 == "<!-- capture:" n " -->" { getline; print; getline; print; exit }' "$DOC" | tr '\n' '|')
	[[ $first == '```text|$ '* ]] || bad+=" $n"
done
check_eq "" "$bad" "every block is a text fence starting with the command"

# --- the commands exist -----------------------------------------------------

# Commands the page shows: the lines of its sh fences (continuations joined,
# comments dropped) and the inline `tools/...`, `make ...`, `bin/...` spans.
commands() {
	awk '
		/^```sh$/ { on = 1; next }
		/^```/ { on = 0 }
		on {
			line = $0
			sub(/[ \t]+#.*$/, "", line)
			if (line ~ /\\$/) { sub(/\\$/, "", line); acc = acc line " "; next }
			print acc line
			acc = ""
		}
	' "$DOC"
	# shellcheck disable=SC2016  # backquotes, not an expansion
	grep -o '`\(tools/\|make \|bin/\)[^`]*`' "$DOC" | tr -d '`'
	# and the "$ " lines of the captures (they ran, but their flags must
	# still be what --help lists)
	sed -n 's/^\$ \(tools\/[a-z-]* .*\)$/\1/p' "$DOC" | sed 's/[ \t]*#.*$//'
}
MAKE_TARGETS=$(make -C "$ROOT" -pRrq : 2>/dev/null | awk -F: '/^[a-zA-Z0-9][^$#\/\t=]*:([^=]|$)/ { print $1 }' | sort -u || true)
declare -A HELP=()
help_of() { # help_of KEY COMMAND...: cache the help text of a tool
	[ -n "${HELP[$1]:-}" ] || HELP[$1]=$("${@:2}" 2>&1 || true)
	printf '%s' "${HELP[$1]}"
}
missing=()
checked=0
# check_flags TEXT ARGS...: every --flag in ARGS appears in TEXT.
check_flags() {
	local text=$1 a
	shift
	for a in "$@"; do
		a=${a%%=*}
		[[ $a == --* ]] || continue
		grep -q -- "$a\\b" <<<"$text" || missing+=("$CMD: $a is not in its help")
	done
}
while IFS= read -r CMD; do
	# A command line may hold several commands: split on ; && || |.
	while IFS= read -r part; do
		read -r -a w <<<"$part"
		[ ${#w[@]} -gt 0 ] || continue
		# Skip shell syntax and leading assignments.
		while [ ${#w[@]} -gt 0 ] && [[ ${w[0]} =~ ^([A-Za-z_]+=|for$|do$|done$|then$|while$) ]]; do w=("${w[@]:1}"); done
		[ ${#w[@]} -gt 0 ] || continue
		case "${w[0]}" in
		make)
			checked=$((checked + 1))
			for t in "${w[@]:1}"; do
				[[ $t == -* || $t == *=* ]] && continue
				grep -qx "$t" <<<"$MAKE_TARGETS" || missing+=("$CMD: no make target '$t'")
			done
			;;
		tools/*)
			checked=$((checked + 1))
			if [ ! -x "$ROOT/${w[0]}" ]; then
				missing+=("$CMD: ${w[0]} does not exist")
				continue
			fi
			case "${w[0]}" in
			tools/lab)
				sub=${w[1]:-help}
				if ! grep -Eq "^  $sub( |$)" <<<"$(help_of lab "$ROOT/tools/lab" help)" && [ "$sub" != help ]; then
					missing+=("$CMD: tools/lab has no command '$sub'")
				else
					check_flags "$(help_of "lab-$sub" "$ROOT/tools/lab" help "$sub")" "${w[@]:2}"
				fi
				;;
			tools/watch) check_flags "$(help_of watch "$ROOT/tools/watch" --help)" "${w[@]:1}" ;;
			tools/capture-workshop) check_flags "$(help_of capture "$ROOT/tools/capture-workshop" --help)" "${w[@]:1}" ;;
			esac
			;;
		bin/stateless | bin/stateful)
			checked=$((checked + 1))
			check_flags "$(help_of "${w[0]}" "$STATELAB_BIN/${w[0]#bin/}" --help)" "${w[@]:1}"
			;;
		kubectl | kind)
			checked=$((checked + 1))
			for ((i = 1; i < ${#w[@]}; i++)); do
				case "${w[i]}" in
				k8s/*) [ -e "$ROOT/${w[i]}" ] || missing+=("$CMD: ${w[i]} does not exist") ;;
				esac
			done
			;;
		esac
	done < <(sed -E 's/(&&|\|\||;|\|)/\n/g' <<<"$CMD")
done < <(commands)
if [ ${#missing[@]} -eq 0 ]; then
	ok "every command the page shows exists ($checked command lines checked)"
else
	fail "commands the page shows that do not exist:"
	printf '#   %s\n' "${missing[@]}"
fi

# --- the captures are fresh ---------------------------------------------------

# mask: what changes from run to run, masked; what depends on when a kill
# lands dropped (the requests no pod answered, whether the pod that
# answered changed: after a replacement round-robin may pick the same pod
# twice, and a counter step of two when an answer was lost with its pod);
# one line per distinct line, so how many OK lines came before the kill
# does not matter.
mask() {
	sed -E -e 's/\x1b\[[0-9;]*m//g' \
		-e 's/stateless-[a-z0-9]{5}/stateless-NAME/g' \
		-e 's#[^ ]*/statelab-demo\.[A-Za-z0-9]+#TMP#g' \
		-e 's/eyJ[A-Za-z0-9_.-]+/TOKEN/g' \
		-e 's/[0-9a-f]{8,16}/HEX/g' \
		-e 's/[0-9]+/N/g' \
		-e 's/ kept \(was on stateless-NAME\)//' \
		-e 's/ \(counter was N\)//' \
		-e 's/[[:space:]]+/ /g' -e 's/ $//' |
		grep -Ev 'UNAVAILABLE|NO ANSWER|ERROR \(HTTP|line N: N Killed' | sort -u
}
if ! command -v haproxy >/dev/null && ! "$ROOT/tools/deps" haproxy >/dev/null 2>&1; then
	echo "# SKIP (freshness): haproxy is missing and could not be installed"
	finish
	exit $?
fi
rc=0
timeout 200 "$ROOT/tools/capture-workshop" --out "$E2E_TMP/cap" >"$E2E_TMP/capture.log" 2>&1 || rc=$?
check_eq 0 "$rc" "tools/capture-workshop runs (into a temporary directory)"
[ "$rc" = 0 ] || sed 's/^/#   /' "$E2E_TMP/capture.log"
skip_re='^$'
command -v kubectl >/dev/null || { skip_re='^(k8s-.*|verify3)$'; echo "# SKIP (act 3 blocks): kubectl is not installed"; }
stale=()
for n in "${NAMES[@]}"; do
	[[ $n =~ $skip_re ]] && continue
	if [ ! -f "$E2E_TMP/cap/$n.txt" ]; then
		stale+=("$n (no longer captured)")
		continue
	fi
	if ! diff <(block "$n" | mask) <(mask <"$E2E_TMP/cap/$n.txt") >"$E2E_TMP/diff" 2>&1; then
		stale+=("$n")
		echo "# $n: page (<) vs now (>), masked:"
		sed -n '1,20s/^/#   /p' "$E2E_TMP/diff"
	fi
done
for f in "$E2E_TMP"/cap/*.txt; do
	[ -f "$f" ] || continue
	n=${f##*/}
	n=${n%.txt}
	[[ " ${NAMES[*]} " == *" $n "* ]] || stale+=("$n (captured, but no block on the page)")
done
if [ ${#stale[@]} -eq 0 ]; then
	ok "every captured block matches what the programs print now"
else
	fail "stale blocks in docs/workshop.md: ${stale[*]} (run tools/capture-workshop and review the diff)"
fi
finish
