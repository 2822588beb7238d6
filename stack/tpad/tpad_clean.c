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

#include "fsutil.h"
#include "tpad_int.h"

int tpad_rmtree(const char *path)
{
	return tpa_rmtree(path);
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
