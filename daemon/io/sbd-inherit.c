/* sbd-inherit.c - listening sockets handed to this process, kept by the address they are bound to */
#include "sbd-inherit.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sb-addr.h"
#include "sb-alloc.h"
#include "sb-log.h"

struct inherited {
	int fd;
	enum sbd_inherit_from from;
	struct sockaddr_storage addr;
	socklen_t len;
};

static struct inherited *table;
static size_t n_table;

const char *
sbd_inherit_from_name(enum sbd_inherit_from from)
{
	return from == SBD_INHERIT_SYSTEMD ? "systemd" : "the daemon taken over";
}

int
sbd_inherit_add(int fd, enum sbd_inherit_from from)
{
	struct inherited in = { .fd = fd, .from = from, .len = sizeof in.addr };
	int type = 0, listening = 0;
	socklen_t tl = sizeof type, ll = sizeof listening;
	int fl = fcntl(fd, F_GETFL), fdfl = fcntl(fd, F_GETFD);

	if (getsockname(fd, (struct sockaddr *)&in.addr, &in.len) < 0 ||
	    (in.addr.ss_family != AF_INET && in.addr.ss_family != AF_INET6) ||
	    getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &tl) < 0 || type != SOCK_STREAM ||
	    getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &ll) < 0 || !listening) {
		sb_warn("fd %d from %s: not a listening TCP socket: closed", fd,
		    sbd_inherit_from_name(from));
		close(fd);
		return -1;
	}
	if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0 || fdfl < 0 ||
	    fcntl(fd, F_SETFD, fdfl | FD_CLOEXEC) < 0) {
		sb_log_errno(SB_LOG_WARN, "fd %d from %s: fcntl", fd, sbd_inherit_from_name(from));
		close(fd);
		return -1;
	}
	table = sb_xrealloc(table, (n_table + 1) * sizeof *table);
	table[n_table++] = in;
	return 0;
}

unsigned
sbd_inherit_systemd(void)
{
	const char *pid = getenv("LISTEN_PID"), *fds = getenv("LISTEN_FDS");
	unsigned added = 0;
	char *end;
	long n;

	if (pid == NULL || fds == NULL || strtol(pid, NULL, 10) != (long)getpid())
		return 0;
	n = strtol(fds, &end, 10);
	if (*end != '\0' || n < 0 || n > 1024) {
		sb_warn("systemd: LISTEN_FDS=%s is not a count of sockets: none used", fds);
		n = 0;
	}
	for (int fd = 3; fd < 3 + n; fd++)
		added += sbd_inherit_add(fd, SBD_INHERIT_SYSTEMD) == 0;
	unsetenv("LISTEN_PID");
	unsetenv("LISTEN_FDS");
	unsetenv("LISTEN_FDNAMES");
	return added;
}

/* The same family, address and port: what getsockname() fills beyond them may differ. */
static bool
same_address(const struct sockaddr_storage *a, const struct sockaddr *b)
{
	if (a->ss_family != b->sa_family)
		return false;
	if (b->sa_family == AF_INET) {
		const struct sockaddr_in *x = (const void *)a, *y = (const void *)b;

		return x->sin_port == y->sin_port && x->sin_addr.s_addr == y->sin_addr.s_addr;
	}
	const struct sockaddr_in6 *x = (const void *)a, *y = (const void *)b;

	return x->sin6_port == y->sin6_port &&
	    memcmp(&x->sin6_addr, &y->sin6_addr, sizeof x->sin6_addr) == 0;
}

int
sbd_inherit_take(const struct sockaddr *addr, socklen_t len, enum sbd_inherit_from *from)
{
	(void)len;
	for (size_t i = 0; i < n_table; i++) {
		if (!same_address(&table[i].addr, addr))
			continue;
		int fd = table[i].fd;

		*from = table[i].from;
		table[i] = table[--n_table];
		return fd;
	}
	return -1;
}

void
sbd_inherit_give_back(int fd, enum sbd_inherit_from from)
{
	int copy;

	if (from != SBD_INHERIT_SYSTEMD)
		return;
	copy = fcntl(fd, F_DUPFD_CLOEXEC, 3);
	if (copy < 0) {
		sb_log_errno(SB_LOG_WARN, "fd %d from %s: kept for a later policy: dup", fd,
		    sbd_inherit_from_name(from));
		return;
	}
	sbd_inherit_add(copy, from);
}

unsigned
sbd_inherit_drop(enum sbd_inherit_from from)
{
	unsigned dropped = 0;

	for (size_t i = 0; i < n_table;) {
		if (table[i].from != from) {
			i++;
			continue;
		}
		char text[SB_ADDR_TEXT_MAX];

		sb_addr_format((struct sockaddr *)&table[i].addr, text);
		sb_info("socket %s from %s: not in the policy: closed", text,
		    sbd_inherit_from_name(from));
		close(table[i].fd);
		table[i] = table[--n_table];
		dropped++;
	}
	return dropped;
}

void
sbd_inherit_fini(void)
{
	for (size_t i = 0; i < n_table; i++)
		close(table[i].fd);
	free(table);
	table = NULL;
	n_table = 0;
}
