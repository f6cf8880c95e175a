/*
 * sbd-tls-hello.c - the key_share extension of a ClientHello, read before GnuTLS
 * parses the hello, so that the front can choose among the groups the client
 * has already sent a share for.
 *
 * GnuTLS's own walk (gnutls_ext_raw_parse) finds the extension; this file reads
 * only the client_shares list inside it:
 *
 *   struct { NamedGroup group; opaque key_exchange<1..2^16-1>; } KeyShareEntry;
 *   struct { KeyShareEntry client_shares<0..2^16-1>; } KeyShareClientHello;
 */
#include "sbd-tls-hello.h"

#include <gnutls/gnutls.h>

#define EXT_KEY_SHARE 51

struct find {
	uint16_t group;
	int found;    /* 1, 0, or -1 for a malformed key_share */
	int seen;     /* a key_share already: a second one is malformed */
};

static unsigned
get16(const uint8_t *p)
{
	return (unsigned)p[0] << 8 | p[1];
}

/* The client_shares list: 1 when group has an entry, 0 not, -1 malformed. */
static int
shares_have(const uint8_t *p, size_t len, uint16_t group)
{
	size_t list, at = 2;

	if (len < 2 || (list = get16(p)) != len - 2)
		return -1;
	while (at < len) {
		unsigned id, n;

		if (len - at < 4)
			return -1;
		id = get16(p + at);
		n = get16(p + at + 2);
		at += 4;
		if (n == 0 || n > len - at)
			return -1;
		if (id == group)
			return 1;
		at += n;
	}
	return 0;
}

static int
on_extension(void *ctx, unsigned tls_id, const unsigned char *data, unsigned size)
{
	struct find *f = ctx;

	if (tls_id != EXT_KEY_SHARE)
		return 0;
	if (f->seen++) {
		f->found = -1;
		return GNUTLS_E_RECEIVED_ILLEGAL_PARAMETER; /* stops the walk */
	}
	f->found = shares_have(data, size, f->group);
	return 0;
}

int
sbd_tls_hello_shares(const uint8_t *msg, size_t len, uint16_t group)
{
	struct find f = { group, 0, 0 };
	gnutls_datum_t hello = { (unsigned char *)msg, (unsigned)len };
	int rc;

	if (len > UINT32_MAX)
		return -1;
	rc = gnutls_ext_raw_parse(&f, on_extension, &hello, GNUTLS_EXT_RAW_FLAG_TLS_CLIENT_HELLO);
	if (rc == GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE)
		return 0; /* a hello without extensions (before TLS 1.2 they were optional) */
	if (rc < 0)
		return -1;
	return f.found;
}
