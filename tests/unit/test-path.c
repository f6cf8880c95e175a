/* test-path.c - folders trusted to hold our files: owners, modes, links, made when missing */
#include <errno.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sb-path.h"

#define OTHER_UID 65533

static char *tmp_dir;

/* Opens dir; NULL when trusted (the fd closed), else why it is not. */
static char *
refusal(const char *dir, mode_t mode)
{
	char why[512];
	int fd = sb_dir_open_trusted(dir, mode, why, sizeof why);

	if (fd >= 0) {
		close(fd);
		return NULL;
	}
	return g_strdup(why);
}

static char *
make_dir(const char *name, mode_t mode)
{
	char *path = g_build_filename(tmp_dir, name, NULL);

	g_assert_cmpint(g_mkdir(path, 0700), ==, 0);
	g_assert_cmpint(chmod(path, mode), ==, 0);
	return path;
}

static void
test_made_and_kept(void)
{
	g_autofree char *dir = g_build_filename(tmp_dir, "new", "state", NULL);
	g_autofree char *slash = g_strconcat(dir, "//", NULL);
	struct stat st;

	g_assert_null(refusal(dir, 0700));
	g_assert_cmpint(stat(dir, &st), ==, 0);
	g_assert_cmpint(st.st_mode & 0777, ==, 0700);
	g_assert_null(refusal(dir, 0700)); /* there now: opened, unchanged */
	g_assert_null(refusal(slash, 0700));
	g_assert_cmpint(chdir(tmp_dir), ==, 0);
	g_assert_null(refusal("new/./state", 0700));
	g_assert_null(refusal("new/state/../state", 0700));
}

static void
test_modes(void)
{
	g_autofree char *open_dir = make_dir("open", 0777);
	g_autofree char *group_dir = make_dir("group", 0770);
	g_autofree char *sticky = make_dir("sticky", 01777);
	g_autofree char *below_sticky = g_build_filename(sticky, "mine", NULL);
	g_autofree char *why = NULL;

	why = refusal(open_dir, 0700);
	g_assert_cmpstr(why, ==, "writable by others (mode 0777)");
	g_free(why);
	why = refusal(group_dir, 0700);
	g_assert_cmpstr(why, ==, "writable by its group (mode 0770)");
	g_free(why);
	/* Sticky and root's (as /tmp) will do above the folder, never as the folder itself. */
	why = refusal(sticky, 0700);
	g_assert_cmpstr(why, ==, "writable by others (mode 1777)");
	if (geteuid() == 0)
		g_assert_null(refusal(below_sticky, 0700));
}

static void
test_owners(void)
{
	g_autofree char *theirs = make_dir("theirs", 0755);
	g_autofree char *below = g_build_filename(theirs, "state", NULL);
	g_autofree char *want = NULL;
	g_autofree char *why = NULL;

	if (geteuid() != 0) {
		g_test_skip("needs root to give a folder to another uid");
		return;
	}
	g_assert_cmpint(chown(theirs, OTHER_UID, OTHER_UID), ==, 0);
	why = refusal(theirs, 0700);
	g_assert_cmpstr(why, ==, "owned by uid 65533, not 0");
	g_free(why);
	why = refusal(below, 0700);
	want = g_strdup_printf("%s: owned by uid 65533, not 0", theirs);
	g_assert_cmpstr(why, ==, want);
	g_assert_false(g_file_test(below, G_FILE_TEST_EXISTS));
}

static void
test_links(void)
{
	g_autofree char *real = make_dir("real", 0755);
	g_autofree char *link = g_build_filename(tmp_dir, "link", NULL);
	g_autofree char *through = g_build_filename(link, "state", NULL);
	g_autofree char *theirs_link = g_build_filename(tmp_dir, "their-link", NULL);
	g_autofree char *through_theirs = g_build_filename(theirs_link, "state", NULL);
	g_autofree char *want = NULL;
	g_autofree char *why = NULL;

	g_assert_cmpint(symlink(real, link), ==, 0);
	why = refusal(link, 0700);
	g_assert_cmpstr(why, ==, "is a symbolic link");
	/* Above the folder, a link of our own (or root's) is followed and where it leads checked. */
	g_assert_null(refusal(through, 0700));
	g_assert_true(g_file_test(through, G_FILE_TEST_IS_DIR));
	if (geteuid() != 0)
		return;
	g_assert_cmpint(symlink(real, theirs_link), ==, 0);
	g_assert_cmpint(lchown(theirs_link, OTHER_UID, OTHER_UID), ==, 0);
	g_free(why);
	why = refusal(through_theirs, 0700);
	want = g_strdup_printf("%s: a symbolic link owned by uid 65533, not 0", theirs_link);
	g_assert_cmpstr(why, ==, want);
}

static void
test_not_a_folder(void)
{
	g_autofree char *file = g_build_filename(tmp_dir, "file", NULL);
	g_autofree char *below = g_build_filename(file, "state", NULL);
	g_autofree char *want = NULL;
	g_autofree char *why = NULL;

	g_assert_true(g_file_set_contents(file, "x", 1, NULL));
	why = refusal(file, 0700);
	g_assert_cmpstr(why, ==, "not a folder");
	g_free(why);
	why = refusal(below, 0700);
	want = g_strdup_printf("%s: not a folder", file);
	g_assert_cmpstr(why, ==, want);
}

/* mode 0: only look, as a client does; what is missing stays missing. */
static void
test_look_only(void)
{
	g_autofree char *dir = g_build_filename(tmp_dir, "absent", "sock-dir", NULL);
	g_autofree char *parent = g_build_filename(tmp_dir, "absent", NULL);
	g_autofree char *open_dir = make_dir("look-open", 0777);
	char why[256] = "";
	int fd;

	errno = 0;
	g_assert_cmpint(sb_dir_open_trusted(dir, 0, why, sizeof why), ==, -1);
	g_assert_cmpint(errno, ==, ENOENT);
	g_assert_false(g_file_test(parent, G_FILE_TEST_EXISTS));
	g_assert_cmpint(sb_dir_open_trusted(open_dir, 0, why, sizeof why), ==, -1);
	g_assert_cmpstr(why, ==, "writable by others (mode 0777)");
	fd = sb_dir_open_trusted(tmp_dir, 0, why, sizeof why);
	g_assert_cmpint(fd, >=, 0);
	close(fd);
}

int
main(int argc, char **argv)
{
	int rc;

	g_test_init(&argc, &argv, NULL);
	umask(022);
	tmp_dir = g_dir_make_tmp("sb-test-path-XXXXXX", NULL);
	g_assert_nonnull(tmp_dir);
	g_test_add_func("/path/made-and-kept", test_made_and_kept);
	g_test_add_func("/path/modes", test_modes);
	g_test_add_func("/path/owners", test_owners);
	g_test_add_func("/path/links", test_links);
	g_test_add_func("/path/not-a-folder", test_not_a_folder);
	g_test_add_func("/path/look-only", test_look_only);
	rc = g_test_run();
	g_assert_cmpint(chdir("/"), ==, 0);
	char *argv_rm[] = { (char *)"rm", (char *)"-rf", tmp_dir, NULL };
	g_spawn_sync(NULL, argv_rm, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, NULL, NULL, NULL, NULL);
	g_free(tmp_dir);
	return rc;
}
