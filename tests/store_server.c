// SPDX-License-Identifier: MIT
/*
 * store_server.c - a protocol v1 server in the test process, and fakes
 * that misbehave, for the remote store's suites.
 *
 * The real one is what check_api.c starts: server.c over a memory store,
 * in the test's own loop, so the remote store and its "stateful" side
 * run in one process and one thread and every test stays deterministic.
 */
#include <sys/socket.h>

#include <netinet/in.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>
#include <event2/event.h>
#include <event2/listener.h>

#include "api.h"
#include "config.h"
#include "json_out.h"
#include "log.h"
#include "memory_store.h"
#include "metrics.h"
#include "owner_store.h"
#include "server.h"
#include "session.h"
#include "store_server.h"
#include "test_util.h"

#define FAKE_FDS 64

struct store_server {
	struct config cfg;
	struct api_ctx ctx;
	struct server *srv;
	char url[64];
};

struct fake_server {
	struct evconnlistener *lev;
	enum fake_mode mode;
	int accepted;
	int fds[FAKE_FDS]; /* kept open until stop: no RST */
};

struct store_server *
store_server_start(struct event_base *base, int port, const char *instance,
    int ttl, int max, int64_t (*now_ms)(void))
{
	char listen[32];

	snprintf(listen, sizeof(listen), "127.0.0.1:%d", port);
	return (
	    store_server_start_at(base, listen, instance, ttl, max, now_ms, 0));
}

struct store_server *
store_server_start_at(struct event_base *base, const char *listen,
    const char *instance, int ttl, int max, int64_t (*now_ms)(void), int route)
{
	struct store_server *ss;
	struct store_params p;
	const char *const *routes;
	size_t nroutes;
	char ttls[16], maxs[16], err[256], host[32];
	int code;

	ck_assert_ptr_nonnull(ss = calloc(1, sizeof(*ss)));
	snprintf(ttls, sizeof(ttls), "%d", ttl);
	snprintf(maxs, sizeof(maxs), "%d", max);
	log_init(LOG_LEVEL_ERROR, LOG_FORMAT_JSON, instance);
	test_config(&ss->cfg, CONFIG_STATELESS, "--listen", listen,
	    "--instance", instance, "--session-ttl", ttls, "--max-sessions",
	    maxs, NULL);
	ss->ctx.cfg = &ss->cfg;
	ss->ctx.base = base;
	ss->ctx.admin_ready = 1;
	snprintf(ss->ctx.boot_id, sizeof(ss->ctx.boot_id), "00000000000000aa");
	p.base = base;
	p.cfg = &ss->cfg;
	p.now_ms = now_ms;
	ss->ctx.store = memory_store_open(&p, err, sizeof(err));
	ck_assert_msg(ss->ctx.store != NULL, "%s", err);
	if (route)
		ss->ctx.store = owner_store_wrap(
		    ss->ctx.store, &p, err, sizeof(err), &code);
	ck_assert_msg(ss->ctx.store != NULL, "%s", err);
	ck_assert_int_eq(json_out_served_by_init(&ss->ctx), 0);
	routes = api_route_names(&nroutes);
	metrics_init(routes, nroutes, "stateless", "memory", "test", 0);
	ss->srv = server_new(&ss->ctx, err, sizeof(err));
	ck_assert_msg(ss->srv != NULL, "%s", err);
	ss->ctx.state = API_READY;
	snprintf(host, sizeof(host), "%.*s", (int)strcspn(listen, ":"), listen);
	snprintf(ss->url, sizeof(ss->url), "http://%s:%d", host,
	    server_port(ss->srv));
	return (ss);
}

int
store_server_port(const struct store_server *ss)
{
	return (server_port(ss->srv));
}

const char *
store_server_url(const struct store_server *ss)
{
	return (ss->url);
}

void
store_server_stop(struct store_server *ss)
{
	if (ss == NULL)
		return;
	server_free(ss->srv);
	session_store_close(ss->ctx.store);
	json_out_served_by_free(&ss->ctx);
	config_free(&ss->cfg);
	free(ss);
}

static void
fake_accept(struct evconnlistener *lev, evutil_socket_t fd, struct sockaddr *sa,
    int salen, void *arg)
{
	static const char garbage[] = "HTTP/1.1 200 OK\r\n"
	                              "Content-Type: application/json\r\n"
	                              "Content-Length: 5\r\n\r\nhello";
	struct fake_server *fs = arg;

	(void)lev;
	(void)sa;
	(void)salen;
	if (fs->accepted >= FAKE_FDS) {
		close(fd);
		return;
	}
	fs->fds[fs->accepted++] = fd;
	if (fs->mode == FAKE_GARBAGE)
		ck_assert_int_eq(write(fd, garbage, sizeof(garbage) - 1),
		    sizeof(garbage) - 1);
	if (fs->mode != FAKE_BLACKHOLE)
		shutdown(fd, SHUT_WR);
}

struct fake_server *
fake_server_start(struct event_base *base, enum fake_mode mode)
{
	struct fake_server *fs;
	struct sockaddr_in sin;

	ck_assert_ptr_nonnull(fs = calloc(1, sizeof(*fs)));
	fs->mode = mode;
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	fs->lev = evconnlistener_new_bind(base, fake_accept, fs,
	    LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE, 16,
	    (struct sockaddr *)&sin, sizeof(sin));
	ck_assert_ptr_nonnull(fs->lev);
	return (fs);
}

int
fake_server_port(const struct fake_server *fs)
{
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);

	getsockname(
	    evconnlistener_get_fd(fs->lev), (struct sockaddr *)&sin, &len);
	return (ntohs(sin.sin_port));
}

int
fake_server_accepted(const struct fake_server *fs)
{
	return (fs->accepted);
}

void
fake_server_stop(struct fake_server *fs)
{
	int i;

	if (fs == NULL)
		return;
	evconnlistener_free(fs->lev);
	for (i = 0; i < fs->accepted; i++)
		close(fs->fds[i]);
	free(fs);
}
