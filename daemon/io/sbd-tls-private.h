/* sbd-tls-private.h - what sbd-tls.c and sbd-tls-pair.c share: loading one certificate pair */
#pragma once

#include <gnutls/gnutls.h>

#include "sb-errors.h"
#include "sb-policy.h"
#include "sbd-tls.h"

/*
 * Credentials for one pair: key and chain, the RFC 7919 DH groups, the
 * client CA when given, and the pair's OCSP response when it has one and
 * the response is fresh and about this certificate (otherwise it is logged
 * and not stapled). info gets the certificate's facts. NULL with the reason
 * in errs under path; what names the pair in messages ("listener public: sni[0]").
 */
gnutls_certificate_credentials_t sbd_tls_pair_load(const struct sb_policy *policy,
    const struct sb_cert_pair *pair, const char *client_ca, const char *what, const char *path,
    struct sbd_tls_cert_info *info, struct sb_errors *errs);
