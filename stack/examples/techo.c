/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * techo: a TCP echo server on the stack, zero copy both ways: received
 * payload iovecs are written straight back, and each packet is released
 * (iov_read_done) from the write completion once the peer ACKed the echo.
 *
 *   techo [-n WORKERS] PORT
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>

#include "example_util.h"

#define MAX_EV 64
#define MAX_IOV 32

static uint16_t port;

/* The write is done: release the packet it came from. */
static void echo_write_done(void *base, void *param)
{
	struct tpa_iovec *rd = param;

	rd->iov_read_done(base, rd->iov_param);
	free(rd);
}

/*
 * Echo not yet accepted by tpa_zwritev (send buffer or TX queue full), per
 * socket. While some is pending nothing more is read, so the receive window
 * closes and the peer is slowed down instead of the data being lost.
 */
#define MAX_SID 65536
struct echo_pend {
	struct tpa_iovec wr[MAX_IOV];
	int nr;
};
static struct echo_pend *pend[MAX_SID];

static void echo_close(int sid)
{
	struct echo_pend *p = sid < MAX_SID ? pend[sid] : NULL;

	for (int i = 0; p && i < p->nr; i++)
		echo_write_done(p->wr[i].iov_base, p->wr[i].iov_param);
	if (p) {
		free(p);
		pend[sid] = NULL;
	}
	tpa_close(sid);
}

/* Write what is pending; 0 when all went, 1 when some is left, -1 on error. */
static int echo_flush(int sid, struct echo_pend *p)
{
	ssize_t n;
	int k = 0;

	if (!p->nr)
		return 0;
	n = tpa_zwritev(sid, p->wr, p->nr);
	if (n < 0)
		return errno == EAGAIN ? 1 : -1;
	/* tpa_zwritev takes whole iovecs only */
	while (k < p->nr && (size_t)n >= p->wr[k].iov_len) {
		n -= p->wr[k].iov_len;
		k++;
	}
	memmove(p->wr, p->wr + k, (size_t)(p->nr - k) * sizeof(p->wr[0]));
	p->nr -= k;
	return p->nr ? 1 : 0;
}

static void echo(int sid)
{
	struct tpa_iovec iov[MAX_IOV];
	struct echo_pend *p;
	ssize_t n;
	int rc;

	if (sid < 0 || sid >= MAX_SID || (!pend[sid] && !(pend[sid] = calloc(1, sizeof(*p))))) {
		tpa_close(sid);
		return;
	}
	p = pend[sid];
	for (;;) {
		struct tpa_event e = { .events = TPA_EVENT_IN, .data = (void *)(intptr_t)sid };

		rc = echo_flush(sid, p);
		if (rc < 0) {
			echo_close(sid);
			return;
		}
		/* wait for room (OUT) while echo is pending, else for data (IN) */
		if (rc > 0)
			e.events |= TPA_EVENT_OUT;
		tpa_event_ctrl(sid, TPA_EVENT_CTRL_MOD, &e);
		if (rc > 0)
			return;
		n = tpa_zreadv(sid, iov, MAX_IOV);
		if (n == 0 || (n < 0 && errno != EAGAIN)) {
			echo_close(sid);
			return;
		}
		if (n < 0)
			return;
		for (int i = 0; i < MAX_IOV && iov[i].iov_len && p->nr < MAX_IOV; i++) {
			struct tpa_iovec *keep = malloc(sizeof(*keep));
			*keep = iov[i];
			p->wr[p->nr] = iov[i];
			p->wr[p->nr].iov_param = keep;
			p->wr[p->nr].iov_write_done = echo_write_done;
			p->nr++;
			if ((size_t)n <= iov[i].iov_len)
				break;
			n -= iov[i].iov_len;
		}
	}
}

static void *worker_main(void *arg)
{
	struct tpa_worker *w = tpa_worker_init();
	struct tpa_event ev[MAX_EV];
	int ls = -1;

	(void)arg;
	if (!w) {
		fprintf(stderr, "techo: tpa_worker_init: %s\n", strerror(errno));
		return NULL;
	}
	if (tpa_worker_id(w) == 0) {
		ls = tpa_listen_on(NULL, port, NULL);
		if (ls < 0) {
			fprintf(stderr, "techo: listen on %u: %s\n", port, strerror(errno));
			ex_stop = 1;
			return NULL;
		}
		printf("techo: listening on port %u\n", port);
		fflush(stdout);
	}
	while (!ex_stop) {
		int sid[16], n;

		tpa_worker_run(w);
		n = tpa_accept_burst(w, sid, 16);
		for (int i = 0; i < n; i++) {
			struct tpa_event e = { .events = TPA_EVENT_IN, .data = (void *)(intptr_t)sid[i] };
			tpa_event_ctrl(sid[i], TPA_EVENT_CTRL_ADD, &e);
		}
		n = tpa_event_poll(w, ev, MAX_EV);
		for (int i = 0; i < n; i++)
			echo((int)(intptr_t)ev[i].data);
	}
	return NULL;
}

int main(int argc, char **argv)
{
	int nr_worker = 1, opt;
	pthread_t th[64];

	while ((opt = getopt(argc, argv, "n:h")) != -1) {
		switch (opt) {
		case 'n':
			nr_worker = atoi(optarg);
			break;
		default:
			fprintf(stderr, "usage: techo [-n WORKERS] PORT\n");
			return 2;
		}
	}
	if (optind != argc - 1 || atoi(argv[optind]) <= 0 || atoi(argv[optind]) > 65535 || nr_worker < 1 ||
	    nr_worker > 64) {
		fprintf(stderr, "usage: techo [-n WORKERS(1..64)] PORT(1..65535)\n");
		return 2;
	}
	port = (uint16_t)atoi(argv[optind]);
	ex_install_signals();
	if (tpa_init(nr_worker)) {
		fprintf(stderr, "techo: cannot start the stack\n");
		return 1;
	}
	for (int i = 1; i < nr_worker; i++)
		pthread_create(&th[i], NULL, worker_main, NULL);
	worker_main(NULL);
	for (int i = 1; i < nr_worker; i++)
		pthread_join(th[i], NULL);
	ex_print_stats(stdout);
	tpa_fini();
	return 0;
}
