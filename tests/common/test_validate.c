/*  Codici fiscali (with omocodia), partite IVA, ATECO codes. */
#include "sn_validate.h"
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <string.h>

//  Criterion hands parameters to a new process: they hold text, not pointers.
typedef struct {
    char code [24];
    char reason [64];       //  "" if valid, else a part of the reason
} case_t;

//  The outcome of one case: valid, or refused with the expected reason.
static void
s_expect (const case_t *c, bool ok, const char *err)
{
    if (!c->reason [0])
        cr_assert (ok, "%s must be valid: %s", c->code, err);
    else {
        cr_assert_not (ok, "%s must be refused", c->code);
        cr_assert (strstr (err, c->reason), "%s: expected \"%s\", got \"%s\"", c->code, c->reason, err);
    }
}

static case_t s_cf [] = {
    {"RSSMRA80A01H501U", ""},
    {"RSSMRA80A41H501Y", ""},             //  a woman: day + 40
    {"RSSMRA80A01H50MM", ""},             //  omocodia: the last digit of the place code
    {"RSSMRAUQA0MH5LMC", ""},             //  omocodia in every digit position
    {"BNCGLI72B47B215S", ""},             //  a woman born on 7 February
    {"RSSMRA80B29H501Q", ""},             //  29 February (the century is not in the code)
    {"00743110157", ""},                  //  temporary code, 11 digits
    {"RSSMRA80A01H501X", "check character is 'X', expected 'U'"},
    {"RSSMRA80A01H501", "must be 16 characters, got 15"},
    {"rssmra80a01h501u", "must be upper case"},
    {"RSSMRA80Z01H501U", "invalid month letter 'Z'"},
    {"RSSMRA80A32H501U", "invalid day of birth 32"},
    {"RSSMRA80B30H501U", "invalid day of birth 30 for month 2"},
    {"RSSMRA80A00H501U", "invalid day of birth 00"},
    {"RSSMRA80A01H5A1U", "position 14 must be a digit"},
    {"RSSMR180A01H501U", "position 6 must be a letter"},
    {"RSSMRA80A01H50-U", "invalid character at position 15"},
    {"00743110158", "check digit is '8', expected '7'"},
    {"", "must be 16 characters, got 0"},
};

ParameterizedTestParameters (validate, codice_fiscale)
{
    return cr_make_param_array (case_t, s_cf, sizeof s_cf / sizeof s_cf [0]);
}

ParameterizedTest (case_t *c, validate, codice_fiscale)
{
    char err [160] = "";
    s_expect (c, sn_validate_codice_fiscale (c->code, err, sizeof err), err);
}

static case_t s_piva [] = {
    {"00743110157", ""},
    {"01114601006", ""},
    {"12345670017", ""},
    {"00743110158", "check digit is '8', expected '7'"},
    {"0074311015", "must be 11 digits, got 10"},
    {"0074311015A", "must be 11 digits"},
    {"00000000000", "cannot be all zeros"},
    {"12345671507", "office code 150 does not exist"},
};

ParameterizedTestParameters (validate, partita_iva)
{
    return cr_make_param_array (case_t, s_piva, sizeof s_piva / sizeof s_piva [0]);
}

ParameterizedTest (case_t *c, validate, partita_iva)
{
    char err [160] = "";
    s_expect (c, sn_validate_partita_iva (c->code, err, sizeof err), err);
}

static case_t s_ateco [] = {
    {"10", ""}, {"10.7", ""}, {"10.71", ""}, {"10.71.1", ""}, {"10.71.10", ""},
    {"00.11", "division 00 does not exist"},
    {"1", "is not an ATECO code"},
    {"10.711", "is not an ATECO code"},
    {"10-71", "is not an ATECO code"},
    {"AB.CD", "is not an ATECO code"},
    {"", "is not an ATECO code"},
};

ParameterizedTestParameters (validate, ateco)
{
    return cr_make_param_array (case_t, s_ateco, sizeof s_ateco / sizeof s_ateco [0]);
}

ParameterizedTest (case_t *c, validate, ateco)
{
    char err [160] = "";
    s_expect (c, sn_validate_ateco (c->code, err, sizeof err), err);
}

Test (validate, build_and_decode)
{
    char cf [17];
    cr_assert_eq (sn_codice_fiscale_build ("Rossi", "Mario", 1980, 1, 1, 'M', "H501", cf), 0);
    cr_assert_str_eq (cf, "RSSMRA80A01H501U");
    cr_assert_eq (sn_codice_fiscale_build ("De Marchi", "Giulia", 1972, 2, 7, 'F', "B215", cf), 0);
    cr_assert_str_eq (cf, "DMRGLI72B47B215B");
    cr_assert (sn_validate_codice_fiscale (cf, NULL, 0));
    //  a name with four consonants takes the 1st, 3rd and 4th
    cr_assert_eq (sn_codice_fiscale_build ("Fo", "Francesco", 2001, 12, 31, 'M', "G888", cf), 0);
    cr_assert_eq (strncmp (cf, "FOXFNC01T31G888", 15), 0, "%s", cf);
    cr_assert_eq (sn_codice_fiscale_build ("Rossi", "Mario", 1980, 13, 1, 'M', "H501", cf), -1);
    cr_assert_eq (sn_codice_fiscale_build ("Rossi", "Mario", 1980, 1, 1, 'X', "H501", cf), -1);
    int y, m, d;
    char sex;
    cr_assert_eq (sn_codice_fiscale_birth ("RSSMRAUQA0MH5LMC", 2026, &y, &m, &d, &sex), 0);
    cr_assert_eq (y, 1984, "UQ is 84 in omocodia");
    cr_assert_eq (m, 1);
    cr_assert_eq (d, 1);
    cr_assert_eq (sex, 'M');
    cr_assert_eq (sn_codice_fiscale_birth ("BNCGLI72B47B215S", 2026, &y, &m, &d, &sex), 0);
    cr_assert_eq (d, 7);
    cr_assert_eq (sex, 'F');
    cr_assert_eq (sn_codice_fiscale_birth ("RSSMRA80A01H501X", 2026, &y, &m, &d, &sex), -1);
}
