/* ws.c - client frames out, server frames counted by their payload */
#include <stdlib.h>
#include <string.h>

#include "bench-client.h"

uint64_t
ws_count(struct ws_reader *w, const unsigned char *buf, size_t n)
{
	uint64_t payload = 0;

	while (n > 0) {
		if (w->payload_left > 0) {
			size_t take = n < w->payload_left ? n : (size_t)w->payload_left;

			w->payload_left -= take;
			payload += take;
			buf += take;
			n -= take;
			continue;
		}
		if (w->hdr_need == 0)
			w->hdr_need = 2;
		w->hdr[w->hdr_len++] = *buf++;
		n--;
		if (w->hdr_len == 2) {
			unsigned len7 = w->hdr[1] & 0x7f;

			w->hdr_need = 2 + (len7 == 126 ? 2 : len7 == 127 ? 8 : 0) +
			    ((w->hdr[1] & 0x80) ? 4 : 0);
		}
		if (w->hdr_len < w->hdr_need)
			continue;
		unsigned len7 = w->hdr[1] & 0x7f;
		uint64_t len = len7;
		if (len7 == 126)
			len = (uint64_t)w->hdr[2] << 8 | w->hdr[3];
		else if (len7 == 127)
			for (int i = 0; i < 8; i++)
				len = len << 8 | w->hdr[2 + i];
		w->payload_left = len;
		w->hdr_len = w->hdr_need = 0;
	}
	return payload;
}

unsigned char *
ws_frame(size_t size, size_t *frame_len)
{
	static const unsigned char key[4] = { 0x12, 0x34, 0x56, 0x78 };
	size_t hdr = size < 126 ? 6 : size < 65536 ? 8 : 14;
	unsigned char *f = malloc(hdr + size);

	if (f == NULL)
		die("out of memory");
	f[0] = 0x82;
	if (size < 126) {
		f[1] = 0x80 | (unsigned char)size;
	} else if (size < 65536) {
		f[1] = 0x80 | 126;
		f[2] = (unsigned char)(size >> 8);
		f[3] = (unsigned char)size;
	} else {
		f[1] = 0x80 | 127;
		for (int i = 0; i < 8; i++)
			f[2 + i] = (unsigned char)((uint64_t)size >> (56 - 8 * i));
	}
	memcpy(f + hdr - 4, key, 4);
	for (size_t i = 0; i < size; i++)
		f[hdr + i] = pattern[i % PATTERN_LEN] ^ key[i % 4];
	*frame_len = hdr + size;
	return f;
}
