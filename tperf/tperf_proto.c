/* SPDX-License-Identifier: BSD-3-Clause */
/* The connection header (docs/tperf.md "Wire protocol"). */
#include <string.h>
#include <endian.h>

#include "tperf.h"

static const char *const test_names[] = {
	[TPERF_T_NONE] = "none", [TPERF_T_READ] = "read", [TPERF_T_WRITE] = "write",
	[TPERF_T_RW] = "rw", [TPERF_T_RR] = "rr", [TPERF_T_CRR] = "crr",
	[TPERF_T_L2PP] = "l2pp", [TPERF_T_CTRL] = "ctrl",
};

const char *tperf_test_name(int t)
{
	if (t < 0 || t >= (int)(sizeof(test_names) / sizeof(test_names[0])) || !test_names[t])
		return "?";
	return test_names[t];
}

int tperf_test_parse(const char *s)
{
	for (int t = TPERF_T_READ; t <= TPERF_T_L2PP; t++)
		if (strcmp(s, test_names[t]) == 0)
			return t;
	return -1;
}

static void put32(uint8_t *p, uint32_t v)
{
	v = htobe32(v);
	memcpy(p, &v, 4);
}

static uint32_t get32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return be32toh(v);
}

void tperf_hello_encode(const struct tperf_hello *h, uint8_t out[TPERF_HELLO_LEN])
{
	uint64_t sid = htobe64(h->session_id);

	memset(out, 0, TPERF_HELLO_LEN);
	put32(out, TPERF_MAGIC);
	out[4] = h->version;
	out[5] = h->test;
	out[6] = h->flags;
	put32(out + 8, h->msg_size);
	put32(out + 12, h->conn_index);
	memcpy(out + 16, &sid, 8);
	put32(out + 24, h->duration_ms);
	put32(out + 28, h->rate);
}

int tperf_hello_decode(const uint8_t in[TPERF_HELLO_LEN], struct tperf_hello *h, const char **why)
{
	uint64_t sid;

	if (get32(in) != TPERF_MAGIC) {
		*why = "bad magic (not a tperf peer)";
		return -1;
	}
	h->version = in[4];
	h->test = in[5];
	h->flags = in[6];
	h->msg_size = get32(in + 8);
	h->conn_index = get32(in + 12);
	memcpy(&sid, in + 16, 8);
	h->session_id = be64toh(sid);
	h->duration_ms = get32(in + 24);
	h->rate = get32(in + 28);
	if (h->version != TPERF_PROTO_VERSION) {
		*why = "unsupported protocol version";
		return -1;
	}
	if (h->test != TPERF_T_CTRL && (h->test < TPERF_T_READ || h->test > TPERF_T_CRR)) {
		*why = "unknown test";
		return -1;
	}
	if (h->test != TPERF_T_CTRL && (h->msg_size == 0 || h->msg_size > (64u << 20))) {
		*why = "message size out of range";
		return -1;
	}
	return 0;
}
