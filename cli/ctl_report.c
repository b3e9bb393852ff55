/*  snodoctl report: the reporting service's figures as text, CSV (RFC 4180,
    or with semicolons for spreadsheets set to Italian) or JSON, the
    rebuild, and one-time links to the dashboard.

    snodoctl report indicators|outcomes|standards|network|pathways
        [--from YEAR] [--to YEAR] [--baseline YEAR] [--ambito A] [--referring MEMBER]
        [--own] [--format text|csv|csv-semicolon|json] [--lang it|en]
    snodoctl report rebuild
    snodoctl report link [--own] */
#include "snodoctl.h"
#include "rep_render.h"
#include "rep_report.h"
#include "reporting.pb-c.h"
#include <string.h>
#include <time.h>

#define EXIT_USAGE 2

static void
s_usage (void)
{
    fprintf (stderr,
        "usage: snodoctl report indicators|outcomes|standards|network|pathways [--from YEAR] [--to YEAR]\n"
        "           [--baseline YEAR] [--ambito A] [--referring MEMBER] [--own]\n"
        "           [--format text|csv|csv-semicolon|json] [--lang it|en]\n"
        "       snodoctl report rebuild            (the operator: the figures again from the events)\n"
        "       snodoctl report link [--own]       (a one-time link to the dashboard, for 5 minutes)\n");
}

//  A year option: digits only. Returns 0, or -1 (said on stderr).
static int
s_year (const char *option, const char *text, uint32_t *year)
{
    char *end;
    long v = strtol (text, &end, 10);
    if (*text == 0 || *end || v < 1 || v > 9999) {
        fprintf (stderr, "snodoctl: %s: \"%s\" is not a year\n", option, text);
        return -1;
    }
    *year = (uint32_t) v;
    return 0;
}

//  Parses the options into the request and the format. Returns 0 or -1.
static int
s_options (ctl_t *ctl, int argc, char **argv, Snodo__Reporting__ReportRequest *req, rep_format_t *format)
{
    Snodo__Reporting__ReportFilter *f = req->filter;
    *format = ctl->json ? REP_JSON : REP_TEXT;
    for (int i = 0; i < argc; i++) {
        const char *o = argv [i], *value = i + 1 < argc ? argv [i + 1] : NULL;
        int rc = 0;
        if (streq (o, "--own")) {
            f->scope = SNODO__REPORTING__SCOPE__SCOPE_OWN;
            continue;
        }
        if (!value) {
            fprintf (stderr, "snodoctl: unknown option \"%s\" (or its value is missing)\n", o);
            return -1;
        }
        i++;
        if (streq (o, "--from")) rc = s_year (o, value, &f->from_year);
        else if (streq (o, "--to")) rc = s_year (o, value, &f->to_year);
        else if (streq (o, "--baseline")) rc = s_year (o, value, &f->baseline_year);
        else if (streq (o, "--ambito")) f->ambito = (char *) value;
        else if (streq (o, "--referring")) f->referring_member_id = (char *) value;
        else if (streq (o, "--lang")) req->lang = (char *) value;
        else if (streq (o, "--format")) {
            if (rep_format_parse (value, format)) {
                fprintf (stderr, "snodoctl: --format: unknown format \"%s\" (text, csv, csv-semicolon, json)\n", value);
                rc = -1;
            }
        }
        else {
            fprintf (stderr, "snodoctl: unknown option \"%s\"\n", o);
            rc = -1;
        }
        if (rc)
            return -1;
    }
    return 0;
}

static int
s_report (ctl_t *ctl, sn_client_t *client, rep_kind_t kind, int argc, char **argv)
{
    static const char *const methods [] = {"reporting.GetIndicators", "reporting.GetOutcomes",
                                           "reporting.GetStandards", "reporting.GetNetwork",
                                           "reporting.ListOwnPathways"};
    Snodo__Reporting__ReportFilter filter = SNODO__REPORTING__REPORT_FILTER__INIT;
    Snodo__Reporting__ReportRequest req = SNODO__REPORTING__REPORT_REQUEST__INIT;
    req.filter = &filter;
    rep_format_t format;
    if (s_options (ctl, argc, argv, &req, &format)) {
        s_usage ();
        return EXIT_USAGE;
    }
    Snodo__Reporting__Report *report = NULL;
    int code = ctl_call (ctl, client, methods [kind], &req.base, &snodo__reporting__report__descriptor,
                         (ProtobufCMessage **) &report);
    if (code != SNODO__CODE__OK)
        return code == SNODO__CODE__UNAVAILABLE || code == SNODO__CODE__DEADLINE_EXCEEDED ? 3 : 1;
    size_t size;
    char *text = rep_render (report, format, &size);
    fwrite (text, 1, size, stdout);
    if (format == REP_JSON)
        printf ("\n");
    free (text);
    protobuf_c_message_free_unpacked (&report->base, NULL);
    return 0;
}

static int
s_link (ctl_t *ctl, sn_client_t *client, bool own)
{
    Snodo__Reporting__DashboardLinkRequest req = SNODO__REPORTING__DASHBOARD_LINK_REQUEST__INIT;
    Snodo__Reporting__DashboardLink *link = NULL;
    int code = ctl_call (ctl, client, "reporting.CreateDashboardLink", &req.base,
                         &snodo__reporting__dashboard_link__descriptor, (ProtobufCMessage **) &link);
    if (code != SNODO__CODE__OK)
        return code == SNODO__CODE__UNAVAILABLE || code == SNODO__CODE__DEADLINE_EXCEEDED ? 3 : 1;
    time_t expires = (time_t) (link->expires_at / 1000);
    char when [32];
    strftime (when, sizeof when, "%H:%M:%S UTC", gmtime (&expires));
    if (ctl->json)
        printf ("{\"url\": \"%s%s\", \"expiresAt\": \"%lld\"}\n", link->url, own ? "&scope=own" : "",
                (long long) link->expires_at);
    else
        printf ("%s%s\nopen it in a browser on this machine before %s; it opens once and signs %s in\n",
                link->url, own ? "&scope=own" : "", when, ctl->identity);
    protobuf_c_message_free_unpacked (&link->base, NULL);
    return 0;
}

static int
s_rebuild (ctl_t *ctl, sn_client_t *client)
{
    Snodo__Reporting__RebuildRequest req = SNODO__REPORTING__REBUILD_REQUEST__INIT;
    Snodo__Reporting__RebuildReply *reply = NULL;
    int code = ctl_call (ctl, client, "reporting.Rebuild", &req.base, &snodo__reporting__rebuild_reply__descriptor,
                         (ProtobufCMessage **) &reply);
    if (code != SNODO__CODE__OK)
        return code == SNODO__CODE__UNAVAILABLE || code == SNODO__CODE__DEADLINE_EXCEEDED ? 3 : 1;
    printf ("rebuilt from %llu events: %llu pathways, %llu persons\n", (unsigned long long) reply->events,
            (unsigned long long) reply->pathways, (unsigned long long) reply->persons);
    protobuf_c_message_free_unpacked (&reply->base, NULL);
    return 0;
}

int
ctl_report (ctl_t *ctl, int argc, char **argv)
{
    rep_kind_t kind;
    bool link = argc > 0 && streq (argv [0], "link"), rebuild = argc > 0 && streq (argv [0], "rebuild");
    if (argc == 0 || (!link && !rebuild && rep_kind_parse (argv [0], &kind))) {
        s_usage ();
        return EXIT_USAGE;
    }
    if (streq (ctl->purpose, "placement"))
        ctl->purpose = "reporting";         //  unless told: reports are for reporting
    sn_client_t *client = ctl_client (ctl, "reporting", ctl->identity);
    if (!client)
        return 3;
    int rc = link ? s_link (ctl, client, argc > 1 && streq (argv [1], "--own"))
           : rebuild ? s_rebuild (ctl, client) : s_report (ctl, client, kind, argc - 1, argv + 1);
    sn_client_destroy (&client);
    return rc;
}
