/* swb-client-private.h - the client as its two files see it: the socket side and ssh's */
#pragma once

#include "sb-rpc.h"
#include "swb-client.h"

G_BEGIN_DECLS

typedef enum {
	STATE_IDLE,       /* stopped, or waiting for the next attempt */
	STATE_CONNECTING, /* socket connect or events.subscribe in flight */
	STATE_CONNECTED,
} State;

/* One call in flight; the GTask's task data. */
typedef struct {
	gint64 id;
	json_object *error_data;
} Call;

struct _SwbClient {
	GObject parent_instance;

	char *socket_path;
	State state;
	gboolean stopped;
	char *error;
	guint backoff_ms;
	gint64 retry_at;
	guint retry_source;
	guint subscribe_timeout;

	GIOStream *conn;           /* the socket, or ssh's stdout and stdin */
	GSubprocess *ssh;          /* ssh:// : the ssh that carries conn */
	GString *ssh_stderr;       /* what it wrote on stderr, the last SSH_ERROR_MAX bytes */
	guint8 *ssh_err_buf;
	gboolean ssh_out_eof, ssh_err_eof;
	guint ssh_grace;
	GCancellable *cancellable; /* this connection's I/O; a new one for each */
	struct sb_line_reader reader;
	guint8 *read_buf;
	GQueue out;   /* char * lines waiting to be written */
	gboolean writing;
	gint64 next_id;
	GHashTable *calls; /* &call id -> GTask */
};

/* Ends the connection (if any): pending calls fail, a retry is scheduled unless stopped. */
void _swb_client_disconnect(SwbClient *self, const char *reason);
/* A stream is in self->conn: read it and subscribe. */
void _swb_client_begin(SwbClient *self);

/* swb-client-ssh.c: ssh:// addresses */
void _swb_client_ssh_connect(SwbClient *self);
/* ssh's stdout ended or its stdin broke: its stderr says why, once it ends too. */
void _swb_client_ssh_out_ended(SwbClient *self);

G_END_DECLS
