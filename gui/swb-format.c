/* swb-format.c - human-readable byte counts, rates, durations and times for the views */
#include "swb-format.h"

#include "sb-control.h"

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
