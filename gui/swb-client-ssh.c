/* swb-client-ssh.c - the client's ssh:// side: ssh as a stream, its stderr as the error */
#include "swb-client-private.h"

#include <stdlib.h>

#include "sb-ssh.h"

/* ssh: what the user sees of its stderr (the last of it), and how long it may trail stdout */
#define SSH_ERROR_MAX 2048
#define SSH_STDERR_GRACE_MS 1000
#define SSH_READ_CHUNK 4096

/* ssh's own words, once both of its outputs ended (or after a grace period). */
static void
ssh_finish(SwbClient *self)
{
	g_autofree char *text = g_strstrip(g_strdup(self->ssh_stderr->str));

	_swb_client_disconnect(self, text[0] != '\0' ? text : "ssh ended without a word");
}

static gboolean
on_ssh_grace(gpointer data)
{
	SwbClient *self = data;

	self->ssh_grace = 0;
	ssh_finish(self);
	return G_SOURCE_REMOVE;
}

void
_swb_client_ssh_out_ended(SwbClient *self)
{
	self->ssh_out_eof = TRUE;
	if (self->ssh_err_eof)
		ssh_finish(self);
	else if (self->ssh_grace == 0)
		self->ssh_grace = g_timeout_add(SSH_STDERR_GRACE_MS, on_ssh_grace, self);
}

static void read_stderr(SwbClient *self);

static void
on_stderr(GObject *source, GAsyncResult *result, gpointer data)
{
	g_autoptr(GError) error = NULL;
	gssize n = g_input_stream_read_finish(G_INPUT_STREAM(source), result, &error);
	SwbClient *self;

	if (n < 0 && g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
		return; /* a connection that has ended; self may be gone */
	self = data;
	if (n <= 0) {
		self->ssh_err_eof = TRUE;
		if (self->ssh_out_eof) {
			g_clear_handle_id(&self->ssh_grace, g_source_remove);
			ssh_finish(self);
		}
		return;
	}
	g_string_append_len(self->ssh_stderr, (const char *)self->ssh_err_buf, n);
	if (self->ssh_stderr->len > SSH_ERROR_MAX)
		g_string_erase(self->ssh_stderr, 0, self->ssh_stderr->len - SSH_ERROR_MAX);
	read_stderr(self);
}

static void
read_stderr(SwbClient *self)
{
	g_input_stream_read_async(g_subprocess_get_stderr_pipe(self->ssh), self->ssh_err_buf,
	    SSH_READ_CHUNK, G_PRIORITY_DEFAULT, self->cancellable, on_stderr, self);
}

/*
 * ssh:// : ssh -T -o BatchMode=yes … 'switchboardctl relay', spoken to over
 * its stdin and stdout. BatchMode: a missing key or an unknown host key fails
 * with ssh's text on stderr rather than a prompt nobody can answer.
 */
void
_swb_client_ssh_connect(SwbClient *self)
{
	g_autoptr(GSubprocessLauncher) launcher = NULL;
	g_autoptr(GError) error = NULL;
	char *err = NULL;
	char **argv = sb_ssh_argv(self->socket_path, NULL, &err);

	if (argv == NULL) {
		_swb_client_disconnect(self, err);
		free(err);
		return;
	}
	launcher = g_subprocess_launcher_new(G_SUBPROCESS_FLAGS_STDIN_PIPE |
	    G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE);
	/* no terminal to prompt on, and no askpass program to fall back to */
	g_subprocess_launcher_unsetenv(launcher, "SSH_ASKPASS");
	g_subprocess_launcher_unsetenv(launcher, "DISPLAY");
	self->ssh = g_subprocess_launcher_spawnv(launcher, (const char *const *)argv, &error);
	sb_ssh_argv_free(argv);
	if (self->ssh == NULL) {
		_swb_client_disconnect(self, error->message);
		return;
	}
	g_string_truncate(self->ssh_stderr, 0);
	self->ssh_out_eof = self->ssh_err_eof = FALSE;
	self->conn = g_simple_io_stream_new(g_subprocess_get_stdout_pipe(self->ssh),
	    g_subprocess_get_stdin_pipe(self->ssh));
	if (self->ssh_err_buf == NULL)
		self->ssh_err_buf = g_malloc(SSH_READ_CHUNK);
	read_stderr(self);
	_swb_client_begin(self);
}
