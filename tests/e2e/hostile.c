// SPDX-License-Identifier: MIT
/*
 * hostile.c - a deliberately rude HTTP client for tests/e2e/test_hostile.sh.
 *
 * curl is too polite for some of what the hardening tests need: raw bytes
 * (NUL, bad request lines, conflicting framing), pipelining, trickling a
 * header a byte at a time, holding thousands of idle sockets, hanging up
 * in the middle.  Loopback only; every mode is bounded in time.
 *
 *   hostile send PORT [-w MS] [-c BYTES -g MS] [-x BYTES] [-r]
 *       send stdin, print whatever comes back until the server closes or
 *       MS (default 3000) pass without a byte; -c/-g trickle the request
 *       BYTES at a time every MS; -x hang up after sending BYTES of it;
 *       -r hang up with a reset right after sending, reading nothing
 *   hostile slowloris PORT GAP_MS MAX_S
 *       start a request and send one more header byte every GAP_MS,
 *       never finishing; print "cut MS" when the server closes it, or
 *       "open MS" when MAX_S seconds passed and it is still open
 *   hostile idle PORT N HOLD_S
 *       open N connections that send nothing, print "connected A" once
 *       the handshakes are done (10 s at most), hold
 *       them until the server has closed them all, HOLD_S seconds passed
 *       or SIGTERM came, then print "opened A failed F closed C" (C: how
 *       many the server closed)
 *
 * Exit status: 0 when the mode ran, 1 when it could not connect at all,
 * 2 on bad usage.
 */
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MAX_INPUT (4 << 20)

static volatile sig_atomic_t stop;

static int dial(int, int);
static void on_term(int);
static long long now_ms(void);
static int do_send(int, int, char **);
static int do_slowloris(int, char **);
static int do_idle(int, char **);
static void usage(void);

int
main(int argc, char *argv[])
{
	int port;

	signal(SIGPIPE, SIG_IGN);
	if (argc < 3)
		usage();
	port = atoi(argv[2]);
	if (port <= 0 || port > 65535)
		usage();
	if (strcmp(argv[1], "send") == 0)
		return (do_send(port, argc - 3, argv + 3));
	if (strcmp(argv[1], "slowloris") == 0 && argc == 5)
		return (do_slowloris(port, argv + 3));
	if (strcmp(argv[1], "idle") == 0 && argc == 5)
		return (do_idle(port, argv + 3));
	usage();
	return (2);
}

/* A TCP connection to 127.0.0.1:port; nonblocking connect when asked. */
static int
dial(int port, int nonblock)
{
	struct sockaddr_in sin;
	int fd;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((unsigned short)port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if ((fd = socket(AF_INET, SOCK_STREAM, 0)) == -1)
		return (-1);
	if (nonblock)
		fcntl(fd, F_SETFL, O_NONBLOCK);
	if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)) == -1 &&
	    errno != EINPROGRESS) {
		close(fd);
		return (-1);
	}
	return (fd);
}

static long long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000);
}

static int
do_send(int port, int argc, char **argv)
{
	static char in[MAX_INPUT];
	struct linger lg = { 1, 0 };
	struct pollfd pfd;
	char buf[65536];
	size_t len = 0, off = 0, chunk = 0, cut = 0;
	long long wait = 3000, gap = 0, last;
	ssize_t n;
	int i, fd, reset = 0;

	for (i = 0; i < argc; i++) {
		if (strcmp(argv[i], "-w") == 0 && i + 1 < argc)
			wait = atoll(argv[++i]);
		else if (strcmp(argv[i], "-c") == 0 && i + 1 < argc)
			chunk = (size_t)atoll(argv[++i]);
		else if (strcmp(argv[i], "-g") == 0 && i + 1 < argc)
			gap = atoll(argv[++i]);
		else if (strcmp(argv[i], "-x") == 0 && i + 1 < argc)
			cut = (size_t)atoll(argv[++i]);
		else if (strcmp(argv[i], "-r") == 0)
			reset = 1;
		else
			usage();
	}
	while (len < sizeof(in) &&
	    (n = read(STDIN_FILENO, in + len, sizeof(in) - len)) > 0)
		len += (size_t)n;
	if ((fd = dial(port, 0)) == -1) {
		perror("hostile: connect");
		return (1);
	}
	if (cut > 0 && cut < len)
		len = cut;
	/* Write it all, or CHUNK bytes at a time with a pause between. */
	while (off < len) {
		n = write(fd, in + off,
		    chunk > 0 && chunk < len - off ? chunk : len - off);
		if (n <= 0)
			break; /* the server closed: print what it said */
		off += (size_t)n;
		if (gap > 0 && off < len)
			usleep((useconds_t)gap * 1000);
	}
	if (cut > 0 || reset) {
		/* Hang up mid-request, or reset without reading a byte. */
		if (reset)
			setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
		close(fd);
		return (0);
	}
	pfd.fd = fd;
	pfd.events = POLLIN;
	last = now_ms();
	while (now_ms() - last < wait) {
		if (poll(&pfd, 1, (int)(wait - (now_ms() - last))) <= 0)
			break;
		if ((n = read(fd, buf, sizeof(buf))) <= 0)
			break;
		fwrite(buf, 1, (size_t)n, stdout);
		last = now_ms();
	}
	close(fd);
	return (0);
}

static int
do_slowloris(int port, char **argv)
{
	static const char head[] = "GET /healthz HTTP/1.1\r\nHost: x\r\n";
	static const char drip[] = "X-Slow: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n";
	long long gap = atoll(argv[0]), max = atoll(argv[1]) * 1000, t0;
	struct pollfd pfd;
	char buf[4096];
	size_t i = 0;
	ssize_t n;
	int fd;

	if ((fd = dial(port, 0)) == -1) {
		perror("hostile: connect");
		return (1);
	}
	t0 = now_ms();
	if (write(fd, head, sizeof(head) - 1) <= 0)
		goto cut;
	pfd.fd = fd;
	pfd.events = POLLIN;
	while (now_ms() - t0 < max) {
		/* Anything readable now is an answer (408?) or the close. */
		if (poll(&pfd, 1, (int)gap) > 0) {
			n = read(fd, buf, sizeof(buf));
			if (n > 0)
				fwrite(buf, 1, (size_t)n, stderr);
			goto cut;
		}
		if (write(fd, &drip[i++ % (sizeof(drip) - 1)], 1) <= 0)
			goto cut;
	}
	printf("open %lld\n", now_ms() - t0);
	close(fd);
	return (0);
cut:
	printf("cut %lld\n", now_ms() - t0);
	close(fd);
	return (0);
}

static int
do_idle(int port, char **argv)
{
	struct rlimit rl;
	struct sigaction sa;
	struct pollfd *pfd;
	long long hold = atoll(argv[1]) * 1000, t0;
	int n = atoi(argv[0]), i, opened = 0, failed = 0, closed = 0, err;
	socklen_t len;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_term;
	sigaction(SIGTERM, &sa, NULL);

	/* Room for N sockets of our own. */
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 &&
	    rl.rlim_cur < (rlim_t)n + 16) {
		rl.rlim_cur =
		    (rlim_t)n + 16 < rl.rlim_max ? (rlim_t)n + 16 : rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	if ((pfd = calloc((size_t)n, sizeof(*pfd))) == NULL)
		return (1);
	for (i = 0; i < n; i++) {
		/* In bursts of 100: a listen backlog is often only 128. */
		if (i > 0 && i % 100 == 0)
			usleep(20000);
		pfd[i].fd = dial(port, 1);
		pfd[i].events = POLLOUT;
		if (pfd[i].fd == -1)
			failed++;
	}
	/*
	 * Wait (10 s at most) for the handshakes: past the listen backlog
	 * the kernel drops SYNs and the client retries them a second or
	 * more later, so a slow server completes some of them late.
	 */
	t0 = now_ms();
	while (!stop && opened + failed < n && now_ms() - t0 < 10000) {
		if (poll(pfd, (nfds_t)n, 200) <= 0)
			continue;
		for (i = 0; i < n; i++) {
			if (pfd[i].fd < 0 || pfd[i].events != POLLOUT ||
			    pfd[i].revents == 0)
				continue;
			len = sizeof(err);
			if (getsockopt(pfd[i].fd, SOL_SOCKET, SO_ERROR, &err,
			        &len) == 0 &&
			    err == 0) {
				pfd[i].events = POLLIN;
				opened++;
			} else {
				close(pfd[i].fd);
				pfd[i].fd = -1;
				failed++;
			}
		}
	}
	for (i = 0; i < n; i++) {
		/* Still connecting after 10 s: given up. */
		if (pfd[i].fd >= 0 && pfd[i].events == POLLOUT) {
			close(pfd[i].fd);
			pfd[i].fd = -1;
			failed++;
		}
	}
	printf("connected %d\n", opened);
	fflush(stdout);
	t0 = now_ms();
	while (!stop && closed < opened && now_ms() - t0 < hold) {
		if (poll(pfd, (nfds_t)n, 200) <= 0)
			continue;
		for (i = 0; i < n; i++) {
			if (pfd[i].fd >= 0 && pfd[i].revents != 0) {
				/* Readable with nothing asked: closed. */
				closed++;
				close(pfd[i].fd);
				pfd[i].fd = -1;
			}
		}
	}
	printf("opened %d failed %d closed %d\n", opened, failed, closed);
	for (i = 0; i < n; i++) {
		if (pfd[i].fd >= 0)
			close(pfd[i].fd);
	}
	free(pfd);
	return (opened > 0 ? 0 : 1);
}

static void
on_term(int sig)
{
	(void)sig;
	stop = 1;
}

static void
usage(void)
{
	fprintf(stderr,
	    "usage: hostile send PORT [-w MS] [-c BYTES -g MS] [-x BYTES] [-r]\n"
	    "       hostile slowloris PORT GAP_MS MAX_S\n"
	    "       hostile idle PORT N HOLD_S\n");
	exit(2);
}
