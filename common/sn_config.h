/*  sn_config: a service's ZPL config (CZMQ zconfig) and what it names:
    the certificate, the audit key, the server settings. */
#ifndef SN_CONFIG_H_INCLUDED
#define SN_CONFIG_H_INCLUDED

#include "sn_server.h"
#include <czmq.h>

//  Reads "<service>/..." into a server config: request, events, db, workers,
//  batch, max_message, hwm, deadline_ms, idempotency_days. Strings point into
//  config (borrowed).
//  Returns 0, or -1 with err filled (a missing or malformed setting).
int sn_config_server (zconfig_t *config, const char *service, sn_server_config_t *out,
                      char *err, size_t errlen);

//  Loads a certificate (path and path_secret): a secret key, and the public
//  key that is its. Returns NULL with err filled.
zcert_t *sn_config_cert (const char *path, char *err, size_t errlen);

//  Reads a key file (32 random bytes, hex): its first line is 64 hex digits,
//  nothing after them but white space. Returns 0, or -1 with err filled.
int sn_config_key (const char *path, uint8_t *key, char *err, size_t errlen);

//  Everything a service's main needs of its own section: the server settings
//  (as sn_config_server), its certificate (<service>/cert; caller destroys
//  *cert) and its audit key (<service>/audit_key, 32 bytes into audit_key,
//  which out points to). Returns 0, or -1 with err filled and *cert NULL.
int sn_config_service (zconfig_t *config, const char *service, sn_server_config_t *out, zcert_t **cert,
                       uint8_t *audit_key, char *err, size_t errlen);

//  Another service, as a client or subscriber reaches it.
#define SN_ENDPOINT_MAX 256
typedef struct {
    char request [SN_ENDPOINT_MAX];     //  its ROUTER
    char events [SN_ENDPOINT_MAX];      //  its PUB ("" when it has none)
    char public_key [41];               //  its CURVE public key, Z85
} sn_peer_t;

//  Reads <service>/request, <service>/events and the service's public key:
//  <service>/public_key, or else the public part of <service>/cert (one
//  machine), 40 characters of Z85 that decode. Returns 0, or -1 with err
//  filled.
int sn_config_peer (zconfig_t *config, const char *service, sn_peer_t *peer, char *err, size_t errlen);

//  The start of a service's main: parses [-c config] [-v] (-v: log to
//  stderr, not syslog), starts zsys with the program's name, loads the
//  config (default var/snodo.cfg; *path says which). Returns it (caller
//  destroys), or NULL after saying why on stderr, with *exit_code 2 (usage)
//  or 1 (no config).
zconfig_t *sn_config_main (int argc, char *argv [], const char *service, const char **path, int *exit_code);

//  An integer setting with a default and bounds; -1 in *bad when out of range.
long sn_config_int (zconfig_t *config, const char *path, long def, long min, long max, int *bad);

#endif
