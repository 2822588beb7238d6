/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The socket API (tpa.h): connect, listen, accept, close, read and write,
 * zero-copy included. Every call runs on the thread that owns the socket's
 * worker, so no locking is needed here.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_malloc.h>

#include "cfg.h"
#include "net.h"
#include "tcp.h"
#include "trace.h"

void tcp_zc_free_cb(void *addr, void *opaque);
void tcp_lat_read_done(struct rte_mbuf *m, uint64_t now_tsc);

static struct tpa_worker *caller_worker(void)
{
	struct tpa_worker *w = tpa_worker_self();

	if (!w)
		errno = EPERM;	/* the thread has no worker: call tpa_worker_init() first */
	return w;
}

static struct tcp_sock *owned_sock(int sid)
{
	struct tcp_sock *sk = tcp_sock_get(sid);

	if (!sk) {
		errno = EBADF;
		return NULL;
	}
	if (sk->w != tpa_worker_self()) {
		errno = EPERM;	/* another worker's socket */
		return NULL;
	}
	return sk;
}

int tpa_connect_to(const char *server, uint16_t port, const struct tpa_sock_opts *opts)
{
	struct tpa_worker *w = caller_worker();
	struct tcp_sock *sk;
	struct in_addr a;

	if (!w)
		return -1;
	if (!server || inet_pton(AF_INET, server, &a) != 1 || a.s_addr == 0 || port == 0) {
		errno = EINVAL;
		return -1;
	}
	if (!ip_next_hop(a.s_addr)) {
		errno = ENETUNREACH;
		return -1;
	}
	w->now = tpa_now();
	sk = tcp_sock_alloc(w);
	if (!sk)
		return -1;
	sk->lip = opts && opts->local_ip.family == AF_INET ? opts->local_ip.v4 : tpa_netif.ip;
	sk->rip = a.s_addr;
	sk->rport = rte_cpu_to_be_16(port);
	if (opts && opts->local_port) {
		sk->lport = rte_cpu_to_be_16(opts->local_port);
		if (tcp_flow_lookup(sk->lip, sk->lport, sk->rip, sk->rport)) {
			tcp_sock_free(sk);
			errno = EADDRINUSE;
			return -1;
		}
	} else if (!(sk->lport = tcp_port_alloc(sk->lip, sk->rip, sk->rport))) {
		tcp_sock_free(sk);
		errno = EADDRNOTAVAIL;
		return -1;
	}
	if (opts)
		sk->ev_data = opts->data;
	sk->flags |= SK_ACTIVE_OPEN;
	tcp_sock_prepare(sk);
	sk->iss = tcp_isn(sk->lip, sk->lport, sk->rip, sk->rport, w->now);
	sk->snd_una = sk->snd_nxt = sk->snd_max = sk->recover = sk->iss;
	sk->rcv_adv = 0;
	if (tcp_flow_add(sk)) {
		tcp_sock_free(sk);
		errno = EADDRINUSE;
		return -1;
	}
	tcp_set_state(sk, TPA_TCP_SYN_SENT);
	sk->rtt_tsc = w->now;
	tcp_send_syn(sk);
	return sk->sid;
}

int tpa_listen_on(const char *local, uint16_t port, const struct tpa_sock_opts *opts)
{
	struct tpa_worker *w = caller_worker();
	struct tcp_sock *sk;
	struct in_addr a = { 0 };

	if (!w)
		return -1;
	if (port == 0 || (local && inet_pton(AF_INET, local, &a) != 1)) {
		errno = EINVAL;
		return -1;
	}
	sk = tcp_sock_alloc(w);
	if (!sk)
		return -1;
	sk->lip = a.s_addr;
	sk->lport = rte_cpu_to_be_16(port);
	sk->backlog = opts && opts->listen_backlog ? opts->listen_backlog : tpa_cfg.listen_backlog;
	if (opts)
		sk->ev_data = opts->data;
	if (tcp_listen_add(sk)) {
		tcp_sock_free(sk);
		return -1;
	}
	tcp_set_state(sk, TPA_TCP_LISTEN);
	return sk->sid;
}

int tpa_accept_burst(struct tpa_worker *w, int *sid, int nr)
{
	int n = 0;

	while (n < nr && w->accept_head) {
		struct tcp_sock *sk = w->accept_head;

		w->accept_head = sk->acc_next;
		if (!w->accept_head)
			w->accept_tail = NULL;
		sk->flags &= ~SK_IN_ACCEPTQ;
		sk->flags |= SK_ACCEPTED;
		if (sk->listener) {
			sk->listener->nr_children--;
			sk->listener = NULL;
		}
		sid[n++] = sk->sid;
	}
	return n;
}

static void free_rx_queues(struct tcp_sock *sk)
{
	struct rte_mbuf *m, *next;

	for (m = sk->rxq_head; m; m = next) {
		next = pkt_meta(m)->qnext;
		rte_pktmbuf_free(m);
	}
	for (m = sk->ooo_head; m; m = next) {
		next = pkt_meta(m)->qnext;
		rte_pktmbuf_free(m);
	}
	sk->rxq_head = sk->rxq_tail = sk->ooo_head = NULL;
	sk->rxq_bytes = sk->ooo_bytes = 0;
}

/* The connection is gone: every pending zero-copy buffer goes back to the app now. */
static void free_tx_queue(struct tcp_sock *sk)
{
	sk->snd_una = sk->snd_una + sk->snd_queued;	/* as if everything was acked... */
	sk->snd_queued = 0;
	while (sk->txq_head != sk->txq_tail) {
		struct tx_desc *d = &sk->txq[sk->txq_head & (sk->txq_size - 1)];

		if (!(d->flags & TX_DESC_ACKED)) {
			d->flags |= TX_DESC_ACKED;
			if (d->flags & TX_DESC_ZEROCOPY) {
				if (rte_mbuf_ext_refcnt_update(&d->shinfo, -1) == 0) {
					d->flags |= TX_DESC_DONE;
					if (d->write_done)
						d->write_done(d->base, d->param);
				}
			} else {
				rte_pktmbuf_free(d->pkt);
				d->pkt = NULL;
				d->flags |= TX_DESC_DONE;
			}
		}
		sk->txq_head++;	/* ...but without latency samples */
	}
}

static void unlink_accept(struct tcp_sock *sk)
{
	struct tpa_worker *w = sk->w;
	struct tcp_sock **pp = &w->accept_head, *prev = NULL;

	if (!(sk->flags & SK_IN_ACCEPTQ))
		return;
	while (*pp && *pp != sk) {
		prev = *pp;
		pp = &(*pp)->acc_next;
	}
	if (*pp) {
		*pp = sk->acc_next;
		if (w->accept_tail == sk)
			w->accept_tail = prev;
	}
	sk->flags &= ~SK_IN_ACCEPTQ;
}

void tcp_sock_done(struct tcp_sock *sk)
{
	int app_owned = (sk->flags & SK_ACCEPTED) || (sk->flags & SK_ACTIVE_OPEN);

	tcp_tw_unlink(sk);
	if (sk->abnormal)
		trace_recovered(sk);
	tcp_flow_del(sk);
	sk->rto_at = sk->delack_at = sk->keepalive_at = sk->tw_at = sk->persist_at = 0;
	tpa_timer_set(&sk->w->timers, &sk->timer, 0);
	free_tx_queue(sk);
	unlink_accept(sk);
	if (sk->listener) {
		sk->listener->nr_children--;
		sk->listener = NULL;
	}
	if (sk->state != TPA_TCP_CLOSED)
		tcp_set_state(sk, TPA_TCP_CLOSED);
	if (!app_owned || (sk->flags & SK_CLOSED_BY_APP)) {
		free_rx_queues(sk);
		tcp_sock_free(sk);
		return;
	}
	/* the application still holds the id: it reads the error, then closes */
	tcp_event_update(sk);
}

void tcp_sock_reset(struct tcp_sock *sk, int err)
{
	sk->err = err;
	if (err)
		trace_event(sk, TR_ERR, 0, 0, (uint32_t)err);
	tcp_sock_done(sk);
}

int tpa_close(int sid)
{
	struct tcp_sock *sk = tcp_sock_get(sid);

	if (!sk || (sk->flags & SK_CLOSED_BY_APP)) {
		errno = EBADF;
		return -1;
	}
	if (sk->w != tpa_worker_self()) {
		errno = EPERM;
		return -1;
	}
	sk->flags |= SK_CLOSED_BY_APP;
	sk->ev_interest = 0;
	sk->w->now = tpa_now();
	switch (sk->state) {
	case TPA_TCP_CLOSED:
		free_rx_queues(sk);
		tcp_sock_free(sk);
		return 0;
	case TPA_TCP_LISTEN:
		tcp_listen_del(sk);
		/* connections not yet accepted die with their listener */
		for (uint32_t i = 0; i < tcp_max_socks; i++) {
			struct tcp_sock *c = tcp_socks[i];
			if (c && c != sk && c->listener == sk && c->state != TPA_TCP_CLOSED) {
				tcp_send_rst(c);
				tcp_sock_reset(c, ECONNABORTED);
			}
		}
		tcp_set_state(sk, TPA_TCP_CLOSED);
		tcp_sock_free(sk);
		return 0;
	case TPA_TCP_SYN_SENT:
		tcp_sock_done(sk);
		return 0;
	}
	if (sk->rxq_bytes || sk->ooo_bytes) {
		/* unread data: abort with RST so the peer knows it was lost (RFC 9293 3.10.4) */
		tcp_send_rst(sk);
		tcp_sock_reset(sk, 0);
		return 0;
	}
	sk->flags |= SK_FIN_QUEUED;
	switch (sk->state) {
	case TPA_TCP_SYN_RCVD:
	case TPA_TCP_ESTABLISHED:
		tcp_set_state(sk, TPA_TCP_FIN_WAIT_1);
		break;
	case TPA_TCP_CLOSE_WAIT:
		tcp_set_state(sk, TPA_TCP_LAST_ACK);
		break;
	default:
		break;
	}
	tcp_schedule_output(sk);
	return 0;
}

static int write_check(struct tcp_sock *sk)
{
	if (sk->err) {
		errno = sk->err;
		return -1;
	}
	switch (sk->state) {
	case TPA_TCP_ESTABLISHED:
	case TPA_TCP_CLOSE_WAIT:
		if (sk->flags & SK_FIN_QUEUED)
			break;
		return 0;
	case TPA_TCP_SYN_SENT:
	case TPA_TCP_SYN_RCVD:
		errno = EAGAIN;
		return -1;
	default:
		break;
	}
	errno = EPIPE;
	return -1;
}

static struct tx_desc *txq_push(struct tcp_sock *sk)
{
	struct tx_desc *d;

	if (sk->txq_tail - sk->txq_head >= sk->txq_size)
		return NULL;
	d = &sk->txq[sk->txq_tail & (sk->txq_size - 1)];
	memset(d, 0, offsetof(struct tx_desc, shinfo));
	d->sk = sk;
	return d;
}

static void txq_commit(struct tcp_sock *sk, struct tx_desc *d, uint64_t tsc_start)
{
	struct tpa_worker *w = sk->w;

	d->seq = sk->snd_una + sk->snd_queued;
	d->tsc_start = tsc_start;
	d->tsc_submit = tpa_now();
	sk->txq_tail++;
	sk->snd_queued += d->len;
	if (sk->lat)
		tcp_lat_record(sk, TPA_LAT_WRITE_SUBMIT, tsc_start, d->tsc_submit);
	(void)w;
}

ssize_t tpa_write(int sid, const void *buf, size_t count)
{
	uint64_t t0 = tpa_now();
	struct tcp_sock *sk = owned_sock(sid);
	const char *p = buf;
	size_t done = 0;

	if (!sk || write_check(sk))
		return -1;
	sk->w->now = t0;
	while (done < count && sk->snd_queued < sk->snd_buf) {
		struct rte_mbuf *m;
		struct tx_desc *d;
		uint32_t room, n;

		d = txq_push(sk);
		if (!d)
			break;
		m = rte_pktmbuf_alloc(sk->w->pool);
		if (!m) {
			sk->w->stats.mbuf_alloc_fail++;
			break;
		}
		room = rte_pktmbuf_tailroom(m);
		n = (uint32_t)RTE_MIN(count - done, (size_t)room);
		n = RTE_MIN(n, tpa_cfg.write_chunk_size);
		n = RTE_MIN(n, sk->snd_buf - sk->snd_queued);
		memcpy(rte_pktmbuf_append(m, (uint16_t)n), p + done, n);
		d->pkt = m;
		d->addr = rte_pktmbuf_mtod(m, void *);
		d->phys = rte_pktmbuf_iova(m);
		d->len = n;
		txq_commit(sk, d, t0);
		done += n;
	}
	if (!done) {
		errno = EAGAIN;
		return -1;
	}
	tcp_schedule_output(sk);
	tcp_output_pending(sk->w);	/* low latency: send now rather than at the next poll */
	tpa_worker_flush(sk->w);
	return (ssize_t)done;
}

ssize_t tpa_zwritev(int sid, const struct tpa_iovec *iov, int nr_iov)
{
	uint64_t t0 = tpa_now();
	struct tcp_sock *sk = owned_sock(sid);
	size_t done = 0;

	if (!sk || write_check(sk))
		return -1;
	if (nr_iov <= 0 || !iov) {
		errno = EINVAL;
		return -1;
	}
	sk->w->now = t0;
	for (int i = 0; i < nr_iov; i++) {
		uint32_t off = 0, len = iov[i].iov_len;
		uint64_t phys = iov[i].iov_phys;

		if (!len)
			continue;
		if (sk->txq_tail - sk->txq_head + (len + tpa_cfg.write_chunk_size - 1) / tpa_cfg.write_chunk_size >
			    sk->txq_size ||
		    sk->snd_queued + len > sk->snd_buf) {
			if (i == 0) {
				errno = EAGAIN;
				return -1;
			}
			break;	/* whole iovecs only: the app owns the rest */
		}
		if (!phys) {
			phys = rte_mem_virt2iova(iov[i].iov_base);
			if (phys == RTE_BAD_IOVA) {
				/* not DMA-able memory (not from hugepages): copy it instead */
				ssize_t n = tpa_write(sid, iov[i].iov_base, len);
				if (n != (ssize_t)len) {
					if (n > 0)
						done += (size_t)n;
					break;	/* the app keeps ownership: it was not queued whole */
				}
				done += len;
				if (iov[i].iov_write_done)
					iov[i].iov_write_done(iov[i].iov_base, iov[i].iov_param);
				continue;
			}
		}
		while (off < len) {
			struct tx_desc *d = txq_push(sk);
			uint32_t n = RTE_MIN(len - off, tpa_cfg.write_chunk_size);

			d->flags = TX_DESC_ZEROCOPY;
			d->addr = (char *)iov[i].iov_base + off;
			d->phys = phys + off;
			d->len = n;
			/* only the last chunk of an iovec releases it to the application */
			if (off + n == len) {
				d->write_done = iov[i].iov_write_done;
				d->base = iov[i].iov_base;
				d->param = iov[i].iov_param;
			}
			d->shinfo.free_cb = tcp_zc_free_cb;
			d->shinfo.fcb_opaque = d;
			rte_mbuf_ext_refcnt_set(&d->shinfo, 1);
			txq_commit(sk, d, t0);
			off += n;
		}
		done += len;
	}
	tcp_schedule_output(sk);
	tcp_output_pending(sk->w);
	tpa_worker_flush(sk->w);
	return (ssize_t)done;
}

static int read_check(struct tcp_sock *sk)
{
	if (sk->rxq_bytes)
		return 1;
	if (sk->err) {
		errno = sk->err;
		return -1;
	}
	if (sk->flags & SK_FIN_RCVD)
		return 0;	/* end of stream */
	if (sk->state == TPA_TCP_LISTEN || sk->state == TPA_TCP_CLOSED) {
		errno = ENOTCONN;
		return -1;
	}
	errno = EAGAIN;
	return -1;
}

/* After the app consumed data the window may have opened enough to say so. */
static void maybe_window_update(struct tcp_sock *sk)
{
	uint32_t adv = SEQ_GT(sk->rcv_adv, sk->rcv_nxt) ? sk->rcv_adv - sk->rcv_nxt : 0;
	uint32_t now = tcp_rcv_window(sk);

	if (now >= adv + 2u * sk->rcv_mss || (adv < sk->rcv_mss && now >= sk->rcv_mss)) {
		sk->flags |= SK_ACK_NOW;
		tcp_schedule_output(sk);
	}
}

static void rxq_pop(struct tcp_sock *sk)
{
	struct rte_mbuf *m = sk->rxq_head;

	sk->rxq_head = pkt_meta(m)->qnext;
	if (!sk->rxq_head)
		sk->rxq_tail = NULL;
}

ssize_t tpa_read(int sid, void *buf, size_t count)
{
	struct tcp_sock *sk = owned_sock(sid);
	size_t done = 0;
	uint64_t now = tpa_now();
	int rc;

	if (!sk)
		return -1;
	rc = read_check(sk);
	if (rc <= 0)
		return rc;
	while (done < count && sk->rxq_head) {
		struct rte_mbuf *m = sk->rxq_head;
		struct pkt_meta *pm = pkt_meta(m);
		uint32_t n = (uint32_t)RTE_MIN((size_t)pm->len, count - done);
		const void *src = rte_pktmbuf_read(m, pm->data_off, n, (char *)buf + done);

		if (src != (char *)buf + done)
			memcpy((char *)buf + done, src, n);
		done += n;
		pm->data_off += n;
		pm->len -= n;
		sk->rxq_bytes -= n;
		if (!pm->len) {
			if (sk->lat) {
				tcp_lat_record(sk, TPA_LAT_READ_DRAIN, pm->rx_tsc, now);
				tcp_lat_record(sk, TPA_LAT_READ_COMPLETE, pm->rx_tsc, now);
			}
			rxq_pop(sk);
			rte_pktmbuf_free(m);
		}
	}
	maybe_window_update(sk);
	return (ssize_t)done;
}

static void zread_done(void *base, void *param)
{
	struct rte_mbuf *m = param;
	struct pkt_meta *pm = pkt_meta(m);
	struct tcp_sock *sk = tcp_sock_get(pm->sid);

	(void)base;
	if (sk && sk->gen == pm->sk_gen) {
		uint32_t n = m->pkt_len < sk->zread_bytes ? m->pkt_len : sk->zread_bytes;
		if (rte_mbuf_refcnt_read(m) == 1) {
			sk->zread_bytes -= n;
			if (sk->lat)
				tcp_lat_read_done(m, tpa_now());
			if (sk->w == tpa_worker_self())
				maybe_window_update(sk);
		}
	}
	rte_pktmbuf_free(m);
}

ssize_t tpa_zreadv(int sid, struct tpa_iovec *iov, int nr_iov)
{
	struct tcp_sock *sk = owned_sock(sid);
	uint64_t now = tpa_now();
	size_t done = 0;
	int n = 0, rc;

	if (!sk)
		return -1;
	rc = read_check(sk);
	if (rc <= 0)
		return rc;
	while (n < nr_iov && sk->rxq_head) {
		struct rte_mbuf *m = sk->rxq_head, *seg;
		struct pkt_meta *pm = pkt_meta(m);
		uint32_t off = pm->data_off, left = pm->len;
		int first = n;

		/* one iovec per segment of the packet that holds unread bytes */
		for (seg = m; seg && left && n < nr_iov; seg = seg->next) {
			uint32_t l;
			if (off >= seg->data_len) {
				off -= seg->data_len;
				continue;
			}
			l = RTE_MIN((uint32_t)seg->data_len - off, left);
			iov[n].iov_base = rte_pktmbuf_mtod_offset(seg, char *, off);
			iov[n].iov_phys = rte_pktmbuf_iova_offset(seg, off);
			iov[n].iov_len = l;
			iov[n].iov_param = m;
			iov[n].iov_read_done = zread_done;
			off = 0;
			left -= l;
			n++;
		}
		if (left) {	/* out of iovecs in the middle of a packet: hand out none of it */
			n = first;
			break;
		}
		/* every iovec releases one reference to the packet */
		if (n - first > 1)
			rte_pktmbuf_refcnt_update(m, (int16_t)(n - first - 1));
		done += pm->len;
		sk->rxq_bytes -= pm->len;
		sk->zread_bytes += m->pkt_len;
		if (sk->lat)
			tcp_lat_record(sk, TPA_LAT_READ_DRAIN, pm->rx_tsc, now);
		pm->len = 0;
		rxq_pop(sk);
	}
	if (!n) {
		errno = ENOBUFS;
		return -1;
	}
	return (ssize_t)done;
}

int tpa_sock_info_get(int sid, struct tpa_sock_info *info)
{
	struct tcp_sock *sk = tcp_sock_get(sid);

	if (!sk || !info) {
		errno = EBADF;
		return -1;
	}
	memset(info, 0, sizeof(*info));
	info->worker = sk->w->id;
	info->state = sk->state;
	info->state_name = tcp_state_name(sk->state);
	info->local_ip.family = info->remote_ip.family = AF_INET;
	info->local_ip.v4 = sk->lip;
	info->remote_ip.v4 = sk->rip;
	info->local_port = rte_be_to_cpu_16(sk->lport);
	info->remote_port = rte_be_to_cpu_16(sk->rport);
	info->mss = sk->mss;
	info->rtt_us = sk->srtt_us;
	info->rttvar_us = sk->rttvar_us;
	info->rto_us = sk->rto_us;
	info->cwnd = sk->cwnd;
	info->ssthresh = sk->ssthresh;
	info->snd_wnd = sk->snd_wnd;
	info->rcv_wnd = tcp_rcv_window(sk);
	info->bytes_in = sk->bytes_in;
	info->bytes_out = sk->bytes_out;
	info->pkts_in = sk->pkts_in;
	info->pkts_out = sk->pkts_out;
	info->retrans_pkts = sk->retrans_pkts;
	info->retrans_bytes = sk->retrans_bytes;
	info->rto_count = sk->rto_count;
	info->fast_retrans = sk->fast_retrans;
	info->dup_acks_in = sk->dup_acks_in;
	info->ooo_pkts = sk->ooo_pkts;
	info->zero_wnd_probes = sk->zwnd_probes;
	info->created_ns = tpa_tsc_to_ns(sk->created_tsc);
	return 0;
}

int tpa_sock_lat_get(int sid, enum tpa_lat_stage stage, struct tpa_lat_hist *out)
{
	struct tcp_sock *sk = tcp_sock_get(sid);

	if (!sk || (unsigned)stage >= TPA_LAT_NR_STAGE || !out) {
		errno = EINVAL;
		return -1;
	}
	if (!sk->lat)
		memset(out, 0, sizeof(*out));
	else
		memcpy(out, &sk->lat[stage], sizeof(*out));
	return 0;
}
