/*  sn_law68: the jobs law 68/1999 (art. 3) reserves for disabled workers in
    a company, by its computable workforce (base di computo): none under 15
    employees, 1 worker for 15-35, 2 for 36-50, and over 50 seven per cent,
    where a fraction above one half counts as one more worker and one of one
    half or less is dropped (DPR 333/2000). One rule for the registry, which
    computes every company's quota with it, and for snodoctl, which says how.
    Low level: no logging, no allocation, no state. */
#ifndef SN_LAW68_H_INCLUDED
#define SN_LAW68_H_INCLUDED

#include <stddef.h>
#include <stdint.h>

//  The reserved quota for a workforce of employees.
uint32_t sn_law68_quota (uint32_t employees);

//  The same, and how it was computed, for people, into out (size bytes,
//  always NUL-terminated when size > 0): "4 (7 % of 57 = 3.99 → 4: a
//  fraction above one half counts as one more worker)". Returns the quota.
uint32_t sn_law68_explain (uint32_t employees, char *out, size_t size);

#endif
