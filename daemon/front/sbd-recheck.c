/* sbd-recheck.c - what a new policy does to a live tunnel */
#include "sbd-recheck.h"

#include "sbd-route.h"

enum sbd_recheck
sbd_recheck_tunnel(const struct sb_policy *p, const struct sb_route *was, const char *listener,
    const struct sockaddr *client, enum sbd_close *why)
{
	const struct sb_route *r = sb_policy_find_route(p, was->name);
	enum sb_on_change action = was->on_policy_change;

	*why = SBD_CLOSE_NONE;
	if (r == NULL)
		*why = SBD_CLOSE_ROUTE_REMOVED;
	else if (!sbd_route_admits(r, listener, client))
		*why = SBD_CLOSE_NOT_ALLOWED;
	if (*why == SBD_CLOSE_NONE)
		return SBD_RECHECK_ADMITTED;
	if (r != NULL)
		action = r->on_policy_change;
	if (action == SB_ON_CHANGE_UNSET)
		action = p->on_policy_change;
	return action == SB_ON_CHANGE_CLOSE ? SBD_RECHECK_CLOSE : SBD_RECHECK_KEEP;
}
