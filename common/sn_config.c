/*  sn_config: settings from ZPL. */
#include "sn_config.h"
#include "sn_log.h"
#include <ctype.h>
#include <errno.h>
#include <string.h>

long
sn_config_int (zconfig_t *config, const char *path, long def, long min, long max, int *bad)
{
    const char *text = zconfig_get (config, path, NULL);
    if (!text || !*text)
        return def;
    char *end;
    errno = 0;
    long value = strtol (text, &end, 10);
    if (errno || *end || value < min || value > max) {
        if (bad)
            *bad = -1;
        return def;
    }
    return value;
}

//  <service>/<key>, or NULL.
static const char *
s_get (zconfig_t *config, const char *service, const char *key)
{
    char path [128];
    snprintf (path, sizeof path, "%s/%s", service, key);
    return zconfig_get (config, path, NULL);
}

int
sn_config_server (zconfig_t *config, const char *service, sn_server_config_t *out,
                  char *err, size_t errlen)
{
    char path [128];
    memset (out, 0, sizeof *out);
    out->request_endpoint = s_get (config, service, "request");
    out->events_endpoint = s_get (config, service, "events");
    snprintf (path, sizeof path, "%s/db", service);
    out->conninfo = zconfig_get (config, path, NULL);
    if (!out->request_endpoint || !out->events_endpoint || !out->conninfo) {
        snprintf (err, errlen, "%s/request, %s/events and %s/db are required", service, service, service);
        return -1;
    }
    int bad = 0;
    snprintf (path, sizeof path, "%s/workers", service);
    out->workers = (int) sn_config_int (config, path, 0, 0, 256, &bad);     //  0: one per core
    snprintf (path, sizeof path, "%s/max_message", service);
    out->max_message = (size_t) sn_config_int (config, path, 1024 * 1024, 1024, 256L * 1024 * 1024, &bad);
    snprintf (path, sizeof path, "%s/hwm", service);
    out->hwm = (int) sn_config_int (config, path, 1000, 1, 1000000, &bad);
    snprintf (path, sizeof path, "%s/deadline_ms", service);
    out->default_deadline_ms = (int) sn_config_int (config, path, 10000, 1, 3600000, &bad);
    snprintf (path, sizeof path, "%s/batch", service);
    out->batch = (int) sn_config_int (config, path, 16, 1, 64, &bad);
    snprintf (path, sizeof path, "%s/idempotency_days", service);
    out->idempotency_days = (int) sn_config_int (config, path, 7, 1, 3650, &bad);
    if (bad) {
        snprintf (err, errlen, "a number under %s/ is malformed or out of range", service);
        return -1;
    }
    return 0;
}

//  True if the file at path is ZPL text, or is not there to read. CZMQ
//  4.2.1's zconfig_load leaks the file it read when its text does not parse,
//  and zcert_load reads path_secret, then path, with it.
static bool
s_zpl_or_none (const char *path)
{
    zchunk_t *chunk = zchunk_slurp (path, 0);
    if (!chunk)
        return true;
    zconfig_t *root = zconfig_chunk_load (chunk);
    bool zpl = root != NULL;
    zconfig_destroy (&root);
    zchunk_destroy (&chunk);
    return zpl;
}

//  zcert_load, for certificate files that are ZPL text (or missing): NULL
//  if one is not.
static zcert_t *
s_cert_load (const char *path)
{
    char secret [512];
    snprintf (secret, sizeof secret, "%s_secret", path);
    return s_zpl_or_none (secret) && s_zpl_or_none (path) ? zcert_load (path) : NULL;
}

zcert_t *
sn_config_cert (const char *path, char *err, size_t errlen)
{
    if (!path || !*path) {
        snprintf (err, errlen, "no certificate configured");
        return NULL;
    }
    zcert_t *cert = s_cert_load (path);
    if (!cert) {
        snprintf (err, errlen, "could not load certificate \"%s\" (and its _secret)", path);
        return NULL;
    }
    const uint8_t *secret = zcert_secret_key (cert);
    bool empty = true;
    for (int i = 0; i < 32 && empty; i++)
        empty = secret [i] == 0;
    char derived [41];
    if (empty)
        snprintf (err, errlen, "certificate \"%s\" has no secret key (is %s_secret there?)", path, path);
    else
    if (zmq_curve_public (derived, zcert_secret_txt (cert)) || strcmp (derived, zcert_public_txt (cert)))
        //  CURVE would fail every handshake, with nothing said
        snprintf (err, errlen, "certificate \"%s\": its public key is not its secret key's", path);
    else
        return cert;
    zcert_destroy (&cert);
    return NULL;
}

//  The value of a hex digit.
static int
s_hex_value (char c)
{
    return c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10;
}

int
sn_config_key (const char *path, uint8_t *key, char *err, size_t errlen)
{
    FILE *file = path ? fopen (path, "r") : NULL;
    if (!file) {
        snprintf (err, errlen, "could not open key file \"%s\": %s", path ? path : "", strerror (errno));
        return -1;
    }
    //  the first line: 64 hex digits, white space after them at most
    //  (sscanf's %2x took "8]" for 0x08, and a sign or a space: a key other
    //  than the file's, said nothing)
    char *line = NULL;
    size_t size = 0;
    ssize_t len = getline (&line, &size, file);
    fclose (file);
    bool ok = len >= 64;
    for (ssize_t i = 0; ok && i < len; i++)
        ok = i < 64 ? isxdigit ((unsigned char) line [i]) != 0 : isspace ((unsigned char) line [i]) != 0;
    for (int i = 0; ok && i < 32; i++)
        key [i] = (uint8_t) (s_hex_value (line [2 * i]) << 4 | s_hex_value (line [2 * i + 1]));
    free (line);
    if (!ok) {
        snprintf (err, errlen, "key file \"%s\" must hold 64 hex digits", path);
        return -1;
    }
    return 0;
}

int
sn_config_service (zconfig_t *config, const char *service, sn_server_config_t *out, zcert_t **cert,
                   uint8_t *audit_key, char *err, size_t errlen)
{
    char path [128];
    *cert = NULL;
    if (sn_config_server (config, service, out, err, errlen))
        return -1;
    snprintf (path, sizeof path, "%s/cert", service);
    *cert = sn_config_cert (zconfig_get (config, path, NULL), err, errlen);
    if (!*cert)
        return -1;
    snprintf (path, sizeof path, "%s/audit_key", service);
    if (sn_config_key (zconfig_get (config, path, NULL), audit_key, err, errlen)) {
        zcert_destroy (cert);
        return -1;
    }
    out->cert = *cert;
    out->audit_key = audit_key;
    out->audit_key_len = 32;
    return 0;
}

int
sn_config_peer (zconfig_t *config, const char *service, sn_peer_t *peer, char *err, size_t errlen)
{
    char path [128];
    memset (peer, 0, sizeof *peer);
    const char *request = s_get (config, service, "request");
    const char *events = s_get (config, service, "events");
    if (!request || !events || !*request || !*events) {
        snprintf (err, errlen, "%s/request and %s/events are required, not empty", service, service);
        return -1;
    }
    if (strlen (request) >= SN_ENDPOINT_MAX || strlen (events) >= SN_ENDPOINT_MAX) {
        snprintf (err, errlen, "%s/request and %s/events are endpoints of at most %d characters",
                  service, service, SN_ENDPOINT_MAX - 1);
        return -1;
    }
    snprintf (peer->request, sizeof peer->request, "%s", request);
    snprintf (peer->events, sizeof peer->events, "%s", events);
    snprintf (path, sizeof path, "%s/public_key", service);
    const char *key = zconfig_get (config, path, NULL);
    if (!key) {
        //  a local network: the service's certificate file (its public part is enough)
        snprintf (path, sizeof path, "%s/cert", service);
        const char *cert_path = zconfig_get (config, path, NULL);
        zcert_t *cert = cert_path ? s_cert_load (cert_path) : NULL;
        if (cert)
            snprintf (peer->public_key, sizeof peer->public_key, "%s", zcert_public_txt (cert));
        zcert_destroy (&cert);
    }
    else
        snprintf (peer->public_key, sizeof peer->public_key, "%s", key);
    uint8_t decoded [32];
    if (strlen (peer->public_key) != 40 || !zmq_z85_decode (decoded, peer->public_key)) {
        //  ZeroMQ asserts when a socket is given a key it cannot decode
        snprintf (err, errlen, "%s/public_key (or a readable %s/cert) is required: the %s's CURVE "
                  "public key, 40 characters of Z85", service, service, service);
        return -1;
    }
    return 0;
}

zconfig_t *
sn_config_main (int argc, char *argv [], const char *service, const char **path, int *exit_code)
{
    *path = "var/snodo.cfg";
    bool verbose = false;
    for (int i = 1; i < argc; i++) {
        if ((streq (argv [i], "-c") || streq (argv [i], "--config")) && i + 1 < argc)
            *path = argv [++i];
        else
        if (streq (argv [i], "-v"))
            verbose = true;
        else {
            fprintf (stderr, "usage: snodo-%s [-c config] [-v]\n", service);
            *exit_code = 2;
            return NULL;
        }
    }
    zsys_init ();
    char ident [64];
    snprintf (ident, sizeof ident, "snodo-%s", service);
    zsys_set_logident (ident);
    //  under systemd, lines go to the journal with their priority
    bool journal = getenv ("JOURNAL_STREAM") != NULL;
    sn_log_setup (SN_LOG_INFO, journal);
    zconfig_t *config = zconfig_load (*path);
    if (!config) {
        fprintf (stderr, "snodo-%s: could not load config \"%s\"\n", service, *path);
        *exit_code = 1;
        return NULL;
    }
    //  the level: -v (debug), else <service>/log_level, else snodo/log_level, else info
    char key [96];
    snprintf (key, sizeof key, "%s/log_level", service);
    const char *name = zconfig_get (config, key, zconfig_get (config, "snodo/log_level", "info"));
    int level = sn_log_level (name);
    if (level < 0) {
        fprintf (stderr, "snodo-%s: %s: log_level \"%s\" is not error, warning, notice, info or debug\n",
                 service, *path, name);
        zconfig_destroy (&config);
        *exit_code = 1;
        return NULL;
    }
    sn_log_setup (verbose ? SN_LOG_DEBUG : level, journal);
    return config;
}
