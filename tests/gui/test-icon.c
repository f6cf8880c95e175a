/* test-icon.c - the app icon is an SVG that renders: square, and not blank */
#include <gdk-pixbuf/gdk-pixbuf.h>
#include <glib.h>

static void
test_renders(void)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GdkPixbuf) pixbuf = NULL;
	const guint8 *pixels;
	int stride;
	guint opaque = 0;

	g_assert_true(g_str_has_suffix(SWB_ICON, ".svg"));
	pixbuf = gdk_pixbuf_new_from_file_at_size(SWB_ICON, 128, 128, &error);
	g_assert_no_error(error);
	g_assert_cmpint(gdk_pixbuf_get_width(pixbuf), ==, 128);
	g_assert_cmpint(gdk_pixbuf_get_height(pixbuf), ==, 128);
	g_assert_true(gdk_pixbuf_get_has_alpha(pixbuf));
	pixels = gdk_pixbuf_read_pixels(pixbuf);
	stride = gdk_pixbuf_get_rowstride(pixbuf);
	for (int y = 0; y < 128; y++)
		for (int x = 0; x < 128; x++)
			opaque += pixels[y * stride + x * 4 + 3] == 255;
	/* most of it is drawn, and the corners are round (transparent) */
	g_assert_cmpuint(opaque, >, 128 * 128 / 2);
	g_assert_cmpuint(pixels[3], ==, 0);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/icon/renders", test_renders);
	return g_test_run();
}
