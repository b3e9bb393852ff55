/*  The bridge's harness: services in process, the bridge as a process. */
#include "harness.h"
#include "bridge.pb-c.h"
#include <signal.h>
#include <stdarg.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define KIND(x) SNODO__MEMBER_KIND__MEMBER_KIND_##x

//  Set-up that cannot go on: say why and stop.
static void
s_require (bool ok, const char *fmt, ...)
{
    if (ok)
        return;
    va_list args;
    va_start (args, fmt);
    fprintf (stderr, "bridge harness: ");
    vfprintf (stderr, fmt, args);
    fprintf (stderr, "\n");
    va_end (args);
    abort ();
}

//  Two free loopback ports, below the kernel's ephemeral range.
static void
s_free_ports (int *a, int *b)
{
    zsock_t *one = zsock_new (ZMQ_PULL), *two = zsock_new (ZMQ_PULL);
    *a = zsock_bind (one, "tcp://127.0.0.1:![20000-32000]");
    *b = zsock_bind (two, "tcp://127.0.0.1:![20000-32000]");
    zsock_destroy (&one);
    zsock_destroy (&two);
    s_require (*a > 0 && *b > 0 && *a != *b, "no free ports");
}

bh_t *
bh_new (const char *prefix, int workers)
{
    bh_t *self = (bh_t *) zmalloc (sizeof (bh_t));
    strcpy (self->dir, "/tmp/snodo-bridge-XXXXXX");
    s_require (mkdtemp (self->dir) != NULL, "no folder");
    self->reg = ts_registry_start (prefix, workers);
    self->mon_cert = ts_service_cert (self->reg, "monitoring");
    self->mon_conninfo = ts_service_conninfo (self->reg, "monitoring");
    self->mon = monitoring_new (self->reg->auth);
    sn_service_t service = monitoring_service (self->mon);
    self->mon_server = ts_server_start (self->reg, &service, self->mon_conninfo, self->mon_cert,
                                       &self->mon_request, &self->mon_events);
    self->dir_auth = sn_auth_new ();
    sn_directory_config_t follow = {
        .registry_request = self->reg->request, .registry_events = self->reg->events,
        .registry_key = zcert_public_txt (self->reg->cert), .cert = self->mon_cert,
        .conninfo = self->mon_conninfo, .schema = "monitoring", .migrations = monitoring_migrations,
        .auth = self->dir_auth, .apply = monitoring_registry_apply, .apply_page = monitoring_registry_apply_page, .arg = self->mon,
    };
    self->directory = sn_directory_new (&follow);
    sn_client_t *c = ts_member_client (self->reg, "bridge", KIND (BRIDGE), NULL, &self->bridge_cert);
    sn_client_destroy (&c);
    c = ts_member_client (self->reg, "ssc-urbano", KIND (SSC), "urbano", &self->ssc_cert);
    sn_client_destroy (&c);
    c = ts_member_client (self->reg, "ssc-nord", KIND (SSC), "nord", NULL);
    sn_client_destroy (&c);
    self->db = ts_db_connect (self->reg->dbname);
    s_free_ports (&self->port, &self->events_port);
    return self;
}

void
bh_destroy (bh_t **self_p)
{
    bh_t *self = *self_p;
    if (!self)
        return;
    if (self->pid > 0)
        bh_stop (self, SIGKILL);
    PQfinish (self->db);
    sn_directory_destroy (&self->directory);
    sn_auth_destroy (&self->dir_auth);
    zactor_destroy (&self->mon_server);
    monitoring_destroy (&self->mon);
    zstr_free (&self->mon_request);
    zstr_free (&self->mon_events);
    zstr_free (&self->mon_conninfo);
    zcert_destroy (&self->mon_cert);
    zcert_destroy (&self->bridge_cert);
    zcert_destroy (&self->ssc_cert);
    ts_registry_destroy (&self->reg);
    char cmd [128];
    snprintf (cmd, sizeof cmd, "rm -rf %s", self->dir);
    if (system (cmd) != 0)
        fprintf (stderr, "could not remove %s\n", self->dir);
    free (self);
    *self_p = NULL;
}

//  The certificates and keys the config names.
static void
s_files (bh_t *self)
{
    char path [256];
    snprintf (path, sizeof path, "%s/bridge.cert", self->dir);
    s_require (zcert_save (self->bridge_cert, path) == 0, "cannot save %s", path);
    snprintf (path, sizeof path, "%s/members", self->dir);
    mkdir (path, 0700);
    snprintf (path, sizeof path, "%s/members/admin.cert", self->dir);
    s_require (zcert_save (self->reg->admin, path) == 0, "cannot save %s", path);
    snprintf (path, sizeof path, "%s/bridge-audit.key", self->dir);
    FILE *key = fopen (path, "w");
    s_require (key != NULL, "cannot write %s", path);
    for (int i = 0; i < 32; i++)
        fprintf (key, "%02x", self->reg->audit_key [i]);
    fclose (key);
}

//  The test's defaults of the bridge's settings, each unless settings sets it.
static void
s_defaults (FILE *cfg, const char *settings)
{
    static const char *const defaults [][2] = {{"workers", "2"}, {"poll_ms", "100"},
        {"outbound_interval_ms", "200"}, {"outbound_wait_ms", "2000"}, {NULL, NULL}};
    for (int i = 0; defaults [i][0]; i++) {
        char key [64];
        snprintf (key, sizeof key, " %s =", defaults [i][0]);
        if (!settings || !strstr (settings, key))
            fprintf (cfg, "    %s = %s\n", defaults [i][0], defaults [i][1]);
    }
}

static void
s_config (bh_t *self, const char *path, const char *settings)
{
    char *conninfo = ts_conninfo (self->reg->dbname, "bridge");
    FILE *cfg = fopen (path, "w");
    s_require (cfg != NULL, "cannot write %s", path);
    fprintf (cfg, "snodoctl\n    identity = admin\n    certs = \"%s/members\"\n"
                  "registry\n    request = \"%s\"\n    events = \"%s\"\n    public_key = \"%s\"\n"
                  "    admin\n        id = admin\n        key = \"%s\"\n"
                  "monitoring\n    request = \"%s\"\n    events = \"%s\"\n    public_key = \"%s\"\n"
                  "bridge\n    request = \"tcp://127.0.0.1:%d\"\n    events = \"tcp://127.0.0.1:%d\"\n"
                  "    db = \"%s\"\n    cert = \"%s/bridge.cert\"\n    audit_key = \"%s/bridge-audit.key\"\n"
                  "    spool = \"%s/spool\"\n",
             self->dir, self->reg->request, self->reg->events, zcert_public_txt (self->reg->cert),
             zcert_public_txt (self->reg->admin), self->mon_request, self->mon_events,
             zcert_public_txt (self->mon_cert), self->port, self->events_port, conninfo, self->dir, self->dir,
             self->dir);
    s_defaults (cfg, settings);
    fprintf (cfg, "%s", settings ? settings : "");
    fclose (cfg);
    zstr_free (&conninfo);
}

//  Asks the bridge for its status until it answers (30 s at most).
static int
s_answers (bh_t *self)
{
    char endpoint [64];
    snprintf (endpoint, sizeof endpoint, "tcp://127.0.0.1:%d", self->port);
    sn_client_t *admin = ts_client_as (endpoint, self->reg->admin, self->bridge_cert);
    sn_client_set_deadline (admin, 1000);
    sn_client_set_retries (admin, 0);
    int code = -1;
    for (int i = 0; i < 30 && code != SNODO__CODE__OK; i++) {
        Snodo__Bridge__StatusRequest req = SNODO__BRIDGE__STATUS_REQUEST__INIT;
        Snodo__Bridge__StatusReply *reply = NULL;
        code = sn_client_call (admin, "bridge.Status", "", &req.base, &snodo__bridge__status_reply__descriptor,
                               (ProtobufCMessage **) &reply, NULL);
        if (reply)
            snodo__bridge__status_reply__free_unpacked (reply, NULL);
    }
    sn_client_destroy (&admin);
    return code == SNODO__CODE__OK ? 0 : -1;
}

int
bh_start (bh_t *self, const char *settings, const char *fault)
{
    char path [256], log [256];
    s_files (self);
    snprintf (path, sizeof path, "%s/snodo.cfg", self->dir);
    s_config (self, path, settings);
    snprintf (log, sizeof log, "%s/bridge.log", self->dir);
    self->pid = fork ();
    s_require (self->pid >= 0, "cannot fork");
    if (self->pid == 0) {
        if (fault)
            setenv ("SNODO_BRIDGE_FAULT", fault, 1);
        if (!freopen (log, "a", stderr))
            _exit (126);
        execl (SNODO_BRIDGE_PATH, "snodo-bridge", "-c", path, "-v", (char *) NULL);
        _exit (127);
    }
    return s_answers (self);
}

void
bh_stop (bh_t *self, int sig)
{
    if (self->pid <= 0)
        return;
    kill (self->pid, sig);
    int status = 0;
    int64_t until = zclock_mono () + 10000;
    while (waitpid (self->pid, &status, WNOHANG) == 0) {
        if (zclock_mono () > until) {
            kill (self->pid, SIGKILL);
            waitpid (self->pid, &status, 0);
            break;
        }
        zclock_sleep (20);
    }
    self->pid = 0;
}

bool
bh_died (bh_t *self)
{
    int status;
    if (self->pid > 0 && waitpid (self->pid, &status, WNOHANG) == self->pid)
        self->pid = 0;
    return self->pid == 0;
}

const char *
bh_path (bh_t *self, const char *sub, const char *name)
{
    static char paths [8][512];
    static int next;
    char *out = paths [next++ % 8];
    snprintf (out, 512, "%s/spool/%s%s%s", self->dir, sub, name ? "/" : "", name ? name : "");
    return out;
}

long
bh_count (bh_t *self, const char *sql)
{
    char *value = ts_sql (self->db, sql);
    long n = atol (value);
    free (value);
    return n;
}

int
bh_referrals (FILE *out, int first, int n)
{
    int rc = fprintf (out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                      "<inbound xmlns=\"urn:snodo:cartella-sociale:1\" sender=\"test\" "
                      "created=\"2026-11-20T09:30:00Z\">\n");
    for (int i = 0; i < n && rc > 0; i++) {
        char cf [17];
        ts_codice_fiscale (first + i, cf);
        rc = fprintf (out,
            "  <referral id=\"K-%07d\" date=\"2026-11-18\">\n"
            "    <person><codiceFiscale>%s</codiceFiscale><surname>Rossi</surname><name>Maria</name></person>\n"
            "    <ambito>urbano</ambito><socialWorker>Anna Bianchi</socialWorker><reason>prova %d</reason>\n"
            "    <objective>9</objective>\n"
            "    <consent date=\"2026-11-15\"><grant purpose=\"placement\" to=\"cpi\"/></consent>\n"
            "  </referral>\n", first + i, cf, i);
    }
    if (rc > 0)
        rc = fprintf (out, "</inbound>\n");
    return rc > 0 ? 0 : -1;
}
