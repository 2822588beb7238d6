/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * tclient: a test client on the stack. Connects to HOST:PORT, sends N
 * pseudo-random bytes (fixed seed) while receiving, then closes, and prints
 * SHA-256 digests of both streams so a test can compare them with what the
 * peer saw.
 *
 *   tclient [--send N] [--recv N|eof] [--seed S] [--close-unread]
 *           [--timeout SEC] [--linger-ms MS] [--wait-file PATH] HOST PORT
 *
 * --wait-file: keep the worker running but do not connect before PATH exists
 * (the lab's "ready" file: the TAP is in place only then).
 *
 * Output (stdout, one item per line):
 *   connected local_port=P
 *   sent=N sha256=HEX
 *   recv=N sha256=HEX
 *   closed state=STATE          (state the socket reached after tpa_close)
 *   error errno=E name=NAME     (connection failed or was reset; exit 1)
 * Exit: 0 done, 1 connection error, 2 usage, 3 timeout.
 */
#include <errno.h>
#include <getopt.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "example_util.h"

/* ----------------------------------------------------------- SHA-256 (FIPS 180-4) */

struct sha256 {
	uint32_t h[8];
	uint64_t len;
	uint8_t buf[64];
	uint32_t fill;
};

static const uint32_t sha_k[64] = {
	0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
	0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
	0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
	0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
	0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
	0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
	0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
	0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

#define ROR(x, n) (((x) >> (n)) | ((x) << (32 - (n))))

static void sha256_init(struct sha256 *s)
{
	static const uint32_t iv[8] = { 0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
					0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19 };

	memcpy(s->h, iv, sizeof(iv));
	s->len = 0;
	s->fill = 0;
}

static void sha256_block(struct sha256 *s, const uint8_t *p)
{
	uint32_t w[64], v[8];

	for (int i = 0; i < 16; i++)
		w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 | (uint32_t)p[4 * i + 2] << 8 | p[4 * i + 3];
	for (int i = 16; i < 64; i++) {
		uint32_t s0 = ROR(w[i - 15], 7) ^ ROR(w[i - 15], 18) ^ (w[i - 15] >> 3);
		uint32_t s1 = ROR(w[i - 2], 17) ^ ROR(w[i - 2], 19) ^ (w[i - 2] >> 10);
		w[i] = w[i - 16] + s0 + w[i - 7] + s1;
	}
	memcpy(v, s->h, sizeof(v));
	for (int i = 0; i < 64; i++) {
		uint32_t t1 = v[7] + (ROR(v[4], 6) ^ ROR(v[4], 11) ^ ROR(v[4], 25)) + ((v[4] & v[5]) ^ (~v[4] & v[6])) +
			      sha_k[i] + w[i];
		uint32_t t2 = (ROR(v[0], 2) ^ ROR(v[0], 13) ^ ROR(v[0], 22)) +
			      ((v[0] & v[1]) ^ (v[0] & v[2]) ^ (v[1] & v[2]));
		memmove(v + 1, v, 7 * sizeof(v[0]));
		v[4] += t1;
		v[0] = t1 + t2;
	}
	for (int i = 0; i < 8; i++)
		s->h[i] += v[i];
}

static void sha256_update(struct sha256 *s, const void *data, size_t n)
{
	const uint8_t *p = data;

	s->len += n;
	while (n) {
		if (!s->fill && n >= 64) {
			sha256_block(s, p);
			p += 64;
			n -= 64;
			continue;
		}
		uint32_t k = 64 - s->fill < n ? 64 - s->fill : (uint32_t)n;
		memcpy(s->buf + s->fill, p, k);
		s->fill += k;
		p += k;
		n -= k;
		if (s->fill == 64) {
			sha256_block(s, s->buf);
			s->fill = 0;
		}
	}
}

static void sha256_hex(struct sha256 *s, char out[65])
{
	uint64_t bits = s->len * 8;
	uint8_t pad[72] = { 0x80 };
	uint32_t padlen = (s->fill < 56 ? 56 : 120) - s->fill;

	for (int i = 0; i < 8; i++)
		pad[padlen + i] = (uint8_t)(bits >> (56 - 8 * i));
	sha256_update(s, pad, padlen + 8);
	for (int i = 0; i < 8; i++)
		snprintf(out + 8 * i, 9, "%08x", s->h[i]);
}

/* ----------------------------------------------------------------- the client */

#define BLOCK (64 * 1024)
#define MIN(a, b) ((a) < (b) ? (a) : (b))

static uint64_t prng_state;

/* xorshift64*: fast and reproducible for a seed; not for cryptography */
static void fill_random(uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i += 8) {
		uint64_t x = prng_state;
		x ^= x >> 12;
		x ^= x << 25;
		x ^= x >> 27;
		prng_state = x;
		x *= 0x2545f4914f6cdd1dull;
		memcpy(p + i, &x, n - i < 8 ? n - i : 8);
	}
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void usage(void)
{
	fprintf(stderr, "usage: tclient [--send N] [--recv N|eof] [--seed S] [--close-unread] [--timeout SEC] "
			"[--linger-ms MS] [--wait-file PATH] HOST PORT\n");
}

static int parse_count(const char *opt, const char *v, uint64_t *out)
{
	char *end;

	errno = 0;
	*out = strtoull(v, &end, 0);
	if (errno || end == v || *end || *v == '-') {
		fprintf(stderr, "tclient: %s: bad value '%s': expected a byte count\n", opt, v);
		return -1;
	}
	return 0;
}

static void report_error(int err)
{
	const char *name = err == ECONNREFUSED ? "ECONNREFUSED" : err == ECONNRESET ? "ECONNRESET" :
			   err == ETIMEDOUT ? "ETIMEDOUT" : err == EPIPE ? "EPIPE" : "other";

	printf("error errno=%d name=%s (%s)\n", err, name, strerror(err));
}

int main(int argc, char **argv)
{
	static const struct option lopts[] = {
		{ "send", required_argument, NULL, 's' },   { "recv", required_argument, NULL, 'r' },
		{ "seed", required_argument, NULL, 'S' },   { "close-unread", no_argument, NULL, 'u' },
		{ "timeout", required_argument, NULL, 't' }, { "linger-ms", required_argument, NULL, 'l' },
		{ "wait-file", required_argument, NULL, 'w' }, { "help", no_argument, NULL, 'h' },	    { NULL, 0, NULL, 0 },
	};
	uint64_t to_send = 0, to_recv = 0, sent = 0, rcvd = 0, seed = 1, timeout = 60, linger_ms = 3000;
	int recv_eof = 0, close_unread = 0, opt, port, sid, rc = 0, connected = 0, peer_fin = 0;
	struct sha256 tx_sha, rx_sha;
	static uint8_t txbuf[BLOCK], rxbuf[BLOCK];
	size_t tx_off = 0, tx_len = 0;
	struct tpa_sock_info info;
	struct tpa_worker *w;
	char hex[65];
	const char *wait_file = NULL;
	double deadline;

	while ((opt = getopt_long(argc, argv, "h", lopts, NULL)) != -1) {
		switch (opt) {
		case 's':
			if (parse_count("--send", optarg, &to_send))
				return 2;
			break;
		case 'r':
			if (strcmp(optarg, "eof") == 0)
				recv_eof = 1;
			else if (parse_count("--recv", optarg, &to_recv))
				return 2;
			break;
		case 'S':
			if (parse_count("--seed", optarg, &seed))
				return 2;
			break;
		case 'u':
			close_unread = 1;
			break;
		case 't':
			if (parse_count("--timeout", optarg, &timeout) || !timeout)
				return 2;
			break;
		case 'l':
			if (parse_count("--linger-ms", optarg, &linger_ms))
				return 2;
			break;
		case 'w':
			wait_file = optarg;
			break;
		default:
			usage();
			return 2;
		}
	}
	if (optind != argc - 2 || (port = atoi(argv[optind + 1])) <= 0 || port > 65535) {
		usage();
		return 2;
	}
	prng_state = seed ? seed : 1;
	sha256_init(&tx_sha);
	sha256_init(&rx_sha);
	ex_install_signals();
	if (tpa_init(1)) {
		fprintf(stderr, "tclient: cannot start the stack\n");
		return 1;
	}
	w = tpa_worker_init();
	deadline = now_s() + (double)timeout;
	while (wait_file && access(wait_file, F_OK) != 0 && !ex_stop) {
		if (now_s() > deadline) {
			fprintf(stderr, "tclient: %s did not appear in %llus\n", wait_file, (unsigned long long)timeout);
			tpa_fini();
			return 3;
		}
		tpa_worker_run(w);
		usleep(1000);
	}
	sid = tpa_connect_to(argv[optind], (uint16_t)port, NULL);
	if (sid < 0) {
		fprintf(stderr, "tclient: connect %s:%d: %s\n", argv[optind], port, strerror(errno));
		tpa_fini();
		return 1;
	}
	deadline = now_s() + (double)timeout;

	/* no events needed: try both directions on every turn of the loop */
	while (!ex_stop) {
		ssize_t n;

		tpa_worker_run(w);
		if (now_s() > deadline) {
			fprintf(stderr, "tclient: timeout after %llus: sent %llu/%llu, received %llu\n",
				(unsigned long long)timeout, (unsigned long long)sent, (unsigned long long)to_send,
				(unsigned long long)rcvd);
			rc = 3;
			break;
		}
		if (!connected && tpa_sock_info_get(sid, &info) == 0 && info.state >= TPA_TCP_ESTABLISHED) {
			connected = 1;
			printf("connected local_port=%u\n", info.local_port);
			fflush(stdout);
		}
		if (close_unread) {
			/* wait for data to be queued, then close without reading it */
			if (tpa_sock_info_get(sid, &info) == 0 && info.bytes_in > 0)
				break;
			n = tpa_read(sid, rxbuf, 0);
			if (n < 0 && errno != EAGAIN) {
				report_error(errno);
				rc = 1;
				break;
			}
			continue;
		}
		if (!peer_fin && (recv_eof || rcvd < to_recv)) {
			size_t want = recv_eof ? BLOCK : (size_t)MIN((uint64_t)BLOCK, to_recv - rcvd);
			n = tpa_read(sid, rxbuf, want);
			if (n > 0) {
				sha256_update(&rx_sha, rxbuf, (size_t)n);
				rcvd += (uint64_t)n;
			} else if (n == 0) {
				peer_fin = 1;
			} else if (errno != EAGAIN) {
				report_error(errno);
				rc = 1;
				break;
			}
		}
		while (sent < to_send) {
			if (tx_off == tx_len) {
				tx_len = (size_t)MIN((uint64_t)BLOCK, to_send - sent);
				fill_random(txbuf, tx_len);
				tx_off = 0;
			}
			n = tpa_write(sid, txbuf + tx_off, tx_len - tx_off);
			if (n < 0) {
				if (errno != EAGAIN) {
					report_error(errno);
					rc = 1;
				}
				break;
			}
			sha256_update(&tx_sha, txbuf + tx_off, (size_t)n);
			tx_off += (size_t)n;
			sent += (uint64_t)n;
		}
		if (rc)
			break;
		if (sent == to_send && connected && (recv_eof ? peer_fin : rcvd >= to_recv || peer_fin))
			break;
	}
	sha256_hex(&tx_sha, hex);
	printf("sent=%llu sha256=%s\n", (unsigned long long)sent, hex);
	sha256_hex(&rx_sha, hex);
	printf("recv=%llu sha256=%s\n", (unsigned long long)rcvd, hex);
	fflush(stdout);

	/* close, then run the worker until the FIN exchange is over (or the linger ends) */
	tpa_close(sid);
	{
		double end = now_s() + (double)linger_ms / 1000;
		const char *state = "gone";

		while (now_s() < end) {
			tpa_worker_run(w);
			if (tpa_sock_info_get(sid, &info)) {
				state = "gone";
				break;
			}
			state = info.state_name;
			if (info.state == TPA_TCP_TIME_WAIT || info.state == TPA_TCP_CLOSED)
				break;
		}
		printf("closed state=%s\n", state);
	}
	ex_print_stats(stdout);
	fflush(stdout);
	tpa_fini();
	return rc;
}
