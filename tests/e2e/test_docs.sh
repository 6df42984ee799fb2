#!/usr/bin/env bash
# test_docs.sh - the documentation says what the code does: every flag and
# environment variable in --help of each binary appears in
# docs/operations.md, every flag the page names exists, and every command
# the README tells a new user to run is a real make target or binary.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

root=$(cd "$(dirname "$0")/../.." && pwd)
ops="$root/docs/operations.md"
all_flags=""
for svc in stateless stateful; do
	help=$("$STATELAB_BIN/$svc" --help)
	for flag in $(printf '%s\n' "$help" | grep -o -- '^  --[a-z-]*' | tr -d ' '); do
		all_flags="$all_flags $flag"
		if grep -q -- "\`$flag" "$ops"; then ok "$svc: $flag is in docs/operations.md"; else fail "$svc: $flag is missing from docs/operations.md"; fi
	done
	for env in $(printf '%s\n' "$help" | grep -o 'env STATELAB_[A-Z_]*' | cut -d' ' -f2); do
		if grep -q "\`$env\`" "$ops"; then ok "$svc: $env is in docs/operations.md"; else fail "$svc: $env is missing from docs/operations.md"; fi
	done
done
while read -r flag; do
	case " $all_flags " in
	*" $flag "*) ok "docs/operations.md: $flag exists" ;;
	*) fail "docs/operations.md names $flag, which neither binary has" ;;
	esac
done < <(grep -o -- '`--[a-z-]*' "$ops" | tr -d '`' | sort -u)
while read -r target; do
	if make -C "$root" -n "$target" >/dev/null 2>&1; then ok "README: make $target exists"; else fail "README: make $target does not exist"; fi
done < <(grep -o 'make [a-z][a-z-]*' "$root/README.md" | cut -d' ' -f2 | sort -u)
finish
