/*  sn_validate: Italian identifiers. Low level: no logging, no allocation;
    a failure writes a short lower-case reason into err (errlen bytes; err
    may be NULL). */
#ifndef SN_VALIDATE_H_INCLUDED
#define SN_VALIDATE_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>

//  A codice fiscale: 16 upper-case characters (LLLLLL DD L DD LDDD L), where
//  each digit may be replaced by its omocodia letter (LMNPQRSTUV), the month
//  letter is one of ABCDEHLMPRST, the day is 1-31 (41-71 for women) and exists
//  in that month, and the last character is the check character. The
//  temporary 11-digit code (same algorithm as a partita IVA) is also valid.
bool sn_validate_codice_fiscale (const char *cf, char *err, size_t errlen);

//  A partita IVA: 11 digits, office code 001-100, 120, 121, 888 or 999, and
//  the check digit.
bool sn_validate_partita_iva (const char *piva, char *err, size_t errlen);

//  An ATECO code: "NN", "NN.N", "NN.NN", "NN.NN.N" or "NN.NN.NN", division 01-99.
bool sn_validate_ateco (const char *code, char *err, size_t errlen);

//  The check character of the first 15 characters of a codice fiscale, or 0
//  if they are not 15 upper-case letters and digits.
char sn_codice_fiscale_check_char (const char *first15);

//  Builds a codice fiscale from its parts (for synthetic persons): surname and
//  name (letters; spaces and apostrophes ignored), birth date, sex 'M' or 'F',
//  belfiore (the 4-character place code). Writes 16 characters and NUL into
//  out (at least 17 bytes). Returns 0, or -1 on bad input.
int sn_codice_fiscale_build (const char *surname, const char *name, int year, int month,
                             int day, char sex, const char *belfiore, char *out);

//  Birth date and sex of a valid 16-character codice fiscale (omocodia
//  resolved). The century is not in the code: a two-digit year not above
//  ref_year's is taken as 20xx, else 19xx. Returns 0, or -1.
int sn_codice_fiscale_birth (const char *cf, int ref_year, int *year, int *month, int *day,
                             char *sex);

#endif
