#!/usr/bin/env bash
# test_observability.sh - metrics, logs and the admin fault knobs, against
# each service: counters move, route labels stay bounded, the exposition
# passes promtool (or our strict parser), log lines carry the documented
# fields, and no token, cookie or Authorization value is ever logged.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

# A strict line check of the text format, for machines without promtool.
strict_parse() {
	awk '
	/^# HELP [a-zA-Z_:][a-zA-Z0-9_:]* / { next }
	/^# TYPE [a-zA-Z_:][a-zA-Z0-9_:]* (counter|gauge|histogram|summary|untyped)$/ {
		if (seen[$3]++) { print "duplicate TYPE " $3; bad = 1 }
		next
	}
	/^[a-zA-Z_:][a-zA-Z0-9_:]*(\{([a-zA-Z_][a-zA-Z0-9_]*="[^"\\]*",?)*\})? [-+]?([0-9.eE+-]+|Inf|NaN)$/ {
		if (series[$1]++) { print "duplicate series " $1; bad = 1 }
		next
	}
	{ print "bad line: " $0; bad = 1 }
	END { exit bad }'
}

observe() {
	local svc=$1 s="obs-$1" tok before after i line
	start_service "$s" "$svc" --admin || { fail "$svc starts"; return; }

	# A full protocol run, with the credential in every place it can be.
	tok=$(login "$s" alice)
	req GET "$s:/api/session" -b "sid=$tok" -H "X-Request-Id: trace-42.a"
	check_eq trace-42.a "$(header X-Request-Id)" "$svc: a valid X-Request-Id is echoed"
	req GET "$s:/api/session" -H "Authorization: Bearer $tok" -H 'X-Request-Id: bad id<>'
	check_match '^[0-9a-f]{8}-[0-9]+$' "$(header X-Request-Id)" "$svc: an invalid one is replaced"
	req POST "$s:/api/session/counter" -H "Authorization: Bearer $tok"
	req PUT "$s:/api/session/data/k" -b "sid=$tok" -H 'Content-Type: application/json' -d '"v"'
	req DELETE "$s:/api/session" -b "sid=$tok"
	req GET "$s:/api/session" -b "sid=$tok"

	req GET "$s:/metrics"
	check_match 'statelab_session_lookups_total\{result="miss"\} 1' "$BODY" "$svc: a lost session counts as a lookup miss"
	check_match 'statelab_sessions_created_total 1' "$BODY" "$svc: sessions created"
	check_match "statelab_build_info\\{version=\"[^\"]+\",service=\"$svc\"" "$BODY" "$svc: build info"
	check_match 'process_open_fds [0-9]' "$BODY" "$svc: process metrics"
	if printf '%s\n' "$BODY" | strict_parse >"$E2E_TMP/parse.out"; then
		ok "$svc: the exposition passes the strict parser"
	else
		fail "$svc: exposition: $(head -n 3 "$E2E_TMP/parse.out")"
	fi
	if command -v promtool >/dev/null 2>&1; then
		if printf '%s\n' "$BODY" | promtool check metrics >"$E2E_TMP/promtool.out" 2>&1; then
			ok "$svc: promtool check metrics"
		else
			fail "$svc: promtool: $(head -n 3 "$E2E_TMP/promtool.out")"
		fi
	else
		echo "# promtool not installed: the strict parser stands in"
	fi
	# Count after a second scrape, which includes the first one's series.
	req GET "$s:/metrics"
	before=$(printf '%s\n' "$BODY" | grep -c '^http_requests_total')

	# 1,000 random paths add no series.
	for i in $(seq 1 1000); do
		printf 'url = "%s/random/%s/%s"\noutput = "/dev/null"\n' \
			"${URL[$s]}" "$RANDOM$i" "$RANDOM"
	done >"$E2E_TMP/urls"
	curl -sS --no-progress-meter --parallel --parallel-max 20 -K "$E2E_TMP/urls" || true
	req GET "$s:/metrics"
	after=$(printf '%s\n' "$BODY" | grep -c '^http_requests_total')
	check_eq $((before + 1)) "$after" "$svc: 1,000 random paths add one series (route=\"other\"), not 1,000"
	check_match 'http_requests_total\{method="GET",route="other",status="404"\} 1000' "$BODY" "$svc: ... and are all counted there"

	# Admin knobs.
	req POST "$s:/api/admin/ready" -H 'Content-Type: application/json' -d '{"ready":false}'
	check_eq 200 "$STATUS" "$svc: admin: readiness off"
	req GET "$s:/readyz"
	check_eq 503 "$STATUS" "$svc: /readyz follows it"
	req GET "$s:/api/info"
	check_eq 200 "$STATUS" "$svc: ... while still serving"
	req POST "$s:/api/admin/ready" -H 'Content-Type: application/json' -d '{"ready":true}'
	req GET "$s:/readyz"
	check_eq 200 "$STATUS" "$svc: admin: readiness back on"
	req POST "$s:/api/admin/crash"
	check_eq 202 "$STATUS" "$svc: admin: crash accepted"
	stop_server "$s" 0
	check_eq 1 "$EXIT" "$svc: ... and the process exits 1"

	# Logs: every line JSON with the fields; no credential anywhere.
	if jq -e 'select(.ts and .level and .msg and .instance) | .ts' "${LOG[$s]}" >/dev/null 2>&1 &&
		[ "$(jq -s 'map(select((.ts and .level and .msg and .instance) | not)) | length' "${LOG[$s]}")" = 0 ]; then
		ok "$svc: every log line is JSON with ts, level, msg, instance"
	else
		fail "$svc: a log line lacks a field or is not JSON"
	fi
	line=$(grep '"route":"/api/session/data/{key}"' "${LOG[$s]}" | head -n 1)
	check_match '"method":"PUT".*"status":200,"dur_us":[0-9]+,"bytes":[0-9]+,"session":"hit","request_id":"[^"]+","remote":"127.0.0.1"' "$line" "$svc: a request line has method, route template, status, dur_us, bytes, session, request_id, remote"
	check_match '"msg":"starting".*"session-ttl":"1800"' "$(cat "${LOG[$s]}")" "$svc: a start-up line with the settings"
	if grep -qF "$tok" "${LOG[$s]}" || grep -qi 'sid=\|bearer' "${LOG[$s]}"; then
		fail "$svc: a credential reached the log"
	else
		ok "$svc: no token, cookie or Authorization value in the log"
	fi

	# Without --admin the knobs do not exist.
	start_service "$s-plain" "$svc" --start-unready || { fail "$svc starts"; return; }
	req GET "$s-plain:/readyz"
	check_eq 503 "$STATUS" "$svc: --start-unready: not ready at start"
	req POST "$s-plain:/api/admin/crash"
	check_eq 404 "$STATUS" "$svc: admin endpoints are 404 without --admin"
	stop_server "$s-plain"
	check_eq 0 "$EXIT" "$svc: still running after the refused crash"
}

for svc in ${STATELAB_SERVICES:-stateless stateful}; do
	observe "$svc"
done
finish
