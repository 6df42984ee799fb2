#!/usr/bin/env bash
# tests/browser/run.sh - the dashboard's real-browser test (issue 6): makes
# sure Debian's Chromium is installed (installs it when missing), installs
# the pinned playwright-core with `npm ci`, then runs dashboard.test.mjs
# against the binaries in $STATELAB_BIN (default bin/).
#
# Exit: 0 passed, 1 failed, 77 skipped (Chromium, node or npm cannot be
# had here; the reason is printed as "SKIP: ...").  Screenshots and server
# logs go to tests/out/browser/.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
cd "$root"

export STATELAB_BIN=${STATELAB_BIN:-bin}
export CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
export STATELAB_OUT=${STATELAB_OUT:-tests/out/browser}

skip() {
	echo "SKIP: browser test: $*"
	exit 77
}

# Debian's Chromium, installed the project's way when it is missing.
if [ ! -x "$CHROMIUM" ]; then
	echo "browser: $CHROMIUM is missing; installing Debian's chromium" >&2
	if [ -x tools/deps ]; then
		tools/deps chromium || true
	elif [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
		DEBIAN_FRONTEND=noninteractive apt-get install -y -o DPkg::Lock::Timeout=300 chromium ||
		    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
		    apt-get install -y -o DPkg::Lock::Timeout=300 chromium; } || true
	fi
	[ -x "$CHROMIUM" ] ||
	    skip "$CHROMIUM is missing and could not be installed (run as root: apt-get install -y chromium)"
fi
"$CHROMIUM" --version >/dev/null 2>&1 ||
    skip "$CHROMIUM does not run here: $("$CHROMIUM" --version 2>&1 | head -n 1)"

command -v node >/dev/null 2>&1 || skip "node is not installed (Debian: apt-get install -y nodejs npm)"
command -v npm >/dev/null 2>&1 || skip "npm is not installed (Debian: apt-get install -y npm)"
node_major=$(node -p 'process.versions.node.split(".")[0]')
[ "$node_major" -ge 20 ] || skip "playwright-core needs node >= 20, this is $(node --version)"

[ -x "$STATELAB_BIN/stateless" ] || {
	echo "browser: $STATELAB_BIN/stateless is not built (run make first)" >&2
	exit 1
}

# The pinned playwright-core, exactly as the lock file says.  It never
# downloads a browser: we launch Debian's with executablePath.
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1
if ! (cd "$here" && npm ci --no-audit --no-fund --loglevel=error >/dev/null); then
	echo "browser: npm ci failed in tests/browser (is the npm registry reachable?)" >&2
	exit 1
fi

mkdir -p "$STATELAB_OUT"
# Only this run's screenshots and logs, so no old FAILED-*.png misleads.
find "$STATELAB_OUT" -maxdepth 1 -type f \( -name '*.png' -o -name '*.log' \) -delete
echo "browser: $("$CHROMIUM" --version 2>/dev/null), playwright-core" \
    "$(node -p 'require("'"$here"'/node_modules/playwright-core/package.json").version')," \
    "binaries from $STATELAB_BIN, screenshots in $STATELAB_OUT"
# Bounded in time; the test stops every server it started by PID.
timeout --kill-after=10 480 node --test --test-concurrency=1 \
    --test-reporter=spec "$here/dashboard.test.mjs"
