/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * thttp: a tiny HTTP/1.1 keep-alive responder on the stack, for curl and
 * wrk from the peer namespace. Every request gets "200 OK" with a fixed
 * body of -b bytes; "Connection: close" is honoured.
 *
 *   thttp [-b BODY_BYTES] PORT
 */
#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

#include "example_util.h"

#define MAX_CONN 65536
#define REQ_MAX 8192

struct conn {
	char req[REQ_MAX];
	size_t len;
};

static struct conn *conns[MAX_CONN];
static char *body;
static size_t body_len = 13;

static int respond(int sid, int close_after)
{
	char hdr[256];
	int n = snprintf(hdr, sizeof(hdr),
			 "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: %zu\r\n%s\r\n", body_len,
			 close_after ? "Connection: close\r\n" : "");

	if (tpa_write(sid, hdr, (size_t)n) != n)
		return -1;
	for (size_t off = 0; off < body_len;) {
		ssize_t k = tpa_write(sid, body + off, body_len - off);
		if (k <= 0)
			return -1;
		off += (size_t)k;
	}
	return 0;
}

static void serve(int sid)
{
	struct conn *c = conns[sid];
	ssize_t n;

	for (;;) {
		char *end;
		n = tpa_read(sid, c->req + c->len, REQ_MAX - 1 - c->len);
		if (n == 0 || (n < 0 && errno != EAGAIN) || (n < 0 && c->len == REQ_MAX - 1))
			goto close;
		if (n < 0)
			return;
		c->len += (size_t)n;
		c->req[c->len] = 0;
		while ((end = strstr(c->req, "\r\n\r\n"))) {
			size_t used = (size_t)(end + 4 - c->req);
			int close_after = strcasestr(c->req, "connection: close") != NULL && strcasestr(c->req, "connection: close") < end;
			if (strncmp(c->req, "GET ", 4) && strncmp(c->req, "HEAD ", 5))
				goto close;
			if (respond(sid, close_after) || close_after)
				goto close;
			memmove(c->req, c->req + used, c->len - used + 1);
			c->len -= used;
		}
	}
close:
	tpa_close(sid);
	free(conns[sid]);
	conns[sid] = NULL;
}

int main(int argc, char **argv)
{
	struct tpa_worker *w;
	int opt, ls, port;

	while ((opt = getopt(argc, argv, "b:")) != -1) {
		if (opt == 'b' && atol(optarg) >= 0 && atol(optarg) <= (1 << 20)) {
			body_len = (size_t)atol(optarg);
		} else {
			fprintf(stderr, "usage: thttp [-b BODY_BYTES(0..1048576)] PORT\n");
			return 2;
		}
	}
	if (optind != argc - 1 || (port = atoi(argv[optind])) <= 0 || port > 65535) {
		fprintf(stderr, "usage: thttp [-b BODY_BYTES] PORT\n");
		return 2;
	}
	body = malloc(body_len + 1);
	for (size_t i = 0; i < body_len; i++)
		body[i] = i + 1 == body_len ? '\n' : "hello, world"[i % 12];
	ex_install_signals();
	if (tpa_init(1)) {
		fprintf(stderr, "thttp: cannot start the stack\n");
		return 1;
	}
	w = tpa_worker_init();
	ls = tpa_listen_on(NULL, (uint16_t)port, NULL);
	if (ls < 0) {
		fprintf(stderr, "thttp: listen on %d: %s\n", port, strerror(errno));
		tpa_fini();
		return 1;
	}
	printf("thttp: listening on port %d\n", port);
	fflush(stdout);
	while (!ex_stop) {
		struct tpa_event ev[64];
		int sid[16], n;

		tpa_worker_run(w);
		n = tpa_accept_burst(w, sid, 16);
		for (int i = 0; i < n; i++) {
			struct tpa_event e = { .events = TPA_EVENT_IN, .data = (void *)(intptr_t)sid[i] };
			if (sid[i] >= MAX_CONN || !(conns[sid[i]] = calloc(1, sizeof(struct conn)))) {
				tpa_close(sid[i]);
				continue;
			}
			tpa_event_ctrl(sid[i], TPA_EVENT_CTRL_ADD, &e);
		}
		n = tpa_event_poll(w, ev, 64);
		for (int i = 0; i < n; i++) {
			int s = (int)(intptr_t)ev[i].data;
			if (conns[s])
				serve(s);
		}
	}
	ex_print_stats(stdout);
	tpa_fini();
	return 0;
}
