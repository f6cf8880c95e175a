/* sb-log.c - leveled logging; each line goes out in one write(2) */
#include "sb-log.h"

#include <errno.h>
#include <json-c/json.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "sb-escape.h"

static enum sb_log_level log_level = SB_LOG_INFO;
static enum sb_log_format log_format = SB_LOG_TEXT;

static const char *const level_names[] = {
	[SB_LOG_DEBUG] = "debug",
	[SB_LOG_INFO] = "info",
	[SB_LOG_WARN] = "warn",
	[SB_LOG_ERROR] = "error",
};

int
sb_log_level_from_name(const char *name, enum sb_log_level *out)
{
	for (size_t i = 0; i < sizeof level_names / sizeof level_names[0]; i++) {
		if (strcmp(name, level_names[i]) == 0) {
			*out = (enum sb_log_level)i;
			return 0;
		}
	}
	return -1;
}

int
sb_log_format_from_name(const char *name, enum sb_log_format *out)
{
	if (strcmp(name, "text") == 0)
		*out = SB_LOG_TEXT;
	else if (strcmp(name, "json") == 0)
		*out = SB_LOG_JSON;
	else
		return -1;
	return 0;
}

void
sb_log_setup(enum sb_log_level level, enum sb_log_format format)
{
	log_level = level;
	log_format = format;
}

bool
sb_log_enabled(enum sb_log_level level)
{
	return level >= log_level;
}

static void
write_all(const char *s, size_t n)
{
	while (n > 0) {
		ssize_t w = write(STDERR_FILENO, s, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return;
		s += w;
		n -= (size_t)w;
	}
}

/*
 * Messages carry text from the wire (paths, headers, close reasons): their
 * control characters are escaped here, in both formats, so a line feed or an
 * ESC sent by a client can neither forge a line nor reach a terminal.
 */
static void
emit(enum sb_log_level level, const char *raw)
{
	char *msg = sb_escape_text_dup(raw);
	char stamp[64];
	struct timespec ts;
	struct tm tm;

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	snprintf(stamp, sizeof stamp, "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ", tm.tm_year + 1900,
	    tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ts.tv_nsec / 1000000);

	if (log_format == SB_LOG_JSON) {
		json_object *o = json_object_new_object();
		const char *s;

		json_object_object_add(o, "time", json_object_new_string(stamp));
		json_object_object_add(o, "level", json_object_new_string(level_names[level]));
		json_object_object_add(o, "message", json_object_new_string(msg));
		s = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
		    JSON_C_TO_STRING_NOSLASHESCAPE);
		char *line = NULL;
		int n = asprintf(&line, "%s\n", s);
		if (n > 0)
			write_all(line, (size_t)n);
		free(line);
		json_object_put(o);
	} else {
		char *line = NULL;
		int n = asprintf(&line, "%s %s %s\n", stamp, level_names[level], msg);

		if (n > 0)
			write_all(line, (size_t)n);
		free(line);
	}
	free(msg);
}

void
sb_logv(enum sb_log_level level, const char *fmt, va_list ap)
{
	char *msg = NULL;

	if (!sb_log_enabled(level))
		return;
	if (vasprintf(&msg, fmt, ap) < 0)
		return;
	emit(level, msg);
	free(msg);
}

void
sb_log(enum sb_log_level level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	sb_logv(level, fmt, ap);
	va_end(ap);
}

void
sb_log_errno(enum sb_log_level level, const char *fmt, ...)
{
	int saved = errno;
	char *msg = NULL;
	va_list ap;

	if (!sb_log_enabled(level))
		return;
	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) < 0)
		msg = NULL;
	va_end(ap);
	if (msg == NULL)
		return;
	sb_log(level, "%s: %s", msg, strerror(saved));
	free(msg);
}
