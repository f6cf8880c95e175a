/* sbctl-probe-data.c - the probe after the 101: --send, then what comes back (WebSocket frames
 * decoded, or raw bytes), and a polite end */
#include <gnutls/crypto.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sb-alloc.h"
#include "sbctl-probe-private.h"
#include "sbd-ws-frame.h"

/* Without --send: how long to wait for bytes the server sends first (a VNC banner). */
#define FIRST_BYTES_MS 1000
/* After some data came: the silence that ends the wait early. */
#define QUIET_MS 300

/* Shows the complete frames in p->in; false when the stream cannot go on (close, garbage). */
static bool
show_frames(struct sbctl_probe *p, json_object *frames, double t0)
{
	for (;;) {
		struct sbd_ws_frame fr;
		enum sbd_ws_frame_result r = sbd_ws_frame_decode(p->in, p->in_len, &fr);
		const uint8_t *payload = p->in + fr.header_len;
		json_object *o;

		if (r == SBD_WS_FRAME_INCOMPLETE) {
			if (p->in_len == SBCTL_PROBE_IN_MAX) {
				sbctl_probe_say(p, "receive   a %s frame of %llu bytes: more than "
				    "this probe keeps", sbd_ws_opcode_name(fr.opcode),
				    (unsigned long long)fr.length);
				return false;
			}
			return true;
		}
		if (r == SBD_WS_FRAME_INVALID) {
			sbctl_probe_say(p, "receive   not a WebSocket frame:");
			sbctl_probe_say_block(p, p->in, p->in_len);
			json_object_array_add(frames, sbctl_probe_peer_text(p->in, p->in_len));
			return false;
		}
		o = json_object_new_object();
		json_object_object_add(o, "opcode", json_object_new_string(
		    sbd_ws_opcode_name(fr.opcode)));
		json_object_object_add(o, "fin", json_object_new_boolean(fr.fin));
		json_object_object_add(o, "length", json_object_new_int64((int64_t)fr.length));
		json_object_object_add(o, "payload",
		    sbctl_probe_peer_text(payload, (size_t)fr.length));
		json_object_array_add(frames, o);
		sbctl_probe_say(p, "receive   %s frame%s%s, %llu bytes (%.1f ms)",
		    sbd_ws_opcode_name(fr.opcode), fr.fin ? "" : " (not final)",
		    fr.masked ? " (masked: a server must not mask)" : "",
		    (unsigned long long)fr.length, sbctl_probe_now() - t0);
		if (fr.opcode == SBD_WS_OP_CLOSE && fr.length >= 2) {
			sbctl_probe_say(p, "          close code %u%s%.*s",
			    payload[0] << 8 | payload[1], fr.length > 2 ? ": " : "",
			    (int)fr.length - 2, (const char *)payload + 2);
		} else if (fr.length > 0) {
			sbctl_probe_say_block(p, payload, (size_t)fr.length);
		}
		sbctl_probe_consume(p, fr.header_len + (size_t)fr.length);
		if (fr.opcode == SBD_WS_OP_CLOSE)
			return false;
	}
}

void
sbctl_probe_exchange(struct sbctl_probe *p)
{
	json_object *step, *frames = json_object_new_array();
	double t0 = sbctl_probe_now(), last = -1;
	double deadline = t0 + (p->send != NULL ? p->timeout_ms :
	    (p->timeout_ms < FIRST_BYTES_MS ? p->timeout_ms : FIRST_BYTES_MS));
	size_t raw_total = 0;
	char *err = NULL;
	bool going = true;

	if (p->send != NULL) {
		size_t n = strlen(p->send);
		uint8_t mask[4], *frame = NULL;
		bool sent;

		step = sbctl_probe_step(p, "send");
		json_object_object_add(step, "bytes", json_object_new_int64((int64_t)n));
		if (p->websocket) {
			if (gnutls_rnd(GNUTLS_RND_NONCE, mask, sizeof mask) < 0)
				abort();
			frame = sb_xmalloc(n + SBD_WS_HEADER_MAX);
			sent = sbctl_probe_send(p, frame, sbd_ws_client_frame(frame,
			    n + SBD_WS_HEADER_MAX, SBD_WS_OP_TEXT, true, mask, p->send, n),
			    deadline, &err);
			free(frame);
		} else {
			sent = sbctl_probe_send(p, p->send, n, deadline, &err);
		}
		if (!sent) {
			sbctl_probe_fail(p, "send: %s", err);
			free(err);
			json_object_put(frames);
			return;
		}
		sbctl_probe_say(p, "send      %s%zu bytes", p->websocket ? "text frame, " : "", n);
		t0 = sbctl_probe_now();
	}
	step = sbctl_probe_step(p, "receive");
	json_object_object_add(step, p->websocket ? "frames" : "data", frames);
	while (going) {
		size_t before = p->in_len;
		double until = last >= 0 && last + QUIET_MS < deadline ? last + QUIET_MS : deadline;
		enum sbctl_probe_recv r;

		if (p->websocket) {
			going = show_frames(p, frames, t0);
			if (!going)
				break;
		} else if (p->in_len > 0) {
			sbctl_probe_say(p, "receive   %zu bytes (%.1f ms)", p->in_len,
			    sbctl_probe_now() - t0);
			sbctl_probe_say_block(p, p->in, p->in_len);
			json_object_array_add(frames, sbctl_probe_peer_text(p->in, p->in_len));
			raw_total += p->in_len;
			p->in_len = 0;
		}
		r = sbctl_probe_recv(p, until, &err);
		if (r == SBCTL_PROBE_RECV_DATA) {
			if (last < 0)
				json_object_object_add(step, "first_ms",
				    sbctl_probe_ms_json(sbctl_probe_now() - t0));
			last = sbctl_probe_now();
			continue;
		}
		if (r == SBCTL_PROBE_RECV_EOF) {
			json_object_object_add(step, "closed", json_object_new_boolean(true));
			sbctl_probe_say(p, "receive   the server closed the connection (%.1f ms)",
			    sbctl_probe_now() - t0);
		} else if (r == SBCTL_PROBE_RECV_ERROR) {
			sbctl_probe_say(p, "receive   %s", err);
		} else if (r == SBCTL_PROBE_RECV_TIMEOUT && last < 0 && before == 0) {
			sbctl_probe_say(p, "receive   nothing within %.0f ms", deadline - t0);
		}
		going = false;
	}
	if (!p->websocket)
		json_object_object_add(step, "bytes", json_object_new_int64((int64_t)raw_total));
	sbctl_probe_add_ms(step, t0);
	free(err);
}

void
sbctl_probe_finish(struct sbctl_probe *p, bool upgraded)
{
	if (p->fd < 0)
		return;
	if (upgraded && p->websocket) {
		uint8_t mask[4] = { 0 }, payload[SBD_WS_CONTROL_MAX];
		uint8_t frame[SBD_WS_HEADER_MAX + SBD_WS_CONTROL_MAX];
		size_t n = sbd_ws_close_payload(payload, SBD_WS_CLOSE_NORMAL, NULL);
		char *err = NULL;

		if (gnutls_rnd(GNUTLS_RND_NONCE, mask, sizeof mask) < 0)
			abort();
		sbctl_probe_send(p, frame, sbd_ws_client_frame(frame, sizeof frame, SBD_WS_OP_CLOSE,
		    true, mask, payload, n), sbctl_probe_now() + 100, &err);
		free(err);
	}
	if (p->tls != NULL)
		gnutls_bye(p->tls, GNUTLS_SHUT_WR);
	close(p->fd);
	p->fd = -1;
}
