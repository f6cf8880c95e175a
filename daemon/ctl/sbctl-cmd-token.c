/* sbctl-cmd-token.c - switchboardctl token NAME: a new random token and its tokens-file line */
#include <getopt.h>
#include <gnutls/crypto.h>
#include <stdio.h>
#include <stdlib.h>

#include "sbctl-cmd.h"
#include "sbd-authfile.h"
#include "sbd-hex.h"

/* 256 bits from GnuTLS's key generator, written as 64 lowercase hex digits */
#define TOKEN_BYTES 32

enum sbctl_exit
sbctl_cmd_token(struct sbctl_ctx *ctx, int argc, char **argv)
{
	uint8_t raw[TOKEN_BYTES];
	char token[2 * TOKEN_BYTES + 1];
	const char *why = NULL;
	char *line;

	if (!sbctl_parse_options(ctx, argc, argv, NULL, NULL, NULL))
		return sbctl_options_exit(ctx);
	if (argc - optind != 1) {
		sbctl_warn("usage: switchboardctl token NAME");
		return SBCTL_EXIT_REFUSED;
	}
	if (gnutls_rnd(GNUTLS_RND_KEY, raw, sizeof raw) < 0) {
		sbctl_warn("token: the random generator failed");
		return SBCTL_EXIT_REFUSED;
	}
	sbd_hex_encode(raw, sizeof raw, token);
	gnutls_memset(raw, 0, sizeof raw);
	line = sbd_token_line(argv[optind], token, &why);
	if (line == NULL) {
		sbctl_warn("token: %s: %s", argv[optind], why);
		gnutls_memset(token, 0, sizeof token);
		return SBCTL_EXIT_REFUSED;
	}
	if (ctx->json) {
		json_object *o = json_object_new_object();

		json_object_object_add(o, "name", json_object_new_string(argv[optind]));
		json_object_object_add(o, "token", json_object_new_string(token));
		json_object_object_add(o, "line", json_object_new_string(line));
		sbctl_print_json(o);
		json_object_put(o);
	} else {
		printf("%s\n%s\n", token, line);
	}
	gnutls_memset(token, 0, sizeof token);
	free(line);
	return SBCTL_EXIT_OK;
}
