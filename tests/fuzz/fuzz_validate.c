/*  fuzz_validate: the validators (sn_validate: codice fiscale, partita IVA,
    ATECO, the codice fiscale's check character, builder and birth date; and
    sn_check's dates and UUIDs, sn_wire's UTF-8) against their properties
    and against plain references written here.

    The first byte picks the target; the rest is its input.

    What must hold, beyond not crashing:
      - a reason is written whatever the buffer's size, within it, NUL
        ended, in lower case, printable ASCII (it goes into replies), and the
        verdict does not depend on the buffer;
      - a valid codice fiscale has its shape and check character; its birth
        date exists, in the century before the reference year; the same code
        with any of its digits written as omocodia letters (check character
        made again) is valid with the same birth; one character changed for
        another of its kind, without making the check character again, is
        not;
      - a valid partita IVA is also a valid temporary codice fiscale, and one
        digit changed makes it invalid (the check digit sees every such
        change);
      - ATECO codes, dates and UUIDs are accepted exactly when a plain
        reference accepts them; a date read is the text written back;
      - a built codice fiscale is valid and gives back the birth date, sex
        and place it was built from; building refuses exactly the input a
        plain reference refuses;
      - sn_utf8_valid agrees with iconv; sn_utf8_repair makes any text UTF-8
        and leaves UTF-8 as it was. */
#include "fuzz_support.h"
#include "sn_check.h"
#include "sn_validate.h"
#include "sn_wire.h"
#include <ctype.h>
#include <errno.h>
#include <iconv.h>
#include <string.h>
#include <time.h>

typedef bool (s_validator_fn) (const char *text, char *err, size_t errlen);

static const char s_omocodia [] = "LMNPQRSTUV";
static const char s_months [] = "ABCDEHLMPRST";
//  The positions (0-based) of a 16-character code that hold digits.
static const int s_digit_positions [7] = {6, 7, 9, 10, 12, 13, 14};

//  validate (text) with err buffers of every small size and none: the same
//  verdict, the reason within the buffer and as a reply may carry it.
//  Returns the verdict.
static bool
s_verdict (s_validator_fn *validate, const char *text, const char *what)
{
    char err [256];
    memset (err, 0x7f, sizeof err);
    bool valid = validate (text, err, sizeof err);
    FUZZ_CHECK (validate (text, NULL, 0) == valid, "%s: the verdict depends on the buffer", what);
    if (!valid) {
        size_t len = strnlen (err, sizeof err);
        FUZZ_CHECK (len > 0 && len < sizeof err, "%s: the reason is empty or not ended", what);
        FUZZ_CHECK (islower ((unsigned char) err [0]), "%s: the reason is not in lower case: %s", what, err);
        FUZZ_CHECK (err [len - 1] != '.', "%s: the reason ends with a period: %s", what, err);
        for (size_t i = 0; i < len; i++)
            FUZZ_CHECK (err [i] >= 0x20 && err [i] < 0x7f, "%s: the reason holds byte 0x%02x", what,
                        (unsigned char) err [i]);
    }
    for (size_t size = 1; size <= 8; size++) {
        char small [16];
        memset (small, 'Z', sizeof small);
        FUZZ_CHECK (validate (text, small, size) == valid, "%s: the verdict depends on the buffer", what);
        for (size_t i = size; i < sizeof small; i++)
            FUZZ_CHECK (small [i] == 'Z', "%s: a reason written past a buffer of %zu", what, size);
        if (!valid)
            FUZZ_CHECK (memchr (small, 0, size), "%s: a reason not ended in a buffer of %zu", what, size);
    }
    return valid;
}

static bool
s_is_leap (int year)
{
    return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
}

//  True if the day exists, by the C library's calendar.
static bool
s_day_exists (int year, int month, int day)
{
    struct tm tm = {0};
    tm.tm_year = year - 1900;
    tm.tm_mon = month - 1;
    tm.tm_mday = day;
    tm.tm_hour = 12;
    time_t t = timegm (&tm);
    struct tm back;
    gmtime_r (&t, &back);
    return back.tm_year == year - 1900 && back.tm_mon == month - 1 && back.tm_mday == day;
}

typedef struct {
    int year, month, day;
    char sex;
} s_birth_t;

//  The value of a digit position: a digit or its omocodia letter.
static int
s_digit (char c)
{
    return c >= '0' && c <= '9' ? c - '0' : (int) (strchr (s_omocodia, c) - s_omocodia);
}

//  A valid 16-character code's birth for ref_year, with its properties.
//  Returns 0, or -1 for 29 February of a year that is not a leap year.
static int
s_birth (const char *cf, int ref_year, s_birth_t *birth)
{
    int rc = sn_codice_fiscale_birth (cf, ref_year, &birth->year, &birth->month, &birth->day, &birth->sex);
    if (rc) {
        int yy = s_digit (cf [6]) * 10 + s_digit (cf [7]);
        int year =
            yy <= ref_year % 100 ? ref_year - ref_year % 100 + yy : ref_year - ref_year % 100 - 100 + yy;
        int day = (s_digit (cf [9]) * 10 + s_digit (cf [10])) % 40;
        FUZZ_CHECK (cf [8] == 'B' && day == 29 && !s_is_leap (year), "%s: no birth for reference %d", cf,
                    ref_year);
        return -1;
    }
    FUZZ_CHECK (birth->year > ref_year - 100 && birth->year <= ref_year, "%s: born in %d for reference %d",
                cf, birth->year, ref_year);
    FUZZ_CHECK (s_day_exists (birth->year, birth->month, birth->day), "%s: born on %d-%d-%d, a day that does "
                "not exist", cf, birth->year, birth->month, birth->day);
    FUZZ_CHECK (birth->sex == 'M' || birth->sex == 'F', "%s: sex '%c'", cf, birth->sex);
    return 0;
}

//  The same code with the digits of mask (bits over s_digit_positions)
//  written as omocodia letters, and its check character made again.
static void
s_omocodia_of (const char *cf, unsigned mask, char *out)
{
    memcpy (out, cf, 17);
    for (int i = 0; i < 7; i++) {
        char *c = &out [s_digit_positions [i]];
        if ((mask & (1u << i)) && *c >= '0' && *c <= '9')
            *c = s_omocodia [*c - '0'];
    }
    out [15] = sn_codice_fiscale_check_char (out);
}

//  A valid 16-character code: its shape, birth, omocodia, and one change.
static void
s_valid_code (const char *cf, fuzz_bytes_t *in)
{
    for (int i = 0; i < 16; i++)
        FUZZ_CHECK (isupper ((unsigned char) cf [i]) || isdigit ((unsigned char) cf [i]), "%s is valid", cf);
    FUZZ_CHECK (sn_codice_fiscale_check_char (cf) == cf [15], "%s is valid with another check character", cf);
    int ref_year = 100 + (fuzz_take_byte (in) << 8 | fuzz_take_byte (in)) % 9900;
    s_birth_t birth, again;
    int rc = s_birth (cf, ref_year, &birth);
    char other [17];
    s_omocodia_of (cf, fuzz_take_byte (in), other);
    FUZZ_CHECK (sn_validate_codice_fiscale (other, NULL, 0), "%s is valid, its omocodia %s is not", cf,
                other);
    FUZZ_CHECK (s_birth (other, ref_year, &again) == rc, "%s and its omocodia %s differ", cf, other);
    FUZZ_CHECK (rc || (birth.year == again.year && birth.month == again.month && birth.day == again.day
                       && birth.sex == again.sex), "%s and its omocodia %s differ", cf, other);
    //  one character for another of its kind, the check character as it was
    int at = fuzz_take_byte (in) % 15;
    memcpy (other, cf, 17);
    char *c = &other [at];
    if (at == 8)
        *c = s_months [(strchr (s_months, *c) - s_months + 1) % 12];
    else
    if (isdigit ((unsigned char) *c))
        *c = (char) ('0' + (*c - '0' + 1) % 10);
    else
    if (at < 6 || at == 11)
        *c = (char) ('A' + (*c - 'A' + 1) % 26);
    else
        return;     //  an omocodia letter: its kind is a digit's
    FUZZ_CHECK (!sn_validate_codice_fiscale (other, NULL, 0), "%s is valid, and so is %s, one character "
                "changed", cf, other);
}

static void
s_codice_fiscale (fuzz_bytes_t *in)
{
    char *text = fuzz_take_until (in, 0, NULL);
    bool valid = s_verdict (sn_validate_codice_fiscale, text, "codice fiscale");
    size_t len = strlen (text);
    if (valid && len == 16)
        s_valid_code (text, in);
    else
    if (valid) {
        FUZZ_CHECK (len == 11 && strspn (text, "0123456789") == 11, "\"%s\" is a valid codice fiscale", text);
        FUZZ_CHECK (sn_codice_fiscale_birth (text, 2026, NULL, NULL, NULL, NULL) == -1,
                    "a temporary code %s has a birth date", text);
    }
    free (text);
}

static void
s_partita_iva (fuzz_bytes_t *in)
{
    char *text = fuzz_take_until (in, 0, NULL);
    if (s_verdict (sn_validate_partita_iva, text, "partita IVA")) {
        FUZZ_CHECK (strlen (text) == 11 && strspn (text, "0123456789") == 11, "\"%s\" is a valid partita IVA",
                    text);
        FUZZ_CHECK (sn_validate_codice_fiscale (text, NULL, 0),
                    "%s: a partita IVA that is not a codice fiscale", text);
        uint8_t pick = fuzz_take_byte (in);
        char other [12];
        memcpy (other, text, 12);
        other [pick % 11] = (char) ('0' + (other [pick % 11] - '0' + 1 + pick / 11 % 9) % 10);
        FUZZ_CHECK (!sn_validate_partita_iva (other, NULL, 0), "%s and %s, one digit apart, are both valid",
                    text, other);
    }
    free (text);
}

//  ATECO, by the plain reference: "NN", "NN.N", "NN.NN", "NN.NN.N" or
//  "NN.NN.NN", division 01-99.
static bool
s_ateco_reference (const char *code)
{
    static const char *const layouts [] = {"99", "99.9", "99.99", "99.99.9", "99.99.99", NULL};
    for (int i = 0; layouts [i]; i++) {
        const char *l = layouts [i];
        if (strlen (code) != strlen (l))
            continue;
        bool fits = true;
        for (size_t k = 0; l [k] && fits; k++)
            fits = l [k] == '.' ? code [k] == '.' : isdigit ((unsigned char) code [k]) != 0;
        if (fits)
            return !(code [0] == '0' && code [1] == '0');
    }
    return false;
}

static void
s_ateco (fuzz_bytes_t *in)
{
    char *text = fuzz_take_until (in, 0, NULL);
    bool valid = s_verdict (sn_validate_ateco, text, "ATECO");
    FUZZ_CHECK (valid == s_ateco_reference (text), "ATECO \"%s\": %s", text, valid ? "valid" : "refused");
    free (text);
}

//  A name the builder takes: ASCII letters, spaces and apostrophes, a letter at least.
static bool
s_name_reference (const char *name)
{
    bool letter = false;
    for (const char *p = name; *p; p++) {
        if (isalpha ((unsigned char) *p) && (unsigned char) *p < 0x80)
            letter = true;
        else
        if (*p != ' ' && *p != '\'')
            return false;
    }
    return letter;
}

static void
s_build (fuzz_bytes_t *in)
{
    char sex = (char) fuzz_take_byte (in);
    int year = fuzz_take_byte (in) << 8;
    year |= fuzz_take_byte (in);
    int month = (int8_t) fuzz_take_byte (in);
    int day = (int8_t) fuzz_take_byte (in);
    char *surname = fuzz_take_until (in, 0, NULL);
    char *name = fuzz_take_until (in, 0, NULL);
    char *place = fuzz_take_until (in, 0, NULL);
    char code [32];
    memset (code, 'Z', sizeof code);
    int rc = sn_codice_fiscale_build (surname, name, year, month, day, sex, place, code);
    bool date_ok = year >= 1 && year <= 9999 && month >= 1 && month <= 12 && day >= 1
                && day <= (month == 2 ? 28 + s_is_leap (year) : 31 - (month == 4 || month == 6 || month == 9
                                                                        || month == 11));
    bool place_ok = strlen (place) == 4 && isalpha ((unsigned char)place [0]) &&
                    (unsigned char)place [0] < 0x80 && strspn (place + 1, "0123456789") == 3;
    bool expected = date_ok && (sex == 'M' || sex == 'F') && place_ok && s_name_reference (surname)
                 && s_name_reference (name);
    FUZZ_CHECK ((rc == 0) == expected, "building from \"%s\" \"%s\" %d-%d-%d '%c' \"%s\": %s", surname, name,
                year, month, day, sex, place, rc == 0 ? "built" : "refused");
    if (rc == 0) {
        FUZZ_CHECK (strlen (code) == 16 && code [17] == 'Z', "a built code of %zu characters", strlen (code));
        FUZZ_CHECK (sn_validate_codice_fiscale (code, NULL, 0), "built %s, which is not valid", code);
        FUZZ_CHECK (code [11] == toupper ((unsigned char) place [0]) && memcmp (code + 12, place + 1, 3) == 0,
                    "built %s for place %s", code, place);
        s_birth_t birth;
        if (year >= 100) {
            FUZZ_CHECK (s_birth (code, year, &birth) == 0 && birth.year == year && birth.month == month &&
                            birth.day == day && birth.sex == sex,
                        "built %s for %d-%d-%d '%c', which gives back %d-%d-%d '%c'", code, year, month, day,
                        sex, birth.year, birth.month, birth.day, birth.sex);
        }
    }
    else
        FUZZ_CHECK (code [0] == 'Z', "a refused build wrote its output");
    free (surname);
    free (name);
    free (place);
}

//  A date, by the plain reference: YYYY-MM-DD, digits, 1900-2200, a day that exists.
static bool
s_date_reference (const char *text)
{
    int y, m, d, n = 0;
    if (strlen (text) != 10 || strspn (text, "0123456789-") != 10 || text [4] != '-' || text [7] != '-'
    ||  strchr (text + 8, '-') || memchr (text, '-', 4) || memchr (text + 5, '-', 2))
        return false;
    if (sscanf (text, "%4d-%2d-%2d%n", &y, &m, &d, &n) != 3 || n != 10)
        return false;
    return y >= 1900 && y <= 2200 && m >= 1 && m <= 12 && d >= 1 && s_day_exists (y, m, d);
}

static void
s_date (fuzz_bytes_t *in)
{
    char *text = fuzz_take_until (in, 0, NULL);
    int y, m, d;
    bool valid = sn_date_parse (text, &y, &m, &d) == 0;
    FUZZ_CHECK (valid == sn_date_valid (text), "sn_date_valid and sn_date_parse differ on \"%s\"", text);
    FUZZ_CHECK (valid == s_date_reference (text), "date \"%s\": %s", text, valid ? "valid" : "refused");
    if (valid) {
        char back [32];
        snprintf (back, sizeof back, "%04d-%02d-%02d", y, m, d);
        FUZZ_CHECK (strcmp (back, text) == 0, "date \"%s\" read as %s", text, back);
        FUZZ_CHECK (d <= sn_month_days (y, m), "date \"%s\" past its month's %d days", text,
                    sn_month_days (y, m));
    }
    free (text);
}

static void
s_uuid (fuzz_bytes_t *in)
{
    char *text = fuzz_take_until (in, 0, NULL);
    bool expected = strlen (text) == 36;
    for (int i = 0; expected && i < 36; i++)
        expected =
            (i == 8 || i == 13 || i == 18 || i == 23) ? text [i] == '-' : isxdigit ((unsigned char)text [i]);
    FUZZ_CHECK (sn_is_uuid (text) == expected, "UUID \"%s\": %s", text, expected ? "refused" : "valid");
    free (text);
}

//  UTF-8 by iconv: true if all len bytes convert.
static bool
s_utf8_reference (const char *text, size_t len)
{
    static iconv_t cd = (iconv_t) -1;
    if (cd == (iconv_t) -1)
        cd = iconv_open ("UTF-32LE", "UTF-8");
    FUZZ_CHECK (cd != (iconv_t) -1, "iconv cannot convert UTF-8");
    iconv (cd, NULL, NULL, NULL, NULL);
    char *from = (char *) text;
    size_t left = len, room = 4 * len + 4;
    char *out = (char *) malloc (room), *to = out;
    size_t rc = iconv (cd, &from, &left, &to, &room);
    free (out);
    return rc != (size_t) -1 && left == 0;
}

static void
s_utf8 (fuzz_bytes_t *in)
{
    size_t len = in->size;
    const char *bytes = (const char *) in->data;
    bool valid = sn_utf8_valid (bytes, len);
    FUZZ_CHECK (valid == s_utf8_reference (bytes, len), "sn_utf8_valid says %s, iconv does not",
                valid ? "UTF-8" : "not UTF-8");
    char *text = fuzz_take_until (in, 0, NULL);
    char *before = strdup (text);
    sn_utf8_repair (text);
    size_t repaired = strlen (text);
    FUZZ_CHECK (sn_utf8_valid (text, repaired), "sn_utf8_repair left text that is not UTF-8");
    FUZZ_CHECK (repaired <= strlen (before), "sn_utf8_repair made text longer");
    if (sn_utf8_valid (before, strlen (before)))
        FUZZ_CHECK (strcmp (text, before) == 0, "sn_utf8_repair changed UTF-8 text");
    free (before);
    free (text);
}

static void
s_check_char (fuzz_bytes_t *in)
{
    char *text = fuzz_take_until (in, 0, NULL);
    char c = sn_codice_fiscale_check_char (text);
    bool expected = strlen (text) >= 15;
    for (int i = 0; expected && i < 15; i++)
        expected = isupper ((unsigned char) text [i]) || isdigit ((unsigned char) text [i]);
    FUZZ_CHECK ((c != 0) == expected, "check character of \"%s\": %d", text, c);
    FUZZ_CHECK (c == 0 || isupper ((unsigned char) c), "check character %d", c);
    free (text);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    static void (*const targets []) (fuzz_bytes_t *) = {s_codice_fiscale, s_partita_iva, s_ateco, s_build,
                                                        s_date, s_uuid, s_utf8, s_check_char};
    fuzz_bytes_t in = {data, size};
    targets [fuzz_take_byte (&in) % (sizeof targets / sizeof targets [0])](&in);
    return 0;
}
