/* sbd-echo.h - the built-in echo backend ("builtin:echo") of the default policy */
#pragma once

#include <sys/socket.h>

struct sbd_loop;
struct sbd_echo;

/* Listens on 127.0.0.1 on a port of the kernel's choosing; *addr tells which. */
struct sbd_echo *sbd_echo_new(struct sbd_loop *loop, struct sockaddr_storage *addr,
    socklen_t *addrlen);
void sbd_echo_free(struct sbd_echo *echo);
