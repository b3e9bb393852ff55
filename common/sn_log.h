/*  sn_log: the services' log lines, for an operator.

    Each line: an ISO 8601 timestamp with its zone, the level, the message,
    which names its part ("2026-12-02T04:10:11.123+01:00 INFO  registry:
    ready ...", "... WARN  subscriber monitoring: ...").
    Under systemd (JOURNAL_STREAM set) the line is the message with its
    priority as journald reads it ("<6>ready ..."): the journal keeps the
    time, the unit and the level. Lines below the level set (the config's
    log_level, -v for debug) are not written; debug is off by default. */
#ifndef SN_LOG_H_INCLUDED
#define SN_LOG_H_INCLUDED

#include <stdbool.h>
#include <stdio.h>

//  The levels, numbered as syslog's priorities.
typedef enum {
    SN_LOG_ERROR = 3,
    SN_LOG_WARNING = 4,
    SN_LOG_NOTICE = 5,
    SN_LOG_INFO = 6,
    SN_LOG_DEBUG = 7
} sn_log_level_t;

//  Sets the lowest level written (0: nothing). With journal, lines carry
//  journald's priority prefix and no timestamp (the journal names the unit).
void sn_log_setup (int level, bool journal);

//  Where lines go (NULL: stderr, the default).
void sn_log_stream (FILE *stream);

//  The level a name gives ("error", "warning", "notice", "info", "debug"),
//  or -1 for another name.
int sn_log_level (const char *name);

//  Writes one line at level (printf format), when level is written.
void sn_log (int level, const char *format, ...) __attribute__ ((format (printf, 2, 3)));

#define sn_error(...)   sn_log (SN_LOG_ERROR, __VA_ARGS__)
#define sn_warning(...) sn_log (SN_LOG_WARNING, __VA_ARGS__)
#define sn_notice(...)  sn_log (SN_LOG_NOTICE, __VA_ARGS__)
#define sn_info(...)    sn_log (SN_LOG_INFO, __VA_ARGS__)
#define sn_debug(...)   sn_log (SN_LOG_DEBUG, __VA_ARGS__)

#endif
