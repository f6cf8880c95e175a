/* sbd-proxy-proto.h - PROXY protocol v1 (text) and v2 (binary) headers: parse and encode
 *
 * Pure functions over caller buffers: no I/O, no allocation, no global state.
 * Follows haproxy's proxy-protocol.txt. Only TCP over IPv4/IPv6 carries
 * addresses; v1 UNKNOWN, v2 LOCAL and v2 PROXY over UNSPEC are accepted and mean
 * "keep the connection's own addresses".
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

/* Longest v1 header the spec allows, CRLF included (the longest TCP6 line is 104). */
#define SBD_PROXY_V1_MAX 107
/* The fixed part of a v2 header: signature, ver/cmd, fam/proto, length. */
#define SBD_PROXY_V2_FIXED 16
/* Longest v2 header: the fixed part plus a 16-bit address block length. */
#define SBD_PROXY_V2_MAX (SBD_PROXY_V2_FIXED + 65535)
/* What sbd_proxy_encode_v2 writes at most (TCP6 addresses, no TLVs). */
#define SBD_PROXY_V2_ENCODE_MAX (SBD_PROXY_V2_FIXED + 36)

enum sbd_proxy_result {
	SBD_PROXY_NEED_MORE, /* a valid prefix so far; header->need says how much to have */
	SBD_PROXY_OK,        /* a complete header; *consumed is its exact length */
	SBD_PROXY_INVALID,   /* not a PROXY header, or a malformed one; header->error says why */
};

enum sbd_proxy_detect {
	SBD_PROXY_DETECT_NEED_MORE, /* every byte so far matches a signature; read more */
	SBD_PROXY_DETECT_V1,        /* starts with "PROXY " */
	SBD_PROXY_DETECT_V2,        /* starts with the 12-byte v2 signature */
	SBD_PROXY_DETECT_NONE,      /* cannot be a PROXY header */
};

enum sbd_proxy_version {
	SBD_PROXY_V1 = 1,
	SBD_PROXY_V2 = 2,
};

struct sbd_proxy_header {
	enum sbd_proxy_version version; /* set once the signature is recognised */
	/*
	 * true for v1 "UNKNOWN", v2 LOCAL (health checks from the balancer itself)
	 * and v2 PROXY with the UNSPEC family: src and dst are zeroed (AF_UNSPEC)
	 * and the connection's own addresses stand.
	 */
	bool is_local;
	/* The original client (src) and the address it connected to (dst):
	 * struct sockaddr_in or sockaddr_in6 with the port set, when !is_local. */
	struct sockaddr_storage src;
	struct sockaddr_storage dst;
	/*
	 * After NEED_MORE: the total number of bytes the buffer must hold before
	 * another call can make progress. For v2 it is exact (16, then 16 + the
	 * block length), so reading need - len more bytes never reads past the
	 * header. For v1 it is a lower bound (the end is the first CRLF): a caller
	 * that must not read past the header reads at most need - len bytes at a
	 * time, or peeks (MSG_PEEK) and then reads exactly *consumed bytes.
	 * Never more than SBD_PROXY_V1_MAX (v1) or SBD_PROXY_V2_MAX (v2).
	 */
	size_t need;
	/* After INVALID: a static English text naming the problem, e.g.
	 * "v1 port has a leading zero". NULL otherwise. */
	const char *error;
};

/*
 * Parses a PROXY v1 or v2 header at the start of buf[0..len).
 *
 * Returns:
 *   SBD_PROXY_OK        *consumed is the exact header length (<= len); bytes after it
 *                       (TLS ClientHello, HTTP request) belong to the next layer.
 *   SBD_PROXY_NEED_MORE buf is a valid prefix of a header (len may be 0); out->need
 *                       is set; *consumed is 0. Call again with more bytes.
 *   SBD_PROXY_INVALID   out->error is set; *consumed is 0. Refuse the connection.
 *
 * Never reads buf[len] or beyond. v1 is strict: "PROXY", single spaces, TCP4 or
 * TCP6 with dotted-quad / RFC 4291 text addresses of that family (no leading
 * zeros in IPv4 octets), ports 0..65535 in decimal without leading zeros, CRLF,
 * 107 bytes at most; "PROXY UNKNOWN" may be followed by printable text up to
 * the CRLF, which is ignored. v2: the signature, version 2, command LOCAL
 * (the address block is skipped unread) or PROXY with AF_INET or AF_INET6 over
 * STREAM (address block at least 12 or 36 bytes) or UNSPEC; the TLVs after
 * the addresses are skipped but each must fit inside the block. AF_UNIX and
 * DGRAM are refused. Garbage is refused as soon as the first wrong byte is
 * seen, without waiting for more.
 *
 * out is always written (zeroed first); out and consumed must not be NULL.
 */
enum sbd_proxy_result sbd_proxy_parse(const uint8_t *buf, size_t len,
    struct sbd_proxy_header *out, size_t *consumed);

/*
 * Tells from the first bytes whether buf can start a PROXY header: V1 once
 * "PROXY " (6 bytes) is seen, V2 once the 12-byte signature is seen, NONE as
 * soon as a byte differs from both, NEED_MORE before that (len 0 included).
 * A listener that requires the header refuses the connection on NONE.
 */
enum sbd_proxy_detect sbd_proxy_detect(const uint8_t *buf, size_t len);

/*
 * Writes a v1 header for a connection from src to dst into out, NUL-terminated,
 * and returns its length (without the NUL; at most SBD_PROXY_V1_MAX).
 * IPv4 and IPv4-mapped IPv6 addresses are written as TCP4 when both ends are
 * IPv4 (or mapped); IPv6 on both ends, or a mix, as TCP6 (an IPv4 end then as
 * its ::ffff: mapped form). Anything else (NULL, AF_UNIX, ...) gives
 * "PROXY UNKNOWN\r\n".
 */
size_t sbd_proxy_encode_v1(char out[SBD_PROXY_V1_MAX + 1], const struct sockaddr *src,
    const struct sockaddr *dst);

/*
 * Writes a v2 PROXY-command header (no TLVs) for a connection from src to dst
 * into out[0..cap) and returns its length: 28 bytes for AF_INET, 52 for
 * AF_INET6 (families chosen as for v1), 16 with the UNSPEC family when an
 * address is NULL or not IP. Returns 0 and writes nothing when cap is too small;
 * cap >= SBD_PROXY_V2_ENCODE_MAX always suffices.
 */
size_t sbd_proxy_encode_v2(uint8_t *out, size_t cap, const struct sockaddr *src,
    const struct sockaddr *dst);
