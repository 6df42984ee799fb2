#!/usr/bin/env bash
# test_protocol.sh - every row of protocol v1 and every documented error
# status, against each service (stateless and stateful), as curl sees it.
# After every bad request the server must still answer and the session
# must be unchanged.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

protocol() {
	local svc=$1 s=$1 tok tok2 big

	start_service "$s" "$svc" || { fail "$svc starts"; return; }

	# POST /api/sessions
	req POST "$s:/api/sessions" -H 'Content-Type: application/json' -d '{"user":"alice"}'
	check_eq 201 "$STATUS" "$svc: POST /api/sessions creates"
	tok=$(json .token)
	check_match '^[A-Za-z0-9_-]{22,}' "$tok" "$svc: the token is base64url, 128 bits or more"
	check_match "sid=$tok; Path=/; HttpOnly; SameSite=Lax" "$(header Set-Cookie)" "$svc: the cookie is HttpOnly, SameSite=Lax"
	check_eq "$s" "$(header X-Served-By)" "$svc: X-Served-By names the instance"
	check_eq "alice 0 $s $svc" "$(json '"\(.user) \(.counter) \(.created_by) \(.served_by.service)"')" "$svc: session JSON"
	check_match '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+Z$' "$(json .expires_at)" "$svc: expires_at is RFC 3339 UTC"

	# GET /api/session by cookie and by bearer
	req GET "$s:/api/session" -b "sid=$tok"
	check_eq "200 alice" "$STATUS $(json .user)" "$svc: GET /api/session with the cookie"
	req GET "$s:/api/session" -H "Authorization: Bearer $tok"
	check_eq "200 alice" "$STATUS $(json .user)" "$svc: GET /api/session with Bearer"
	check_eq null "$(json .token)" "$svc: no token in a plain read"
	# The server writes Date and Content-Length itself (request_send).
	check_match '^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), [0-9]{2} [A-Z][a-z]{2} [0-9]{4} [0-9]{2}:[0-9]{2}:[0-9]{2} GMT$' \
		"$(header Date)" "$svc: Date is an HTTP date"
	check_eq "$(wc -c <"$E2E_TMP/body")" "$(header Content-Length)" "$svc: Content-Length is the body's length"
	check_eq 1 "$(grep -ci '^content-length:' <<<"$HEADERS")" "$svc: ... sent once"
	req HEAD "$s:/api/session" -I -H "Authorization: Bearer $tok"
	check_eq "200 0" "$STATUS $(grep -ci '^content-length:' <<<"$HEADERS" || true)" "$svc: HEAD: 200, no Content-Length"

	# POST /api/session/counter
	req POST "$s:/api/session/counter" -b "sid=$tok"
	check_eq "200 1" "$STATUS $(json .counter)" "$svc: counter +1 without a body"
	req POST "$s:/api/session/counter" -b "sid=$tok" -H 'Content-Type: application/json' -d '{"by":41}'
	check_eq "200 42" "$STATUS $(json .counter)" "$svc: counter by 41"
	req POST "$s:/api/session/counter" -b "sid=$tok" -H 'Content-Type: application/json' -d '{"by":-2}'
	check_eq "200 40" "$STATUS $(json .counter)" "$svc: counter by -2"

	# data keys
	req PUT "$s:/api/session/data/color" -b "sid=$tok" -H 'Content-Type: application/json' -d '{"name":"blue","rgb":[0,0,255]}'
	check_eq "200 blue" "$STATUS $(json .data.color.name)" "$svc: PUT data/color"
	req GET "$s:/api/session/data/color" -b "sid=$tok"
	check_eq '200 {"name":"blue","rgb":[0,0,255]}' "$STATUS $BODY" "$svc: GET data/color returns the value"
	req PUT "$s:/api/session/data/n" -b "sid=$tok" -H 'Content-Type: application/json' -d '7'
	check_eq "200 7" "$STATUS $(json .data.n)" "$svc: PUT a bare number"
	req PUT "$s:/api/session/data/nul" -b "sid=$tok" -H 'Content-Type: application/json' -d '"a\u0000b"'
	check_eq 200 "$STATUS" "$svc: PUT a string holding \\u0000"
	req GET "$s:/api/session/data/nul" -b "sid=$tok"
	check_eq '200 "a\u0000b"' "$STATUS $BODY" "$svc: ... and read it back whole (fuzz regression)"
	req DELETE "$s:/api/session/data/nul" -b "sid=$tok"
	req DELETE "$s:/api/session/data/n" -b "sid=$tok"
	check_eq 204 "$STATUS" "$svc: DELETE data/n"
	req DELETE "$s:/api/session/data/n" -b "sid=$tok"
	check_eq 204 "$STATUS" "$svc: DELETE of an absent key is idempotent"
	req GET "$s:/api/session/data/n" -b "sid=$tok"
	check_eq "404 application/problem+json" "$STATUS $(header Content-Type)" "$svc: GET an absent key is a 404 problem"
	check_match 'no-such-key$' "$(json .type)" "$svc: ... of type no-such-key"

	# /api/info, /healthz, /readyz, /metrics, /
	req GET "$s:/api/info"
	check_eq "200 $svc $s" "$STATUS $(json .service) $(json .instance)" "$svc: /api/info"
	check_match '^[0-9a-f]{16}$' "$(json .boot_id)" "$svc: /api/info has a boot_id"
	check_eq "1" "$(json .sessions)" "$svc: /api/info counts sessions"
	req GET "$s:/healthz"
	check_eq 200 "$STATUS" "$svc: /healthz"
	req GET "$s:/readyz"
	check_eq 200 "$STATUS" "$svc: /readyz"
	req GET "$s:/metrics"
	check_match 'http_requests_total\{method="POST",route="/api/session/counter",status="200"\} 3' "$BODY" "$svc: /metrics counts requests by route"
	check_match 'text/plain; version=0.0.4' "$(header Content-Type)" "$svc: /metrics content type"
	req GET "$s:/"
	check_match '^text/html' "$(header Content-Type)" "$svc: / serves the page"
	check_match "default-src 'none'" "$(header Content-Security-Policy)" "$svc: the page has a strict CSP"
	req HEAD "$s:/api/info" -I
	check_eq 200 "$STATUS" "$svc: HEAD is answered as GET"

	# Errors: each a problem+json with the documented status.
	req GET "$s:/api/session"
	check_eq "401 application/problem+json" "$STATUS $(header Content-Type)" "$svc: no credential: 401"
	req GET "$s:/api/session" -H 'Authorization: Bearer AAAAAAAAAAAAAAAAAAAAAA'
	check_eq 401 "$STATUS" "$svc: unknown token: 401"
	check_match 'session-not-found$' "$(json .type)" "$svc: ... of type session-not-found"
	check_match "$s does not know this session" "$(json .detail)" "$svc: ... with a plain detail"
	req GET "$s:/api/session" -H 'Authorization: Basic Zm9vOmJhcg=='
	check_eq "401" "$STATUS" "$svc: a Basic Authorization header: 401"
	req GET "$s:/api/session" -b "sid=$tok; sid=other"
	check_eq "401" "$STATUS" "$svc: two different sid cookies: 401"
	req POST "$s:/api/sessions" -H 'Content-Type: application/json' -d '{"user":'
	check_eq 400 "$STATUS" "$svc: malformed JSON: 400"
	check_match 'malformed-json$' "$(json .type)" "$svc: ... of type malformed-json"
	req POST "$s:/api/sessions" -H 'Content-Type: text/plain' -d '{"user":"x"}'
	check_eq 415 "$STATUS" "$svc: wrong content type: 415"
	req POST "$s:/api/sessions" -H 'Content-Type: application/json' -d '{"user":"bad name!"}'
	check_eq 422 "$STATUS" "$svc: invalid user name: 422"
	req POST "$s:/api/sessions" -H 'Content-Type: application/json' -d '{"user":"'"$(printf 'a%.0s' $(seq 65))"'"}'
	check_eq 422 "$STATUS" "$svc: a 65-character user name: 422"
	req POST "$s:/api/sessions" -H 'Content-Type: application/json' -d '{"name":"x"}'
	check_eq 422 "$STATUS" "$svc: missing user: 422"
	req POST "$s:/api/session/counter" -b "sid=$tok" -H 'Content-Type: application/json' -d '{"by":"two"}'
	check_eq 422 "$STATUS" "$svc: a non-integer by: 422"
	req POST "$s:/api/session/counter" -b "sid=$tok" -H 'Content-Type: application/json' -d '{"by":9223372036854775807}'
	check_eq 422 "$STATUS" "$svc: counter overflow: 422"
	req PUT "$s:/api/session/data/bad%20key" -b "sid=$tok" -H 'Content-Type: application/json' -d '1'
	check_eq 422 "$STATUS" "$svc: an invalid key: 422"
	big=$(printf '"%05000d"' 0)
	req PUT "$s:/api/session/data/big" -b "sid=$tok" -H 'Content-Type: application/json' -d "$big"
	check_eq 413 "$STATUS" "$svc: a data value over 4 KiB: 413"
	big=$(head -c 20000 /dev/zero | tr '\0' ' ')
	req PUT "$s:/api/session/data/big" -b "sid=$tok" -H 'Content-Type: application/json' -d "\"x\"$big"
	check_eq 413 "$STATUS" "$svc: a body over 16 KiB: 413"
	check_eq application/problem+json "$(header Content-Type)" "$svc: ... as problem+json, not libevent's HTML"
	req GET "$s:/api/info" -H "X-Big: $(head -c 9000 /dev/zero | tr '\0' a)"
	check_eq 431 "$STATUS" "$svc: headers over 8 KiB: 431"
	req PATCH "$s:/api/session"
	check_eq "405 GET, HEAD, DELETE" "$STATUS $(header Allow)" "$svc: wrong method: 405 with Allow"
	req TRACE "$s:/api/session"
	check_eq "405 application/problem+json" "$STATUS $(header Content-Type)" "$svc: TRACE: 405 problem, not libevent's 501"
	req GET "$s:/no/such/path"
	check_eq "404 application/problem+json" "$STATUS $(header Content-Type)" "$svc: unknown path: 404 problem"

	# None of that changed the session.
	req GET "$s:/api/session" -b "sid=$tok"
	check_eq "200 40 blue" "$STATUS $(json .counter) $(json .data.color.name)" "$svc: bad requests changed nothing"

	# Logout.
	req DELETE "$s:/api/session" -b "sid=$tok"
	check_eq 204 "$STATUS" "$svc: DELETE /api/session logs out"
	check_eq 0 "$(grep -ci '^content-length:' <<<"$HEADERS" || true)" "$svc: ... a 204 without Content-Length"
	check_match 'sid=; Path=/; Max-Age=0' "$(header Set-Cookie)" "$svc: ... and clears the cookie"
	req GET "$s:/api/session" -b "sid=$tok"
	check_eq 401 "$STATUS" "$svc: the token is dead after logout"

	# A second session is independent of the first.
	tok2=$(login "$s" bob)
	req GET "$s:/api/session" -H "Authorization: Bearer $tok2"
	check_eq "200 bob 0" "$STATUS $(json .user) $(json .counter)" "$svc: a second user"

	stop_server "$s"
	check_eq 0 "$EXIT" "$svc: exits 0 on SIGTERM"
	if grep -q "$tok2" "${LOG[$s]}"; then
		fail "$svc: a token appeared in the log"
	else
		ok "$svc: no token in the log"
	fi
}

for svc in ${STATELAB_SERVICES:-stateless stateful}; do
	protocol "$svc"
done
finish
