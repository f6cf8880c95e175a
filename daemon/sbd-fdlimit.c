/* sbd-fdlimit.c - raises RLIMIT_NOFILE to what the connection limit needs */
#include "sbd-fdlimit.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "sb-log.h"

#define FD_RESERVE 256
#define NR_OPEN_PATH "/proc/sys/fs/nr_open"

rlim_t
sbd_fd_need(unsigned max_connections)
{
	return 4 * (rlim_t)max_connections + FD_RESERVE;
}

/* The kernel's ceiling for any RLIMIT_NOFILE (fs.nr_open), or 0 when unknown. */
static rlim_t
nr_open(void)
{
	FILE *f = fopen(NR_OPEN_PATH, "re");
	unsigned long long n = 0;

	if (f == NULL)
		return 0;
	if (fscanf(f, "%llu", &n) != 1)
		n = 0;
	fclose(f);
	return (rlim_t)n;
}

static const char *
shown(char *buf, size_t cap, rlim_t v)
{
	if (v == RLIM_INFINITY)
		return "unlimited";
	snprintf(buf, cap, "%llu", (unsigned long long)v);
	return buf;
}

rlim_t
sbd_fd_limit_raise(unsigned max_connections)
{
	rlim_t need = sbd_fd_need(max_connections), ceiling = nr_open();
	struct rlimit rl;
	const char *hard_note = "";

	if (getrlimit(RLIMIT_NOFILE, &rl) < 0) {
		sb_log_errno(SB_LOG_WARN, "descriptors: getrlimit");
		return 0;
	}
	if (ceiling > 0 && need > ceiling)
		need = ceiling;
	if (rl.rlim_max != RLIM_INFINITY && rl.rlim_max < need) {
		struct rlimit more = { .rlim_cur = need, .rlim_max = need };

		if (setrlimit(RLIMIT_NOFILE, &more) == 0)
			rl = more;
		else
			hard_note = errno == EPERM ? " (the hard limit stays: no CAP_SYS_RESOURCE)" :
			    " (the hard limit stays: setrlimit failed)";
	}
	if (rl.rlim_cur < rl.rlim_max) {
		struct rlimit soft = { .rlim_cur = rl.rlim_max, .rlim_max = rl.rlim_max };

		/* An infinite hard limit still leaves the soft one at most fs.nr_open. */
		if (soft.rlim_cur == RLIM_INFINITY && ceiling > 0)
			soft.rlim_cur = ceiling;
		if (setrlimit(RLIMIT_NOFILE, &soft) == 0)
			rl.rlim_cur = soft.rlim_cur;
	}
	char cur[24], max[24];
	if (rl.rlim_cur < need)
		sb_warn("descriptors: %s of the %llu that %u connections may take%s; past them "
		    "accepts are put off and clients refused", shown(cur, sizeof cur, rl.rlim_cur),
		    (unsigned long long)need, max_connections, hard_note);
	else
		sb_info("descriptors: %s (hard limit %s) for %u connections",
		    shown(cur, sizeof cur, rl.rlim_cur), shown(max, sizeof max, rl.rlim_max),
		    max_connections);
	return rl.rlim_cur;
}
