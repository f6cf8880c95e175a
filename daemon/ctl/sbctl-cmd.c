/* sbctl-cmd.c - switchboardctl's commands status, connections, kill, drain; shared helpers */
#include "sbctl-cmd.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sb-alloc.h"
#include "sb-control.h"

enum {
	OPT_JSON = 0x100,
	OPT_SOCKET,
	OPT_HELP,
};

void
sbctl_usage(FILE *out)
{
	char *sock = sb_control_default_socket();

	fprintf(out,
	    "usage: switchboardctl [--socket PATH] [--json] COMMAND\n"
	    "\n"
	    "commands:\n"
	    "  status                      daemon version, uptime, listeners, counters\n"
	    "  connections [--by identity] live connections, as a table: id, route, identity,\n"
	    "                              mode, client, backend, age, bytes up and down;\n"
	    "                              --by identity: connections and bytes per identity\n"
	    "  connection ID               one connection in detail: route, client, backend,\n"
	    "                              listener, TLS, subprotocol, WebSocket messages and\n"
	    "                              pings, bytes, age and idle time\n"
	    "  kill ID                     close one connection\n"
	    "  drain                       the daemon stops accepting, answers what it had\n"
	    "                              accepted, keeps its tunnels until they end or its\n"
	    "                              drain timeout, and exits (as on SIGTERM; root or\n"
	    "                              the daemon's own user only)\n"
	    "  backends                    every route's backend servers: state (up, down,\n"
	    "                              drain, maint), tunnels open and in all, failures,\n"
	    "                              the last error\n"
	    "  backend ROUTE ADDRESS ready|drain|maint\n"
	    "                              set a server by hand: drain takes no new tunnels\n"
	    "                              and keeps the open ones, maint takes it down;\n"
	    "                              ADDRESS as backends shows it, or as the policy\n"
	    "                              writes it (then every address of that name)\n"
	    "  policy get                  print the running policy (JSON)\n"
	    "  policy check FILE           validate FILE with the daemon's own validator; prints\n"
	    "                              FILE: JSON.PATH: message for each error\n"
	    "  policy apply FILE [--revision N] [--no-persist] [--yes]\n"
	    "                              validate and apply FILE atomically, and save it\n"
	    "                              to the daemon's policy file (not with --no-persist);\n"
	    "                              refused when the running revision is no longer N\n"
	    "                              (by default, the one read just before)\n"
	    "                              FILE may be - for the standard input;\n"
	    "                              first says which connections applying closes and\n"
	    "                              asks (on a terminal; elsewhere --yes is needed)\n"
	    "  watch [--history]           stream events as they happen, one line each;\n"
	    "                              --history: the kept refusals and closed connections\n"
	    "                              (the last 1,000) first, oldest first\n"
	    "  refused                     the refusals the daemon kept (of its last 1,000\n"
	    "                              refusals and closed connections), oldest first\n"
	    "  relay                       copy bytes between stdin/stdout and the control\n"
	    "                              socket until either side closes (what ssh:// runs\n"
	    "                              on the far side)\n"
	    "  probe URL [--upgrade TOKEN] [--header 'K: V']... [--insecure] [--send TEXT]\n"
	    "            [--timeout S]\n"
	    "                              troubleshoot any upgrade endpoint (ws, wss, http,\n"
	    "                              https URLs; ours or not): resolve, connect, TLS\n"
	    "                              (certificate, ALPN, verification), the request, the\n"
	    "                              101 or refusal with its headers and body, the first\n"
	    "                              bytes back, each step timed; --json: one report.\n"
	    "                              --upgrade: the token (default websocket);\n"
	    "                              --insecure: report a certificate that does not\n"
	    "                              verify, but go on; --send: send TEXT after the 101\n"
	    "                              (a WebSocket text message, or raw bytes) and show\n"
	    "                              the answer; --timeout: seconds a step may take\n"
	    "                              (default 5)\n"
	    "  token NAME                  a new random token (256 bits as 64 hex digits) on\n"
	    "                              one line, and on the next the line to add to a\n"
	    "                              route's tokens file (NAME SHA256-HEX-OF-TOKEN)\n"
	    "\n"
	    "options:\n"
	    "  --socket PATH   the control socket (default %s;\n"
	    "                  $SWITCHBOARD_CONTROL overrides it)\n"
	    "  --socket ssh://[USER@]HOST[:PORT][/PATH]\n"
	    "                  a daemon on another machine: runs ssh -T (with BatchMode=yes:\n"
	    "                  keys or an agent, never a password or host-key prompt) and\n"
	    "                  'switchboardctl relay [--socket PATH]' there; ssh's own errors\n"
	    "                  are shown as they are. $SWITCHBOARD_SSH names another ssh program\n"
	    "  --json          print results as JSON, as the daemon sends them (watch: one\n"
	    "                  event object a line)\n"
	    "  --help          this text      --version  the version\n"
	    "\n"
	    "Policy files are read here and sent as JSON: relative paths in them (certificates,\n"
	    "keys) are resolved by the daemon against the folder of its own policy file, not\n"
	    "against FILE's folder.\n"
	    "\n"
	    "exit status: 0 ok; 1 refused (an error answer, an invalid policy, an unknown id, a\n"
	    "probe that was not upgraded, bad arguments); 2 the daemon cannot be reached (for\n"
	    "probe: no connection could be made)\n",
	    sock);
	free(sock);
}

void
sbctl_warn(const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fputs("switchboardctl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

bool
sbctl_parse_options(struct sbctl_ctx *ctx, int argc, char **argv, const struct option *extra,
    bool (*on_extra)(void *data, int opt, const char *arg), void *data)
{
	static const struct option common[] = {
		{ "json", no_argument, NULL, OPT_JSON },
		{ "socket", required_argument, NULL, OPT_SOCKET },
		{ "help", no_argument, NULL, OPT_HELP },
	};
	size_t n_extra = 0, n = sizeof common / sizeof common[0];
	struct option *opts;
	bool ok = true;
	int opt;

	while (extra != NULL && extra[n_extra].name != NULL)
		n_extra++;
	opts = sb_xcalloc(n + n_extra + 1, sizeof *opts);
	memcpy(opts, common, sizeof common);
	if (n_extra > 0)
		memcpy(opts + n, extra, n_extra * sizeof *extra);
	optind = 0; /* glibc: start over, on a new argv */
	opterr = 1;
	while (ok && (opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (opt) {
		case OPT_JSON:
			ctx->json = true;
			break;
		case OPT_SOCKET:
			ctx->socket = optarg;
			break;
		case OPT_HELP:
			sbctl_usage(stdout);
			ctx->help = true;
			ok = false;
			break;
		case '?':
			ok = false;
			break;
		default:
			ok = on_extra != NULL && on_extra(data, opt, optarg);
			break;
		}
	}
	free(opts);
	return ok;
}

enum sbctl_exit
sbctl_options_exit(const struct sbctl_ctx *ctx)
{
	return ctx->help ? SBCTL_EXIT_OK : SBCTL_EXIT_REFUSED;
}

void
sbctl_print_json(json_object *v)
{
	puts(json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN |
	    JSON_C_TO_STRING_NOSLASHESCAPE));
}

void
sbctl_report_io(const char *what, enum sbctl_io io, const char *err)
{
	switch (io) {
	case SBCTL_IO_OK:
		break;
	case SBCTL_IO_CLOSED:
		sbctl_warn("%s: the daemon closed the connection without answering", what);
		break;
	case SBCTL_IO_TIMEOUT:
		sbctl_warn("%s: no answer from the daemon within %d s", what,
		    SBCTL_CALL_TIMEOUT_MS / 1000);
		break;
	case SBCTL_IO_ERROR:
		sbctl_warn("%s: %s", what, err);
		break;
	}
}

struct sbctl_client *
sbctl_connect(struct sbctl_ctx *ctx)
{
	char *err = NULL;

	if (ctx->client != NULL)
		return ctx->client;
	ctx->client = sbctl_client_connect(ctx->socket, &err);
	if (ctx->client == NULL) {
		sbctl_warn("%s", err);
		free(err);
	}
	return ctx->client;
}

void
sbctl_disconnect(struct sbctl_ctx *ctx)
{
	sbctl_client_free(ctx->client);
	ctx->client = NULL;
}

enum sbctl_exit
sbctl_call(struct sbctl_ctx *ctx, const char *method, json_object *params,
    struct sb_rpc_response *resp)
{
	struct sbctl_client *c = sbctl_connect(ctx);
	char *err = NULL;
	enum sbctl_io io;

	memset(resp, 0, sizeof *resp);
	if (c == NULL)
		return SBCTL_EXIT_UNREACHABLE;
	io = sbctl_client_call(c, method, params, SBCTL_CALL_TIMEOUT_MS, resp, &err);
	if (io == SBCTL_IO_OK)
		return resp->message == NULL ? SBCTL_EXIT_OK : SBCTL_EXIT_REFUSED;
	sbctl_report_io(method, io, err);
	free(err);
	sbctl_disconnect(ctx);
	return SBCTL_EXIT_UNREACHABLE;
}

void
sbctl_report_error(struct sbctl_ctx *ctx, const struct sb_rpc_response *resp)
{
	if (ctx->json) {
		json_object *e = json_object_new_object();

		json_object_object_add(e, "code", json_object_new_int(resp->code));
		json_object_object_add(e, "message", json_object_new_string(resp->message));
		if (resp->data != NULL)
			json_object_object_add(e, "data", json_object_get(resp->data));
		sbctl_print_json(e);
		json_object_put(e);
	}
	sbctl_warn("%s", resp->message);
}

/*
 * With the options parsed: no arguments may follow; a call with no params,
 * whose result goes to show(), or with --json as it came unless show_json
 * (show() then prints JSON itself); errors are reported.
 */
static enum sbctl_exit
call_and_show(struct sbctl_ctx *ctx, int argc, char **argv, enum sb_control_method method,
    void (*show)(struct sbctl_ctx *ctx, json_object *result), bool show_json)
{
	struct sb_rpc_response resp;
	enum sbctl_exit rc;

	if (optind < argc) {
		sbctl_warn("%s: unexpected argument: %s", argv[0], argv[optind]);
		return SBCTL_EXIT_REFUSED;
	}
	rc = sbctl_call(ctx, sb_control_method_name(method), NULL, &resp);
	if (rc == SBCTL_EXIT_REFUSED)
		sbctl_report_error(ctx, &resp);
	else if (rc == SBCTL_EXIT_OK && ctx->json && !show_json)
		sbctl_print_json(resp.result);
	else if (rc == SBCTL_EXIT_OK)
		show(ctx, resp.result);
	sb_rpc_response_clear(&resp);
	return rc;
}

/* A command with no options of its own: call_and_show() */
static enum sbctl_exit
simple_call(struct sbctl_ctx *ctx, int argc, char **argv, enum sb_control_method method,
    void (*show)(struct sbctl_ctx *ctx, json_object *result))
{
	if (!sbctl_parse_options(ctx, argc, argv, NULL, NULL, NULL))
		return sbctl_options_exit(ctx);
	return call_and_show(ctx, argc, argv, method, show, false);
}

static void
show_status(struct sbctl_ctx *ctx, json_object *result)
{
	sbctl_print_status(stdout, result, &ctx->view);
}

enum sbctl_exit
sbctl_cmd_status(struct sbctl_ctx *ctx, int argc, char **argv)
{
	return simple_call(ctx, argc, argv, SB_METHOD_STATUS, show_status);
}

static void
show_drained(struct sbctl_ctx *ctx, json_object *result)
{
	(void)ctx;
	(void)result;
	printf("draining: no new connections; the daemon exits when its tunnels end or its "
	    "drain timeout passes\n");
}

enum sbctl_exit
sbctl_cmd_drain(struct sbctl_ctx *ctx, int argc, char **argv)
{
	return simple_call(ctx, argc, argv, SB_METHOD_DAEMON_DRAIN, show_drained);
}

static void
show_connections(struct sbctl_ctx *ctx, json_object *result)
{
	sbctl_print_connections(stdout, result, &ctx->view);
}

static void
show_by_identity(struct sbctl_ctx *ctx, json_object *result)
{
	json_object *by = sbctl_connections_by_identity(result);

	if (ctx->json)
		sbctl_print_json(by);
	else
		sbctl_print_identities(stdout, by, &ctx->view);
	json_object_put(by);
}

enum {
	OPT_BY = 0x400,
};

static bool
on_connections_option(void *data, int opt, const char *arg)
{
	if (opt != OPT_BY)
		return false;
	if (strcmp(arg, SB_FIELD_IDENTITY) != 0) {
		sbctl_warn("connections: --by takes identity, not %s", arg);
		return false;
	}
	*(bool *)data = true;
	return true;
}

/* connections [--by identity]: the table, or the totals per identity */
enum sbctl_exit
sbctl_cmd_connections(struct sbctl_ctx *ctx, int argc, char **argv)
{
	static const struct option options[] = {
		{ "by", required_argument, NULL, OPT_BY },
		{ NULL, 0, NULL, 0 },
	};
	bool by_identity = false;

	if (!sbctl_parse_options(ctx, argc, argv, options, on_connections_option, &by_identity))
		return sbctl_options_exit(ctx);
	return call_and_show(ctx, argc, argv, SB_METHOD_CONNECTIONS_LIST,
	    by_identity ? show_by_identity : show_connections, by_identity);
}

/* Commands of the form "NAME ID": calls method with {"id": ID}; show() prints a result. */
static enum sbctl_exit
call_with_id(struct sbctl_ctx *ctx, int argc, char **argv, enum sb_control_method method,
    void (*show)(struct sbctl_ctx *ctx, long long id, json_object *result))
{
	struct sb_rpc_response resp;
	json_object *params;
	enum sbctl_exit rc;
	char *end;
	long long id;

	if (!sbctl_parse_options(ctx, argc, argv, NULL, NULL, NULL))
		return sbctl_options_exit(ctx);
	if (argc - optind != 1) {
		sbctl_warn("usage: switchboardctl %s ID", argv[0]);
		return SBCTL_EXIT_REFUSED;
	}
	errno = 0;
	id = strtoll(argv[optind], &end, 10);
	if (errno != 0 || end == argv[optind] || *end != '\0' || id <= 0) {
		sbctl_warn("%s: not a connection id: %s", argv[0], argv[optind]);
		return SBCTL_EXIT_REFUSED;
	}
	params = json_object_new_object();
	json_object_object_add(params, SB_FIELD_ID, json_object_new_int64(id));
	rc = sbctl_call(ctx, sb_control_method_name(method), params, &resp);
	json_object_put(params);
	if (rc == SBCTL_EXIT_REFUSED)
		sbctl_report_error(ctx, &resp);
	else if (rc == SBCTL_EXIT_OK && ctx->json)
		sbctl_print_json(resp.result);
	else if (rc == SBCTL_EXIT_OK)
		show(ctx, id, resp.result);
	sb_rpc_response_clear(&resp);
	return rc;
}

static void
show_killed(struct sbctl_ctx *ctx, long long id, json_object *result)
{
	printf("closed connection %lld\n", id);
}

enum sbctl_exit
sbctl_cmd_kill(struct sbctl_ctx *ctx, int argc, char **argv)
{
	return call_with_id(ctx, argc, argv, SB_METHOD_CONNECTIONS_CLOSE, show_killed);
}

static void
show_connection(struct sbctl_ctx *ctx, long long id, json_object *result)
{
	sbctl_print_connection(stdout, result, &ctx->view);
}

enum sbctl_exit
sbctl_cmd_connection(struct sbctl_ctx *ctx, int argc, char **argv)
{
	return call_with_id(ctx, argc, argv, SB_METHOD_CONNECTIONS_GET, show_connection);
}

static void
show_backends(struct sbctl_ctx *ctx, json_object *result)
{
	sbctl_print_backends(stdout, result, &ctx->view);
}

enum sbctl_exit
sbctl_cmd_backends(struct sbctl_ctx *ctx, int argc, char **argv)
{
	return simple_call(ctx, argc, argv, SB_METHOD_BACKENDS_LIST, show_backends);
}

enum sbctl_exit
sbctl_cmd_backend(struct sbctl_ctx *ctx, int argc, char **argv)
{
	struct sb_rpc_response resp;
	json_object *params;
	enum sbctl_exit rc;

	if (!sbctl_parse_options(ctx, argc, argv, NULL, NULL, NULL))
		return sbctl_options_exit(ctx);
	if (argc - optind != 3) {
		sbctl_warn("usage: switchboardctl backend ROUTE ADDRESS ready|drain|maint");
		return SBCTL_EXIT_REFUSED;
	}
	params = json_object_new_object();
	json_object_object_add(params, SB_FIELD_ROUTE, json_object_new_string(argv[optind]));
	json_object_object_add(params, SB_FIELD_ADDRESS, json_object_new_string(argv[optind + 1]));
	json_object_object_add(params, SB_FIELD_STATE, json_object_new_string(argv[optind + 2]));
	rc = sbctl_call(ctx, sb_control_method_name(SB_METHOD_BACKENDS_SET), params, &resp);
	json_object_put(params);
	if (rc == SBCTL_EXIT_REFUSED)
		sbctl_report_error(ctx, &resp);
	else if (rc == SBCTL_EXIT_OK && ctx->json)
		sbctl_print_json(resp.result);
	else if (rc == SBCTL_EXIT_OK)
		printf("backend %s of route %s: %s\n", argv[optind + 1], argv[optind],
		    argv[optind + 2]);
	sb_rpc_response_clear(&resp);
	return rc;
}
