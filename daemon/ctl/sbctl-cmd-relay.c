/* sbctl-cmd-relay.c - switchboardctl relay: stdin/stdout to the control socket, for ssh:// */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "sbctl-cmd.h"

/* Writes all of buf to fd; false when fd is gone. */
static bool
write_all(int fd, const char *buf, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, buf, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return false;
		buf += n;
		len -= (size_t)n;
	}
	return true;
}

enum sbctl_exit
sbctl_cmd_relay(struct sbctl_ctx *ctx, int argc, char **argv)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	static char buf[65536];
	int fd;

	if (!sbctl_parse_options(ctx, argc, argv, NULL, NULL, NULL))
		return sbctl_options_exit(ctx);
	if (optind < argc) {
		sbctl_warn("relay: unexpected argument: %s", argv[optind]);
		return SBCTL_EXIT_REFUSED;
	}
	if (strlen(ctx->socket) >= sizeof sa.sun_path) {
		sbctl_warn("control socket path too long: %s", ctx->socket);
		return SBCTL_EXIT_UNREACHABLE;
	}
	memcpy(sa.sun_path, ctx->socket, strlen(ctx->socket) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
		sbctl_warn("cannot reach the daemon at %s: %s", ctx->socket, strerror(errno));
		if (fd >= 0)
			close(fd);
		return SBCTL_EXIT_UNREACHABLE;
	}
	/* Bytes as they come, both ways; either side's end ends the relay. */
	for (;;) {
		struct pollfd p[2] = { { STDIN_FILENO, POLLIN, 0 }, { fd, POLLIN, 0 } };

		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (p[0].revents) {
			ssize_t n = read(STDIN_FILENO, buf, sizeof buf);

			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0 || !write_all(fd, buf, (size_t)n))
				break;
		}
		if (p[1].revents) {
			ssize_t n = read(fd, buf, sizeof buf);

			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0 || !write_all(STDOUT_FILENO, buf, (size_t)n))
				break;
		}
	}
	close(fd);
	return SBCTL_EXIT_OK;
}
