/* sb-buf.h - a byte queue: append at the tail, consume from the head */
#pragma once

#include <stdbool.h>
#include <stddef.h>

struct sb_buf {
	char *data;
	size_t start; /* first unread byte */
	size_t len;   /* bytes after start */
	size_t cap;
};

#define SB_BUF_INIT { NULL, 0, 0, 0 }

static inline const char *
sb_buf_head(const struct sb_buf *b)
{
	return b->data != NULL ? b->data + b->start : ""; /* never arithmetic on NULL */
}

static inline bool
sb_buf_is_empty(const struct sb_buf *b)
{
	return b->len == 0;
}

void sb_buf_append(struct sb_buf *b, const void *p, size_t n);
/* Room for at least n more bytes at the tail; returns where to write them. */
char *sb_buf_reserve(struct sb_buf *b, size_t n);
/* Marks n bytes written at the tail (after sb_buf_reserve). */
void sb_buf_commit(struct sb_buf *b, size_t n);
void sb_buf_consume(struct sb_buf *b, size_t n);
/* Moves all of src to the end of dst; src is left empty. */
void sb_buf_move(struct sb_buf *dst, struct sb_buf *src);
/* Frees the storage; the queue is empty and may be used again. */
void sb_buf_free(struct sb_buf *b);
