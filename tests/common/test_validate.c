/*  Codici fiscali (with omocodia), partite IVA, ATECO codes.

    The expected codes and check characters below were computed with a
    separate Python script written from the official tables (not from
    sn_validate.c), and the ones marked "by hand" were also summed by hand. */
#include "sn_validate.h"
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <stdio.h>
#include <string.h>

//  Criterion may hand parameters to another process: they hold text, not
//  pointers.
typedef struct {
    char code [32];
    char reason [96];       //  for a refused code: a part of the reason
} case_t;

static size_t
s_case_count (size_t bytes)
{
    return bytes / sizeof (case_t);
}

//  Valid: true, and err left as it was.
static void
s_expect_valid (const char *code, bool ok, const char *err)
{
    cr_assert (ok, "\"%s\" must be valid, got \"%s\"", code, err);
    cr_assert_str_eq (err, "untouched", "\"%s\" is valid but err was written", code);
}

//  Refused: false, and the reason names the problem.
static void
s_expect_refused (const case_t *c, bool ok, const char *err)
{
    cr_assert_not (ok, "\"%s\" must be refused", c->code);
    cr_assert (strstr (err, c->reason), "\"%s\": expected \"%s\" in the reason, got \"%s\"", c->code,
               c->reason, err);
    size_t length = strlen (err);
    cr_assert (length > 0 && err [length - 1] != '.', "\"%s\": reason \"%s\" ends with a period", c->code,
               err);
    cr_assert (!(err [0] >= 'A' && err [0] <= 'Z'), "reason \"%s\" starts upper case", err);
}

//  --------------------------------------------------------------------------
//  Codice fiscale

static case_t s_cf_valid [] = {
    {"RSSMRA80A01H501U", "the textbook Mario Rossi, by hand"},
    {"RSSMRA80A41H501Y", "a woman born on 1 January: day 41"},
    {"ZNNLCU66A71I403P", "a woman born on 31 January: day 71"},
    {"BNCGLI85C55G888F", "a woman born on 15 March in Pordenone, by hand"},
    {"DMRLAX72B47B215S", "a woman born on 7 February"},
    {"DNGNMR99B68G888I", "a woman born on 28 February"},
    {"BTEGUO04B69Z404J", "a woman born on 29 February abroad (Z404)"},
    {"RSSMRA81B29H501R", "29 February of 81: the century is not in the code"},
    {"SNTCST00B69I403U", "29 February of 00, by hand"},
    {"CLSSFN90D30A530R", "30 April"},
    {"FOXFNC01T31G888U", "31 December; a short surname padded with X"},
    {"RSSMRA80A01H50MM", "omocodia: the last digit of the place code"},
    {"RSSMRAULALMHRLMD", "omocodia in all seven digit positions, by hand"},
    {"RSSMRAUQA0MH5LMC", "omocodia in six digit positions"},
    {"BNCGLIU5C55G888C", "omocodia in the year"},
    {"DNGNMRVVB68G888J", "omocodia in the year: VV = 99"},
    {"BNCGLI85CRRG888M", "omocodia in a woman's day (RR = 55)"},
    {"BTEGUO04B69ZQL4R", "omocodia in a foreign place code"},
    {"12345678903", "temporary numeric code, by hand"},
    {"80006480281", "numeric code of an entity (office 028)"},
    {"00743110157", "numeric code, also a partita IVA"},
};

ParameterizedTestParameters (codice_fiscale, valid)
{
    return cr_make_param_array (case_t, s_cf_valid, s_case_count (sizeof s_cf_valid));
}

ParameterizedTest (case_t *c, codice_fiscale, valid)
{
    char err [160] = "untouched";
    s_expect_valid (c->code, sn_validate_codice_fiscale (c->code, err, sizeof err), err);
    if (strlen (c->code) == 16) {
        cr_assert_eq (sn_codice_fiscale_check_char (c->code), c->code [15], "%s (%s)", c->code, c->reason);
        //  any other last letter is refused, with the right one in the reason
        char copy [17];
        memcpy (copy, c->code, sizeof copy);
        for (char k = 'A'; k <= 'Z'; k++) {
            if (k == c->code [15])
                continue;
            copy [15] = k;
            char expected [64];
            snprintf (expected, sizeof expected, "check character is '%c', expected '%c'", k, c->code [15]);
            cr_assert_not (sn_validate_codice_fiscale (copy, err, sizeof err), "%s must be refused", copy);
            cr_assert_str_eq (err, expected);
        }
    }
    else {
        //  any other check digit is refused
        char copy [12];
        memcpy (copy, c->code, sizeof copy);
        for (char k = '0'; k <= '9'; k++) {
            if (k == c->code [10])
                continue;
            copy [10] = k;
            cr_assert_not (sn_validate_codice_fiscale (copy, err, sizeof err), "%s must be refused", copy);
            cr_assert (strstr (err, "check digit is"), "%s", err);
        }
    }
}

//  The invalid ones have a correct check character unless that is the point,
//  so each is refused for its stated reason only.
static case_t s_cf_invalid [] = {
    {"RSSMRA80A01H501X", "check character is 'X', expected 'U'"},
    {"RSSMRA80A01H50MU", "check character is 'U', expected 'M'"},   //  omocodia, stale check
    {"RSSMRA80A01H501", "must be 16 characters, got 15"},
    {"RSSMRA80A01H501UU", "must be 16 characters, got 17"},
    {"RSSMRA80A01", "must be 16 characters, got 11"},
    {"rssmra80a01h501u", "must be upper case"},
    {"RSSMRA80a01H501U", "must be upper case"},
    {"RSSMRA80Z01H501Q", "invalid month letter 'Z' at position 9"},
    {"RSSMRA80F01H501G", "invalid month letter 'F' at position 9"},
    {"RSSMRA80101H501T", "invalid month letter '1' at position 9"},
    {"RSSMRA80A32H501C", "invalid day 32"},
    {"RSSMRA80A00H501V", "invalid day 00"},
    {"RSSMRA80A40H501Z", "invalid day 40"},
    {"RSSMRA80A72H501G", "invalid day 72"},
    {"RSSMRA80B30H501X", "day 30 does not exist in february"},
    {"RSSMRA80B70H501B", "day 30 does not exist in february"},   //  a woman's 30 February
    {"RSSMRA80D31H501D", "day 31 does not exist in april"},
    {"RSSMRA8AA01H501U", "invalid omocodia letter 'A' at position 8"},
    {"RSSMRA80A01H50OF", "invalid omocodia letter 'O' at position 15"},
    {"DNGNMR9WB68G888V", "invalid omocodia letter 'W' at position 8"},
    {"RSSMRA80A01H50-U", "expected a digit at position 15, got '-'"},
    {"RSSMR180A01H501V", "expected a letter at position 6, got '1'"},
    {"RSSMRA80A011501O", "expected a letter at position 12, got '1'"},
    {"RSSMRA80A01H5011", "expected a letter at position 16, got '1'"},
    {"RSSMRA80A01H501\xc3", "expected a letter at position 16, got byte 0xc3"},
    {"RSSMRA80A01 501U", "expected a letter at position 12, got ' '"},
    {"12345678904", "check digit is '4', expected '3'"},
    {"00000000000", "must not be all zeros"},
    {"1234567890A", "expected a digit at position 11, got 'A'"},
    {"", "is empty"},
};

ParameterizedTestParameters (codice_fiscale, invalid)
{
    return cr_make_param_array (case_t, s_cf_invalid, s_case_count (sizeof s_cf_invalid));
}

ParameterizedTest (case_t *c, codice_fiscale, invalid)
{
    char err [160] = "";
    s_expect_refused (c, sn_validate_codice_fiscale (c->code, err, sizeof err), err);
}

Test (codice_fiscale, every_omocodia_letter_stands_for_its_digit)
{
    static const char letters [] = "LMNPQRSTUV";   //  0-9, as the law lists them
    for (int d = 0; d <= 9; d++) {
        //  born on 1d March of the year ending in dd; then the two year
        //  digits and the day's units written as letters
        char cf [17];
        cr_assert_eq (sn_codice_fiscale_build ("Moro", "Sara", 1900 + 11 * d, 3, 10 + d, 'F', "G888", cf), 0);
        cr_assert (cf [6] - '0' == d && cf [7] - '0' == d && cf [10] - '0' == d, "%s", cf);
        cf [6] = cf [7] = cf [10] = letters [d];
        cf [15] = sn_codice_fiscale_check_char (cf);
        char err [160] = "";
        cr_assert (sn_validate_codice_fiscale (cf, err, sizeof err), "%s: %s", cf, err);
        int year, month, day;
        char sex;
        cr_assert_eq (sn_codice_fiscale_birth (cf, 2026, &year, &month, &day, &sex), 0, "%s", cf);
        cr_assert (year % 100 == 11 * d % 100 && month == 3 && day == 10 + d && sex == 'F', "%s: %d-%d-%d %c",
                   cf, year, month, day, sex);
    }
}

Test (codice_fiscale, null_and_small_buffers)
{
    char err [160] = "";
    cr_assert_not (sn_validate_codice_fiscale (NULL, err, sizeof err));
    cr_assert_str_eq (err, "is missing");
    //  err may be NULL, or too small: the reason is cut, still terminated
    cr_assert_not (sn_validate_codice_fiscale ("RSSMRA80A01H501X", NULL, 0));
    cr_assert_not (sn_validate_codice_fiscale ("RSSMRA80A01H501X", NULL, 100));
    char small [9];
    memset (small, '#', sizeof small);
    cr_assert_not (sn_validate_codice_fiscale ("RSSMRA80A01H501X", small, sizeof small));
    cr_assert_str_eq (small, "check ch");
    char none [4] = "abc";
    cr_assert_not (sn_validate_codice_fiscale ("RSSMRA80A01H501X", none, 0));
    cr_assert_str_eq (none, "abc", "errlen 0: err is not written");
    //  a temporary code is not a partita IVA when its office code is not one
    cr_assert (sn_validate_codice_fiscale ("12345678903", NULL, 0));
    cr_assert_not (sn_validate_partita_iva ("12345678903", NULL, 0));
}

Test (codice_fiscale, check_char)
{
    cr_assert_eq (sn_codice_fiscale_check_char ("RSSMRA80A01H501"), 'U');
    cr_assert_eq (sn_codice_fiscale_check_char ("RSSMRA80A01H501U"), 'U', "the 16th is ignored");
    cr_assert_eq (sn_codice_fiscale_check_char ("RSSMRA80A01H50X"), 'T');
    cr_assert_eq (sn_codice_fiscale_check_char ("RSSMRAULALMHRLM"), 'D');
    cr_assert_eq (sn_codice_fiscale_check_char ("BNCGLI85C55G888"), 'F');
    cr_assert_eq (sn_codice_fiscale_check_char ("RSSMRA80A01H50"), 0, "14 characters");
    cr_assert_eq (sn_codice_fiscale_check_char (""), 0);
    cr_assert_eq (sn_codice_fiscale_check_char ("rssmra80a01h501"), 0, "lower case");
    cr_assert_eq (sn_codice_fiscale_check_char ("RSSMRA80A01H50-"), 0);
    cr_assert_eq (sn_codice_fiscale_check_char (NULL), 0);
    //  every value 0-25 is reachable: changing the 2nd character by one
    //  letter moves the sum by one
    char first [16] = "AAAAAAAAAAAAAAA";
    bool seen [26] = {false};
    for (char k = 'A'; k <= 'Z'; k++) {
        first [1] = k;
        char check = sn_codice_fiscale_check_char (first);
        cr_assert (check >= 'A' && check <= 'Z');
        seen [check - 'A'] = true;
    }
    for (int i = 0; i < 26; i++)
        cr_assert (seen [i], "check letter %c never produced", 'A' + i);
}

//  --------------------------------------------------------------------------
//  Building and decoding

typedef struct {
    char surname [32];
    char name [32];
    int year, month, day;
    char sex;
    char belfiore [8];
    char expected [17];
} build_t;

static build_t s_builds [] = {
    {"Rossi", "Mario", 1980, 1, 1, 'M', "H501", "RSSMRA80A01H501U"},
    {"De Marchi", "Giulia", 1972, 2, 7, 'F', "B215", "DMRGLI72B47B215B"},
    {"Fo", "Francesco", 2001, 12, 31, 'M', "G888", "FOXFNC01T31G888U"},     //  1st, 3rd, 4th consonant
    {"D'Angelo", "Anna Maria", 1999, 2, 28, 'F', "G888", "DNGNMR99B68G888I"},
    {"Bet", "Ugo", 2004, 2, 29, 'F', "Z404", "BTEGUO04B69Z404J"},
    {"Della Valentina", "Alessandro", 1966, 10, 15, 'M', "g888", "DLLLSN66R15G888X"},
    {"AI", "eo", 1950, 6, 5, 'F', "A001", "AIXEOX50H45A001Q"},                //  vowels only
    {"O", "Y", 1975, 8, 20, 'M', "L483", "OXXYXX75M20L483B"},                 //  one letter each
    {"Santarossa", "Cristina", 2000, 2, 29, 'F', "I403", "SNTCST00B69I403U"},
    {"Dal Bo", "Federico", 1985, 11, 30, 'M', "G888", "DLBFRC85S30G888V"},
};

ParameterizedTestParameters (codice_fiscale, build)
{
    return cr_make_param_array (build_t, s_builds, sizeof s_builds / sizeof s_builds [0]);
}

ParameterizedTest (build_t *b, codice_fiscale, build)
{
    char cf [17];
    memset (cf, '#', sizeof cf);
    cr_assert_eq (sn_codice_fiscale_build (b->surname, b->name, b->year, b->month, b->day, b->sex,
                                           b->belfiore, cf),
                  0, "%s %s", b->name, b->surname);
    cr_assert_str_eq (cf, b->expected);
    char err [160] = "";
    cr_assert (sn_validate_codice_fiscale (cf, err, sizeof err), "%s: %s", cf, err);
    //  and back: the date and the sex (every year here is 1927-2026)
    int year = 0, month = 0, day = 0;
    char sex = 0;
    cr_assert_eq (sn_codice_fiscale_birth (cf, 2026, &year, &month, &day, &sex), 0, "%s", cf);
    cr_assert_eq (year, b->year, "%s", cf);
    cr_assert_eq (month, b->month, "%s", cf);
    cr_assert_eq (day, b->day, "%s", cf);
    cr_assert_eq (sex, b->sex, "%s", cf);
}

Test (codice_fiscale, build_rossi)
{
    char cf [17];
    cr_assert_eq (sn_codice_fiscale_build ("Rossi", "Mario", 1980, 1, 1, 'M', "H501", cf), 0);
    cr_assert_str_eq (cf, "RSSMRA80A01H501U");
}

Test (codice_fiscale, build_every_day_validates)
{
    //  every day of a leap year and of a common one, both sexes
    static const int years [] = {1996, 2023};
    char cf [17], err [160];
    for (int y = 0; y < 2; y++)
        for (int month = 1; month <= 12; month++)
            for (int day = 1; day <= 31; day++)
                for (int s = 0; s < 2; s++) {
                    char sex = s ? 'F' : 'M';
                    int rc = sn_codice_fiscale_build ("Bortolin", "Chiara", years [y], month, day, sex,
                                                      "G888", cf);
                    static const int days [] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
                    int last = month == 2 && years [y] % 4 ? 28 : days [month - 1];
                    if (day > last) {
                        cr_assert_eq (rc, -1, "%d-%02d-%02d does not exist", years [y], month, day);
                        continue;
                    }
                    cr_assert_eq (rc, 0, "%d-%02d-%02d", years [y], month, day);
                    cr_assert (sn_validate_codice_fiscale (cf, err, sizeof err), "%s: %s", cf, err);
                    int yy, mm, dd;
                    char ss;
                    cr_assert_eq (sn_codice_fiscale_birth (cf, 2026, &yy, &mm, &dd, &ss), 0, "%s", cf);
                    cr_assert (yy == years [y] && mm == month && dd == day && ss == sex, "%s", cf);
                }
}

Test (codice_fiscale, build_refuses_bad_input)
{
    char cf [17] = "untouched";
    const char *bad = "bad input must return -1 and leave out untouched";
    cr_assert_eq (sn_codice_fiscale_build ("Rossi", "Mario", 1980, 13, 1, 'M', "H501", cf), -1, "%s", bad);
    cr_assert_eq (sn_codice_fiscale_build ("Rossi", "Mario", 1980, 0, 1, 'M', "H501", cf), -1, "%s", bad);
    cr_assert_eq (sn_codice_fiscale_build ("Rossi", "Mario", 1980, 1, 0, 'M', "H501", cf), -1, "%s", bad);
    cr_assert_eq (sn_codice_fiscale_build ("Rossi", "Mario", 1980, 1, 32, 'M', "H501", cf), -1, "%s", bad);
    cr_assert_eq (sn_codice_fiscale_build ("Rossi", "Mario", 1980, 4, 31, 'M', "H501", cf), -1, "%s", bad);
    cr_assert_eq (sn_codice_fiscale_build ("Rossi", "Mario", 2023, 2, 29, 'M', "H501", cf), -1, "%s", bad);
    cr_assert_eq (sn_codice_fiscale_build ("Rossi", "Mario", 1900, 2, 29, 'M', "H501", cf), -1, "%s", bad);
    cr_assert_eq (sn_codice_fiscale_build ("Rossi", "Mario", 0, 1, 1, 'M', "H501", cf), -1, "%s", bad);
    cr_assert_eq (sn_codice_fiscale_build ("Rossi", "Mario", 1980, 1, 1, 'X', "H501", cf), -1, "%s", bad);
    cr_assert_eq (sn_codice_fiscale_build ("Rossi", "Mario", 1980, 1, 1, 'm', "H501", cf), -1, "%s", bad);
    cr_assert_eq (sn_codice_fiscale_build ("Rossi", "Mario", 1980, 1, 1, 'M', "H50", cf), -1, "%s", bad);
    cr_assert_eq (sn_codice_fiscale_build ("Rossi", "Mario", 1980, 1, 1, 'M', "H5011", cf), -1, "%s", bad);
    cr_assert_eq (sn_codice_fiscale_build ("Rossi", "Mario", 1980, 1, 1, 'M', "5501", cf), -1, "%s", bad);
    cr_assert_eq (sn_codice_fiscale_build ("Rossi", "Mario", 1980, 1, 1, 'M', "H5O1", cf), -1, "%s", bad);
    cr_assert_eq (sn_codice_fiscale_build ("", "Mario", 1980, 1, 1, 'M', "H501", cf), -1, "%s", bad);
    cr_assert_eq (sn_codice_fiscale_build (" ' ", "Mario", 1980, 1, 1, 'M', "H501", cf), -1, "%s", bad);
    cr_assert_eq (sn_codice_fiscale_build ("Rossi", "Mar1o", 1980, 1, 1, 'M', "H501", cf), -1, "%s", bad);
    cr_assert_eq (sn_codice_fiscale_build ("Rossi-Bianchi", "Mario", 1980, 1, 1, 'M', "H501", cf), -1, "%s",
                  bad);
    cr_assert_eq (sn_codice_fiscale_build ("Rossi", "Nicol\xc3\xb2", 1980, 1, 1, 'M', "H501", cf), -1, "%s",
                  bad);
    cr_assert_eq (sn_codice_fiscale_build (NULL, "Mario", 1980, 1, 1, 'M', "H501", cf), -1, "%s", bad);
    cr_assert_eq (sn_codice_fiscale_build ("Rossi", NULL, 1980, 1, 1, 'M', "H501", cf), -1, "%s", bad);
    cr_assert_eq (sn_codice_fiscale_build ("Rossi", "Mario", 1980, 1, 1, 'M', NULL, cf), -1, "%s", bad);
    cr_assert_eq (sn_codice_fiscale_build ("Rossi", "Mario", 1980, 1, 1, 'M', "H501", NULL), -1);
    cr_assert_str_eq (cf, "untouched");
}

Test (codice_fiscale, birth)
{
    int year = 0, month = 0, day = 0;
    char sex = 0;
    cr_assert_eq (sn_codice_fiscale_birth ("RSSMRAULALMHRLMD", 2026, &year, &month, &day, &sex), 0);
    cr_assert (year == 1980 && month == 1 && day == 1 && sex == 'M', "%d-%d-%d %c", year, month, day, sex);
    cr_assert_eq (sn_codice_fiscale_birth ("BNCGLI85CRRG888M", 2026, &year, &month, &day, &sex), 0);
    cr_assert (year == 1985 && month == 3 && day == 15 && sex == 'F', "%d-%d-%d %c", year, month, day, sex);
    cr_assert_eq (sn_codice_fiscale_birth ("ZNNLCU66A71I403P", 2026, &year, &month, &day, &sex), 0);
    cr_assert (year == 1966 && month == 1 && day == 31 && sex == 'F', "%d-%d-%d %c", year, month, day, sex);

    //  the century: 26 is 2026, 27 is 1927 (reference 2026)
    cr_assert_eq (sn_codice_fiscale_birth ("MROSRA26C50G888Q", 2026, &year, &month, &day, &sex), 0);
    cr_assert (year == 2026 && month == 3 && day == 10 && sex == 'F', "%d-%d-%d %c", year, month, day, sex);
    cr_assert_eq (sn_codice_fiscale_birth ("MROSRA27C50G888R", 2026, &year, NULL, NULL, NULL), 0);
    cr_assert_eq (year, 1927);
    cr_assert_eq (sn_codice_fiscale_birth ("MROSRA26C50G888Q", 2025, &year, NULL, NULL, NULL), 0);
    cr_assert_eq (year, 1926, "with reference 2025, 26 is 1926");
    cr_assert_eq (sn_codice_fiscale_birth ("RSSMRA80A01H501U", 1979, &year, NULL, NULL, NULL), 0);
    cr_assert_eq (year, 1880, "reference 1979: 80 is in the century before");

    //  29 February: valid in a leap year, refused in a common one
    cr_assert_eq (sn_codice_fiscale_birth ("SNTCST00B69I403U", 2026, &year, &month, &day, &sex), 0);
    cr_assert (year == 2000 && month == 2 && day == 29, "%d-%d-%d", year, month, day);
    year = month = day = 0;
    sex = 0;
    cr_assert (sn_validate_codice_fiscale ("SNTCST00B69I403U", NULL, 0));
    cr_assert_eq (sn_codice_fiscale_birth ("SNTCST00B69I403U", 1999, &year, &month, &day, &sex), -1,
                  "1900 is not a leap year");
    cr_assert (sn_validate_codice_fiscale ("RSSMRA81B29H501R", NULL, 0));
    cr_assert_eq (sn_codice_fiscale_birth ("RSSMRA81B29H501R", 2026, &year, &month, &day, &sex), -1,
                  "1981 is not a leap year");
    cr_assert (year == 0 && month == 0 && day == 0 && sex == 0, "nothing written on -1");

    //  no birth in an invalid code, nor in a temporary one
    cr_assert_eq (sn_codice_fiscale_birth ("RSSMRA80A01H501X", 2026, &year, &month, &day, &sex), -1);
    cr_assert_eq (sn_codice_fiscale_birth ("RSSMRA80B30H501X", 2026, &year, &month, &day, &sex), -1);
    cr_assert_eq (sn_codice_fiscale_birth ("12345678903", 2026, &year, &month, &day, &sex), -1);
    cr_assert_eq (sn_codice_fiscale_birth (NULL, 2026, &year, &month, &day, &sex), -1);
    cr_assert_eq (sn_codice_fiscale_birth ("RSSMRA80A01H501U", 26, &year, &month, &day, &sex), -1);
    cr_assert (year == 0 && month == 0 && day == 0 && sex == 0, "nothing written on -1");
}

//  --------------------------------------------------------------------------
//  Partita IVA

static case_t s_piva_valid [] = {
    {"00743110157", "a real one, by hand"},
    {"80006480281", "office 028"},
    {"01114601006", "office 100"},
    {"55555551005", "office 100"},
    {"01234560934", "office 093 (Pordenone)"},
    {"98765430016", "office 001"},
    {"00000000018", "office 001, nearly all zeros"},
    {"11111111206", "office 120"},
    {"22222221214", "office 121"},
    {"33333338888", "office 888"},
    {"44444449993", "office 999"},
};

ParameterizedTestParameters (partita_iva, valid)
{
    return cr_make_param_array (case_t, s_piva_valid, s_case_count (sizeof s_piva_valid));
}

ParameterizedTest (case_t *c, partita_iva, valid)
{
    char err [160] = "untouched";
    s_expect_valid (c->code, sn_validate_partita_iva (c->code, err, sizeof err), err);
    //  any other check digit is refused
    char copy [12];
    memcpy (copy, c->code, sizeof copy);
    for (char k = '0'; k <= '9'; k++) {
        if (k == c->code [10])
            continue;
        copy [10] = k;
        char expected [64];
        snprintf (expected, sizeof expected, "check digit is '%c', expected '%c'", k, c->code [10]);
        cr_assert_not (sn_validate_partita_iva (copy, err, sizeof err), "%s must be refused", copy);
        cr_assert_str_eq (err, expected);
    }
}

//  Each has the right check digit unless that is the point.
static case_t s_piva_invalid [] = {
    {"00743110158", "check digit is '8', expected '7'"},
    {"00473110157", "check digit is '7', expected '3'"},    //  two digits swapped
    {"0074311015", "must be 11 digits, got 10 characters"},
    {"007431101570", "must be 11 digits, got 12 characters"},
    {"IT00743110157", "must be 11 digits, got 13 characters"},
    {"0074311015A", "expected a digit at position 11, got 'A'"},
    {" 0743110157", "expected a digit at position 1, got ' '"},
    {"00000000000", "must not be all zeros"},
    {"12345670009", "invalid office code 000"},
    {"12345671015", "invalid office code 101"},
    {"12345671197", "invalid office code 119"},
    {"12345671221", "invalid office code 122"},
    {"12345678879", "invalid office code 887"},
    {"01234561502", "invalid office code 150"},
    {"12345678903", "invalid office code 890"},
    {"", "is empty"},
};

ParameterizedTestParameters (partita_iva, invalid)
{
    return cr_make_param_array (case_t, s_piva_invalid, s_case_count (sizeof s_piva_invalid));
}

ParameterizedTest (case_t *c, partita_iva, invalid)
{
    char err [160] = "";
    s_expect_refused (c, sn_validate_partita_iva (c->code, err, sizeof err), err);
}

Test (partita_iva, null)
{
    char err [160] = "";
    cr_assert_not (sn_validate_partita_iva (NULL, err, sizeof err));
    cr_assert_str_eq (err, "is missing");
    cr_assert_not (sn_validate_partita_iva ("00743110158", NULL, 0));
    cr_assert (sn_validate_partita_iva ("00743110157", NULL, 0));
}

//  --------------------------------------------------------------------------
//  ATECO

static case_t s_ateco_valid [] = {
    {"01", "division"},         {"10", "division"},       {"99", "division"},
    {"10.7", "group"},          {"10.71", "class"},       {"81.21", "class"},
    {"10.71.1", "category"},    {"10.71.10", "subcategory"}, {"01.11.00", "subcategory"},
    {"62.01.00", "subcategory"}, {"99.00.00", "subcategory"},
};

ParameterizedTestParameters (ateco, valid)
{
    return cr_make_param_array (case_t, s_ateco_valid, s_case_count (sizeof s_ateco_valid));
}

ParameterizedTest (case_t *c, ateco, valid)
{
    char err [160] = "untouched";
    s_expect_valid (c->code, sn_validate_ateco (c->code, err, sizeof err), err);
}

static case_t s_ateco_invalid [] = {
    {"00", "division 00 out of range"},
    {"00.11", "division 00 out of range"},
    {"1", "incomplete code"},
    {"10.", "incomplete code"},
    {"10.71.", "incomplete code"},
    {"100", "expected '.' at position 3, got '0'"},
    {"10-71", "expected '.' at position 3, got '-'"},
    {"10.711", "expected '.' at position 6, got '1'"},
    {"10..1", "expected a digit at position 4, got '.'"},
    {"10.7a", "expected a digit at position 5, got 'a'"},
    {"AB.CD", "expected a digit at position 1, got 'A'"},
    {"C10.71", "expected a digit at position 1, got 'C'"},
    {" 10", "expected a digit at position 1, got ' '"},
    {"10.71 ", "expected '.' at position 6, got ' '"},
    {"10.71.100", "too long (9 characters)"},
    {"", "is empty"},
};

ParameterizedTestParameters (ateco, invalid)
{
    return cr_make_param_array (case_t, s_ateco_invalid, s_case_count (sizeof s_ateco_invalid));
}

ParameterizedTest (case_t *c, ateco, invalid)
{
    char err [160] = "";
    s_expect_refused (c, sn_validate_ateco (c->code, err, sizeof err), err);
    //  the reason of a bad layout names the layouts that would do
    if (!strstr (c->reason, "division") && strcmp (c->reason, "is empty") != 0)
        cr_assert (strstr (err, "NN.NN.NN"), "%s", err);
}

Test (ateco, null)
{
    char err [160] = "";
    cr_assert_not (sn_validate_ateco (NULL, err, sizeof err));
    cr_assert_str_eq (err, "is missing");
    cr_assert (sn_validate_ateco ("10.71", NULL, 0));
    cr_assert_not (sn_validate_ateco ("10.711", NULL, 0));
}

//  --- dates ("YYYY-MM-DD", digits only, years 1900-2200) ------------------------------

#include "sn_check.h"

Test (dates, valid_and_invalid)
{
    static const char *valid [] = {"2026-01-31", "2024-02-29", "2000-02-29", "1900-01-01", "2200-12-31",
                                   "2026-12-31", NULL};
    static const char *invalid [] = {"2023-02-29", "2100-02-29", "1900-02-29", "2026-04-31", "2026-13-01",
                                     "2026-00-10", "2026-01-00", "1899-12-31", "2201-01-01", "2026-+1-01",
                                     "2026- 1-01", "+026-01-01", "2026-1-01", "2026-01-1", "2026/01/01",
                                     "2026-01-01T", "20260101", "", "2026-0a-01", NULL};
    for (int i = 0; valid [i]; i++)
        cr_expect (sn_date_valid (valid [i]), "%s is a date", valid [i]);
    for (int i = 0; invalid [i]; i++)
        cr_expect_not (sn_date_valid (invalid [i]), "%s is not a date", invalid [i]);
    cr_expect_not (sn_date_valid (NULL));
    int y = 0, m = 0, d = 0;
    cr_assert_eq (sn_date_parse ("2024-02-29", &y, &m, &d), 0);
    cr_expect (y == 2024 && m == 2 && d == 29, "parts %d %d %d", y, m, d);
    cr_assert_eq (sn_date_parse ("2026-+1-01", &y, &m, &d), -1);
}

//  Array literals for PostgreSQL: each element quoted, its quotes and
//  backslashes escaped; an empty text is an empty element, not a NULL.
Test (arrays, texts_are_quoted_and_escaped)
{
    char *items [] = {"a", "say \"ciao\"", "back\\slash", "", "{,}"};
    char *array = sn_text_array (items, 5);
    cr_assert_str_eq (array, "{\"a\",\"say \\\"ciao\\\"\",\"back\\\\slash\",\"\",\"{,}\"}");
    free (array);
    array = sn_text_array (items, 0);
    cr_assert_str_eq (array, "{}");
    free (array);
}

//  The one builder: NULL is a NULL element, numbers by hand (negative
//  ones, and cents with their leading zeros), bytes in hex, raw tokens as
//  they are; it goes on after sn_array_end, and reset keeps nothing.
Test (arrays, every_kind_of_element_is_written_as_postgresql_reads_it)
{
    sn_array_t a = SN_ARRAY_INIT;
    cr_assert_str_eq (sn_array_end (&a), "{}");
    sn_array_text (&a, NULL);
    sn_array_int (&a, 0);
    sn_array_int (&a, -42);
    sn_array_int (&a, 9223372036854775807LL);
    sn_array_int (&a, -9223372036854775807LL - 1);
    cr_assert_str_eq (sn_array_end (&a), "{NULL,0,-42,9223372036854775807,-9223372036854775808}");
    sn_array_cents (&a, 7.5);
    sn_array_cents (&a, 0.05);
    sn_array_cents (&a, -0.05);
    sn_array_cents (&a, 12);
    sn_array_cents (&a, 0.004);
    cr_assert_eq (sn_array_size (&a), 10);
    sn_array_reset (&a);
    cr_assert_eq (sn_array_size (&a), 0);
    sn_array_cents (&a, 7.5);
    sn_array_cents (&a, 0.05);
    sn_array_cents (&a, -0.05);
    sn_array_cents (&a, 12);
    sn_array_cents (&a, 0.004);
    cr_assert_str_eq (sn_array_end (&a), "{7.50,0.05,-0.05,12.00,0.00}");
    sn_array_reset (&a);
    const uint8_t bytes [] = {0x00, 0xff, 0x1a};
    sn_array_bytea (&a, bytes, 3);
    sn_array_raw (&a, "2026-11-24", 10);
    sn_array_raw (&a, "3x", 1);
    sn_array_text (&a, "");
    cr_assert_str_eq (sn_array_end (&a), "{\"\\\\x00ff1a\",2026-11-24,3,\"\"}");
    sn_array_free (&a);
    cr_assert_str_eq (sn_array_end (&a), "{}");
    sn_array_free (&a);
}

//  --- what comes from outside, on the wire (sn_wire) -----------------------------

#include "codec_test.pb-c.h"
#include "sn_wire.h"

//  Packs msg and checks it as desc; the field and why of a refusal.
static int
s_wire (const ProtobufCMessage *msg, char *field, char *why)
{
    size_t len = protobuf_c_message_get_packed_size (msg);
    uint8_t *data = (uint8_t *) malloc (len + 1);
    protobuf_c_message_pack (msg, data);
    int rc = sn_wire_check (msg->descriptor, data, len, field, 96, why, 160);
    free (data);
    return rc;
}

Test (wire, a_good_message_passes_and_unknown_fields_are_passed_over)
{
    Snodo__Test__Everything m = SNODO__TEST__EVERYTHING__INIT;
    Snodo__Test__Inner inner = SNODO__TEST__INNER__INIT;
    inner.label = "Zanè Niccolò, società 🙂";
    m.a_string = "ciao";
    m.inner = &inner;
    m.colour = SNODO__TEST__COLOUR__COLOUR_DARK_BLUE;
    Snodo__Test__Colour colours [2] = {SNODO__TEST__COLOUR__COLOUR_RED, SNODO__TEST__COLOUR__COLOUR_DARK_BLUE};
    m.colours = colours;
    m.n_colours = 2;
    int32_t numbers [3] = {-1, 0, 2147483647};
    m.numbers = numbers;
    m.n_numbers = 3;
    char field [96], why [160];
    cr_assert_eq (s_wire (&m.base, field, why), 0, "%s %s", field, why);
    //  field 99, a varint and a string: not ours, passed over
    uint8_t unknown [] = {0x98, 0x06, 0x01, 0x9a, 0x06, 0x02, 'o', 'k'};
    cr_expect_eq (sn_wire_check (&snodo__test__everything__descriptor, unknown, sizeof unknown, field, 96, why, 160),
                  0, "%s", why);
}

Test (wire, a_string_with_a_nul_or_not_utf8_is_refused_naming_the_field)
{
    const char *bad [] = {"NA\xc3\x28", "\xc0\x80", "\xed\xa0\x80", "\xf4\x90\x80\x80", "\xff", "ab\xe2\x82", NULL};
    char field [96], why [160];
    for (int i = 0; bad [i]; i++) {
        Snodo__Test__Everything m = SNODO__TEST__EVERYTHING__INIT;
        m.a_string = (char *) bad [i];
        cr_expect_eq (s_wire (&m.base, field, why), -1, "case %d passed", i);
        cr_expect_str_eq (field, "a_string");
        cr_expect_str_eq (why, "is not UTF-8 text");
    }
    //  a NUL inside, where C would see only "NA": packed by hand
    uint8_t nul [] = {0x52, 0x06, 'N', 'A', 0, 'E', 'X', 'X'};       //  field 10, length 6
    cr_expect_eq (sn_wire_check (&snodo__test__everything__descriptor, nul, sizeof nul, field, 96, why, 160), -1);
    cr_expect_str_eq (field, "a_string");
    cr_expect_str_eq (why, "holds a NUL byte");
    //  inside a nested message, and an element of a repeated one
    Snodo__Test__Everything m = SNODO__TEST__EVERYTHING__INIT;
    Snodo__Test__Inner ok = SNODO__TEST__INNER__INIT, broken = SNODO__TEST__INNER__INIT;
    ok.label = "ok";
    broken.label = "\xff";
    Snodo__Test__Inner *inners [3] = {&ok, &ok, &broken};
    m.inners = inners;
    m.n_inners = 3;
    cr_expect_eq (s_wire (&m.base, field, why), -1);
    cr_expect_str_eq (field, "inners[2].label");
    const char *words [2] = {"uno", "\xc3"};
    Snodo__Test__Everything w = SNODO__TEST__EVERYTHING__INIT;
    w.words = (char **) words;
    w.n_words = 2;
    cr_expect_eq (s_wire (&w.base, field, why), -1);
    cr_expect_str_eq (field, "words[1]");
}

Test (wire, an_enum_value_its_enum_does_not_have_is_refused)
{
    char field [96], why [160];
    Snodo__Test__Everything m = SNODO__TEST__EVERYTHING__INIT;
    m.colour = (Snodo__Test__Colour) 99;
    cr_expect_eq (s_wire (&m.base, field, why), -1);
    cr_expect_str_eq (field, "colour");
    cr_expect_str_eq (why, "99 is not a value of snodo.test.Colour");
    Snodo__Test__Everything r = SNODO__TEST__EVERYTHING__INIT;
    Snodo__Test__Colour colours [3] = {SNODO__TEST__COLOUR__COLOUR_RED, (Snodo__Test__Colour) -3,
                                       SNODO__TEST__COLOUR__COLOUR_RED};
    r.colours = colours;
    r.n_colours = 3;
    cr_expect_eq (s_wire (&r.base, field, why), -1, "packed");
    cr_expect_str_eq (why, "-3 is not a value of snodo.test.Colour");
}

Test (wire, a_repeated_field_past_its_bound_and_nesting_too_deep_are_refused)
{
    char field [96], why [160];
    Snodo__Test__Everything m = SNODO__TEST__EVERYTHING__INIT;
    int32_t *numbers = (int32_t *) calloc (SN_WIRE_MAX_REPEATED + 1, sizeof (int32_t));
    m.numbers = numbers;
    m.n_numbers = SN_WIRE_MAX_REPEATED;
    cr_expect_eq (s_wire (&m.base, field, why), 0, "at the bound: %s", why);
    m.n_numbers = SN_WIRE_MAX_REPEATED + 1;
    cr_expect_eq (s_wire (&m.base, field, why), -1);
    cr_expect_str_eq (field, "numbers");
    cr_expect (strstr (why, "more than 1000 elements"), "%s", why);
    free (numbers);
    Snodo__Test__Node nodes [SN_WIRE_MAX_DEPTH + 2];
    for (int i = 0; i < SN_WIRE_MAX_DEPTH + 2; i++) {
        snodo__test__node__init (&nodes [i]);
        nodes [i].name = "n";
        nodes [i].child = i + 1 < SN_WIRE_MAX_DEPTH + 2 ? &nodes [i + 1] : NULL;
    }
    nodes [SN_WIRE_MAX_DEPTH].child = NULL;
    cr_expect_eq (s_wire (&nodes [0].base, field, why), 0, "at the depth: %s", why);
    nodes [SN_WIRE_MAX_DEPTH].child = &nodes [SN_WIRE_MAX_DEPTH + 1];
    cr_expect_eq (s_wire (&nodes [0].base, field, why), -1);
    cr_expect (strstr (why, "deeper"), "%s", why);
}

Test (wire, a_message_field_given_twice_is_refused_as_protobuf_c_would_merge_it_past_the_bound)
{
    char field [96], why [160];
    //  inners's elements come in any number of pieces; inner only once
    Snodo__Test__Everything m = SNODO__TEST__EVERYTHING__INIT;
    Snodo__Test__Inner inner = SNODO__TEST__INNER__INIT;
    inner.label = "x";
    m.inner = &inner;
    size_t len = protobuf_c_message_get_packed_size (&m.base);
    uint8_t *twice = (uint8_t *) malloc (2 * len);
    protobuf_c_message_pack (&m.base, twice);
    memcpy (twice + len, twice, len);
    ProtobufCMessage *merged = protobuf_c_message_unpack (&snodo__test__everything__descriptor, NULL, 2 * len, twice);
    cr_assert (merged, "protobuf-c takes the field twice (and merges it)");
    protobuf_c_message_free_unpacked (merged, NULL);
    cr_expect_eq (sn_wire_check (&snodo__test__everything__descriptor, twice, 2 * len, field, 96, why, 160), -1);
    cr_expect_str_eq (field, "inner");
    cr_expect_str_eq (why, "is given more than once");
    free (twice);
    //  deeper down: a child given twice
    Snodo__Test__Node node = SNODO__TEST__NODE__INIT;
    Snodo__Test__Node child = SNODO__TEST__NODE__INIT;
    node.child = &child;
    child.name = "c";
    len = protobuf_c_message_get_packed_size (&node.base);
    twice = (uint8_t *) malloc (2 * len);
    protobuf_c_message_pack (&node.base, twice);
    memcpy (twice + len, twice, len);
    cr_expect_eq (sn_wire_check (&snodo__test__node__descriptor, twice, 2 * len, field, 96, why, 160), -1);
    cr_expect_str_eq (field, "child");
    free (twice);
    Snodo__Test__Everything r = SNODO__TEST__EVERYTHING__INIT;
    Snodo__Test__Inner *inners [2] = {&inner, &inner};
    r.inners = inners;
    r.n_inners = 2;
    cr_expect_eq (s_wire (&r.base, field, why), 0, "a repeated message's elements: %s", why);
}

Test (wire, bytes_that_are_not_a_message_are_refused)
{
    char field [96], why [160];
    const struct {
        uint8_t data [8];
        size_t len;
    } cases [] = {
        {{0x52, 0x10, 'a'}, 3},                 //  a length past the end
        {{0x08}, 1},                            //  a varint cut short
        {{0x0b, 0x00}, 2},                      //  a group (wire type 3)
        {{0x00, 0x01}, 2},                      //  field number 0
        {{0x09, 1, 2, 3}, 4},                   //  a fixed64 cut short
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases [0]; i++)
        cr_expect_eq (sn_wire_check (&snodo__test__everything__descriptor, cases [i].data, cases [i].len,
                                     field, 96, why, 160), -1, "case %zu passed", i);
}

Test (wire, an_echo_cut_at_a_byte_count_is_made_utf8_again)
{
    char cut [] = "abc\xc3";
    sn_utf8_repair (cut);
    cr_expect_str_eq (cut, "abc");
    char cut3 [] = "x\xe2\x82";
    sn_utf8_repair (cut3);
    cr_expect_str_eq (cut3, "x");
    char bad [] = "a\xff" "b\xc0\x80" "c";
    sn_utf8_repair (bad);
    cr_expect_str_eq (bad, "a?b??c");
    char good [] = "Zanè Niccolò 🙂";
    sn_utf8_repair (good);
    cr_expect_str_eq (good, "Zanè Niccolò 🙂");
    cr_expect (sn_utf8_valid (good, strlen (good)));
}
