/* sbctl-cmd.h - switchboardctl's commands: one function each, argv from the command name on */
#pragma once

#include <json-c/json.h>
#include <stdbool.h>
#include <stdio.h>

#include "sb-rpc.h"
#include "sbctl-client.h"
#include "sbctl-format.h"

enum sbctl_exit {
	SBCTL_EXIT_OK = 0,
	SBCTL_EXIT_REFUSED = 1,     /* a JSON-RPC error, an invalid policy, bad arguments, no 101 */
	SBCTL_EXIT_UNREACHABLE = 2, /* no daemon at the socket (or, for probe, no connection) */
};

struct sbctl_ctx {
	const char *socket; /* the control socket path */
	struct sbctl_client *client; /* the connection every call of the command shares */
	bool json;          /* print results as JSON, as the daemon sent them */
	bool help;          /* --help was given after the command: usage printed */
	struct sbctl_view view;
};

/* argv[0] is the command's name; options may follow it (getopt_long, from optind 1). */
typedef enum sbctl_exit sbctl_cmd_fn(struct sbctl_ctx *ctx, int argc, char **argv);

sbctl_cmd_fn sbctl_cmd_status;
sbctl_cmd_fn sbctl_cmd_connections;
sbctl_cmd_fn sbctl_cmd_kill;
/* drain: daemon.drain, as SIGTERM does */
sbctl_cmd_fn sbctl_cmd_drain;
/* backends: the servers of every route; backend ROUTE ADDRESS ready|drain|maint */
sbctl_cmd_fn sbctl_cmd_backends;
sbctl_cmd_fn sbctl_cmd_backend;
/* connection ID: one connection in detail (connections.get) */
sbctl_cmd_fn sbctl_cmd_connection;
/* watch [--history] */
sbctl_cmd_fn sbctl_cmd_watch;
/* refused: the kept refusals as a table */
sbctl_cmd_fn sbctl_cmd_refused;
/* relay: copies stdin to the control socket and the socket to stdout (ssh:// runs it) */
sbctl_cmd_fn sbctl_cmd_relay;
/* policy get | policy check FILE | policy apply FILE [--revision N] [--no-persist] */
sbctl_cmd_fn sbctl_cmd_policy;
sbctl_cmd_fn sbctl_cmd_probe;
/* token NAME: a new random token and its tokens-file line; no daemon involved */
sbctl_cmd_fn sbctl_cmd_token;

/* The whole --help text. */
void sbctl_usage(FILE *out);
/* Prints "switchboardctl: message" on stderr. */
void sbctl_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * Parses the options of a command: --json, --socket PATH and --help are
 * accepted after the command too; extra (NULL-terminated, may be NULL) adds
 * the command's own, and *on_extra is called for each. Positional arguments
 * are left in argv from optind on. Returns false on a bad option (reported)
 * or after --help (usage printed, ctx->help set): then the command returns
 * sbctl_options_exit(ctx).
 */
struct option;
bool sbctl_parse_options(struct sbctl_ctx *ctx, int argc, char **argv,
    const struct option *extra, bool (*on_extra)(void *data, int opt, const char *arg),
    void *data);
enum sbctl_exit sbctl_options_exit(const struct sbctl_ctx *ctx);

/* The command's connection, made on first use; NULL after reporting why not. */
struct sbctl_client *sbctl_connect(struct sbctl_ctx *ctx);
/* Closes it (NULL ok); the next call connects again. */
void sbctl_disconnect(struct sbctl_ctx *ctx);
/* Reports what went wrong with the connection during what. */
void sbctl_report_io(const char *what, enum sbctl_io io, const char *err);

/*
 * One call on the command's connection. Transport trouble is reported and gives
 * SBCTL_EXIT_UNREACHABLE; a JSON-RPC error leaves *resp set and gives
 * SBCTL_EXIT_REFUSED without printing; a result gives SBCTL_EXIT_OK.
 */
enum sbctl_exit sbctl_call(struct sbctl_ctx *ctx, const char *method, json_object *params,
    struct sb_rpc_response *resp);
/* Reports an error answer: its message on stderr, and with --json the error object on stdout. */
void sbctl_report_error(struct sbctl_ctx *ctx, const struct sb_rpc_response *resp);
/* Prints v on stdout as one line of JSON. */
void sbctl_print_json(json_object *v);
