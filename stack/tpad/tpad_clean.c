/* SPDX-License-Identifier: BSD-3-Clause */
/* tpad: removing what a dead instance left on disk. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <mntent.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tpad_int.h"

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

int tpad_rmtree(const char *path)
{
	return rm_at(AT_FDCWD, path, 0);
}

/* Hugepage files of a non in-memory instance: <mount>/<prefix>map_N. */
static int rm_hugefiles(const char *prefix)
{
	FILE *mt = setmntent("/proc/mounts", "r");
	struct mntent *me;
	int nr = 0;

	if (!mt)
		return 0;
	while ((me = getmntent(mt))) {
		DIR *d;
		struct dirent *de;

		if (strcmp(me->mnt_type, "hugetlbfs") || !(d = opendir(me->mnt_dir)))
			continue;
		while ((de = readdir(d)))
			if (!strncmp(de->d_name, prefix, strlen(prefix)) && !unlinkat(dirfd(d), de->d_name, 0))
				nr++;
		closedir(d);
	}
	endmntent(mt);
	return nr;
}

void tpad_cleanup_files(const struct tpad_ctx *ctx)
{
	if (tpad_rmtree(ctx->run_dir))
		tpad_log(ctx, 0, "warning: cannot remove %s: %s", ctx->run_dir, strerror(errno));
	if (ctx->dpdk_dir[0] && tpad_rmtree(ctx->dpdk_dir))
		tpad_log(ctx, 0, "warning: cannot remove %s: %s", ctx->dpdk_dir, strerror(errno));
	if (ctx->huge_prefix[0]) {
		int n = rm_hugefiles(ctx->huge_prefix);
		if (n)
			tpad_log(ctx, 1, "removed %d hugepage file(s) %s*", n, ctx->huge_prefix);
	}
}
