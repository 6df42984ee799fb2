# mk/k8s.mk - the container image and the Kubernetes manifests (issue 5).
# Included by the top-level Makefile.
#
#   make check-k8s     render k8s/ with kustomize, validate every object
#                      against the Kubernetes API types, yamllint, policy and
#                      README tests; no cluster needed, seconds; part of
#                      `make check`
#   make check-image   build the Dockerfile with Podman on a debootstrap base
#                      and run both servers from the image; a few minutes the
#                      first time, not part of `make check`
#
# A check that cannot run here prints "SKIP: <reason>" (exit 77); the target
# then says so and succeeds, unless K8S_STRICT=1 turns a skip into a failure.

K8S_STRICT ?= 0

CHECK_EXTRA += check-k8s

# $(call k8s_run,script) runs a test script and maps its exit 77 to a
# visible skip.
define k8s_run
	@rc=0; $(1) || rc=$$?; \
	if [ $$rc -eq 77 ] && [ "$(K8S_STRICT)" != 1 ]; then \
		echo "$@: SKIPPED (see the SKIP line above)"; \
	elif [ $$rc -ne 0 ]; then \
		echo "$@: FAILED (exit $$rc)"; exit $$rc; \
	fi
endef

check-k8s:
	$(call k8s_run,O=$(O) tests/k8s/run)

check-image:
	$(call k8s_run,O=$(O) tests/k8s/image-test)

.PHONY: check-k8s check-image
