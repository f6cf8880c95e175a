/* sbd-control-backends.c - backends.list and backends.set: the routes' servers, live */
#include <stdio.h>
#include <string.h>

#include "sb-control.h"
#include "sb-log.h"
#include "sbd-control-private.h"
#include "sbd-daemon.h"
#include "sbd-pool.h"

static void
add_target(void *arg, const struct sbd_target *tg)
{
	json_object *arr = arg, *o = json_object_new_object();
	char t[SB_TIME_RFC3339_MAX];

	json_object_object_add(o, SB_FIELD_ROUTE, json_object_new_string(tg->route));
	json_object_object_add(o, SB_FIELD_ADDRESS, json_object_new_string(tg->text));
	json_object_object_add(o, SB_FIELD_SERVER, json_object_new_string(tg->server));
	json_object_object_add(o, SB_FIELD_WEIGHT, json_object_new_int((int)tg->weight));
	json_object_object_add(o, SB_FIELD_BACKUP, json_object_new_boolean(tg->backup));
	json_object_object_add(o, SB_FIELD_STATE,
	    json_object_new_string(sbd_target_state_name(tg)));
	json_object_object_add(o, SB_FIELD_ACTIVE,
	    json_object_new_int64((int64_t)atomic_load(&tg->active)));
	json_object_object_add(o, SB_FIELD_TOTAL,
	    json_object_new_int64((int64_t)atomic_load(&tg->total)));
	json_object_object_add(o, SB_FIELD_FAILURES,
	    json_object_new_int64((int64_t)atomic_load(&tg->failures)));
	if (tg->last_check_unix_ms != 0) {
		sb_time_rfc3339(tg->last_check_unix_ms, t);
		json_object_object_add(o, SB_FIELD_LAST_CHECK, json_object_new_string(t));
	} else {
		json_object_object_add(o, SB_FIELD_LAST_CHECK, NULL);
	}
	json_object_object_add(o, SB_FIELD_LAST_ERROR, tg->last_error[0] ?
	    json_object_new_string(tg->last_error) : NULL);
	json_object_array_add(arr, o);
}

char *
sbd_control_backends_list(struct sbd_control_client *cl, json_object *id, json_object *params)
{
	json_object *arr = json_object_new_array();
	char *line;

	sbd_pools_foreach(cl->ctl->d->ctx.pools, add_target, arr);
	line = sb_rpc_result(id, arr);
	json_object_put(arr);
	return line;
}

static const char *
param_string(json_object *params, const char *key)
{
	json_object *v = NULL;

	if (params == NULL || !json_object_object_get_ex(params, key, &v) ||
	    !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

char *
sbd_control_backends_set(struct sbd_control_client *cl, json_object *id, json_object *params)
{
	static const char *const states[] = { "ready", "drain", "maint" };
	const char *route = param_string(params, SB_FIELD_ROUTE);
	const char *address = param_string(params, SB_FIELD_ADDRESS);
	const char *state = param_string(params, SB_FIELD_STATE);
	int admin = -1;
	char msg[256];

	for (int i = 0; state != NULL && i < 3; i++)
		if (strcmp(state, states[i]) == 0)
			admin = i;
	if (route == NULL || address == NULL || admin < 0)
		return sb_rpc_error(id, SB_ERR_INVALID_PARAMS, "invalid params: expected {\"route\": "
		    "NAME, \"address\": SERVER, \"state\": \"ready\" | \"drain\" | \"maint\"}", NULL);
	if (sbd_pools_set_admin(cl->ctl->d->ctx.pools, route, address,
	    (enum sbd_target_admin)admin) < 0) {
		snprintf(msg, sizeof msg, "no server %.100s in route %.100s", address, route);
		return sb_rpc_error(id, SB_ERR_NO_SUCH_BACKEND, msg, NULL);
	}
	sb_info("control: uid %u sets backend %s of route %s to %s", (unsigned)cl->uid, address,
	    route, state);
	json_object *r = json_object_new_object();
	char *line = sb_rpc_result(id, r);
	json_object_put(r);
	return line;
}
