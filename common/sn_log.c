/*  sn_log: one line a message, whole, whatever the thread. */
#include "sn_log.h"
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

static int s_level = SN_LOG_INFO;
static bool s_journal = false;
static FILE *s_stream = NULL;       //  NULL: stderr

void
sn_log_setup (int level, bool journal)
{
    s_level = level;
    s_journal = journal;
}

void
sn_log_stream (FILE *stream)
{
    s_stream = stream;
}

int
sn_log_level (const char *name)
{
    static const char *names [] = {"error", "warning", "notice", "info", "debug", NULL};
    for (int i = 0; names [i]; i++)
        if (name && strcmp (name, names [i]) == 0)
            return SN_LOG_ERROR + i;
    return -1;
}

//  "2026-12-02T04:10:11.123+01:00": local time, milliseconds, the zone.
static void
s_timestamp (char *out, size_t size)
{
    struct timeval tv;
    gettimeofday (&tv, NULL);
    struct tm tm;
    localtime_r (&tv.tv_sec, &tm);
    char date [24], zone [8];
    strftime (date, sizeof date, "%Y-%m-%dT%H:%M:%S", &tm);
    if (strftime (zone, sizeof zone, "%z", &tm) != 5)      //  +0100
        snprintf (zone, sizeof zone, "+0000");
    snprintf (out, size, "%.19s.%03d%.3s:%.2s", date, (int) (tv.tv_usec / 1000) % 1000, zone, zone + 3);
}

void
sn_log (int level, const char *format, ...)
{
    if (level > s_level)
        return;
    static const char *names [] = {"ERROR", "WARN ", "NOTE ", "INFO ", "DEBUG"};
    char message [2048];
    va_list args;
    va_start (args, format);
    vsnprintf (message, sizeof message, format, args);
    va_end (args);
    //  one write a line: lines of threads do not interleave
    char line [2200];
    if (s_journal)
        snprintf (line, sizeof line, "<%d>%s\n", level, message);
    else {
        char when [48];
        s_timestamp (when, sizeof when);
        int index = level < SN_LOG_ERROR ? 0 : level > SN_LOG_DEBUG ? 4 : level - SN_LOG_ERROR;
        snprintf (line, sizeof line, "%s %s %s\n", when, names [index], message);
    }
    FILE *out = s_stream ? s_stream : stderr;
    fputs (line, out);
    fflush (out);
}
