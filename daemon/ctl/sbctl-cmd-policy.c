/* sbctl-cmd-policy.c - switchboardctl policy get | check FILE | apply FILE */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sb-alloc.h"
#include "sb-control.h"
#include "sb-errors.h"
#include "sb-json.h"
#include "sbctl-cmd.h"

/* A policy file is small; this only stops a wrong argument (a disk image) early. */
#define POLICY_FILE_MAX ((size_t)16 << 20)

/* Reads all of path ("-": stdin); NULL with errs set. */
static char *
read_file(const char *path, size_t *len, struct sb_errors *errs)
{
	FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
	char *buf = NULL;
	size_t cap = 0, n = 0;

	if (f == NULL) {
		sb_errors_add(errs, "", "cannot open: %s", strerror(errno));
		return NULL;
	}
	for (;;) {
		size_t got;

		if (n == cap) {
			cap = cap ? cap * 2 : 65536;
			buf = sb_xrealloc(buf, cap + 1);
		}
		got = fread(buf + n, 1, cap - n, f);
		n += got;
		if (got == 0)
			break;
		if (n > POLICY_FILE_MAX) {
			sb_errors_add(errs, "", "over %zu bytes: not a policy file",
			    POLICY_FILE_MAX);
			goto err;
		}
	}
	if (ferror(f)) {
		sb_errors_add(errs, "", "cannot read: %s", strerror(errno));
		goto err;
	}
	if (f != stdin)
		fclose(f);
	buf[n] = '\0';
	*len = n;
	return buf;

err:
	if (f != stdin)
		fclose(f);
	free(buf);
	return NULL;
}

/* The JSON object in a policy file; NULL after printing why not. */
static json_object *
load_policy_json(struct sbctl_ctx *ctx, const char *path)
{
	struct sb_errors errs = SB_ERRORS_INIT;
	json_object *doc = NULL;
	size_t len = 0;
	char *text = read_file(path, &len, &errs);

	if (text != NULL)
		doc = sb_json_parse(text, len, &errs);
	free(text);
	if (doc != NULL && !json_object_is_type(doc, json_type_object)) {
		sb_errors_add(&errs, "", "a policy must be a JSON object");
		json_object_put(doc);
		doc = NULL;
	}
	if (doc == NULL && ctx->json) {
		/* the shape of the daemon's own answer for an invalid policy */
		json_object *e = json_object_new_object(), *data = json_object_new_object();
		json_object *list = json_object_new_array();

		for (size_t i = 0; i < errs.count; i++) {
			json_object *item = json_object_new_object();

			json_object_object_add(item, SB_FIELD_PATH,
			    json_object_new_string(errs.items[i].path));
			json_object_object_add(item, SB_FIELD_MESSAGE,
			    json_object_new_string(errs.items[i].message));
			json_object_array_add(list, item);
		}
		json_object_object_add(data, SB_FIELD_ERRORS, list);
		json_object_object_add(e, "code", json_object_new_int(SB_ERR_POLICY_INVALID));
		json_object_object_add(e, "message", json_object_new_string("invalid policy"));
		json_object_object_add(e, "data", data);
		sbctl_print_json(e);
		json_object_put(e);
	}
	if (doc == NULL)
		sb_errors_print(&errs, path, stderr);
	sb_errors_clear(&errs);
	return doc;
}

/* A refused check or apply: FILE: PATH: message lines when the daemon listed errors. */
static void
report_policy_error(struct sbctl_ctx *ctx, const char *file, const struct sb_rpc_response *resp)
{
	json_object *rev;

	if (ctx->json) {
		sbctl_report_error(ctx, resp);
		return;
	}
	if (resp->code == SB_ERR_POLICY_INVALID &&
	    sbctl_print_policy_errors(stderr, file, resp->data) > 0)
		return;
	if (resp->code == SB_ERR_STALE_REVISION && resp->data != NULL &&
	    json_object_object_get_ex(resp->data, SB_FIELD_REVISION, &rev)) {
		sbctl_warn("%s: someone applied a policy first; see it with 'policy get', "
		    "or replace it with --revision %" PRId64, resp->message,
		    json_object_get_int64(rev));
		return;
	}
	sbctl_warn("%s", resp->message);
}

static enum sbctl_exit
policy_get(struct sbctl_ctx *ctx)
{
	struct sb_rpc_response resp;
	enum sbctl_exit rc = sbctl_call(ctx, sb_control_method_name(SB_METHOD_POLICY_GET), NULL,
	    &resp);
	json_object *policy;

	if (rc == SBCTL_EXIT_REFUSED) {
		sbctl_report_error(ctx, &resp);
	} else if (rc == SBCTL_EXIT_OK && ctx->json) {
		sbctl_print_json(resp.result);
	} else if (rc == SBCTL_EXIT_OK) {
		if (json_object_object_get_ex(resp.result, SB_FIELD_POLICY, &policy) &&
		    policy != NULL) {
			char *text = sb_json_to_pretty(policy);

			fputs(text, stdout);
			free(text);
		} else {
			sbctl_warn("policy get: the answer holds no policy");
			rc = SBCTL_EXIT_REFUSED;
		}
	}
	sb_rpc_response_clear(&resp);
	return rc;
}

static enum sbctl_exit
policy_check(struct sbctl_ctx *ctx, const char *file)
{
	struct sb_rpc_response resp;
	json_object *doc = load_policy_json(ctx, file), *params;
	enum sbctl_exit rc;

	if (doc == NULL)
		return SBCTL_EXIT_REFUSED;
	params = json_object_new_object();
	json_object_object_add(params, SB_FIELD_POLICY, doc);
	rc = sbctl_call(ctx, sb_control_method_name(SB_METHOD_POLICY_VALIDATE), params, &resp);
	json_object_put(params);
	if (rc == SBCTL_EXIT_REFUSED)
		report_policy_error(ctx, file, &resp);
	else if (rc == SBCTL_EXIT_OK && ctx->json)
		sbctl_print_json(resp.result);
	else if (rc == SBCTL_EXIT_OK)
		printf("%s: valid\n", file);
	sb_rpc_response_clear(&resp);
	return rc;
}

struct apply_opts {
	bool has_revision;
	int64_t revision;
	bool no_persist;
	bool yes;
};

enum {
	OPT_REVISION = 0x200,
	OPT_NO_PERSIST,
	OPT_YES,
};

static bool
on_apply_option(void *data, int opt, const char *arg)
{
	struct apply_opts *o = data;
	char *end;

	switch (opt) {
	case OPT_REVISION:
		errno = 0;
		o->revision = strtoll(arg, &end, 10);
		if (errno != 0 || end == arg || *end != '\0' || o->revision < 0) {
			sbctl_warn("policy apply: --revision: not a revision number: %s", arg);
			return false;
		}
		o->has_revision = true;
		return true;
	case OPT_NO_PERSIST:
		o->no_persist = true;
		return true;
	case OPT_YES:
		o->yes = true;
		return true;
	}
	return false;
}

/* The running policy's revision, from policy.get. */
static enum sbctl_exit
current_revision(struct sbctl_ctx *ctx, int64_t *revision)
{
	struct sb_rpc_response resp;
	enum sbctl_exit rc = sbctl_call(ctx, sb_control_method_name(SB_METHOD_POLICY_GET), NULL,
	    &resp);
	json_object *v;

	if (rc == SBCTL_EXIT_REFUSED) {
		sbctl_report_error(ctx, &resp);
	} else if (rc == SBCTL_EXIT_OK) {
		if (json_object_object_get_ex(resp.result, SB_FIELD_REVISION, &v) &&
		    json_object_is_type(v, json_type_int)) {
			*revision = json_object_get_int64(v);
		} else {
			sbctl_warn("policy apply: policy.get did not say the running revision");
			rc = SBCTL_EXIT_REFUSED;
		}
	}
	sb_rpc_response_clear(&resp);
	return rc;
}

/* "7 (route vnc, 10.0.0.1:4242), 9 (...)": ids, with what connections.list says of them. */
static void
print_ids(FILE *out, json_object *ids, json_object *list)
{
	for (size_t i = 0; i < json_object_array_length(ids); i++) {
		int64_t id = json_object_get_int64(json_object_array_get_idx(ids, i));
		size_t n = list != NULL ? json_object_array_length(list) : 0;

		fprintf(out, "%s%" PRId64, i > 0 ? ", " : "", id);
		for (size_t k = 0; k < n; k++) {
			json_object *c = json_object_array_get_idx(list, k), *v, *route, *client;

			if (json_object_object_get_ex(c, SB_FIELD_ID, &v) &&
			    json_object_get_int64(v) == id &&
			    json_object_object_get_ex(c, SB_FIELD_ROUTE, &route) &&
			    json_object_object_get_ex(c, SB_FIELD_CLIENT, &client)) {
				char *r = sbctl_printable(json_object_get_string(route),
				    strlen(json_object_get_string(route)));
				char *cl = sbctl_printable(json_object_get_string(client),
				    strlen(json_object_get_string(client)));

				fprintf(out, " (route %s, %s)", r, cl);
				free(r);
				free(cl);
				break;
			}
		}
	}
	fputc('\n', out);
}

/*
 * policy.validate's preview: which live tunnels applying closes (and keeps
 * unadmitted), then the question. SBCTL_EXIT_OK to go on.
 */
static enum sbctl_exit
preview(struct sbctl_ctx *ctx, const char *file, json_object *doc, const struct apply_opts *o)
{
	struct sb_rpc_response resp, list = { 0 };
	json_object *params = json_object_new_object(), *close = NULL, *keep = NULL;
	FILE *out = ctx->json ? stderr : stdout;
	enum sbctl_exit rc;
	size_t n_close, n_keep;

	json_object_object_add(params, SB_FIELD_POLICY, json_object_get(doc));
	rc = sbctl_call(ctx, sb_control_method_name(SB_METHOD_POLICY_VALIDATE), params, &resp);
	json_object_put(params);
	if (rc == SBCTL_EXIT_REFUSED)
		report_policy_error(ctx, file, &resp);
	if (rc != SBCTL_EXIT_OK)
		goto out;
	json_object_object_get_ex(resp.result, SB_FIELD_WOULD_CLOSE, &close);
	json_object_object_get_ex(resp.result, SB_FIELD_WOULD_KEEP, &keep);
	n_close = json_object_is_type(close, json_type_array) ? json_object_array_length(close) : 0;
	n_keep = json_object_is_type(keep, json_type_array) ? json_object_array_length(keep) : 0;
	if (n_close + n_keep > 0 &&
	    sbctl_call(ctx, sb_control_method_name(SB_METHOD_CONNECTIONS_LIST), NULL, &list) !=
	    SBCTL_EXIT_OK)
		sb_rpc_response_clear(&list); /* ids alone will do */
	if (n_keep > 0) {
		fprintf(out, "Keeps %zu connection%s the new policy no longer admits "
		    "(on_policy_change keep): ", n_keep, n_keep == 1 ? "" : "s");
		print_ids(out, keep, list.result);
	}
	if (n_close == 0)
		goto out;
	fprintf(out, "Applying closes %zu connection%s: ", n_close, n_close == 1 ? "" : "s");
	print_ids(out, close, list.result);
	fflush(out);
	if (o->yes)
		goto out;
	if (strcmp(file, "-") == 0 || !isatty(STDIN_FILENO)) {
		sbctl_warn("policy apply: not applied: it closes %zu connection%s; confirm on a "
		    "terminal, or pass --yes", n_close, n_close == 1 ? "" : "s");
		rc = SBCTL_EXIT_REFUSED;
		goto out;
	}
	char answer[16] = "";

	fputs("Apply? [y/N] ", stderr);
	fflush(stderr);
	if (fgets(answer, sizeof answer, stdin) == NULL || (answer[0] != 'y' && answer[0] != 'Y')) {
		sbctl_warn("policy apply: not applied");
		rc = SBCTL_EXIT_REFUSED;
	}
out:
	sb_rpc_response_clear(&list);
	sb_rpc_response_clear(&resp);
	return rc;
}

static enum sbctl_exit
policy_apply(struct sbctl_ctx *ctx, const char *file, const struct apply_opts *o)
{
	struct sb_rpc_response resp;
	json_object *doc, *params, *v;
	int64_t revision = o->revision;
	enum sbctl_exit rc;

	doc = load_policy_json(ctx, file);
	if (doc == NULL)
		return SBCTL_EXIT_REFUSED;
	if ((!o->has_revision && (rc = current_revision(ctx, &revision)) != SBCTL_EXIT_OK) ||
	    (rc = preview(ctx, file, doc, o)) != SBCTL_EXIT_OK) {
		json_object_put(doc);
		return rc;
	}
	params = json_object_new_object();
	json_object_object_add(params, SB_FIELD_POLICY, doc);
	json_object_object_add(params, SB_FIELD_REVISION, json_object_new_int64(revision));
	if (o->no_persist)
		json_object_object_add(params, SB_FIELD_PERSIST, json_object_new_boolean(false));
	rc = sbctl_call(ctx, sb_control_method_name(SB_METHOD_POLICY_APPLY), params, &resp);
	json_object_put(params);
	if (rc == SBCTL_EXIT_REFUSED) {
		report_policy_error(ctx, file, &resp);
	} else if (rc == SBCTL_EXIT_OK && ctx->json) {
		sbctl_print_json(resp.result);
	} else if (rc == SBCTL_EXIT_OK) {
		if (json_object_object_get_ex(resp.result, SB_FIELD_REVISION, &v))
			printf("applied: revision %" PRId64, json_object_get_int64(v));
		else
			fputs("applied", stdout);
		if (json_object_object_get_ex(resp.result, "persisted", &v) &&
		    !json_object_get_boolean(v))
			fputs(" (running only: the policy file was not written)", stdout);
		fputc('\n', stdout);
	}
	sb_rpc_response_clear(&resp);
	return rc;
}

enum sbctl_exit
sbctl_cmd_policy(struct sbctl_ctx *ctx, int argc, char **argv)
{
	static const struct option apply_options[] = {
		{ "revision", required_argument, NULL, OPT_REVISION },
		{ "no-persist", no_argument, NULL, OPT_NO_PERSIST },
		{ "yes", no_argument, NULL, OPT_YES },
		{ NULL, 0, NULL, 0 },
	};
	struct apply_opts o = { false, 0, false, false };
	const char *sub;
	int npos;

	if (!sbctl_parse_options(ctx, argc, argv, apply_options, on_apply_option, &o))
		return sbctl_options_exit(ctx);
	npos = argc - optind;
	sub = npos > 0 ? argv[optind] : "";
	if (strcmp(sub, "get") == 0 && npos == 1 && !o.has_revision && !o.no_persist && !o.yes)
		return policy_get(ctx);
	if (strcmp(sub, "check") == 0 && npos == 2 && !o.has_revision && !o.no_persist && !o.yes)
		return policy_check(ctx, argv[optind + 1]);
	if (strcmp(sub, "apply") == 0 && npos == 2)
		return policy_apply(ctx, argv[optind + 1], &o);
	sbctl_warn("usage: switchboardctl policy get | policy check FILE | "
	    "policy apply FILE [--revision N] [--no-persist] [--yes]");
	return SBCTL_EXIT_REFUSED;
}
