/* SPDX-License-Identifier: BSD-3-Clause */
/** @file File-system helpers shared by the library, tpad and the tools. */
#ifndef TPA_FSUTIL_H
#define TPA_FSUTIL_H

/**
 * Remove @p path and, if it is a directory, everything below it, without
 * ever following a symbolic link. A missing path is not an error.
 * @return 0, or -1 when something could not be removed.
 */
int tpa_rmtree(const char *path);

#endif
