/* sbd-control-certs.c - the certificates of a listener as status shows them: expiry and OCSP */
#include "sbd-control-private.h"

#include <time.h>

#include "sb-control.h"
#include "sbd-config.h"
#include "sbd-tls.h"

static json_object *
rfc3339(int64_t unix_s)
{
	char text[SB_TIME_RFC3339_MAX];

	sb_time_rfc3339(unix_s * 1000, text);
	return json_object_new_string(text);
}

static json_object *
sni_names(const struct sb_sni *sni)
{
	json_object *arr = json_object_new_array();

	for (size_t i = 0; i < sni->n_names; i++)
		json_object_array_add(arr, json_object_new_string(sni->names[i]));
	return arr;
}

static const char *
ocsp_state(const struct sbd_tls_cert_info *info, int64_t now)
{
	if (!info->ocsp)
		return "none";
	return info->ocsp_next_update != 0 && info->ocsp_next_update <= now ? "stale" : "stapled";
}

json_object *
sbd_control_certificates(const struct sbd_config *c, size_t listener)
{
	const struct sbd_tls_ctx *tls = c->listener_tls[listener];
	const struct sb_listener_tls *ltls = c->policy->listeners[listener].tls;
	int64_t now = (int64_t)time(NULL);
	json_object *arr;

	if (tls == NULL || ltls == NULL)
		return NULL;
	arr = json_object_new_array();
	for (size_t i = 0; i < sbd_tls_ctx_n_certs(tls); i++) {
		const struct sbd_tls_cert_info *info = sbd_tls_ctx_cert(tls, i);
		json_object *o = json_object_new_object();

		json_object_object_add(o, SB_FIELD_SNI,
		    i > 0 && i - 1 < ltls->n_sni ? sni_names(&ltls->sni[i - 1]) : NULL);
		json_object_object_add(o, SB_FIELD_SUBJECT, json_object_new_string(info->subject));
		json_object_object_add(o, SB_FIELD_NOT_AFTER, rfc3339(info->not_after));
		json_object_object_add(o, SB_FIELD_EXPIRES_IN_S,
		    json_object_new_int64(info->not_after - now));
		json_object_object_add(o, SB_FIELD_OCSP, json_object_new_string(ocsp_state(info, now)));
		json_object_object_add(o, SB_FIELD_OCSP_NEXT_UPDATE,
		    info->ocsp && info->ocsp_next_update != 0 ? rfc3339(info->ocsp_next_update) : NULL);
		json_object_array_add(arr, o);
	}
	return arr;
}
