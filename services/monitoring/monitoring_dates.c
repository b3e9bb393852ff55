/*  Date arithmetic for the schedule, on "YYYY-MM-DD" text: pure functions,
    no time zones (a date is a calendar day). */
#include "monitoring.h"
#include <stdio.h>
#include <string.h>
#include <time.h>

//  Writes a date into out (11 bytes).
static void
s_format (int y, int m, int d, char *out)
{
    char text [40];
    snprintf (text, sizeof text, "%04d-%02d-%02d", y, m, d);
    memcpy (out, text, 10);
    out [10] = 0;
}

//  Days since 1970-01-01 of a civil date (Howard Hinnant's algorithm).
static long
s_days_from_civil (int y, int m, int d)
{
    y -= m <= 2;
    long era = (y >= 0 ? y : y - 399) / 400;
    long yoe = y - era * 400;
    long doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

//  The civil date of a day count since 1970-01-01 (the inverse of the above).
static void
s_civil_from_days (long z, int *y, int *m, int *d)
{
    z += 719468;
    long era = (z >= 0 ? z : z - 146096) / 146097;
    long doe = z - era * 146097;
    long yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    long doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    long mp = (5 * doy + 2) / 153;
    *d = (int) (doy - (153 * mp + 2) / 5 + 1);
    *m = (int) (mp < 10 ? mp + 3 : mp - 9);
    *y = (int) (yoe + era * 400 + (*m <= 2));
}

int
mon_date_add_days (const char *date, int days, char *out)
{
    int y, m, d;
    if (sn_date_parse (date, &y, &m, &d))
        return -1;
    s_civil_from_days (s_days_from_civil (y, m, d) + days, &y, &m, &d);
    s_format (y, m, d, out);
    return 0;
}

int
mon_date_add_months (const char *date, int months, char *out)
{
    int y, m, d;
    if (sn_date_parse (date, &y, &m, &d))
        return -1;
    int index = y * 12 + (m - 1) + months;
    y = index / 12;
    m = index % 12 + 1;
    if (d > sn_month_days (y, m))
        d = sn_month_days (y, m);
    s_format (y, m, d, out);
    return 0;
}

int
mon_meeting_due (const char *start, unsigned n, char *out)
{
    if (n == 0)
        return -1;
    char joint [11];
    if (mon_date_add_days (start, 20, joint))
        return -1;
    if (n == 1) {
        memcpy (out, joint, 11);
        return 0;
    }
    return mon_date_add_months (joint, 2 * (int) (n - 1), out);
}

void
mon_date_today (char *out)
{
    sn_date_today (out);
}

void
mon_date_easter (int year, char *out)
{
    //  the anonymous Gregorian computus (Meeus, Jones, Butcher)
    int a = year % 19, b = year / 100, c = year % 100, d = b / 4, e = b % 4;
    int f = (b + 8) / 25, g = (b - f + 1) / 3, h = (19 * a + b - d - g + 15) % 30;
    int i = c / 4, k = c % 4, l = (32 + 2 * e + 2 * i - h - k) % 7, m = (a + 11 * h + 22 * l) / 451;
    int n = h + l - 7 * m + 114;
    s_format (year, n / 31, n % 31 + 1, out);
}

void
mon_holidays (int from, int to, sn_array_t *days)
{
    static const char *const fixed [] = {"01-01", "01-06", "04-25", "05-01", "06-02", "08-15", "11-01",
                                         "12-08", "12-25", "12-26"};
    for (int year = from; year <= to; year++) {
        char easter [11], day [16];
        mon_date_easter (year, easter);
        if (mon_date_add_days (easter, 1, day) == 0)
            sn_array_raw (days, day, 10);
        for (size_t i = 0; i < sizeof fixed / sizeof fixed [0]; i++) {
            snprintf (day, sizeof day, "%04d-%s", year, fixed [i]);
            sn_array_raw (days, day, 10);
        }
    }
}
