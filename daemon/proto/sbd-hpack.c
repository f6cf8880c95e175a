/* sbd-hpack.c - HPACK literal encoder and the static table */
#include "sbd-hpack.h"

#include <string.h>

const struct sbd_hpack_static_entry sbd_hpack_static_table[SBD_HPACK_STATIC_COUNT] = {
	{ ":authority", "" },
	{ ":method", "GET" },
	{ ":method", "POST" },
	{ ":path", "/" },
	{ ":path", "/index.html" },
	{ ":scheme", "http" },
	{ ":scheme", "https" },
	{ ":status", "200" },
	{ ":status", "204" },
	{ ":status", "206" },
	{ ":status", "304" },
	{ ":status", "400" },
	{ ":status", "404" },
	{ ":status", "500" },
	{ "accept-charset", "" },
	{ "accept-encoding", "gzip, deflate" },
	{ "accept-language", "" },
	{ "accept-ranges", "" },
	{ "accept", "" },
	{ "access-control-allow-origin", "" },
	{ "age", "" },
	{ "allow", "" },
	{ "authorization", "" },
	{ "cache-control", "" },
	{ "content-disposition", "" },
	{ "content-encoding", "" },
	{ "content-language", "" },
	{ "content-length", "" },
	{ "content-location", "" },
	{ "content-range", "" },
	{ "content-type", "" },
	{ "cookie", "" },
	{ "date", "" },
	{ "etag", "" },
	{ "expect", "" },
	{ "expires", "" },
	{ "from", "" },
	{ "host", "" },
	{ "if-match", "" },
	{ "if-modified-since", "" },
	{ "if-none-match", "" },
	{ "if-range", "" },
	{ "if-unmodified-since", "" },
	{ "last-modified", "" },
	{ "link", "" },
	{ "location", "" },
	{ "max-forwards", "" },
	{ "proxy-authenticate", "" },
	{ "proxy-authorization", "" },
	{ "range", "" },
	{ "referer", "" },
	{ "refresh", "" },
	{ "retry-after", "" },
	{ "server", "" },
	{ "set-cookie", "" },
	{ "strict-transport-security", "" },
	{ "transfer-encoding", "" },
	{ "user-agent", "" },
	{ "vary", "" },
	{ "via", "" },
	{ "www-authenticate", "" },
};

void
sbd_hpack_encode_int(struct sb_buf *out, uint8_t high_bits, unsigned prefix_bits, uint64_t value)
{
	uint8_t bytes[16]; /* 1 + ceil(64 / 7) at most */
	uint64_t max = (1u << prefix_bits) - 1;
	size_t n = 0;

	if (value < max) {
		bytes[n++] = (uint8_t)(high_bits | value);
	} else {
		bytes[n++] = (uint8_t)(high_bits | max);
		value -= max;
		while (value >= 128) {
			bytes[n++] = (uint8_t)(value % 128 + 128);
			value /= 128;
		}
		bytes[n++] = (uint8_t)value;
	}
	sb_buf_append(out, bytes, n);
}

void
sbd_hpack_encode_string(struct sb_buf *out, const char *s, size_t len)
{
	sbd_hpack_encode_int(out, 0x00, 7, len);
	sb_buf_append(out, s, len);
}

void
sbd_hpack_encode_literal_new_name(struct sb_buf *out, const char *name, size_t name_len,
    const char *value, size_t value_len)
{
	sb_buf_append(out, "\0", 1);
	sbd_hpack_encode_string(out, name, name_len);
	sbd_hpack_encode_string(out, value, value_len);
}

void
sbd_hpack_encode_literal_indexed_name(struct sb_buf *out, uint32_t index, const char *value,
    size_t value_len)
{
	sbd_hpack_encode_int(out, 0x00, 4, index);
	sbd_hpack_encode_string(out, value, value_len);
}

uint32_t
sbd_hpack_static_name_index(const char *name, size_t len)
{
	for (uint32_t i = 0; i < SBD_HPACK_STATIC_COUNT; i++) {
		const char *s = sbd_hpack_static_table[i].name;

		if (strlen(s) == len && memcmp(s, name, len) == 0)
			return i + 1;
	}
	return 0;
}

void
sbd_hpack_encode_field(struct sb_buf *out, const char *name, size_t name_len, const char *value,
    size_t value_len)
{
	uint32_t index = sbd_hpack_static_name_index(name, name_len);

	if (index != 0)
		sbd_hpack_encode_literal_indexed_name(out, index, value, value_len);
	else
		sbd_hpack_encode_literal_new_name(out, name, name_len, value, value_len);
}
