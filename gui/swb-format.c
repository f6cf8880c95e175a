/* swb-format.c - human-readable byte counts, rates, durations, times and sockets for the views */
#include "swb-format.h"

#include <string.h>

#include "sb-control.h"
#include "sb-ssh.h"

char *
swb_format_bytes(guint64 bytes)
{
	if (bytes < 1000)
		return g_strdup_printf("%" G_GUINT64_FORMAT " B", bytes);
	return g_format_size(bytes);
}

char *
swb_format_rate(double bytes_per_s)
{
	g_autofree char *size = NULL;

	if (bytes_per_s < 0.5)
		return g_strdup("0 B/s");
	size = swb_format_bytes((guint64)(bytes_per_s + 0.5));
	return g_strdup_printf("%s/s", size);
}

char *
swb_format_duration(gint64 seconds)
{
	if (seconds < 0)
		seconds = 0;
	if (seconds < 60)
		return g_strdup_printf("%" G_GINT64_FORMAT " s", seconds);
	if (seconds < 3600)
		return g_strdup_printf("%" G_GINT64_FORMAT " min %02" G_GINT64_FORMAT " s",
		    seconds / 60, seconds % 60);
	if (seconds < 86400)
		return g_strdup_printf("%" G_GINT64_FORMAT " h %02" G_GINT64_FORMAT " min",
		    seconds / 3600, seconds % 3600 / 60);
	return g_strdup_printf("%" G_GINT64_FORMAT " d %" G_GINT64_FORMAT " h",
	    seconds / 86400, seconds % 86400 / 3600);
}

char *
swb_format_clock(GDateTime *time)
{
	g_autoptr(GDateTime) local = NULL;

	if (time == NULL)
		return g_strdup("");
	local = g_date_time_to_local(time);
	return g_date_time_format(local, "%H:%M:%S");
}

gint64
swb_parse_rfc3339(const char *text)
{
	int64_t ms;

	if (text == NULL || sb_time_parse_rfc3339(text, &ms) < 0)
		return 0;
	return ms * 1000;
}

char *
swb_format_socket(const char *path)
{
	const char *home = g_get_home_dir();
	g_autofree char *tilde = NULL;
	glong len;

	if (sb_ssh_is_url(path)) {
		const char *host = path + strlen("ssh://");

		return g_strdup_printf("ssh %.*s", (int)strcspn(host, "/"), host);
	}
	if (home != NULL && g_str_has_prefix(path, home) && path[strlen(home)] == '/')
		path = tilde = g_strconcat("~", path + strlen(home), NULL);
	len = g_utf8_strlen(path, -1);
	if (len <= 24)
		return g_strdup(path);
	return g_strconcat("…", g_utf8_offset_to_pointer(path, len - 23), NULL);
}
