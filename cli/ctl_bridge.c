/*  snodoctl bridge ...: the bridge to the cartella sociale, for an operator
    on the bridge's machine. "bridge import FILE" drops the file into the
    spool's inbox (a temporary name, flushed, renamed in, with its
    done-marker) and follows it with bridge.ImportStatus: a progress bar on
    a terminal, one line at the end otherwise. "bridge status" prints the
    spool and the outbound cursor readably. */
#include "snodoctl.h"
#include "bridge.pb-c.h"
#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define EXIT_REFUSED 1
#define EXIT_USAGE 2
#define EXIT_UNREACHABLE 3

//  How long import keeps asking a bridge that does not answer.
#define UNREACHABLE_MS 30000

static const char *
s_state_name (int state)
{
    const ProtobufCEnumValue *v = protobuf_c_enum_descriptor_get_value (&snodo__bridge__file_state__descriptor, state);
    return v ? v->name + strlen ("FILE_STATE_") : "UNKNOWN";
}

//  Copies source into inbox/name through a temporary name, flushed, renamed
//  in, with its marker; hex gets the file's SHA-256. Returns 0, or -1 said.
static int
s_drop (const char *source, const char *inbox, const char *name, char *hex)
{
    char tmp [1100], target [1100], marker [1100];
    snprintf (tmp, sizeof tmp, "%s/.%s.snodoctl.part", inbox, name);
    snprintf (target, sizeof target, "%s/%s", inbox, name);
    snprintf (marker, sizeof marker, "%s/%s.done", inbox, name);
    if (access (target, F_OK) == 0) {
        fprintf (stderr, "snodoctl: a file \"%s\" is in the inbox already\n", name);
        return -1;
    }
    int in = open (source, O_RDONLY | O_CLOEXEC);
    int out = in < 0 ? -1 : open (tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0640);
    int rc = in >= 0 && out >= 0 ? 0 : -1;
    //  root drops files for a bridge that runs as its own user: they become
    //  the inbox owner's, or the bridge could not open them
    struct stat owner;
    bool give = geteuid () == 0 && stat (inbox, &owner) == 0;
    if (rc == 0 && give && fchown (out, owner.st_uid, owner.st_gid))
        rc = -1;
    crypto_hash_sha256_state sha;
    crypto_hash_sha256_init (&sha);
    char buffer [65536];
    ssize_t got;
    while (rc == 0 && (got = read (in, buffer, sizeof buffer)) > 0) {
        crypto_hash_sha256_update (&sha, (const uint8_t *) buffer, (size_t) got);
        if (write (out, buffer, (size_t) got) != got)
            rc = -1;
    }
    if (rc == 0 && (got < 0 || fsync (out) || rename (tmp, target)))
        rc = -1;
    int saved = errno;
    if (in >= 0)
        close (in);
    if (out >= 0)
        close (out);
    if (rc) {
        fprintf (stderr, "snodoctl: could not put \"%s\" in %s: %s\n", source, inbox, strerror (saved));
        unlink (tmp);
        return -1;
    }
    int done = open (marker, O_WRONLY | O_CREAT | O_CLOEXEC, 0640);
    if (done >= 0 && give && fchown (done, owner.st_uid, owner.st_gid))
        fprintf (stderr, "snodoctl: %s stays root's: %s\n", marker, strerror (errno));
    if (done >= 0)
        close (done);
    uint8_t digest [32];
    crypto_hash_sha256_final (&sha, digest);
    for (int i = 0; i < 32; i++)
        sprintf (hex + 2 * i, "%02x", digest [i]);
    return 0;
}

static bool
s_finished (int state)
{
    return state == SNODO__BRIDGE__FILE_STATE__FILE_STATE_PROCESSED
        || state == SNODO__BRIDGE__FILE_STATE__FILE_STATE_REJECTED
        || state == SNODO__BRIDGE__FILE_STATE__FILE_STATE_DUPLICATE;
}

//  The bar: the first pass is the first tenth, the records the rest; a
//  finished file is all of it.
static void
s_progress (const Snodo__Bridge__InboundFile *f)
{
    double done = 0;
    if (s_finished (f->state))
        done = 1;
    else
    if (f->state == SNODO__BRIDGE__FILE_STATE__FILE_STATE_READING && f->bytes)
        done = 0.1 * (double) f->bytes_read / (double) f->bytes;
    else
    if (f->state == SNODO__BRIDGE__FILE_STATE__FILE_STATE_APPLYING && f->records)
        done = 0.1 + 0.9 * (double) f->records_done / (double) f->records;
    int width = 30, filled = (int) (done * width + 0.5);
    printf ("\r[%.*s%*s] %3d%%  %-8s %llu/%llu records  accepted %llu  rejected %llu  skipped %llu ", filled,
            "##############################", width - filled, "", (int) (done * 100 + 0.5), s_state_name (f->state),
            (unsigned long long) f->records_done, (unsigned long long) f->records,
            (unsigned long long) f->accepted, (unsigned long long) f->rejected, (unsigned long long) f->skipped);
    fflush (stdout);
}

//  The one line of the end. Returns the exit code: 0 when every record was
//  applied (or already was), 1 when the file or a record was rejected.
static int
s_summary (const Snodo__Bridge__InboundFile *f)
{
    if (f->state == SNODO__BRIDGE__FILE_STATE__FILE_STATE_REJECTED)
        printf ("%s: rejected: %s (report: %s)\n", f->name, f->reason, f->report);
    else
        printf ("%s: %s: %llu records, %llu accepted, %llu rejected, %llu skipped (report: %s)\n", f->name,
                f->state == SNODO__BRIDGE__FILE_STATE__FILE_STATE_DUPLICATE ? "duplicate" : "processed",
                (unsigned long long) f->records, (unsigned long long) f->accepted,
                (unsigned long long) f->rejected, (unsigned long long) f->skipped, f->report);
    return f->state == SNODO__BRIDGE__FILE_STATE__FILE_STATE_REJECTED || f->rejected ? EXIT_REFUSED : 0;
}

//  Follows the file by its digest until it is done. Returns the exit code.
static int
s_follow (ctl_t *ctl, sn_client_t *client, const char *name, const char *hex, int64_t since)
{
    bool tty = isatty (fileno (stdout)) && !ctl->json;
    int64_t unanswered = 0;
    while (true) {
        Snodo__Bridge__ImportStatusRequest req = SNODO__BRIDGE__IMPORT_STATUS_REQUEST__INIT;
        req.sha256 = (char *) hex;
        req.name = (char *) name;
        req.since = since;
        Snodo__Bridge__ImportStatusReply *reply = NULL;
        sn_result_t result;
        int code = sn_client_call (client, "bridge.ImportStatus", ctl->purpose, &req.base,
                                   &snodo__bridge__import_status_reply__descriptor, (ProtobufCMessage **) &reply,
                                   &result);
        if (code != SNODO__CODE__OK) {
            if (code == SNODO__CODE__CANCELLED) {
                fprintf (stderr, "%ssnodoctl: interrupted; %s stays in the bridge's hands (snodoctl bridge "
                         "status shows it)\n", tty ? "\n" : "", name);
                return EXIT_UNREACHABLE;
            }
            if (code != SNODO__CODE__DEADLINE_EXCEEDED && code != SNODO__CODE__UNAVAILABLE) {
                fprintf (stderr, "%ssnodoctl: bridge.ImportStatus: %s: %s\n", tty ? "\n" : "", sn_code_name (code),
                         result.message);
                return EXIT_REFUSED;
            }
            if (!unanswered)
                unanswered = zclock_mono ();
            if (zclock_mono () - unanswered > UNREACHABLE_MS) {
                fprintf (stderr, "%ssnodoctl: the bridge does not answer; %s is in its inbox and will be "
                         "imported when it runs\n", tty ? "\n" : "", name);
                return EXIT_UNREACHABLE;
            }
            continue;
        }
        unanswered = 0;
        if (tty)
            s_progress (reply->file);
        int rc = -1;
        if (s_finished (reply->file->state)) {
            if (tty)
                printf ("\n");
            rc = s_summary (reply->file);
        }
        snodo__bridge__import_status_reply__free_unpacked (reply, NULL);
        if (rc >= 0)
            return rc;
        zclock_sleep (200);
    }
}

//  snodoctl bridge import FILE
static int
s_import (ctl_t *ctl, int argc, char **argv)
{
    if (argc != 1) {
        fprintf (stderr, "usage: snodoctl bridge import FILE\n");
        return EXIT_USAGE;
    }
    const char *spool = zconfig_get (ctl->config, "bridge/spool", NULL);
    if (!spool) {
        fprintf (stderr, "snodoctl: %s has no bridge/spool: import runs on the bridge's machine\n", ctl->config_path);
        return EXIT_USAGE;
    }
    const char *slash = strrchr (argv [0], '/');
    const char *name = slash ? slash + 1 : argv [0];
    if (!*name || name [0] == '.' || strlen (name) > 200) {
        fprintf (stderr, "snodoctl: \"%s\" is not a name the inbox takes (hidden, or too long)\n", name);
        return EXIT_USAGE;
    }
    sn_client_t *client = ctl_client (ctl, "bridge", ctl->identity);
    if (!client)
        return EXIT_UNREACHABLE;
    char inbox [1024], hex [65];
    snprintf (inbox, sizeof inbox, "%s/inbox", spool);
    int64_t since = zclock_time () - 2000;
    int rc = s_drop (argv [0], inbox, name, hex) ? EXIT_REFUSED : s_follow (ctl, client, name, hex, since);
    sn_client_destroy (&client);
    return rc;
}

static void
s_time (int64_t ms, char *out)
{
    if (!ms) {
        strcpy (out, "-");
        return;
    }
    time_t t = (time_t) (ms / 1000);
    struct tm tm;
    gmtime_r (&t, &tm);
    strftime (out, 32, "%Y-%m-%d %H:%M:%SZ", &tm);
}

bool
ctl_print_bridge (const ProtobufCMessage *msg)
{
    if (msg->descriptor != &snodo__bridge__status_reply__descriptor)
        return false;
    const Snodo__Bridge__StatusReply *s = (const Snodo__Bridge__StatusReply *) msg;
    char when [32], oldest [32];
    printf ("spool: inbox %u  work %u  processed %u  rejected %u  outbox %u\n", s->inbox, s->work, s->processed,
            s->rejected, s->outbox);
    s_time (s->last_outbound_at, when);
    s_time (s->oldest_pending_at, oldest);
    printf ("outbound: cursor at event %llu, %llu waiting (the oldest from %s); last file %s at %s\n",
            (unsigned long long) s->outbound_seq, (unsigned long long) s->outbound_pending, oldest,
            *s->last_outbound_file ? s->last_outbound_file : "-", when);
    printf ("monitoring: events applied up to %llu\n", (unsigned long long) s->monitoring_seq);
    printf ("last files:\n  %-6s %-32s %-10s %8s %8s %8s %8s  %s\n", "id", "name", "state", "records", "accepted",
            "rejected", "skipped", "taken");
    for (size_t i = 0; i < s->n_files; i++) {
        const Snodo__Bridge__InboundFile *f = s->files [i];
        s_time (f->taken_at, when);
        printf ("  %-6llu %-32s %-10s %8llu %8llu %8llu %8llu  %s\n", (unsigned long long) f->id, f->name,
                s_state_name (f->state), (unsigned long long) f->records, (unsigned long long) f->accepted,
                (unsigned long long) f->rejected, (unsigned long long) f->skipped, when);
        if (*f->reason)
            printf ("         %s\n", f->reason);
    }
    return true;
}

bool
ctl_bridge_handles (const char *verb)
{
    return verb && streq (verb, "import");
}

int
ctl_bridge (ctl_t *ctl, const char *verb, int argc, char **argv)
{
    assert (ctl_bridge_handles (verb));
    return s_import (ctl, argc, argv);
}
