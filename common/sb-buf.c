/* sb-buf.c - a byte queue; storage is released when it drains, so idle tunnels hold none */
#include "sb-buf.h"

#include <stdlib.h>
#include <string.h>

#include "sb-alloc.h"

char *
sb_buf_reserve(struct sb_buf *b, size_t n)
{
	if (b->start + b->len + n <= b->cap)
		return b->data + b->start + b->len;
	if (b->start > 0 && b->len + n <= b->cap) {
		memmove(b->data, b->data + b->start, b->len);
		b->start = 0;
		return b->data + b->len;
	}
	size_t cap = b->cap ? b->cap : 4096;
	while (cap < b->len + n)
		cap *= 2;
	if (b->start > 0) {
		memmove(b->data, b->data + b->start, b->len);
		b->start = 0;
	}
	b->data = sb_xrealloc(b->data, cap);
	b->cap = cap;
	return b->data + b->len;
}

void
sb_buf_commit(struct sb_buf *b, size_t n)
{
	b->len += n;
}

void
sb_buf_append(struct sb_buf *b, const void *p, size_t n)
{
	if (n == 0)
		return;
	memcpy(sb_buf_reserve(b, n), p, n);
	b->len += n;
}

void
sb_buf_consume(struct sb_buf *b, size_t n)
{
	if (n >= b->len) {
		sb_buf_free(b);
		return;
	}
	b->start += n;
	b->len -= n;
}

void
sb_buf_move(struct sb_buf *dst, struct sb_buf *src)
{
	if (dst->len == 0) {
		sb_buf_free(dst);
		*dst = *src;
	} else {
		sb_buf_append(dst, sb_buf_head(src), src->len);
		sb_buf_free(src);
	}
	src->data = NULL;
	src->start = src->len = src->cap = 0;
}

void
sb_buf_free(struct sb_buf *b)
{
	free(b->data);
	b->data = NULL;
	b->start = b->len = b->cap = 0;
}
