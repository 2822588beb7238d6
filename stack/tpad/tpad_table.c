/* SPDX-License-Identifier: BSD-3-Clause */
/* tpad: the shared connection table (obs.run_dir/<id>/tpad-conns). The stack
 * is the only writer; each entry is written by the worker owning the socket,
 * so a per-entry sequence counter is enough to spot a torn entry. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "net.h"
#include "tcp.h"
#include "tpad_int.h"

static struct tpad_hdr *tab;
static size_t tab_size;
static uint32_t tab_nr;

size_t tpad_table_size(uint32_t nr)
{
	return sizeof(struct tpad_hdr) + (size_t)nr * sizeof(struct tpad_conn);
}

int tpad_table_create(const char *path, uint32_t nr, uint32_t ip, const uint8_t mac[6])
{
	size_t size = tpad_table_size(nr);
	struct tpad_hdr *h;
	int fd;

	fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return -1;
	if (ftruncate(fd, (off_t)size)) {
		close(fd);
		return -1;
	}
	h = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	if (h == MAP_FAILED)
		return -1;
	h->version = TPAD_VERSION;
	h->hdr_size = sizeof(*h);
	h->entry_size = sizeof(struct tpad_conn);
	h->nr_entries = nr;
	h->file_size = size;
	h->pid = (int32_t)getpid();
	h->ip = ip;
	memcpy(h->mac, mac, 6);
	snprintf(h->name, sizeof(h->name), "%s", TPAD_FILE);
	__atomic_store_n(&h->magic, TPAD_MAGIC, __ATOMIC_RELEASE);
	tab = h;
	tab_size = size;
	tab_nr = nr;
	return 0;
}

struct tpad_hdr *tpad_table_get(void)
{
	return tab;
}

void tpad_table_close(void)
{
	if (tab)
		munmap(tab, tab_size);
	tab = NULL;
	tab_nr = 0;
}

struct tpad_hdr *tpad_table_open(const char *path, size_t *size)
{
	struct tpad_hdr *h;
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return NULL;
	if (fstat(fd, &st) || (size_t)st.st_size < sizeof(*h)) {
		close(fd);
		errno = EINVAL;
		return NULL;
	}
	h = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_SHARED, fd, 0);
	close(fd);
	if (h == MAP_FAILED)
		return NULL;
	if (h->magic != TPAD_MAGIC || h->version != TPAD_VERSION || h->entry_size != sizeof(struct tpad_conn) ||
	    h->hdr_size < sizeof(*h) || tpad_table_size(h->nr_entries) + h->hdr_size - sizeof(*h) >
	    (size_t)st.st_size) {
		munmap(h, (size_t)st.st_size);
		errno = EINVAL;
		return NULL;
	}
	*size = (size_t)st.st_size;
	return h;
}

/* The next hop's MAC for @p rip. Sockets do not keep it, so read the
 * neighbour table; only on a connection's first publication, and a one-entry
 * cache per thread spares the copy for the usual few peers. */
static void peer_mac(uint32_t rip, uint8_t mac[6])
{
	static __thread uint32_t cached_ip;
	static __thread uint8_t cached_mac[6];
	struct neigh_entry nb[NEIGH_TABLE_SIZE];
	uint32_t hop = ip_next_hop(rip);
	int n;

	if (hop && hop == cached_ip) {
		memcpy(mac, cached_mac, 6);
		return;
	}
	memset(mac, 0, 6);
	n = neigh_dump(nb, NEIGH_TABLE_SIZE);
	for (int i = 0; i < n; i++) {
		if (nb[i].ip == hop && (nb[i].state == NEIGH_REACHABLE || nb[i].state == NEIGH_STALE)) {
			memcpy(mac, nb[i].mac.addr_bytes, 6);
			cached_ip = hop;
			memcpy(cached_mac, mac, 6);
			return;
		}
	}
}

void tpad_conn_update(const struct tcp_sock *sk)
{
	struct tpad_conn *e;
	int live;

	if (!tab || sk->sid < 0 || (uint32_t)sk->sid >= tab_nr)
		return;
	e = &tpad_entries(tab)[sk->sid];
	live = sk->in_use && tpad_state_live(sk->state);
	if (!live && e->state == TPA_TCP_CLOSED)
		return;
	__atomic_store_n(&e->seq, e->seq + 1, __ATOMIC_RELAXED);
	__atomic_thread_fence(__ATOMIC_RELEASE);
	if (live) {
		if (e->state == TPA_TCP_CLOSED || e->rip != sk->rip || !(e->peer_mac[0] | e->peer_mac[1] |
		    e->peer_mac[2] | e->peer_mac[3] | e->peer_mac[4] | e->peer_mac[5]))
			peer_mac(sk->rip, e->peer_mac);
		e->family = 4;
		e->lip = sk->lip;
		e->rip = sk->rip;
		e->lport = sk->lport;
		e->rport = sk->rport;
		e->snd_una = sk->snd_una;
		e->snd_nxt = SEQ_MAX(sk->snd_nxt, sk->snd_max);
		e->rcv_nxt = sk->rcv_nxt;
		e->snd_wnd = sk->snd_wnd;
	}
	e->state = live ? sk->state : TPA_TCP_CLOSED;
	__atomic_thread_fence(__ATOMIC_RELEASE);
	__atomic_store_n(&e->seq, e->seq + 1, __ATOMIC_RELAXED);
}
