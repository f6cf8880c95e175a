/* server.c - the backends: an epoll echo server, and one that answers an upgrade first */
#include <arpa/inet.h>
#include <errno.h>
#include <gnutls/crypto.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "bench-client.h"

struct echo_conn {
	int fd;
	size_t off, len;
	bool eof;
	bool in_head; /* upgrade-echo: the request head is still being read */
	unsigned char buf[CHUNK];
};

static void
echo_close(int ep, struct echo_conn *c)
{
	epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
	free(c);
}

static void
base64(const unsigned char *in, size_t n, char *out)
{
	static const char abc[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

	for (size_t i = 0; i < n; i += 3) {
		unsigned v = (unsigned)in[i] << 16 | (i + 1 < n ? (unsigned)in[i + 1] << 8 : 0) |
		    (i + 2 < n ? in[i + 2] : 0);

		*out++ = abc[v >> 18 & 63];
		*out++ = abc[v >> 12 & 63];
		*out++ = i + 1 < n ? abc[v >> 6 & 63] : '=';
		*out++ = i + 2 < n ? abc[v & 63] : '=';
	}
	*out = '\0';
}

/* The value of header name (lowercase, with ':') in head, or "". */
static void
header_value(const char *head, const char *name, char *out, size_t cap)
{
	const char *p = strcasestr(head, name);
	size_t n;

	out[0] = '\0';
	if (p == NULL)
		return;
	p += strlen(name);
	p += strspn(p, " ");
	n = strcspn(p, "\r");
	if (n >= cap)
		n = cap - 1;
	memcpy(out, p, n);
	out[n] = '\0';
}

/* Upgrade-echo: once the head is in, c->buf holds the 101 and the bytes after the head. */
static bool
answer_head(struct echo_conn *c)
{
	char *end;
	char token[128], key[128], accept[64] = "", extra[128] = "", answer[512];

	c->buf[c->len] = '\0';
	end = strstr((char *)c->buf, "\r\n\r\n");
	if (end == NULL)
		return c->len < sizeof c->buf - 1;
	*end = '\0';
	header_value((char *)c->buf, "\nupgrade:", token, sizeof token);
	header_value((char *)c->buf, "\nsec-websocket-key:", key, sizeof key);
	if (key[0] != '\0') {
		unsigned char digest[20];

		strncat(key, "258EAFA5-E914-47DA-95CA-C5AB0DC85B11", sizeof key - strlen(key) - 1);
		gnutls_hash_fast(GNUTLS_DIG_SHA1, key, strlen(key), digest);
		base64(digest, sizeof digest, accept);
		snprintf(extra, sizeof extra, "Sec-WebSocket-Accept: %s\r\n", accept);
	}
	int n = snprintf(answer, sizeof answer, "HTTP/1.1 101 Switching Protocols\r\n"
	    "Connection: Upgrade\r\nUpgrade: %s\r\n%s\r\n", token, extra);
	size_t head_len = (size_t)(end + 4 - (char *)c->buf), rest = c->len - head_len;

	if ((size_t)n + rest > sizeof c->buf)
		return false;
	memmove(c->buf + n, c->buf + head_len, rest);
	memcpy(c->buf, answer, (size_t)n);
	c->off = 0;
	c->len = (size_t)n + rest;
	c->in_head = false;
	return true;
}

/* Reads what there is, writes it back; waits for POLLOUT while a remainder is left. */
static void
echo_io(int ep, struct echo_conn *c)
{
	while (c->in_head) {
		ssize_t r = recv(c->fd, c->buf + c->len, sizeof c->buf - 1 - c->len, 0);

		if (r < 0 && errno == EAGAIN)
			return;
		if (r <= 0) {
			echo_close(ep, c);
			return;
		}
		c->len += (size_t)r;
		if (!answer_head(c)) {
			echo_close(ep, c);
			return;
		}
	}
	for (int rounds = 0; rounds < 16; rounds++) {
		if (c->len > 0) {
			ssize_t w = send(c->fd, c->buf + c->off, c->len, MSG_NOSIGNAL);

			if (w < 0 && errno == EAGAIN)
				break;
			if (w < 0) {
				echo_close(ep, c);
				return;
			}
			c->off += (size_t)w;
			c->len -= (size_t)w;
			continue;
		}
		if (c->eof) {
			echo_close(ep, c);
			return;
		}
		ssize_t r = recv(c->fd, c->buf, sizeof c->buf, 0);
		if (r < 0 && errno == EAGAIN)
			break;
		if (r <= 0) {
			c->eof = true;
			continue;
		}
		c->off = 0;
		c->len = (size_t)r;
	}
	struct epoll_event ev = { .events = c->len > 0 ? EPOLLOUT : EPOLLIN, .data.ptr = c };
	epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev);
}

void
run_echo_server(int port, bool upgrade)
{
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port),
		.sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	int ls = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	int ep = epoll_create1(EPOLL_CLOEXEC);
	int one = 1;
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = NULL }, evs[256];

	setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	if (bind(ls, (struct sockaddr *)&sin, sizeof sin) < 0 || listen(ls, 4096) < 0)
		die("echo server on port %d: %s", port, strerror(errno));
	epoll_ctl(ep, EPOLL_CTL_ADD, ls, &ev);
	printf("%secho server on 127.0.0.1:%d\n", upgrade ? "upgrade-" : "", port);
	fflush(stdout);
	for (;;) {
		int n = epoll_wait(ep, evs, 256, -1);

		for (int i = 0; i < n; i++) {
			if (evs[i].data.ptr != NULL) {
				echo_io(ep, evs[i].data.ptr);
				continue;
			}
			for (int k = 0; k < 64; k++) {
				int fd = accept4(ls, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
				struct echo_conn *c;

				if (fd < 0)
					break;
				c = calloc(1, sizeof *c);
				if (c == NULL)
					die("out of memory");
				c->fd = fd;
				c->in_head = upgrade;
				setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
				struct epoll_event cev = { .events = EPOLLIN, .data.ptr = c };
				epoll_ctl(ep, EPOLL_CTL_ADD, fd, &cev);
			}
		}
	}
}
