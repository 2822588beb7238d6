/* SPDX-License-Identifier: BSD-3-Clause */
/** @file Stack logging: one line per event on stderr, level from cfg log.level. */
#ifndef TPA_LOG_H
#define TPA_LOG_H

enum tpa_log_level { TPA_LOG_ERR, TPA_LOG_WARN, TPA_LOG_INFO, TPA_LOG_DEBUG };

extern int tpa_log_level;

void tpa_log(enum tpa_log_level lvl, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define LOG_ERR(...)   tpa_log(TPA_LOG_ERR, __VA_ARGS__)
#define LOG_WARN(...)  tpa_log(TPA_LOG_WARN, __VA_ARGS__)
#define LOG_INFO(...)  do { if (tpa_log_level >= TPA_LOG_INFO) tpa_log(TPA_LOG_INFO, __VA_ARGS__); } while (0)
#define LOG_DEBUG(...) do { if (tpa_log_level >= TPA_LOG_DEBUG) tpa_log(TPA_LOG_DEBUG, __VA_ARGS__); } while (0)

#endif
