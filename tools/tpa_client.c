/* SPDX-License-Identifier: BSD-3-Clause */
/* Finding instances under the run dir and talking to their control sockets. */
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "tpa.h"
#include "fsutil.h"

const char *tpa_run_dir;
const char *tpa_inst;

int tpa_clean_stale(int verbose)
{
	return tpa_clean_stale_instances(tpa_run_dir, verbose ? stderr : NULL);
}

/* Live instance ids, sorted; returns how many (up to max). */
static int list_ids(char ids[][64], int max)
{
	struct dirent **ents;
	int n = scandir(tpa_run_dir, &ents, NULL, alphasort), k = 0;

	for (int i = 0; i < n; i++) {
		char p[1024];
		struct stat st;

		snprintf(p, sizeof(p), "%s/%s/ctrl", tpa_run_dir, ents[i]->d_name);
		if (ents[i]->d_name[0] != '.' && !stat(p, &st) && S_ISSOCK(st.st_mode) && k < max &&
		    strlen(ents[i]->d_name) < 64)
			snprintf(ids[k++], 64, "%s", ents[i]->d_name);
		free(ents[i]);
	}
	if (n >= 0)
		free(ents);
	return k;
}

int tpa_resolve(char *id, size_t len)
{
	char ids[64][64];
	int n;

	if (tpa_inst) {
		snprintf(id, len, "%s", tpa_inst);
		return 0;
	}
	tpa_clean_stale(1);
	n = list_ids(ids, 64);
	if (n == 1) {
		snprintf(id, len, "%s", ids[0]);
		return 0;
	}
	if (n == 0)
		fprintf(stderr, "tpa: no tpa instance running under %s\n", tpa_run_dir);
	else {
		fprintf(stderr, "tpa: %d instances under %s; pick one with -i ID:", n, tpa_run_dir);
		for (int i = 0; i < n; i++)
			fprintf(stderr, " %s", ids[i]);
		fprintf(stderr, "\n");
	}
	return -1;
}

int tpa_connect(const char *id)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct timeval tv = { .tv_sec = 5 };
	int fd;

	if ((size_t)snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/%s/ctrl", tpa_run_dir, id) >= sizeof(sa.sun_path)) {
		fprintf(stderr, "tpa: control socket path too long\n");
		return -1;
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		fprintf(stderr, "tpa: instance '%s': cannot connect to %s: %s\n", id, sa.sun_path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	return fd;
}

json_t *tpa_call_fd(int fd, json_t *req)
{
	char *out = json_dumps(req, JSON_COMPACT), *buf = NULL;
	size_t len = 0, cap = 0;
	json_error_t jerr;
	json_t *rep;

	json_decref(req);
	if (!out)
		return NULL;
	if (send(fd, out, strlen(out), MSG_NOSIGNAL) < 0 || send(fd, "\n", 1, MSG_NOSIGNAL) < 0) {
		fprintf(stderr, "tpa: send: %s\n", strerror(errno));
		free(out);
		return NULL;
	}
	free(out);
	for (;;) {
		ssize_t r;
		if (len + 65536 > cap) {
			cap = cap ? cap * 2 : 1 << 17;
			buf = realloc(buf, cap);
			if (!buf)
				return NULL;
		}
		r = recv(fd, buf + len, cap - len - 1, 0);
		if (r <= 0) {
			fprintf(stderr, "tpa: no reply from the instance: %s\n", r ? strerror(errno) : "connection closed");
			free(buf);
			return NULL;
		}
		len += (size_t)r;
		if (buf[len - 1] == '\n')
			break;
	}
	rep = json_loadb(buf, len, 0, &jerr);
	free(buf);
	if (!rep)
		fprintf(stderr, "tpa: bad reply: %s\n", jerr.text);
	return rep;
}

json_t *tpa_call(const char *id, json_t *req)
{
	int fd = tpa_connect(id);
	json_t *rep;

	if (fd < 0) {
		json_decref(req);
		return NULL;
	}
	rep = tpa_call_fd(fd, req);
	close(fd);
	if (rep && !json_is_true(json_object_get(rep, "ok"))) {
		fprintf(stderr, "tpa: %s\n", json_string_value(json_object_get(rep, "error")) ?: "request failed");
		json_decref(rep);
		return NULL;
	}
	return rep;
}

const char *tpa_human(double n, char *buf, size_t len)
{
	static const char u[] = " KMGTP";
	int i = 0;

	while (n >= 1024 && i < 5) {
		n /= 1024;
		i++;
	}
	if (i == 0)
		snprintf(buf, len, "%.0f", n);
	else
		snprintf(buf, len, "%.1f%c", n, u[i]);
	return buf;
}
