/*  sn_validate: Italian identifiers (codice fiscale, partita IVA, ATECO).
    Low level: no logging, no allocation, no mutable state. A failure writes
    a short lower-case English reason, with no final period, into err
    (errlen bytes, always NUL-terminated when errlen > 0); err may be NULL. */
#ifndef SN_VALIDATE_H_INCLUDED
#define SN_VALIDATE_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>

/*  A codice fiscale: 16 upper-case characters, LLLLLL DD L DD L DDD L, where
    each digit (positions 7, 8, 10, 11, 13, 14, 15) may be replaced by its
    omocodia letter (LMNPQRSTUV for 0-9), the month letter is one of
    ABCDEHLMPRST, the day is 01-31 (41-71 for women) and exists in that month
    (29 February always: the century is not in the code), the place code is a
    letter and 3 digits, and the last character is the check character.
    The temporary 11-digit numeric code is also valid: 11 digits, not all
    zeros, with the partita IVA check digit (its office code is not checked).
    Lower case is refused ("must be upper case"). Returns true if valid. */
bool sn_validate_codice_fiscale (const char *cf, char *err, size_t errlen);

/*  A partita IVA: 11 digits, not all zeros, office code (digits 8-10)
    001-100, 120, 121, 888 or 999, and the check digit. Returns true if valid. */
bool sn_validate_partita_iva (const char *piva, char *err, size_t errlen);

/*  An ISTAT ATECO 2007/2025 code: "NN", "NN.N", "NN.NN", "NN.NN.N" or
    "NN.NN.NN", with the division NN 01-99. Returns true if valid. */
bool sn_validate_ateco (const char *code, char *err, size_t errlen);

/*  The check character of the first 15 characters of a codice fiscale
    (upper-case letters and digits; characters after the 15th are ignored),
    or 0 if they are not 15 such characters. */
char sn_codice_fiscale_check_char (const char *first15);

/*  Builds a codice fiscale from its parts (for synthetic demo persons):
    surname and name (ASCII letters in any case; spaces and apostrophes are
    ignored; at least one letter), a birth date that exists (year 1-9999),
    sex 'M' or 'F', belfiore (the place code: a letter and 3 digits, e.g.
    "G888" for Pordenone). Writes 16 characters and a NUL into out (at least
    17 bytes). Returns 0, or -1 on bad input (out is then left untouched). */
int sn_codice_fiscale_build (const char *surname, const char *name, int year, int month,
                             int day, char sex, const char *belfiore, char *out);

/*  Birth date and sex of a valid 16-character codice fiscale, omocodia
    resolved. The century is not in the code: a two-digit year not above
    ref_year's last two digits is taken in ref_year's century, else in the
    century before (ref_year 2026: 00-26 are 2000-2026, 27-99 are 1927-1999).
    Any output pointer may be NULL. Returns 0, or -1 if cf is not a valid
    16-character code (a temporary 11-digit code holds no birth date), if
    ref_year is below 100, or if the date does not exist in the year chosen
    (29 February of a year that is not a leap year). */
int sn_codice_fiscale_birth (const char *cf, int ref_year, int *year, int *month, int *day,
                             char *sex);

#endif
