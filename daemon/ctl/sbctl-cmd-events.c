/* sbctl-cmd-events.c - switchboardctl watch [--history] and refused: the event stream */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sb-control.h"
#include "sbctl-cmd.h"

/* How long the kept events that follow the answer may take to arrive. */
#define HISTORY_TIMEOUT_MS 30000

/* Prints one notification; false when the stream ends with it (subscription dropped). */
static bool
show_event(struct sbctl_ctx *ctx, const struct sb_rpc_response *note)
{
	json_object *type_v = NULL;
	const char *type_name = NULL;
	enum sb_control_event type;
	bool dropped;

	if (strcmp(note->method, SB_CONTROL_NOTIFY_EVENT) != 0 || note->params == NULL)
		return true;
	if (json_object_object_get_ex(note->params, SB_FIELD_TYPE, &type_v))
		type_name = json_object_get_string(type_v);
	dropped = type_name != NULL && sb_control_event_lookup(type_name, &type) &&
	    type == SB_EVENT_SUBSCRIPTION_DROPPED;
	if (ctx->json)
		sbctl_print_json(note->params);
	else
		sbctl_print_event(stdout, note->params);
	fflush(stdout);
	return !dropped;
}

/*
 * events.subscribe on the command's connection; with history, *kept is how
 * many kept events the daemon sends before the live ones.
 */
static enum sbctl_exit
subscribe(struct sbctl_ctx *ctx, bool history, int64_t *kept)
{
	struct sb_rpc_response resp;
	json_object *params = NULL, *v;
	enum sbctl_exit rc;

	*kept = 0;
	if (history) {
		params = json_object_new_object();
		json_object_object_add(params, SB_FIELD_HISTORY, json_object_new_boolean(true));
	}
	rc = sbctl_call(ctx, sb_control_method_name(SB_METHOD_EVENTS_SUBSCRIBE), params, &resp);
	json_object_put(params);
	if (rc == SBCTL_EXIT_REFUSED)
		sbctl_report_error(ctx, &resp);
	else if (rc == SBCTL_EXIT_OK && resp.result != NULL &&
	    json_object_object_get_ex(resp.result, SB_FIELD_HISTORY, &v) &&
	    json_object_is_type(v, json_type_int))
		*kept = json_object_get_int64(v);
	sb_rpc_response_clear(&resp);
	return rc;
}

enum {
	OPT_HISTORY = 0x300,
};

static bool
on_watch_option(void *data, int opt, const char *arg)
{
	*(bool *)data = opt == OPT_HISTORY;
	return opt == OPT_HISTORY;
}

enum sbctl_exit
sbctl_cmd_watch(struct sbctl_ctx *ctx, int argc, char **argv)
{
	static const struct option options[] = {
		{ "history", no_argument, NULL, OPT_HISTORY },
		{ NULL, 0, NULL, 0 },
	};
	struct sb_rpc_response resp = { 0 };
	enum sbctl_exit rc;
	enum sbctl_io io;
	bool history = false;
	char *err = NULL;
	int64_t kept;

	if (!sbctl_parse_options(ctx, argc, argv, options, on_watch_option, &history))
		return sbctl_options_exit(ctx);
	if (optind < argc) {
		sbctl_warn("watch: unexpected argument: %s", argv[optind]);
		return SBCTL_EXIT_REFUSED;
	}
	rc = subscribe(ctx, history, &kept);
	if (rc != SBCTL_EXIT_OK)
		return rc;
	rc = SBCTL_EXIT_UNREACHABLE;
	for (;;) {
		io = sbctl_client_next_event(ctx->client, -1, &resp, &err);
		if (io != SBCTL_IO_OK)
			break;
		if (!show_event(ctx, &resp)) {
			sbctl_warn("watch: the daemon dropped this subscription: events were lost");
			rc = SBCTL_EXIT_REFUSED;
			goto out;
		}
		sb_rpc_response_clear(&resp);
	}
	if (io == SBCTL_IO_CLOSED)
		rc = SBCTL_EXIT_OK; /* the daemon went away: the stream is over */
	else
		sbctl_report_io("watch", io, err);
out:
	sb_rpc_response_clear(&resp);
	free(err);
	return rc;
}

enum sbctl_exit
sbctl_cmd_refused(struct sbctl_ctx *ctx, int argc, char **argv)
{
	json_object *list = json_object_new_array();
	struct sb_rpc_response resp = { 0 };
	enum sbctl_exit rc;
	enum sbctl_io io = SBCTL_IO_OK;
	char *err = NULL;
	int64_t kept;

	if (!sbctl_parse_options(ctx, argc, argv, NULL, NULL, NULL)) {
		json_object_put(list);
		return sbctl_options_exit(ctx);
	}
	if (optind < argc) {
		sbctl_warn("refused: unexpected argument: %s", argv[optind]);
		json_object_put(list);
		return SBCTL_EXIT_REFUSED;
	}
	rc = subscribe(ctx, true, &kept);
	for (int64_t i = 0; rc == SBCTL_EXIT_OK && i < kept; i++) {
		json_object *type;
		enum sb_control_event e;

		io = sbctl_client_next_event(ctx->client, HISTORY_TIMEOUT_MS, &resp, &err);
		if (io != SBCTL_IO_OK) {
			sbctl_report_io("refused", io, err);
			rc = SBCTL_EXIT_UNREACHABLE;
			break;
		}
		if (resp.params != NULL &&
		    json_object_object_get_ex(resp.params, SB_FIELD_TYPE, &type) &&
		    sb_control_event_lookup(json_object_get_string(type), &e) &&
		    e == SB_EVENT_UPGRADE_REJECTED)
			json_object_array_add(list, json_object_get(resp.params));
		sb_rpc_response_clear(&resp);
	}
	if (rc == SBCTL_EXIT_OK && ctx->json)
		sbctl_print_json(list);
	else if (rc == SBCTL_EXIT_OK)
		sbctl_print_refused(stdout, list, &ctx->view);
	json_object_put(list);
	free(err);
	return rc;
}
