# mk/demo.mk - `make demo`, `make run` and the local lab (issue 4).
# Included by the top-level Makefile.
#
#   make demo         install what is missing, build, then tools/demo: both
#                     servers side by side through SIGKILL and SIGTERM; exits
#                     0 only if every outcome is the expected one (< 15 s)
#   make run          both servers in the foreground on 127.0.0.1:8081 and
#                     :8082 with their dashboards (Ctrl-C stops them)
#   make lab          install haproxy and build, then tools/lab up
#                     (tools/lab help for the rest: kill, scale, sticky, ...)
#   make check-demo   tests/e2e/test_demo.sh: the demo, non-interactive
#   make check-lab    tests/e2e/test_lab.sh: a lab scenario end to end,
#                     checked through what tools/watch reports
#
# Both tests live in tests/e2e/, so `make check` (check-e2e) and `make asan`
# already run them; they are not added to CHECK_EXTRA a second time.

demo: deps
	@$(MAKE) --no-print-directory -q build || $(MAKE) --no-print-directory build
	@STATELAB_BIN=$(B) tools/demo

run: deps
	@tools/deps curl
	@$(MAKE) --no-print-directory -q build || $(MAKE) --no-print-directory build
	@STATELAB_BIN=$(B) tools/run

lab: deps
	@tools/deps haproxy curl
	@$(MAKE) --no-print-directory -q build || $(MAKE) --no-print-directory build
	@STATELAB_BIN=$(B) tools/lab up

check-demo: build
	E2E_ONLY=test_demo STATELAB_BIN=$(B) tests/e2e/run

check-lab: build
	@tools/deps haproxy curl
	E2E_ONLY=test_lab STATELAB_BIN=$(B) tests/e2e/run

.PHONY: demo run lab check-demo check-lab
