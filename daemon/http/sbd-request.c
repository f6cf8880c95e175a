/* sbd-request.c - a request's method, target, headers and body, read through MHD */
#include "sbd-request.h"
#include "sbd-request-private.h"

#include <stdlib.h>
#include <strings.h>

#include "sb-alloc.h"

const char *
sbd_request_method(const struct sbd_request *r)
{
	return r->method;
}

const char *
sbd_request_uri(const struct sbd_request *r)
{
	return r->raw_uri;
}

const char *
sbd_request_header(const struct sbd_request *r, const char *name)
{
	return MHD_lookup_connection_value(r->mhd, MHD_HEADER_KIND, name);
}

struct each {
	const char *name; /* NULL: every header */
	void (*fn)(void *arg, const char *name, const char *value);
	void *arg;
};

static enum MHD_Result
each_one(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
	struct each *e = cls;

	if (e->name == NULL || strcasecmp(key, e->name) == 0)
		e->fn(e->arg, key, value);
	return MHD_YES;
}

static void
each(const struct sbd_request *r, const char *name,
    void (*fn)(void *arg, const char *name, const char *value), void *arg)
{
	struct each e = { name, fn, arg };

	MHD_get_connection_values(r->mhd, MHD_HEADER_KIND, each_one, &e);
}

void
sbd_request_foreach_header(const struct sbd_request *r,
    void (*fn)(void *arg, const char *name, const char *value), void *arg)
{
	each(r, NULL, fn, arg);
}

struct replayed {
	const struct sbd_cred_replay *rp;
	bool cookie_done, protocols_done;
	void (*fn)(void *arg, const char *name, const char *value);
	void *arg;
};

/* A rewritten header: its one value at the first place, nothing at the others. */
static void
replay_rewritten(struct replayed *e, bool *done, const char *name, const char *value)
{
	if (!*done && value != NULL)
		e->fn(e->arg, name, value);
	*done = true;
}

static void
replayed_one(void *arg, const char *name, const char *value)
{
	struct replayed *e = arg;

	if (e->rp->drop_authorization && strcasecmp(name, "Authorization") == 0)
		return;
	if (e->rp->rewrite_cookie && strcasecmp(name, "Cookie") == 0)
		replay_rewritten(e, &e->cookie_done, name, e->rp->cookie);
	else if (e->rp->rewrite_protocols && strcasecmp(name, "Sec-WebSocket-Protocol") == 0)
		replay_rewritten(e, &e->protocols_done, name, e->rp->protocols);
	else
		e->fn(e->arg, name, value);
}

void
sbd_request_foreach_replayed(const struct sbd_request *r,
    void (*fn)(void *arg, const char *name, const char *value), void *arg)
{
	struct replayed e = { &r->replay, false, false, fn, arg };

	each(r, NULL, replayed_one, &e);
}

/*
 * All values of a header, joined with ", " as RFC 9110 §5.3 allows; Cookie's
 * with "; ", the one separator a cookie header knows (RFC 6265 §5.4).
 */
static void
join_one(void *arg, const char *name, const char *value)
{
	char **out = arg;
	const char *sep = strcasecmp(name, "Cookie") == 0 ? "; " : ", ";
	char *s;

	if (value == NULL)
		return;
	s = *out ? sb_xasprintf("%s%s%s", *out, sep, value) : sb_xstrdup(value);
	free(*out);
	*out = s;
}

char *
sbd_request_header_joined(const struct sbd_request *r, const char *name)
{
	char *out = NULL;

	each(r, name, join_one, &out);
	return out;
}

static void
count_one(void *arg, const char *name, const char *value)
{
	(*(unsigned *)arg)++;
}

unsigned
sbd_request_header_count(const struct sbd_request *r, const char *name)
{
	unsigned n = 0;

	each(r, name, count_one, &n);
	return n;
}

const uint8_t *
sbd_request_body(const struct sbd_request *r, size_t *len)
{
	*len = r->body.len;
	return (const uint8_t *)sb_buf_head(&r->body);
}
