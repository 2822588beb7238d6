/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * swing: an interactive line client on the stack, like telnet: lines read
 * from stdin are sent to HOST:PORT, whatever comes back is printed.
 *
 *   swing HOST PORT
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include "example_util.h"

int main(int argc, char **argv)
{
	struct tpa_worker *w;
	char buf[4096];
	int sid, connected = 0, stdin_eof = 0, port;
	struct tpa_event ev;

	if (argc != 3 || (port = atoi(argv[2])) <= 0 || port > 65535) {
		fprintf(stderr, "usage: swing HOST PORT\n");
		return 2;
	}
	ex_install_signals();
	if (tpa_init(1)) {
		fprintf(stderr, "swing: cannot start the stack\n");
		return 1;
	}
	w = tpa_worker_init();
	sid = tpa_connect_to(argv[1], (uint16_t)port, NULL);
	if (sid < 0) {
		fprintf(stderr, "swing: connect %s:%d: %s\n", argv[1], port, strerror(errno));
		tpa_fini();
		return 1;
	}
	ev.events = TPA_EVENT_IN | TPA_EVENT_OUT;
	ev.data = NULL;
	tpa_event_ctrl(sid, TPA_EVENT_CTRL_ADD, &ev);
	fcntl(0, F_SETFL, fcntl(0, F_GETFL) | O_NONBLOCK);

	while (!ex_stop) {
		struct tpa_event got;
		ssize_t n;

		tpa_worker_run(w);
		if (tpa_event_poll(w, &got, 1) == 1) {
			if (got.events & TPA_EVENT_ERR) {
				n = tpa_read(sid, buf, sizeof(buf));
				fprintf(stderr, "swing: connection error: %s\n", strerror(errno));
				break;
			}
			if ((got.events & TPA_EVENT_OUT) && !connected) {
				connected = 1;
				fprintf(stderr, "swing: connected to %s:%d\n", argv[1], port);
				ev.events = TPA_EVENT_IN;
				tpa_event_ctrl(sid, TPA_EVENT_CTRL_MOD, &ev);
			}
			if (got.events & TPA_EVENT_IN) {
				n = tpa_read(sid, buf, sizeof(buf));
				if (n > 0) {
					fwrite(buf, 1, (size_t)n, stdout);
					fflush(stdout);
				} else if (n == 0) {
					fprintf(stderr, "swing: connection closed by peer\n");
					break;
				} else if (errno != EAGAIN) {
					fprintf(stderr, "swing: read: %s\n", strerror(errno));
					break;
				}
			}
		}
		if (connected && !stdin_eof) {
			n = read(0, buf, sizeof(buf));
			if (n > 0) {
				if (tpa_write(sid, buf, (size_t)n) != n)
					fprintf(stderr, "swing: write: %s\n", strerror(errno));
			} else if (n == 0) {
				stdin_eof = 1;
				tpa_close(sid);	/* half close: keep reading until the peer closes */
				sid = -1;
				break;
			}
		}
	}
	if (sid >= 0)
		tpa_close(sid);
	/* let the FIN and its ACK go out */
	for (int i = 0; i < 20000; i++)
		tpa_worker_run(w);
	tpa_fini();
	return 0;
}
