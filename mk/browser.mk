# mk/browser.mk - `make check-browser`: the dashboard (common/web/) driven in
# Debian's headless Chromium by tests/browser/run.sh (issue 6).  Chromium is
# installed when missing; where it cannot be, the target prints SKIP with
# the reason and succeeds.  Screenshots land in tests/out/browser/.
#
#   make check-browser                      against $(B)/stateless, $(B)/stateful
#   make O=build/x B=build/x/bin check-browser

CHECK_EXTRA += check-browser

check-browser: build
	@STATELAB_BIN=$(B) tests/browser/run.sh; rc=$$?; \
	if [ $$rc -eq 77 ]; then echo "check-browser: skipped (see SKIP above)"; exit 0; fi; \
	exit $$rc

.PHONY: check-browser
