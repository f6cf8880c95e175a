/* sb-log.h - leveled logging to stderr, as text or one JSON object per line */
#pragma once

#include <stdarg.h>
#include <stdbool.h>

enum sb_log_level {
	SB_LOG_DEBUG,
	SB_LOG_INFO,
	SB_LOG_WARN,
	SB_LOG_ERROR,
};

enum sb_log_format {
	SB_LOG_TEXT,
	SB_LOG_JSON,
};

/* Returns -1 for an unknown name. */
int sb_log_level_from_name(const char *name, enum sb_log_level *out);
int sb_log_format_from_name(const char *name, enum sb_log_format *out);

void sb_log_setup(enum sb_log_level level, enum sb_log_format format);
bool sb_log_enabled(enum sb_log_level level);

/* Thread-safe; one line per call; never exits. */
void sb_log(enum sb_log_level level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void sb_logv(enum sb_log_level level, const char *fmt, va_list ap)
	__attribute__((format(printf, 2, 0)));
/* Like sb_log, with ": strerror(errno)" appended. */
void sb_log_errno(enum sb_log_level level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#define sb_debug(...) sb_log(SB_LOG_DEBUG, __VA_ARGS__)
#define sb_info(...)  sb_log(SB_LOG_INFO, __VA_ARGS__)
#define sb_warn(...)  sb_log(SB_LOG_WARN, __VA_ARGS__)
#define sb_error(...) sb_log(SB_LOG_ERROR, __VA_ARGS__)
