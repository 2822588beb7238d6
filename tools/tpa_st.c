/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * tpa st: decode socket traces, live (obs.run_dir/<id>/trace) or archived
 * (.../archive/NAME.trace). Everything about the layout comes from the parser
 * text inside the file: the slot layout, the meta and ring fields, the
 * enums and, per record type, its fields (packed from byte 1 in order) and
 * the line template. A file written by an older or newer stack decodes
 * with this tool as long as its parser says what it holds.
 *
 * Parser lines (see docs/observability.md):
 *   tpa-trace 1
 *   layout nr_slot=N slot_size=S meta=OFF ring=OFF records=R
 *   meta NAME:TYPE[:FMT]@OFF ...      TYPE: u8 u16 u32 u64 be16 ip4
 *   ring NAME:TYPE@OFF ... rec:SIZE@OFF
 *   enum NAME V0 V1 ...               bits NAME B0 B1 ...
 *   rec ID NAME FIELD:uBITS[:FMT] ... [| TEMPLATE]
 *        FMT: d x time sseq rseq errno, or an enum/bits name; field "-" is padding
 *        TEMPLATE: text with {field} and {a-b}; a leading "+" continues the previous line
 *   init VAR=METAFIELD[+N]             seeds a template variable from the slot meta
 *   archive KEY=VALUE ...
 * Unknown line kinds are ignored, so a parser may grow.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "tpa.h"

#define NAME_MAX_ 32
#define MAX_LOC 32
#define MAX_NAMED 16
#define MAX_VALS 32
#define MAX_FIELDS 8
#define MAX_VARS 128

struct loc {
	char name[NAME_MAX_];
	char type[16];
	char fmt[NAME_MAX_];	/* optional: NAME:TYPE:FMT@OFF */
	size_t off;
};

struct named {
	char name[NAME_MAX_];
	int n;
	char v[MAX_VALS][24];
};

struct fdef {
	char name[NAME_MAX_];
	int bytes;
	char fmt[NAME_MAX_];
};

struct recdef {
	int valid;
	char name[NAME_MAX_];
	int nf;
	struct fdef f[MAX_FIELDS];
	char tmpl[256];
};

struct parser {
	uint64_t nr_slot, slot_size, meta_off, ring_off, records;
	struct loc meta[MAX_LOC];
	int nmeta;
	struct loc ring[MAX_LOC];
	int nring;
	size_t rec_size, rec_off;
	struct named enums[MAX_NAMED], bits[MAX_NAMED];
	int nenum, nbits;
	struct recdef rec[256];
	char archive[256];
	struct { char var[NAME_MAX_], field[NAME_MAX_]; long add; } init[8];
	int ninit;
};

struct opts {
	int abs;
	long sid;
};

/* ------------------------------------------------------------ parsing */

static int parse_loc(const char *tok, struct loc *l)
{
	const char *c = strchr(tok, ':'), *at = strchr(tok, '@');

	if (!c || !at || at < c || (size_t)(c - tok) >= NAME_MAX_ || (size_t)(at - c - 1) >= sizeof(l->type))
		return -1;
	memcpy(l->name, tok, (size_t)(c - tok));
	l->name[c - tok] = 0;
	memcpy(l->type, c + 1, (size_t)(at - c - 1));
	l->type[at - c - 1] = 0;
	l->fmt[0] = 0;
	if (strchr(l->type, ':')) {
		snprintf(l->fmt, sizeof(l->fmt), "%s", strchr(l->type, ':') + 1);
		*strchr(l->type, ':') = 0;
	}
	l->off = strtoul(at + 1, NULL, 10);
	return 0;
}

static void parse_rec(struct parser *p, char *line)
{
	char *bar = strstr(line, " | "), *save = NULL, *tok;
	struct recdef r;
	int id, pos = 1;

	memset(&r, 0, sizeof(r));
	if (bar) {
		*bar = 0;
		snprintf(r.tmpl, sizeof(r.tmpl), "%s", bar + 3);
	}
	tok = strtok_r(line, " ", &save);	/* "rec" */
	tok = strtok_r(NULL, " ", &save);
	if (!tok || (id = atoi(tok)) <= 0 || id > 255)
		return;
	tok = strtok_r(NULL, " ", &save);
	if (!tok)
		return;
	snprintf(r.name, sizeof(r.name), "%s", tok);
	while ((tok = strtok_r(NULL, " ", &save)) && r.nf < MAX_FIELDS) {
		struct fdef *f = &r.f[r.nf];
		char *c1 = strchr(tok, ':'), *c2;
		int bits;

		if (!c1)
			return;
		*c1 = 0;
		c2 = strchr(c1 + 1, ':');
		if (c2)
			*c2 = 0;
		if (c1[1] != 'u' || (bits = atoi(c1 + 2)) <= 0 || bits % 8 || bits > 56)
			return;	/* a record we cannot place: leave it undefined */
		snprintf(f->name, sizeof(f->name), "%s", tok);
		f->bytes = bits / 8;
		if (c2)
			snprintf(f->fmt, sizeof(f->fmt), "%s", c2 + 1);
		pos += f->bytes;
		if (pos > 8)
			return;
		r.nf++;
	}
	r.valid = 1;
	p->rec[id] = r;
}

static void parse_named(struct named *n, char *line)
{
	char *save = NULL, *tok = strtok_r(line, " ", &save);

	tok = strtok_r(NULL, " ", &save);
	if (!tok)
		return;
	snprintf(n->name, sizeof(n->name), "%s", tok);
	while ((tok = strtok_r(NULL, " ", &save)) && n->n < MAX_VALS)
		snprintf(n->v[n->n++], sizeof(n->v[0]), "%s", tok);
}

static int parse_parser(const char *text, size_t len, struct parser *p, char *err, size_t errlen)
{
	char *buf = strndup(text, len), *save = NULL, *line;
	int first = 1;

	memset(p, 0, sizeof(*p));
	p->rec_size = 8;
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *s2 = NULL, *tok;

		if (first) {
			if (strncmp(line, "tpa-trace ", 10)) {
				snprintf(err, errlen, "not a trace file (parser starts with '%.30s')", line);
				free(buf);
				return -1;
			}
			first = 0;
		} else if (!strncmp(line, "layout ", 7)) {
			for (tok = strtok_r(line + 7, " ", &s2); tok; tok = strtok_r(NULL, " ", &s2)) {
				unsigned long long v = strtoull(strchr(tok, '=') ? strchr(tok, '=') + 1 : "0", NULL, 10);
				if (!strncmp(tok, "nr_slot=", 8)) p->nr_slot = v;
				else if (!strncmp(tok, "slot_size=", 10)) p->slot_size = v;
				else if (!strncmp(tok, "meta=", 5)) p->meta_off = v;
				else if (!strncmp(tok, "ring=", 5)) p->ring_off = v;
				else if (!strncmp(tok, "records=", 8)) p->records = v;
			}
		} else if (!strncmp(line, "meta ", 5) || !strncmp(line, "ring ", 5)) {
			int is_ring = line[0] == 'r';
			for (tok = strtok_r(line + 5, " ", &s2); tok; tok = strtok_r(NULL, " ", &s2)) {
				struct loc l;
				if (parse_loc(tok, &l))
					continue;
				if (is_ring && !strcmp(l.name, "rec")) {
					p->rec_size = strtoul(l.type, NULL, 10);
					p->rec_off = l.off;
				} else if (is_ring && p->nring < MAX_LOC) {
					p->ring[p->nring++] = l;
				} else if (!is_ring && p->nmeta < MAX_LOC) {
					p->meta[p->nmeta++] = l;
				}
			}
		} else if (!strncmp(line, "enum ", 5) && p->nenum < MAX_NAMED) {
			parse_named(&p->enums[p->nenum++], line);
		} else if (!strncmp(line, "bits ", 5) && p->nbits < MAX_NAMED) {
			parse_named(&p->bits[p->nbits++], line);
		} else if (!strncmp(line, "rec ", 4)) {
			parse_rec(p, line);
		} else if (!strncmp(line, "init ", 5) && p->ninit < 8) {
			char *eq = strchr(line + 5, '='), *plus;
			if (eq) {
				*eq = 0;
				plus = strchr(eq + 1, '+');
				p->init[p->ninit].add = plus ? strtol(plus + 1, NULL, 10) : 0;
				if (plus)
					*plus = 0;
				snprintf(p->init[p->ninit].var, NAME_MAX_, "%s", line + 5);
				snprintf(p->init[p->ninit].field, NAME_MAX_, "%s", eq + 1);
				p->ninit++;
			}
		} else if (!strncmp(line, "archive ", 8)) {
			snprintf(p->archive, sizeof(p->archive), "%s", line + 8);
		}
	}
	free(buf);
	if (first || !p->nr_slot || !p->slot_size || p->rec_size != 8) {
		snprintf(err, errlen, "trace parser lacks a usable layout line (nr_slot, slot_size, 8-byte records)");
		return -1;
	}
	return 0;
}

/* ------------------------------------------------------------ values */

static uint64_t get_at(const uint8_t *base, const char *type, size_t off)
{
	uint64_t v = 0;

	if (!strcmp(type, "u8"))
		return base[off];
	if (!strcmp(type, "be16"))
		return (uint64_t)base[off] << 8 | base[off + 1];
	if (!strcmp(type, "ip4"))
		return (uint64_t)base[off] << 24 | (uint64_t)base[off + 1] << 16 | (uint64_t)base[off + 2] << 8 | base[off + 3];
	{
		int n = !strcmp(type, "u16") ? 2 : !strcmp(type, "u32") ? 4 : !strcmp(type, "u64") ? 8 : 0;
		for (int i = n - 1; i >= 0; i--)
			v = v << 8 | base[off + (size_t)i];
	}
	return v;
}

static int loc_get(const struct loc *l, int n, const uint8_t *base, const char *name, uint64_t *v)
{
	for (int i = 0; i < n; i++)
		if (!strcmp(l[i].name, name)) {
			*v = get_at(base, l[i].type, l[i].off);
			return 0;
		}
	return -1;
}

static uint64_t meta_u(const struct parser *p, const uint8_t *meta, const char *name)
{
	uint64_t v = 0;

	loc_get(p->meta, p->nmeta, meta, name, &v);
	return v;
}

struct ctx {
	const struct parser *p;
	const struct opts *o;
	uint64_t iss, irs, created_ns;
	char vname[MAX_VARS][NAME_MAX_];
	uint64_t vval[MAX_VARS];
	int nvar;
};

static void var_set(struct ctx *c, const char *name, uint64_t v)
{
	for (int i = 0; i < c->nvar; i++)
		if (!strcmp(c->vname[i], name)) {
			c->vval[i] = v;
			return;
		}
	if (c->nvar < MAX_VARS) {
		snprintf(c->vname[c->nvar], NAME_MAX_, "%s", name);
		c->vval[c->nvar++] = v;
	}
}

static int var_get(const struct ctx *c, const char *name, uint64_t *v)
{
	for (int i = 0; i < c->nvar; i++)
		if (!strcmp(c->vname[i], name)) {
			*v = c->vval[i];
			return 0;
		}
	return -1;
}

static void fmt_value(const struct ctx *c, const struct fdef *f, uint64_t v, char *out, size_t len)
{
	const char *fmt = f->fmt;

	if (!*fmt || !strcmp(fmt, "d") || !strcmp(fmt, "time")) {
		snprintf(out, len, "%llu", (unsigned long long)v);
		return;
	}
	if (!strcmp(fmt, "x")) {
		snprintf(out, len, "0x%llx", (unsigned long long)v);
		return;
	}
	if (!strcmp(fmt, "sseq") || !strcmp(fmt, "rseq")) {
		uint32_t base = fmt[0] == 's' ? (uint32_t)c->iss : (uint32_t)c->irs;
		snprintf(out, len, "%u", c->o->abs ? (uint32_t)v : (uint32_t)v - base);
		return;
	}
	if (!strcmp(fmt, "errno")) {
		const char *n = strerrorname_np((int)v);
		snprintf(out, len, "%llu%s%s%s", (unsigned long long)v, n ? " (" : "", n ? n : "", n ? ")" : "");
		return;
	}
	for (int i = 0; i < c->p->nenum; i++)
		if (!strcmp(c->p->enums[i].name, fmt)) {
			if (v < (uint64_t)c->p->enums[i].n)
				snprintf(out, len, "%s", c->p->enums[i].v[v]);
			else
				snprintf(out, len, "%llu", (unsigned long long)v);
			return;
		}
	for (int i = 0; i < c->p->nbits; i++)
		if (!strcmp(c->p->bits[i].name, fmt)) {
			size_t n = 0;
			for (int b = 0; b < c->p->bits[i].n && n + 8 < len; b++)
				if (v & (1ull << b))
					n += (size_t)snprintf(out + n, len - n, "%s", c->p->bits[i].v[b]);
			if (!n)
				snprintf(out, len, "-");
			return;
		}
	snprintf(out, len, "%llu", (unsigned long long)v);
}

/* Render one record into @p out (template or generic "name f=v ..."). */
static void render(struct ctx *c, const struct recdef *r, const uint64_t *vals, char *out, size_t len)
{
	size_t n = 0;
	const char *t = r->tmpl;

	if (!*t) {
		n += (size_t)snprintf(out, len, "%s:", r->name);
		for (int i = 0; i < r->nf && n < len; i++) {
			char v[64];
			if (!strcmp(r->f[i].name, "-"))
				continue;
			fmt_value(c, &r->f[i], vals[i], v, sizeof(v));
			n += (size_t)snprintf(out + n, len - n, " %s=%s", r->f[i].name, v);
		}
		return;
	}
	while (*t && n + 1 < len) {
		const char *e;
		char expr[64], v[64], *minus;

		if (*t != '{' || !(e = strchr(t, '}')) || (size_t)(e - t - 1) >= sizeof(expr)) {
			out[n++] = *t++;
			continue;
		}
		memcpy(expr, t + 1, (size_t)(e - t - 1));
		expr[e - t - 1] = 0;
		t = e + 1;
		minus = strchr(expr, '-');
		if (minus && minus != expr) {
			/* {a-b}: signed 32-bit distance, e.g. ack relative to snd_una */
			uint64_t a = 0, b = 0;
			int ha = -1, hb = -1;
			*minus = 0;
			for (int i = 0; i < r->nf; i++) {
				if (!strcmp(r->f[i].name, expr)) a = vals[i], ha = 0;
				if (!strcmp(r->f[i].name, minus + 1)) b = vals[i], hb = 0;
			}
			if (ha) ha = var_get(c, expr, &a);
			if (hb) hb = var_get(c, minus + 1, &b);
			if (ha || hb)
				snprintf(v, sizeof(v), "?");
			else
				snprintf(v, sizeof(v), "%+d", (int32_t)((uint32_t)a - (uint32_t)b));
		} else {
			int found = 0;
			for (int i = 0; i < r->nf; i++)
				if (!strcmp(r->f[i].name, expr)) {
					fmt_value(c, &r->f[i], vals[i], v, sizeof(v));
					found = 1;
					break;
				}
			if (!found) {
				uint64_t x;
				if (var_get(c, expr, &x))
					snprintf(v, sizeof(v), "?");
				else
					snprintf(v, sizeof(v), "%llu", (unsigned long long)x);
			}
		}
		n += (size_t)snprintf(out + n, len - n, "%s", v);
	}
	out[n < len ? n : len - 1] = 0;
}

static void time_str(const struct ctx *c, int64_t us, char *out, size_t len)
{
	if (us < 0) {
		snprintf(out, len, "%*s", c->o->abs ? 15 : 12, "?");
	} else if (c->o->abs) {
		uint64_t ns = c->created_ns + (uint64_t)us * 1000;
		time_t t = (time_t)(ns / 1000000000);
		struct tm tm;
		localtime_r(&t, &tm);
		snprintf(out, len, "%02d:%02d:%02d.%06d", tm.tm_hour, tm.tm_min, tm.tm_sec, (int)(ns % 1000000000 / 1000));
	} else {
		snprintf(out, len, "%12.6f", (double)us / 1e6);
	}
}

static void ip_str(uint64_t ip, char *buf, size_t len)
{
	snprintf(buf, len, "%u.%u.%u.%u", (unsigned)(ip >> 24) & 255, (unsigned)(ip >> 16) & 255,
		 (unsigned)(ip >> 8) & 255, (unsigned)ip & 255);
}

/* Decode one slot; returns the number of records shown. */
static long decode_slot(const struct parser *p, const struct opts *o, const uint8_t *slot)
{
	const uint8_t *meta = slot + p->meta_off, *ring = slot + p->ring_off;
	uint64_t mask = 0, head = 0, nrec, start;
	struct ctx *c = calloc(1, sizeof(*c));
	char line[2048] = "", la[20], ra[20], st[32];
	int64_t now_us = -1;
	long shown = 0;

	if (!c)
		return 0;
	loc_get(p->ring, p->nring, ring, "mask", &mask);
	loc_get(p->ring, p->nring, ring, "head", &head);
	nrec = mask + 1;
	if (!head || (nrec & mask) || p->ring_off + p->rec_off + nrec * p->rec_size > p->slot_size) {
		free(c);
		return 0;
	}
	c->p = p;
	c->o = o;
	c->iss = meta_u(p, meta, "iss");
	c->irs = meta_u(p, meta, "irs");
	c->created_ns = meta_u(p, meta, "created_ns");
	ip_str(meta_u(p, meta, "lip"), la, sizeof(la));
	ip_str(meta_u(p, meta, "rip"), ra, sizeof(ra));
	{
		/* the meta line names the state's enum, e.g. state:u8:state@29 */
		struct fdef sf = { .fmt = "" };
		for (int i = 0; i < p->nmeta; i++)
			if (!strcmp(p->meta[i].name, "state"))
				snprintf(sf.fmt, sizeof(sf.fmt), "%s", p->meta[i].fmt);
		fmt_value(c, &sf, meta_u(p, meta, "state"), st, sizeof(st));
	}
	for (int i = 0; i < p->ninit; i++) {
		uint64_t v;
		if (!loc_get(p->meta, p->nmeta, meta, p->init[i].field, &v))
			var_set(c, p->init[i].var, (uint64_t)((int64_t)v + p->init[i].add));
	}
	start = head > nrec ? head - nrec : 0;
	printf("sock %llu (worker %llu) %s:%llu -> %s:%llu %s: %llu records%s\n",
	       (unsigned long long)meta_u(p, meta, "sid"), (unsigned long long)meta_u(p, meta, "worker"), la,
	       (unsigned long long)meta_u(p, meta, "lport"), ra, (unsigned long long)meta_u(p, meta, "rport"), st,
	       (unsigned long long)(head - start), head > nrec ? " (ring wrapped: oldest lost)" : "");
	for (uint64_t i = start; i < head; i++) {
		const uint8_t *rb = ring + p->rec_off + (i & mask) * p->rec_size;
		uint64_t raw = get_at(rb, "u64", 0), vals[MAX_FIELDS];
		const struct recdef *r = &p->rec[rb[0]];
		char frag[1024], ts[32];
		int pos = 1, is_time = 0;

		if (rb[0] == 0)
			continue;
		if (!r->valid) {
			if (line[0])
				printf("%s\n", line);
			time_str(c, now_us, ts, sizeof(ts));
			snprintf(line, sizeof(line), "%s unknown record type %u: 0x%016llx", ts, rb[0],
				 (unsigned long long)raw);
			continue;
		}
		for (int f = 0; f < r->nf; f++) {
			vals[f] = 0;
			for (int b = r->f[f].bytes - 1; b >= 0; b--)
				vals[f] = vals[f] << 8 | rb[pos + b];
			pos += r->f[f].bytes;
			if (!strcmp(r->f[f].fmt, "time")) {
				now_us = (int64_t)vals[f];
				is_time = 1;
			}
		}
		if (is_time && !r->tmpl[0])
			goto store;
		render(c, r, vals, frag, sizeof(frag));
		if (frag[0] == '+' && line[0]) {
			size_t l = strlen(line);
			snprintf(line + l, sizeof(line) - l, "%s", frag + 1);
		} else {
			if (line[0])
				printf("%s\n", line);
			time_str(c, now_us, ts, sizeof(ts));
			snprintf(line, sizeof(line), "%s %s", ts, frag[0] == '+' ? frag + 2 : frag);
		}
		shown++;
store:
		for (int f = 0; f < r->nf; f++)
			if (strcmp(r->f[f].name, "-"))
				var_set(c, r->f[f].name, vals[f]);
	}
	if (line[0])
		printf("%s\n", line);
	free(c);
	return shown;
}

/* Decode every used slot of the trace file at @p path. 0, or 1 on error. */
static int decode_file(const char *path, const struct opts *o)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat sb;
	const uint8_t *m;
	struct parser *p;
	char err[256];
	uint64_t size, data_off, parser_off;
	uint32_t parser_len;
	int rc = 0, nslot = 0;

	if (fd < 0 || fstat(fd, &sb)) {
		fprintf(stderr, "tpa: %s: %s\n", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return 1;
	}
	if (sb.st_size < 128) {
		fprintf(stderr, "tpa: %s: not a tpa mem file (too short)\n", path);
		close(fd);
		return 1;
	}
	m = mmap(NULL, (size_t)sb.st_size, PROT_READ, MAP_SHARED, fd, 0);
	close(fd);
	if (m == MAP_FAILED) {
		fprintf(stderr, "tpa: %s: mmap: %s\n", path, strerror(errno));
		return 1;
	}
	/* the fixed header (memfile.h): magic, version, sizes, offsets */
	size = get_at(m, "u64", 16);
	data_off = get_at(m, "u64", 24);
	parser_off = get_at(m, "u64", 32);
	parser_len = (uint32_t)get_at(m, "u32", 40);
	if (memcmp(m, "TPAMEMF1", 8) || size > (uint64_t)sb.st_size || parser_off + parser_len > size ||
	    data_off > size) {
		fprintf(stderr, "tpa: %s: not a tpa mem file or truncated\n", path);
		munmap((void *)m, (size_t)sb.st_size);
		return 1;
	}
	p = calloc(1, sizeof(*p));
	if (!p || parse_parser((const char *)m + parser_off, parser_len, p, err, sizeof(err))) {
		fprintf(stderr, "tpa: %s: %s\n", path, p ? err : "out of memory");
		free(p);
		munmap((void *)m, (size_t)sb.st_size);
		return 1;
	}
	if (p->archive[0])
		printf("archive %s\n", p->archive);
	for (uint64_t s = 0; s < p->nr_slot; s++) {
		const uint8_t *slot = m + data_off + s * p->slot_size;
		if (data_off + (s + 1) * p->slot_size > size)
			break;
		if (!meta_u(p, slot + p->meta_off, "gen"))
			continue;
		if (o->sid >= 0 && meta_u(p, slot + p->meta_off, "sid") != (uint64_t)o->sid)
			continue;
		if (decode_slot(p, o, slot))
			nslot++;
	}
	if (!nslot && o->sid >= 0) {
		fprintf(stderr, "tpa: %s: no trace for socket %ld\n", path, o->sid);
		rc = 1;
	}
	free(p);
	munmap((void *)m, (size_t)sb.st_size);
	return rc;
}

static int seq_of(const char *name)
{
	const char *d = strchr(name, '-');

	return d ? atoi(d + 1) : 0;
}

static int by_seq(const struct dirent **a, const struct dirent **b)
{
	return seq_of((*a)->d_name) - seq_of((*b)->d_name);
}

static int only_traces(const struct dirent *e)
{
	size_t n = strlen(e->d_name);

	return n > 6 && !strcmp(e->d_name + n - 6, ".trace");
}

static int decode_archives(const char *id, const struct opts *o)
{
	char dir[1024], path[1400];
	struct dirent **ents;
	int n, rc = 0, shown = 0;

	snprintf(dir, sizeof(dir), "%s/%s/archive", tpa_run_dir, id);
	n = scandir(dir, &ents, only_traces, by_seq);
	if (n < 0) {
		printf("no archives in %s\n", dir);
		return 0;
	}
	for (int i = 0; i < n; i++) {
		if (o->sid < 0 || atoi(ents[i]->d_name) == o->sid) {
			snprintf(path, sizeof(path), "%s/%s", dir, ents[i]->d_name);
			printf("== %s\n", path);
			rc |= decode_file(path, o);
			shown++;
		}
		free(ents[i]);
	}
	free(ents);
	if (!shown)
		printf("no archives%s in %s\n", o->sid >= 0 ? " for that socket" : "", dir);
	return rc;
}

int tpa_cmd_st(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "rel", no_argument, NULL, 'R' }, { "abs", no_argument, NULL, 'A' },
		{ "archives", no_argument, NULL, 'a' }, { "sid", required_argument, NULL, 's' }, { 0 }
	};
	struct opts o = { .sid = -1 };
	int archives = 0, c;
	char id[256], path[1400];
	const char *arg = NULL;
	struct stat sb;

	optind = 0;
	while ((c = getopt_long(argc, argv, "s:", lo, NULL)) != -1)
		switch (c) {
		case 'R': o.abs = 0; break;
		case 'A': o.abs = 1; break;
		case 'a': archives = 1; break;
		case 's': {
			char *end;
			o.sid = strtol(optarg, &end, 10);
			if (!*optarg || *end || o.sid < 0) {
				fprintf(stderr, "tpa: st: bad socket id '%s'\n", optarg);
				return 2;
			}
			break;
		}
		default:
			fprintf(stderr, "usage: tpa st [ID|FILE] [-s SID] [--rel|--abs] [--archives]\n");
			return 2;
		}
	if (optind < argc)
		arg = argv[optind++];
	if (optind < argc) {
		fprintf(stderr, "usage: tpa st [ID|FILE] [-s SID] [--rel|--abs] [--archives]\n");
		return 2;
	}
	if (arg && (strchr(arg, '/') || (!stat(arg, &sb) && S_ISREG(sb.st_mode)))) {
		if (archives) {
			fprintf(stderr, "tpa: st: --archives takes an instance id, not a file\n");
			return 2;
		}
		return decode_file(arg, &o);
	}
	if (arg)
		snprintf(id, sizeof(id), "%s", arg);
	else if (tpa_resolve(id, sizeof(id)))
		return 1;
	if (archives)
		return decode_archives(id, &o);
	snprintf(path, sizeof(path), "%s/%s/trace", tpa_run_dir, id);
	return decode_file(path, &o);
}
