#!/usr/bin/env bash
# test_openapi.sh - run every operation of docs/openapi.yaml against both
# binaries (tests/openapi/run.mjs checks statuses and response shapes).
# Needs node and the npm registry for its pinned validator (ajv).
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

dir=$(cd "$(dirname "$0")/../openapi" && pwd)
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
	echo "SKIP: node and npm are needed for the OpenAPI check"
	exit 77
fi
if [ ! -d "$dir/node_modules/ajv" ]; then
	(cd "$dir" && npm ci --no-audit --no-fund --loglevel=error >/dev/null) ||
		{ fail "npm ci in tests/openapi"; finish; }
fi

targets=""
for svc in ${STATELAB_SERVICES:-stateless stateful}; do
	if start_service "api-$svc" "$svc" --admin; then
		targets="$targets $svc=${URL[api-$svc]}"
	else
		fail "$svc starts"
	fi
done
OPENAPI_TARGETS="$targets" node "$dir/run.mjs" | tee "$E2E_TMP/openapi.out" |
	grep -v '^[0-9]* passed' || true
PASSED=$((PASSED + $(grep -c '^ok - ' "$E2E_TMP/openapi.out" || true)))
FAILED=$((FAILED + $(grep -c '^not ok - ' "$E2E_TMP/openapi.out" || true)))
finish
