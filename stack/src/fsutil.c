/* SPDX-License-Identifier: BSD-3-Clause */
#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <time.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fsutil.h"

static int rm_at(int dfd, const char *name, int depth)
{
	struct stat st;
	DIR *d;
	struct dirent *de;
	int fd, rc = 0;

	if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW))
		return errno == ENOENT ? 0 : -1;
	if (!S_ISDIR(st.st_mode))
		return unlinkat(dfd, name, 0) && errno != ENOENT ? -1 : 0;
	if (depth > 16)
		return -1;
	fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 || !(d = fdopendir(fd))) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	while ((de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		rc |= rm_at(dirfd(d), de->d_name, depth + 1);
	}
	closedir(d);
	if (unlinkat(dfd, name, AT_REMOVEDIR) && errno != ENOENT)
		rc = -1;
	return rc;
}

int tpa_rmtree(const char *path)
{
	return rm_at(AT_FDCWD, path, 0);
}

int tpa_instance_pid(const char *dir)
{
	char p[1100];
	FILE *f;
	int pid = -1;

	snprintf(p, sizeof(p), "%s/pid", dir);
	f = fopen(p, "r");
	if (!f)
		return -1;
	if (fscanf(f, "%d", &pid) != 1)
		pid = -1;
	fclose(f);
	return pid;
}

int tpa_clean_stale_instances(const char *run_dir, FILE *log)
{
	DIR *d = opendir(run_dir);
	struct dirent *e;
	char p[1024];
	int n = 0;

	if (!d)
		return 0;
	while ((e = readdir(d))) {
		struct stat st;
		int pid;

		if (e->d_name[0] == '.')
			continue;
		snprintf(p, sizeof(p), "%s/%s", run_dir, e->d_name);
		if (stat(p, &st) || !S_ISDIR(st.st_mode))
			continue;
		pid = tpa_instance_pid(p);
		/* a dir without a pid file may be one being made right now */
		if (pid <= 0 && time(NULL) - st.st_mtime < 10)
			continue;
		if (pid > 0 && !(kill(pid, 0) && errno == ESRCH))
			continue;
		tpa_rmtree(p);
		if (log)
			fprintf(log, "tpa: removed stale instance dir %s (pid %d is gone)\n", p, pid);
		n++;
	}
	closedir(d);
	return n;
}
