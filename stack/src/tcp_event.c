/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Level-triggered readiness, epoll style. A socket whose state may have
 * changed is put on its worker's ready list; tpa_event_poll() walks that
 * list, reports what is ready now, and keeps sockets that stay ready.
 */
#include <errno.h>

#include "cfg.h"
#include "tcp.h"

uint32_t tcp_event_mask(const struct tcp_sock *sk)
{
	uint32_t ev = 0;

	if (sk->state == TPA_TCP_LISTEN) {
		if (sk->w->accept_head)
			ev |= TPA_EVENT_IN;
		return ev;
	}
	if (sk->rxq_bytes || (sk->flags & SK_FIN_RCVD))
		ev |= TPA_EVENT_IN;
	if (sk->err) {
		ev |= TPA_EVENT_ERR | TPA_EVENT_IN | TPA_EVENT_OUT;
	}
	if ((sk->state == TPA_TCP_ESTABLISHED || sk->state == TPA_TCP_CLOSE_WAIT) &&
	    !(sk->flags & SK_FIN_QUEUED) && sk->snd_queued < sk->snd_buf &&
	    sk->txq_tail - sk->txq_head < sk->txq_size)
		ev |= TPA_EVENT_OUT;
	if (((sk->flags & SK_FIN_RCVD) && !sk->rxq_bytes) || sk->state == TPA_TCP_CLOSED)
		ev |= TPA_EVENT_HUP;
	return ev;
}

void tcp_event_update(struct tcp_sock *sk)
{
	struct tpa_worker *w = sk->w;

	if (!sk->ev_interest || (sk->flags & SK_IN_READY))
		return;
	if (!(tcp_event_mask(sk) & (sk->ev_interest | TPA_EVENT_ERR | TPA_EVENT_HUP)))
		return;
	sk->flags |= SK_IN_READY;
	sk->ready_next = w->ready_head;
	w->ready_head = sk;
}

int tpa_event_ctrl(int sid, int op, struct tpa_event *ev)
{
	struct tcp_sock *sk = tcp_sock_get(sid);

	if (!sk || (op != TPA_EVENT_CTRL_DEL && !ev)) {
		errno = sk ? EINVAL : EBADF;
		return -1;
	}
	switch (op) {
	case TPA_EVENT_CTRL_ADD:
	case TPA_EVENT_CTRL_MOD:
		sk->ev_interest = ev->events | TPA_EVENT_ERR | TPA_EVENT_HUP;
		sk->ev_data = ev->data;
		tcp_event_update(sk);
		return 0;
	case TPA_EVENT_CTRL_DEL:
		sk->ev_interest = 0;
		return 0;
	}
	errno = EINVAL;
	return -1;
}

int tpa_event_poll(struct tpa_worker *w, struct tpa_event *evs, int max)
{
	struct tcp_sock *sk = w->ready_head, *next, *keep = NULL;
	int n = 0;

	w->ready_head = NULL;
	for (; sk; sk = next) {
		uint32_t ev;

		next = sk->ready_next;
		sk->flags &= ~SK_IN_READY;
		if (!sk->ev_interest)
			continue;
		ev = tcp_event_mask(sk) & sk->ev_interest;
		if (!ev)
			continue;
		if (n < max) {
			evs[n].events = ev;
			evs[n].data = sk->ev_data;
			n++;
		}
		/* level-triggered: stays on the list while ready */
		sk->flags |= SK_IN_READY;
		sk->ready_next = keep;
		keep = sk;
	}
	/* put survivors back in front of anything queued meanwhile */
	while (keep) {
		next = keep->ready_next;
		keep->ready_next = w->ready_head;
		w->ready_head = keep;
		keep = next;
	}
	return n;
}
