/* sbd-accept.c - accept without spinning on EMFILE: pause, report once in a while, reserve fd */
#include "sbd-accept.h"

#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "sb-log.h"

/* Shortages are reported at most this often. */
#define REPORT_INTERVAL_MS 5000

/*
 * Descriptors are a resource of the process, shared by every loop: so are the
 * reserve and the report of a shortage.
 */
static atomic_int reserve_fd = -1;
static atomic_uint_fast64_t last_report_ms;
static atomic_uint put_off;  /* accept attempts that found no descriptor */
static atomic_uint refused;  /* connections told "no" on the reserve */

/* False when the reserve is missing and no descriptor is left to make it again. */
static bool
reserve_take_back(void)
{
	int expected = -1;
	int fd;

	if (atomic_load(&reserve_fd) >= 0)
		return true;
	fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno != EMFILE && errno != ENFILE;
	if (!atomic_compare_exchange_strong(&reserve_fd, &expected, fd))
		close(fd);
	return true;
}

void
sbd_accept_init(void)
{
	reserve_take_back();
}

void
sbd_accept_fini(void)
{
	int fd = atomic_exchange(&reserve_fd, -1);

	if (fd >= 0)
		close(fd);
}

static void
report_shortage(const char *what, int err)
{
	uint64_t now = sbd_now_ms();
	uint_fast64_t last = atomic_load(&last_report_ms);

	if (last != 0 && now - last < REPORT_INTERVAL_MS)
		return;
	if (!atomic_compare_exchange_strong(&last_report_ms, &last, now))
		return; /* another loop reports this round */
	sb_warn("%s: accept: %s: not accepting for a second; since the last report %u "
	    "connection(s) refused, %u accept(s) put off (reported once per %u s)", what,
	    strerror(err), atomic_exchange(&refused, 0), atomic_exchange(&put_off, 0),
	    REPORT_INTERVAL_MS / 1000);
}

enum sbd_accept_result
sbd_accept(struct sbd_watch *w, const char *what, int *fd, struct sockaddr_storage *addr,
    socklen_t *len)
{
	struct sockaddr *sa = (struct sockaddr *)addr;

	for (;;) {
		if (len != NULL)
			*len = sizeof *addr;
		*fd = accept4(w->fd, sa, len, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (*fd >= 0) {
			if (reserve_take_back())
				return SBD_ACCEPT_OK;
			/* It took the last descriptor, the reserve's (another loop's accept
			 * won the race for it): it is told "no", and the reserve comes back. */
			sbd_loop_watch_pause(w);
			atomic_fetch_add(&refused, 1);
			report_shortage(what, EMFILE);
			return SBD_ACCEPT_REFUSE;
		}
		if (errno == EINTR || errno == ECONNABORTED || errno == EPROTO)
			continue; /* that one is gone; the next may be fine */
		if (errno != EMFILE && errno != ENFILE && errno != ENOBUFS && errno != ENOMEM)
			return SBD_ACCEPT_NONE; /* EAGAIN: nothing waits */
		break;
	}

	int err = errno;

	sbd_loop_watch_pause(w);
	if (err == EMFILE || err == ENFILE) {
		int spare = atomic_exchange(&reserve_fd, -1);

		if (spare >= 0) {
			close(spare);
			if (len != NULL)
				*len = sizeof *addr;
			*fd = accept4(w->fd, sa, len, SOCK_NONBLOCK | SOCK_CLOEXEC);
			if (*fd >= 0) {
				atomic_fetch_add(&refused, 1);
				report_shortage(what, err);
				return SBD_ACCEPT_REFUSE;
			}
			reserve_take_back();
		}
	}
	atomic_fetch_add(&put_off, 1);
	report_shortage(what, err);
	return SBD_ACCEPT_NONE;
}

void
sbd_accept_refused(int fd)
{
	close(fd);
	reserve_take_back();
}
