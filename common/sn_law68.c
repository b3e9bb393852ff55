/*  sn_law68: the law 68/1999 reserved quota, and how it was computed. */
#include "sn_law68.h"
#include <stdio.h>

uint32_t
sn_law68_quota (uint32_t employees)
{
    if (employees < 15)
        return 0;
    if (employees <= 35)
        return 1;
    if (employees <= 50)
        return 2;
    uint64_t hundredths = (uint64_t) employees * 7;     //  7 % of employees, in hundredths of a worker
    return (uint32_t) (hundredths / 100 + (hundredths % 100 > 50 ? 1 : 0));
}

uint32_t
sn_law68_explain (uint32_t employees, char *out, size_t size)
{
    uint32_t quota = sn_law68_quota (employees);
    if (size == 0)
        return quota;
    if (employees < 15)
        snprintf (out, size, "%u (%u employees, under 15: no reserved job)", quota, employees);
    else
    if (employees <= 50)
        snprintf (out, size, "%u (%u employees, %s: %u worker%s)", quota, employees,
                  employees <= 35 ? "15-35" : "36-50", quota, quota == 1 ? "" : "s");
    else {
        uint64_t hundredths = (uint64_t) employees * 7;
        unsigned fraction = (unsigned) (hundredths % 100);
        snprintf (out, size, "%u (7 %% of %u = %llu.%02u → %u%s)", quota, employees,
                  (unsigned long long) (hundredths / 100), fraction, quota,
                  fraction > 50 ? ": a fraction above one half counts as one more worker"
                  : fraction > 0 ? ": a fraction of one half or less is dropped" : "");
    }
    return quota;
}
