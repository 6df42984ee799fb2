# sessions.mk - issue 7: the stateful server reaches the pod that owns a
# session (stateful/owner_store.c) with the remote store's HTTP client,
# which lives with the stateless binary's stores.  Putting its objects in
# the common archive links them into stateful; the stateless binary and
# the test binary already link the objects themselves, so the archive's
# copies are never pulled twice.
$(O)/libstatelab.a: $(O)/stateless/remote_store.o $(O)/stateless/remote_doc.o
