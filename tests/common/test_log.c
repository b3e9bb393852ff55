/*  sn_log: lines an operator can use: ISO 8601 with the zone, the level,
    the service; the level set filters; under systemd the journal's priority
    prefix. */
#include "sn_log.h"
#include <criterion/criterion.h>
#include <criterion/redirect.h>
#include <regex.h>
#include <stdio.h>
#include <string.h>

//  The lines written to stderr so far (at most size bytes).
static void
s_lines (char *out, size_t size)
{
    fflush (stderr);
    FILE *err = cr_get_redirected_stderr ();
    size_t got = fread (out, 1, size - 1, err);
    out [got] = 0;
}

Test (log, a_line_has_its_time_with_the_zone_its_level_and_service, .init = cr_redirect_stderr)
{
    sn_log_setup (SN_LOG_INFO, false);
    sn_info ("registry: ready on %s", "tcp://127.0.0.1:7401");
    sn_debug ("not at the default level");
    sn_warning ("registry: the database is away");
    char text [1024];
    s_lines (text, sizeof text);
    regex_t re;
    cr_assert_eq (regcomp (&re, "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\\.[0-9]{3}[+-][0-9]{2}:[0-9]{2} "
                               "INFO  registry: ready on tcp://127\\.0\\.0\\.1:7401\n"
                               "[0-9T:.+-]{29} WARN  registry: the database is away\n$", REG_EXTENDED), 0);
    cr_assert_eq (regexec (&re, text, 0, NULL, 0), 0, "the lines were:\n%s", text);
    regfree (&re);
}

Test (log, debug_when_asked_and_the_journal_prefix, .init = cr_redirect_stderr)
{
    sn_log_setup (SN_LOG_DEBUG, true);
    sn_debug ("a batch of %d records", 512);
    sn_error ("could not open");
    sn_log_setup (0, false);
    sn_error ("nothing at level 0");
    char text [512];
    s_lines (text, sizeof text);
    cr_assert_str_eq (text, "<7>a batch of 512 records\n<3>could not open\n");
}

Test (log, levels_by_name)
{
    cr_assert_eq (sn_log_level ("error"), SN_LOG_ERROR);
    cr_assert_eq (sn_log_level ("warning"), SN_LOG_WARNING);
    cr_assert_eq (sn_log_level ("info"), SN_LOG_INFO);
    cr_assert_eq (sn_log_level ("debug"), SN_LOG_DEBUG);
    cr_assert_eq (sn_log_level ("verbose"), -1);
    cr_assert_eq (sn_log_level (NULL), -1);
}
