/* sbd-tls-hello.h - which groups a TLS 1.3 ClientHello sent key shares for (RFC 8446 §4.2.8) */
#pragma once

#include <stddef.h>
#include <stdint.h>

#define SBD_GROUP_X25519 0x001d

/*
 * Whether the ClientHello msg (the handshake message's body, without its
 * 4-byte header) carries a key_share extension with a well-formed entry for
 * group, before any malformed one. 1 yes, 0 no, -1 when the hello or its
 * key_share cannot be parsed (GnuTLS then refuses the hello itself).
 */
int sbd_tls_hello_shares(const uint8_t *msg, size_t len, uint16_t group);
