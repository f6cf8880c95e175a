/* sbd-resolve.c - getaddrinfo, its answers made unique and copied out */
#include "sbd-resolve.h"

#include <netdb.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sb-alloc.h"

int
sbd_resolve(const char *host, uint16_t port, struct sbd_resolved_list *out)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM, .ai_flags = AI_ADDRCONFIG };
	struct addrinfo *res = NULL;
	char service[8];
	size_t cap = 0;
	int rc;

	out->items = NULL;
	out->n = 0;
	snprintf(service, sizeof service, "%u", (unsigned)port);
	rc = getaddrinfo(host, service, &hints, &res);
	if (rc != 0)
		return rc;
	if (res == NULL)
		return EAI_NONAME;
	for (struct addrinfo *ai = res; ai != NULL; ai = ai->ai_next) {
		char text[SB_ADDR_TEXT_MAX];
		bool seen = false;

		if (ai->ai_addrlen > sizeof out->items->addr)
			continue;
		sb_addr_format(ai->ai_addr, text);
		for (size_t i = 0; i < out->n && !seen; i++)
			seen = strcmp(out->items[i].text, text) == 0;
		if (seen)
			continue;
		if (out->n == cap) {
			cap = cap ? cap * 2 : 4;
			out->items = sb_xrealloc(out->items, cap * sizeof *out->items);
		}
		memset(&out->items[out->n], 0, sizeof out->items[out->n]);
		memcpy(&out->items[out->n].addr, ai->ai_addr, ai->ai_addrlen);
		out->items[out->n].len = ai->ai_addrlen;
		memcpy(out->items[out->n].text, text, sizeof text);
		out->n++;
	}
	freeaddrinfo(res);
	return out->n > 0 ? 0 : EAI_NONAME;
}

void
sbd_resolved_list_clear(struct sbd_resolved_list *list)
{
	free(list->items);
	list->items = NULL;
	list->n = 0;
}
