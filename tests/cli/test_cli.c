/*  snodoctl as a command line: every command answers --help without a
    config, a missing argument is a usage error (exit 2) that reads no
    config and sends nothing, global options go before or after the
    command, --version. Runs the real binary. */
#include "testsupport.h"
#include <criterion/criterion.h>
#include <string.h>
#include <sys/wait.h>

//  Runs snodoctl with args (a shell word list); its stdout into out (at most
//  size), stderr into err. Returns its exit code.
static int
s_run (const char *args, char *out, size_t size, char *err, size_t err_size)
{
    char errfile [] = "/tmp/snodoctl-err.XXXXXX";
    int fd = mkstemp (errfile);
    cr_assert_geq (fd, 0);
    close (fd);
    char command [1024];
    snprintf (command, sizeof command, "'%s' %s 2>%s", SNODOCTL_PATH, args, errfile);
    FILE *p = popen (command, "r");
    cr_assert_not_null (p);
    size_t got = fread (out, 1, size - 1, p);
    out [got] = 0;
    int status = pclose (p);
    FILE *e = fopen (errfile, "r");
    got = e ? fread (err, 1, err_size - 1, e) : 0;
    err [got] = 0;
    if (e)
        fclose (e);
    unlink (errfile);
    return WIFEXITED (status) ? WEXITSTATUS (status) : -1;
}

Test (cli, every_command_answers_help_without_a_config)
{
    static char out [65536], err [4096], help [8192];
    cr_assert_eq (s_run ("--help", out, sizeof out, err, sizeof err), 0);
    //  "  group        verb         what it does": each command line of the list
    int commands = 0;
    char *save = NULL;
    for (char *line = strtok_r (out, "\n", &save); line; line = strtok_r (NULL, "\n", &save)) {
        char group [32], verb [32];
        if (strncmp (line, "  ", 2) || line [2] == ' ' || line [2] == '-'
        ||  sscanf (line, " %31s %31s", group, verb) != 2)
            continue;
        if (streq (group, "call") || streq (group, "keygen") || streq (group, "demo")
        ||  (streq (group, "members") && streq (verb, "connection-file")))
            continue;
        //  a command without a verb (directory, whoami) has its help text there
        bool verbless = streq (group, "directory") || streq (group, "whoami");
        char args [128];
        snprintf (args, sizeof args, "-c /nonexistent/snodo.cfg %s %s --help", group, verbless ? "" : verb);
        int rc = s_run (args, help, sizeof help, err, sizeof err);
        cr_assert_eq (rc, 0, "%s %s --help exits %d: %s", group, verb, rc, err);
        char want [96];
        snprintf (want, sizeof want, "usage: snodoctl %s%s%s", group, verbless ? "" : " ", verbless ? "" : verb);
        if (streq (group, "report"))
            snprintf (want, sizeof want, "usage: snodoctl report");
        cr_assert (strncmp (help, want, strlen (want)) == 0, "%s %s --help says: %.200s", group, verb, help);
        if (!streq (group, "report"))
            cr_assert (strstr (help, "example:\n  snodoctl "), "%s %s --help has no example", group, verb);
        commands++;
    }
    cr_assert_gt (commands, 60, "only %d commands were listed", commands);
}

Test (cli, a_missing_argument_is_a_usage_error_before_any_config)
{
    static char out [4096], err [4096];
    //  an unreadable config would be exit 3: exit 2 means nothing was read or sent
    static const char *cases [][2] = {
        {"pathways intake", "missing PATHWAY_ID"},
        {"consent grant 5b1f3c2e-8d4a-4c61-9e2b-7a0d6f1c2b3e placement", "missing MEMBER_KIND"},
        {"persons create", "missing PERSON.json"},
        {"meetings record p 1 2026-12-01", "missing PARTICIPANTS"},
        {"pathways suspend p", "missing REASON"},
        {"--json pathways intake --as ass6-sil", "missing PATHWAY_ID"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases [0]; i++) {
        char args [256];
        snprintf (args, sizeof args, "-c /nonexistent/snodo.cfg %s", cases [i][0]);
        int rc = s_run (args, out, sizeof out, err, sizeof err);
        cr_assert_eq (rc, 2, "\"%s\" exits %d: %s", cases [i][0], rc, err);
        cr_assert (strstr (err, cases [i][1]), "\"%s\" says: %s", cases [i][0], err);
        cr_assert (strstr (err, "usage: snodoctl "), "\"%s\" shows no usage: %s", cases [i][0], err);
    }
    //  optional arguments may be left out: with them all given, it goes on
    //  to read the config (exit 3 here)
    int rc = s_run ("-c /nonexistent/snodo.cfg pathways intake 5b1f3c2e-8d4a-4c61-9e2b-7a0d6f1c2b3e", out,
                    sizeof out, err, sizeof err);
    cr_assert_eq (rc, 3, "exit %d: %s", rc, err);
    //  a global option after the command is taken as one, not as a field
    rc = s_run ("pathways intake 5b1f3c2e-8d4a-4c61-9e2b-7a0d6f1c2b3e -c /nonexistent/snodo.cfg --json", out,
                sizeof out, err, sizeof err);
    cr_assert_eq (rc, 3, "exit %d: %s", rc, err);
    cr_assert (strstr (err, "/nonexistent/snodo.cfg"), "%s", err);
}

Test (cli, version_and_unknown_options)
{
    static char out [4096], err [4096];
    cr_assert_eq (s_run ("--version", out, sizeof out, err, sizeof err), 0);
    cr_assert (strncmp (out, "snodoctl ", 9) == 0 && strchr (out, '.'), "%s", out);
    cr_assert_eq (s_run ("--no-such-option whoami", out, sizeof out, err, sizeof err), 2);
    cr_assert (strstr (err, "unknown option \"--no-such-option\""), "%s", err);
    cr_assert_eq (s_run ("-c", out, sizeof out, err, sizeof err), 2);
    cr_assert (strstr (err, "a value is missing after \"-c\""), "%s", err);
}
