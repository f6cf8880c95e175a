/* test-buf.c - the byte queue */
#include <glib.h>
#include <string.h>

#include "sb-buf.h"

static void
test_append_consume(void)
{
	struct sb_buf b = SB_BUF_INIT;

	g_assert_true(sb_buf_is_empty(&b));
	sb_buf_append(&b, "hello ", 6);
	sb_buf_append(&b, "world", 5);
	sb_buf_append(&b, "ignored", 0);
	g_assert_cmpuint(b.len, ==, 11);
	g_assert_cmpmem(sb_buf_head(&b), b.len, "hello world", 11);
	sb_buf_consume(&b, 6);
	g_assert_cmpmem(sb_buf_head(&b), b.len, "world", 5);
	/* draining releases the storage */
	sb_buf_consume(&b, 5);
	g_assert_true(sb_buf_is_empty(&b));
	g_assert_null(b.data);
	g_assert_cmpuint(b.cap, ==, 0);
	sb_buf_consume(&b, 100);
	g_assert_true(sb_buf_is_empty(&b));
	sb_buf_free(&b);
}

static void
test_reserve_commit(void)
{
	struct sb_buf b = SB_BUF_INIT;
	char *p = sb_buf_reserve(&b, 10);

	memcpy(p, "0123456789", 10);
	sb_buf_commit(&b, 4);
	g_assert_cmpmem(sb_buf_head(&b), b.len, "0123", 4);
	p = sb_buf_reserve(&b, 3);
	g_assert_true(p == b.data + b.start + b.len);
	memcpy(p, "abc", 3);
	sb_buf_commit(&b, 3);
	g_assert_cmpmem(sb_buf_head(&b), b.len, "0123abc", 7);
	sb_buf_free(&b);
	g_assert_null(b.data);
}

static void
test_compact_and_grow(void)
{
	struct sb_buf b = SB_BUF_INIT;
	GByteArray *expect = g_byte_array_new();
	guint8 chunk[1000];

	/* fill past the first allocation with consumption in between, so both
	 * compaction and growth paths run; the content must stay in order */
	for (unsigned round = 0; round < 200; round++) {
		for (size_t i = 0; i < sizeof chunk; i++)
			chunk[i] = (guint8)(round * 7 + i);
		sb_buf_append(&b, chunk, sizeof chunk);
		g_byte_array_append(expect, chunk, sizeof chunk);
		if (round % 3 == 0) {
			size_t n = MIN(b.len, 1500);

			sb_buf_consume(&b, n);
			g_byte_array_remove_range(expect, 0, (guint)n);
		}
		g_assert_cmpmem(sb_buf_head(&b), b.len, expect->data, expect->len);
		g_assert_cmpuint(b.start + b.len, <=, b.cap);
	}
	/* after compaction, a reserve that fits needs no growth */
	sb_buf_consume(&b, b.len - 10);
	size_t cap = b.cap;
	sb_buf_reserve(&b, cap - 10);
	g_assert_cmpuint(b.cap, ==, cap);
	g_assert_cmpuint(b.start, ==, 0);
	sb_buf_free(&b);
	g_byte_array_unref(expect);
}

static void
test_move(void)
{
	struct sb_buf a = SB_BUF_INIT, b = SB_BUF_INIT;

	sb_buf_append(&b, "xyz", 3);
	/* into an empty queue: the storage changes hands */
	sb_buf_move(&a, &b);
	g_assert_cmpmem(sb_buf_head(&a), a.len, "xyz", 3);
	g_assert_true(sb_buf_is_empty(&b));
	g_assert_null(b.data);
	/* into a non-empty queue: appended */
	sb_buf_append(&b, "123", 3);
	sb_buf_consume(&b, 1);
	sb_buf_move(&a, &b);
	g_assert_cmpmem(sb_buf_head(&a), a.len, "xyz23", 5);
	g_assert_true(sb_buf_is_empty(&b));
	g_assert_null(b.data);
	/* from an empty queue: nothing changes */
	sb_buf_move(&a, &b);
	g_assert_cmpmem(sb_buf_head(&a), a.len, "xyz23", 5);
	sb_buf_free(&a);
	sb_buf_free(&b);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/buf/append-consume", test_append_consume);
	g_test_add_func("/buf/reserve-commit", test_reserve_commit);
	g_test_add_func("/buf/compact-and-grow", test_compact_and_grow);
	g_test_add_func("/buf/move", test_move);
	return g_test_run();
}
