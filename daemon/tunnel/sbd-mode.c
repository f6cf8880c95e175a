/* sbd-mode.c - the modes, indexed by the policy's mode */
#include "sbd-mode.h"

#include <stddef.h>

static const struct sbd_mode_ops *const modes[] = {
	[SB_MODE_TUNNEL] = &sbd_mode_tunnel,
	[SB_MODE_WEBSOCKET] = &sbd_mode_websocket,
	[SB_MODE_H2C] = &sbd_mode_h2c,
	[SB_MODE_TLS] = &sbd_mode_tls,
};

const struct sbd_mode_ops *
sbd_mode_ops(enum sb_mode mode)
{
	if ((size_t)mode >= sizeof modes / sizeof modes[0] || modes[mode] == NULL)
		return &sbd_mode_tunnel;
	return modes[mode];
}
