/* sb-control.c - the control protocol's names, default socket path and time stamps */
#include "sb-control.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sb-alloc.h"

static const char *const method_names[SB_METHOD_COUNT] = {
	[SB_METHOD_STATUS] = "status",
	[SB_METHOD_CONNECTIONS_LIST] = "connections.list",
	[SB_METHOD_CONNECTIONS_CLOSE] = "connections.close",
	[SB_METHOD_CONNECTIONS_GET] = "connections.get",
	[SB_METHOD_POLICY_GET] = "policy.get",
	[SB_METHOD_POLICY_VALIDATE] = "policy.validate",
	[SB_METHOD_POLICY_APPLY] = "policy.apply",
	[SB_METHOD_EVENTS_SUBSCRIBE] = "events.subscribe",
	[SB_METHOD_BACKENDS_LIST] = "backends.list",
	[SB_METHOD_BACKENDS_SET] = "backends.set",
	[SB_METHOD_DAEMON_TAKEOVER] = "daemon.takeover",
	[SB_METHOD_DAEMON_DRAIN] = "daemon.drain",
};

static const char *const event_names[SB_EVENT_COUNT] = {
	[SB_EVENT_CONNECTION_OPENED] = "connection.opened",
	[SB_EVENT_CONNECTION_UPDATED] = "connection.updated",
	[SB_EVENT_CONNECTION_CLOSED] = "connection.closed",
	[SB_EVENT_UPGRADE_REJECTED] = "upgrade.rejected",
	[SB_EVENT_POLICY_APPLIED] = "policy.applied",
	[SB_EVENT_BACKEND_STATE] = "backend.state",
	[SB_EVENT_SUBSCRIPTION_DROPPED] = "subscription.dropped",
};

static const struct {
	int code;
	const char *message;
} error_messages[] = {
	{ SB_ERR_PARSE, "Parse error" },
	{ SB_ERR_INVALID_REQUEST, "Invalid Request" },
	{ SB_ERR_METHOD_NOT_FOUND, "Method not found" },
	{ SB_ERR_INVALID_PARAMS, "Invalid params" },
	{ SB_ERR_INTERNAL, "Internal error" },
	{ SB_ERR_POLICY_INVALID, "invalid policy" },
	{ SB_ERR_STALE_REVISION, "stale revision: the policy was changed since it was read" },
	{ SB_ERR_NO_SUCH_CONNECTION, "no such connection" },
	{ SB_ERR_POLICY_WRITE, "cannot write the policy file" },
	{ SB_ERR_NO_SUCH_BACKEND, "no such backend server" },
	{ SB_ERR_NOT_OWNER, "permission denied: only the daemon's owner may do this" },
	{ SB_ERR_DRAINING, "the daemon is draining" },
};

const char *
sb_control_method_name(enum sb_control_method method)
{
	if ((unsigned)method >= SB_METHOD_COUNT)
		return NULL;
	return method_names[method];
}

bool
sb_control_method_lookup(const char *name, enum sb_control_method *out)
{
	for (int i = 0; i < SB_METHOD_COUNT; i++) {
		if (strcmp(method_names[i], name) == 0) {
			*out = (enum sb_control_method)i;
			return true;
		}
	}
	return false;
}

const char *
sb_control_event_name(enum sb_control_event event)
{
	if ((unsigned)event >= SB_EVENT_COUNT)
		return NULL;
	return event_names[event];
}

bool
sb_control_event_lookup(const char *name, enum sb_control_event *out)
{
	for (int i = 0; i < SB_EVENT_COUNT; i++) {
		if (strcmp(event_names[i], name) == 0) {
			*out = (enum sb_control_event)i;
			return true;
		}
	}
	return false;
}

const char *
sb_control_error_message(int code)
{
	for (size_t i = 0; i < sizeof error_messages / sizeof error_messages[0]; i++) {
		if (error_messages[i].code == code)
			return error_messages[i].message;
	}
	if (code >= -32099 && code <= -32000)
		return "Server error";
	return "error";
}

static const char *
env_nonempty(const char *name)
{
	const char *v = getenv(name);

	return v != NULL && v[0] != '\0' ? v : NULL;
}

char *
sb_control_default_socket(void)
{
	const char *v;
	uid_t uid = getuid();

	if ((v = env_nonempty("SWITCHBOARD_CONTROL")) != NULL)
		return sb_xstrdup(v);
	if (uid == 0)
		return sb_xstrdup("/run/switchboard/control.sock");
	if ((v = env_nonempty("XDG_RUNTIME_DIR")) != NULL)
		return sb_xasprintf("%s/switchboard/control.sock", v);
	return sb_xasprintf("/tmp/switchboard-%lu/control.sock", (unsigned long)uid);
}

/*
 * Days since 1970-01-01 <-> proleptic Gregorian dates, exact over all of
 * int64 milliseconds (H. Hinnant's civil-from-days algorithm); no time_t limits.
 */
static int64_t
floor_div(int64_t a, int64_t b)
{
	int64_t q = a / b;

	return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

static void
civil_from_days(int64_t z, int64_t *y, int *m, int *d)
{
	int64_t era, yoe, doy, mp;

	z += 719468;
	era = floor_div(z, 146097);
	int64_t doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = yoe + era * 400 + (*m <= 2);
}

static int64_t
days_from_civil(int64_t y, int m, int d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = floor_div(y, 400);
	yoe = y - era * 400;
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

void
sb_time_rfc3339(int64_t unix_ms, char out[SB_TIME_RFC3339_MAX])
{
	int64_t days = floor_div(unix_ms, 86400000);
	int64_t ms_of_day = unix_ms % 86400000; /* days * 86400000 overflows near INT64_MIN */

	if (ms_of_day < 0)
		ms_of_day += 86400000;
	int64_t year;
	int month, day;

	char text[64]; /* the compiler cannot see that year stays within ten digits */

	civil_from_days(days, &year, &month, &day);
	snprintf(text, sizeof text, "%04lld-%02d-%02dT%02d:%02d:%02d.%03dZ",
	    (long long)year, month, day, (int)(ms_of_day / 3600000),
	    (int)(ms_of_day / 60000 % 60), (int)(ms_of_day / 1000 % 60),
	    (int)(ms_of_day % 1000));
	size_t n = strnlen(text, SB_TIME_RFC3339_MAX - 1);

	memcpy(out, text, n);
	out[n] = '\0';
}

/* Reads exactly n digits at *p; advances *p. */
static bool
read_digits(const char **p, int n, int *out)
{
	int v = 0;

	for (int i = 0; i < n; i++) {
		if ((*p)[i] < '0' || (*p)[i] > '9')
			return false;
		v = v * 10 + ((*p)[i] - '0');
	}
	*p += n;
	*out = v;
	return true;
}

static bool
expect(const char **p, char c)
{
	if (**p != c)
		return false;
	(*p)++;
	return true;
}

static int
days_in_month(int y, int m)
{
	static const int days[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

	return m == 2 && leap ? 29 : days[m - 1];
}

int
sb_time_parse_rfc3339(const char *text, int64_t *unix_ms)
{
	const char *p = text;
	int y, mo, d, h, mi, s, ms = 0, off_h = 0, off_m = 0, sign = 0;

	if (!read_digits(&p, 4, &y) || !expect(&p, '-') || !read_digits(&p, 2, &mo) ||
	    !expect(&p, '-') || !read_digits(&p, 2, &d))
		return -1;
	if (*p != 'T' && *p != 't' && *p != ' ')
		return -1;
	p++;
	if (!read_digits(&p, 2, &h) || !expect(&p, ':') || !read_digits(&p, 2, &mi) ||
	    !expect(&p, ':') || !read_digits(&p, 2, &s))
		return -1;
	if (*p == '.') {
		int scale = 100;

		p++;
		if (*p < '0' || *p > '9')
			return -1;
		for (; *p >= '0' && *p <= '9'; p++) {
			ms += (*p - '0') * scale;
			scale /= 10;
		}
	}
	if (*p == 'Z' || *p == 'z') {
		p++;
	} else if (*p == '+' || *p == '-') {
		sign = *p == '+' ? 1 : -1;
		p++;
		if (!read_digits(&p, 2, &off_h) || !expect(&p, ':') ||
		    !read_digits(&p, 2, &off_m) || off_h > 23 || off_m > 59)
			return -1;
	} else {
		return -1;
	}
	if (*p != '\0' || mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo) || h > 23 ||
	    mi > 59 || s > 60)
		return -1;
	*unix_ms = ((days_from_civil(y, mo, d) * 24 + h) * 60 + mi) * 60000 + (int64_t)s * 1000 +
	    ms - (int64_t)sign * (off_h * 60 + off_m) * 60000;
	return 0;
}
