/* sbd-file.c - the small files a policy names (auth lists, token maps): read whole, wiped after */
#include "sbd-file.h"

#include <errno.h>
#include <fcntl.h>
#include <gnutls/gnutls.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sb-alloc.h"

#define FILE_MAX (4 * 1024 * 1024)

char *
sbd_file_read(const char *file, size_t *len, const char **why)
{
	int fd = open(file, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	struct stat st;
	char *text = NULL;
	size_t got = 0;

	*why = NULL;
	if (fd < 0 || fstat(fd, &st) < 0) {
		*why = strerror(errno);
		goto out;
	}
	if (!S_ISREG(st.st_mode) || st.st_size > FILE_MAX) {
		*why = S_ISREG(st.st_mode) ? "larger than 4 MiB" : "not a regular file";
		goto out;
	}
	text = sb_xmalloc((size_t)st.st_size + 1);
	while (got < (size_t)st.st_size) {
		ssize_t n = read(fd, text + got, (size_t)st.st_size - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	text[got] = '\0';
	*len = got;
out:
	if (fd >= 0)
		close(fd);
	return text;
}

void
sbd_file_wipe(char *text, size_t len)
{
	if (text == NULL)
		return;
	gnutls_memset(text, 0, len);
	free(text);
}
