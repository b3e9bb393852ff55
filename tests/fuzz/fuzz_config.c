/*  fuzz_config: the ZPL config reader (CZMQ's zconfig) on any text, and what
    a service reads from it: sn_config_service (the server's settings, its
    certificate and audit key) and sn_config_peer (another service), for
    every section the text has, and the registry's.

    The input is the config's text, then, after a NUL, the bytes of a key
    file, then, after another, the text of a certificate. They are written
    into a folder of the harness's own as "fuzz.key", "fuzz.cert" and
    "fuzz.cert_secret"; the folder also holds a good certificate
    ("good.cert"), one without its secret ("public.cert") and a good key
    ("good.key"). Every cert and audit_key setting is made to name a file in
    that folder (its letters, digits, '.', '-' and '_'), so that no input
    reads a file elsewhere (a FIFO or a terminal would hang the fuzzer).

    What must hold:
      - the server settings read are within their bounds;
      - a service read has a certificate whose public key is its secret
        key's, and its audit key is the 64 hex digits its key file holds;
      - a peer read has a public key ZeroMQ takes (40 characters of Z85 that
        decode), or ZeroMQ would assert when a socket is given it;
      - a refusal says why, and leaves no certificate. */
#include "fuzz_support.h"
#include "sn_config.h"
#include <ctype.h>
#include <string.h>
#include <unistd.h>
#include <zmq.h>

#define MAX_SECTIONS 8

static char s_folder [64];

//  Writes size bytes to the file name in the folder.
static void
s_write (const char *name, const void *data, size_t size)
{
    char path [128];
    snprintf (path, sizeof path, "%s/%s", s_folder, name);
    FILE *file = fopen (path, "wb");
    FUZZ_CHECK (file, "could not write %s", path);
    FUZZ_CHECK (fwrite (data, 1, size, file) == size || size == 0, "could not write %s", path);
    fclose (file);
}

//  What a file of the folder holds now: the fuzzer changes the config's
//  text more often than the files, which are written only when they change.
typedef struct {
    const char *names [2];      //  the files that hold it
    uint8_t *data;              //  their bytes (owned)
    size_t size;
} s_file_t;

static s_file_t s_key_file = {{"fuzz.key", NULL}, NULL, 0};
static s_file_t s_cert_file = {{"fuzz.cert", "fuzz.cert_secret"}, NULL, 0};

//  Writes size bytes of data to the file's names, unless they hold them.
static void
s_update (s_file_t *file, const void *data, size_t size)
{
    if (file->data && file->size == size && memcmp (file->data, data, size) == 0)
        return;
    for (int i = 0; i < 2 && file->names [i]; i++)
        s_write (file->names [i], data, size);
    free (file->data);
    file->data = (uint8_t *) malloc (size ? size : 1);
    memcpy (file->data, data, size);
    file->size = size;
}

static void
s_remove_folder (void)
{
    const char *names [] = {"good.cert", "good.cert_secret", "public.cert", "good.key", "fuzz.key",
                            "fuzz.cert", "fuzz.cert_secret", NULL};
    char path [128];
    for (int i = 0; names [i]; i++) {
        snprintf (path, sizeof path, "%s/%s", s_folder, names [i]);
        unlink (path);
    }
    rmdir (s_folder);
}

int
LLVMFuzzerInitialize (int *argc, char ***argv)
{
    //  zconfig prints what it refuses on standard output (zclock_log):
    //  thousands of lines a second. libFuzzer speaks on standard error.
    FUZZ_CHECK (freopen ("/dev/null", "w", stdout), "could not silence standard output");
    snprintf (s_folder, sizeof s_folder, "/tmp/snodo-fuzz-config.XXXXXX");
    FUZZ_CHECK (mkdtemp (s_folder), "could not make a folder in /tmp");
    atexit (s_remove_folder);
    char path [128];
    zcert_t *cert = zcert_new ();
    snprintf (path, sizeof path, "%s/good.cert", s_folder);
    FUZZ_CHECK (zcert_save (cert, path) == 0, "could not save %s", path);
    snprintf (path, sizeof path, "%s/public.cert", s_folder);
    FUZZ_CHECK (zcert_save_public (cert, path) == 0, "could not save %s", path);
    zcert_destroy (&cert);
    s_write ("good.key", "00112233445566778899aabbccddeeff00112233445566778899AABBCCDDEEFF\n", 65);
    return 0;
}

//  Makes every setting named cert or audit_key name a file in the folder.
static int
s_confine (zconfig_t *item, void *arg, int level)
{
    const char *name = zconfig_name (item);
    if (!name || (strcasecmp (name, "cert") && strcasecmp (name, "audit_key")))
        return 0;
    const char *value = zconfig_value (item);
    char file [65];
    size_t n = 0;
    for (const char *c = value ? value : ""; *c && n + 1 < sizeof file; c++)
        if (isalnum ((unsigned char) *c) || ((*c == '.' || *c == '-' || *c == '_') && n > 0))
            file [n++] = *c;
    file [n] = 0;
    zconfig_set_value (item, "%s/%s", s_folder, n ? file : "missing");
    return 0;
}

//  The key a key file holds by the plain reference: its first line (to its
//  newline or the end) is 64 hex digits, then white space only. Returns 0
//  with the 32 bytes, or -1.
static int
s_key_reference (const char *path, uint8_t *key)
{
    static char line [8192];
    FILE *file = fopen (path, "rb");
    if (!file)
        return -1;
    size_t len = fread (line, 1, sizeof line, file);
    fclose (file);
    char *newline = (char *) memchr (line, '\n', len);
    size_t line_len = newline ? (size_t) (newline - line) : len;
    FUZZ_CHECK (line_len < sizeof line, "a key file's line longer than the reference reads");
    if (line_len < 64)
        return -1;
    for (size_t i = 0; i < line_len; i++)
        if (i < 64 ? !isxdigit ((unsigned char) line [i]) : !isspace ((unsigned char) line [i]))
            return -1;
    for (int i = 0; i < 32; i++) {
        char hex [3] = {line [2 * i], line [2 * i + 1], 0};
        key [i] = (uint8_t) strtoul (hex, NULL, 16);
    }
    return 0;
}

static void
s_check_service (zconfig_t *config, const char *name)
{
    sn_server_config_t out;
    zcert_t *cert = NULL;
    uint8_t key [32];
    char err [512] = "";
    if (sn_config_service (config, name, &out, &cert, key, err, sizeof err)) {
        FUZZ_CHECK (*err, "service %s refused without saying why", name);
        FUZZ_CHECK (!cert, "service %s refused, its certificate left", name);
        return;
    }
    FUZZ_CHECK (out.request_endpoint && out.events_endpoint && out.conninfo, "service %s without endpoints",
                name);
    FUZZ_CHECK (out.workers >= 0 && out.workers <= 256 && out.batch >= 1 && out.batch <= 64
                && out.max_message >= 1024 && out.max_message <= 256L * 1024 * 1024 && out.hwm >= 1
                && out.hwm <= 1000000 && out.default_deadline_ms >= 1 && out.default_deadline_ms <= 3600000
                && out.idempotency_days >= 1 && out.idempotency_days <= 3650,
                "service %s: a setting out of its bounds", name);
    FUZZ_CHECK (cert && out.cert == cert, "service %s without its certificate", name);
    //  the last pair checked is kept: the same certificate comes again and again
    static char secret [41], derived [41];
    if (strcmp (secret, zcert_secret_txt (cert))) {
        snprintf (secret, sizeof secret, "%s", zcert_secret_txt (cert));
        FUZZ_CHECK (zmq_curve_public (derived, secret) == 0, "service %s: a secret key that is not one",
                    name);
    }
    FUZZ_CHECK (strcmp (derived, zcert_public_txt (cert)) == 0,
                "service %s: a certificate whose public key is not its secret key's", name);
    char path [256];
    snprintf (path, sizeof path, "%s/audit_key", name);
    uint8_t expected [32];
    FUZZ_CHECK (s_key_reference (zconfig_get (config, path, ""), expected) == 0,
                "service %s: a key file taken that does not hold 64 hex digits", name);
    FUZZ_CHECK (memcmp (key, expected, 32) == 0, "service %s: the audit key is not the file's", name);
    zcert_destroy (&cert);
}

static void
s_check_peer (zconfig_t *config, const char *name)
{
    sn_peer_t peer;
    char err [512] = "";
    if (sn_config_peer (config, name, &peer, err, sizeof err)) {
        FUZZ_CHECK (*err, "peer %s refused without saying why", name);
        return;
    }
    FUZZ_CHECK (*peer.request && *peer.events, "peer %s without endpoints", name);
    uint8_t key [32];
    FUZZ_CHECK (strlen (peer.public_key) == 40 && zmq_z85_decode (key, peer.public_key),
                "peer %s: public key \"%s\" is not 40 characters of Z85", name, peer.public_key);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    fuzz_bytes_t in = {data, size};
    size_t text_len, key_len, cert_len;
    char *text = fuzz_take_until (&in, 0, &text_len);
    char *key = fuzz_take_until (&in, 0, &key_len);
    char *cert = fuzz_take_until (&in, 0, &cert_len);
    s_update (&s_key_file, key, key_len);
    s_update (&s_cert_file, cert, cert_len);
    zchunk_t *chunk = zchunk_new (text, text_len);
    zconfig_t *config = zconfig_chunk_load (chunk);
    if (config) {
        zconfig_execute (config, s_confine, NULL);
        char names [MAX_SECTIONS + 1][64] = {"registry"};
        int n = 1;
        for (zconfig_t *section = zconfig_child (config); section && n <= MAX_SECTIONS;
             section = zconfig_next (section))
            snprintf (names [n++], sizeof names [0], "%s",
                      zconfig_name (section) ? zconfig_name (section) : "");
        for (int i = 0; i < n; i++) {
            s_check_service (config, names [i]);
            s_check_peer (config, names [i]);
        }
        zconfig_destroy (&config);
    }
    zchunk_destroy (&chunk);
    free (text);
    free (key);
    free (cert);
    return 0;
}
