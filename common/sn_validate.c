/*  sn_validate: codice fiscale (with omocodia), partita IVA, ATECO codes.

    The codice fiscale follows DM 23 December 1976 (and DM 12 March 1974 for
    the check character); the partita IVA follows DPR 633/1972 art. 35 and its
    check digit algorithm; ATECO codes follow the ISTAT classification
    layout. Characters are compared as ASCII, never through the locale. */
#include "sn_validate.h"
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

//  Month letters, January to December.
static const char s_months [] = "ABCDEHLMPRST";
//  Omocodia letters, standing for 0 to 9.
static const char s_omocodia [] = "LMNPQRSTUV";
//  What each position of a 16-character code holds: a Letter, a Digit (or
//  its omocodia letter), the Month letter, the Check character.
static const char s_shape [] = "LLLLLLDDMDDLDDDC";
//  Days in each month; February has 29 as the century is not in the code.
static const int s_month_days [12] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
static const char *const s_month_names [12] = {"january",   "february", "march",    "april",
                                               "may",       "june",     "july",     "august",
                                               "september", "october",  "november", "december"};
//  Values of the characters in odd positions (1st, 3rd, ... 15th).
static const int s_odd_digits [10] = {1, 0, 5, 7, 9, 13, 15, 17, 19, 21};
static const int s_odd_letters [26] = {1,  0,  5, 7, 9, 13, 15, 17, 19, 21, 2,  4,  18,
                                       20, 11, 3, 6, 8, 12, 14, 16, 10, 22, 25, 24, 23};

#if defined(__GNUC__)
static bool s_fail (char *err, size_t errlen, const char *format, ...)
    __attribute__ ((format (printf, 3, 4)));
#endif

//  Writes the reason of a failure into err, if any; returns false.
static bool
s_fail (char *err, size_t errlen, const char *format, ...)
{
    if (err && errlen > 0) {
        va_list args;
        va_start (args, format);
        vsnprintf (err, errlen, format, args);
        va_end (args);
    }
    return false;
}

static bool
s_is_digit (char c)
{
    return c >= '0' && c <= '9';
}

static bool
s_is_upper (char c)
{
    return c >= 'A' && c <= 'Z';
}

static bool
s_is_lower (char c)
{
    return c >= 'a' && c <= 'z';
}

//  A character as a reason shows it: 'c' if printable ASCII, else its byte.
static const char *
s_show (char c, char *buffer, size_t size)
{
    unsigned char u = (unsigned char) c;
    if (u >= 0x20 && u < 0x7f && c != '\'')
        snprintf (buffer, size, "'%c'", c);
    else
    if (c == '\'')
        snprintf (buffer, size, "an apostrophe");
    else
        snprintf (buffer, size, "byte 0x%02x", u);
    return buffer;
}

//  The value of a digit position: a digit or its omocodia letter; -1 if neither.
static int
s_digit_value (char c)
{
    if (s_is_digit (c))
        return c - '0';
    const char *found = c ? strchr (s_omocodia, c) : NULL;
    return found ? (int) (found - s_omocodia) : -1;
}

//  The month (1-12) of a month letter, or 0.
static int
s_month_value (char c)
{
    const char *found = c ? strchr (s_months, c) : NULL;
    return found ? (int) (found - s_months) + 1 : 0;
}

static bool
s_is_leap (int year)
{
    return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
}

//  The days of a month in a given year.
static int
s_days_in (int month, int year)
{
    if (month == 2)
        return s_is_leap (year) ? 29 : 28;
    return s_month_days [month - 1];
}

/*  The check character of the first 15 characters of a codice fiscale
    (upper-case letters and digits; the rest of the string is ignored), or 0
    if they are not 15 such characters. Stops at a NUL: never reads past it. */
char
sn_codice_fiscale_check_char (const char *first15)
{
    if (!first15)
        return 0;
    int sum = 0;
    for (int i = 0; i < 15; i++) {
        char c = first15 [i];
        bool odd = i % 2 == 0;          //  the 1st character is at position 1
        if (s_is_digit (c))
            sum += odd ? s_odd_digits [c - '0'] : c - '0';
        else
        if (s_is_upper (c))
            sum += odd ? s_odd_letters [c - 'A'] : c - 'A';
        else
            return 0;                   //  includes the NUL of a short string
    }
    return (char) ('A' + sum % 26);
}

//  The check digit of the first 10 digits of an 11-digit code.
static char
s_numeric_check (const char *digits)
{
    int sum = 0;
    for (int i = 0; i < 10; i++) {
        int d = digits [i] - '0';
        if (i % 2 == 1) {               //  2nd, 4th, ... 10th: doubled
            d *= 2;
            if (d > 9)
                d -= 9;
        }
        sum += d;
    }
    return (char) ('0' + (10 - sum % 10) % 10);
}

//  An 11-digit code (partita IVA, or temporary codice fiscale); the office
//  code is checked only for a partita IVA.
static bool
s_check_numeric (const char *code, bool check_office, char *err, size_t errlen)
{
    char shown [16];
    bool zeros = true;
    for (int i = 0; i < 11; i++) {
        if (!s_is_digit (code [i]))
            return s_fail (err, errlen, "expected a digit at position %d, got %s", i + 1,
                           s_show (code [i], shown, sizeof shown));
        if (code [i] != '0')
            zeros = false;
    }
    if (zeros)
        return s_fail (err, errlen, "must not be all zeros");
    if (check_office) {
        int office = (code [7] - '0') * 100 + (code [8] - '0') * 10 + (code [9] - '0');
        if (!((office >= 1 && office <= 100) || office == 120 || office == 121 || office == 888
              || office == 999))
            return s_fail (err, errlen,
                           "invalid office code %03d at positions 8-10, "
                           "expected 001-100, 120, 121, 888 or 999",
                           office);
    }
    char expected = s_numeric_check (code);
    if (code [10] != expected)
        return s_fail (err, errlen, "check digit is '%c', expected '%c'", code [10], expected);
    return true;
}

/*  A codice fiscale: 16 upper-case characters LLLLLL DD L DD L DDD L, digits
    possibly replaced by omocodia letters, an existing day of birth (41-71 for
    women; 29 February always), and the check character; or a temporary
    11-digit code. Returns true if valid, else false with the reason in err. */
bool
sn_validate_codice_fiscale (const char *cf, char *err, size_t errlen)
{
    if (!cf)
        return s_fail (err, errlen, "is missing");
    size_t length = strlen (cf);
    if (length == 0)
        return s_fail (err, errlen, "is empty");
    if (length == 11 && s_is_digit (cf [0]))
        return s_check_numeric (cf, false, err, errlen);
    if (length != 16)
        return s_fail (err, errlen, "must be 16 characters, got %zu", length);
    for (int i = 0; i < 16; i++)
        if (s_is_lower (cf [i]))
            return s_fail (err, errlen, "must be upper case");

    char shown [16];
    for (int i = 0; i < 16; i++) {
        char c = cf [i];
        int position = i + 1;
        switch (s_shape [i]) {
            case 'D':
                if (s_digit_value (c) >= 0)
                    break;
                if (s_is_upper (c))
                    return s_fail (err, errlen,
                                   "invalid omocodia letter '%c' at position %d, "
                                   "expected a digit or one of %s",
                                   c, position, s_omocodia);
                return s_fail (err, errlen, "expected a digit at position %d, got %s", position,
                               s_show (c, shown, sizeof shown));
            case 'M':
                if (s_month_value (c))
                    break;
                return s_fail (err, errlen, "invalid month letter %s at position %d, expected one of %s",
                               s_show (c, shown, sizeof shown), position, s_months);
            default:        //  'L' and 'C'
                if (s_is_upper (c))
                    break;
                return s_fail (err, errlen, "expected a letter at position %d, got %s", position,
                               s_show (c, shown, sizeof shown));
        }
    }
    int month = s_month_value (cf [8]);
    int code_day = s_digit_value (cf [9]) * 10 + s_digit_value (cf [10]);
    int day = code_day > 40 ? code_day - 40 : code_day;
    if (code_day < 1 || (code_day > 31 && code_day < 41) || code_day > 71)
        return s_fail (err, errlen, "invalid day %02d at positions 10-11, expected 01-31 (41-71 for women)",
                       code_day);
    if (day > s_month_days [month - 1])
        return s_fail (err, errlen, "day %d does not exist in %s (month letter '%c')", day,
                       s_month_names [month - 1], cf [8]);
    char expected = sn_codice_fiscale_check_char (cf);
    if (cf [15] != expected)
        return s_fail (err, errlen, "check character is '%c', expected '%c'", cf [15], expected);
    return true;
}

/*  A partita IVA: 11 digits, not all zeros, office code (digits 8-10)
    001-100, 120, 121, 888 or 999, and the check digit. Returns true if
    valid, else false with the reason in err. */
bool
sn_validate_partita_iva (const char *piva, char *err, size_t errlen)
{
    if (!piva)
        return s_fail (err, errlen, "is missing");
    size_t length = strlen (piva);
    if (length == 0)
        return s_fail (err, errlen, "is empty");
    if (length != 11)
        return s_fail (err, errlen, "must be 11 digits, got %zu characters", length);
    return s_check_numeric (piva, true, err, errlen);
}

/*  An ATECO code: "NN", "NN.N", "NN.NN", "NN.NN.N" or "NN.NN.NN", the
    division NN 01-99. Returns true if valid, else false with the reason. */
bool
sn_validate_ateco (const char *code, char *err, size_t errlen)
{
    static const char layout [] = "DD.DD.DD";
    static const char formats [] = "NN, NN.N, NN.NN, NN.NN.N or NN.NN.NN";
    if (!code)
        return s_fail (err, errlen, "is missing");
    size_t length = strlen (code);
    if (length == 0)
        return s_fail (err, errlen, "is empty");
    if (length > 8)
        return s_fail (err, errlen, "too long (%zu characters), expected %s", length, formats);
    char shown [16];
    for (size_t i = 0; i < length; i++) {
        if (layout [i] == 'D' && !s_is_digit (code [i]))
            return s_fail (err, errlen, "expected a digit at position %zu, got %s (format %s)", i + 1,
                           s_show (code [i], shown, sizeof shown), formats);
        if (layout [i] == '.' && code [i] != '.')
            return s_fail (err, errlen, "expected '.' at position %zu, got %s (format %s)", i + 1,
                           s_show (code [i], shown, sizeof shown), formats);
    }
    if (length == 1 || length == 3 || length == 6)
        return s_fail (err, errlen, "incomplete code, expected %s", formats);
    int division = (code [0] - '0') * 10 + (code [1] - '0');
    if (division < 1)
        return s_fail (err, errlen, "division %02d out of range, expected 01-99", division);
    return true;
}

//  The three letters of a surname (or, if is_name, of a name): consonants,
//  then vowels, then X; a name with four or more consonants takes the 1st,
//  3rd and 4th. Returns -1 if the text has no letter, or holds something
//  other than ASCII letters, spaces and apostrophes.
static int
s_name_code (const char *text, bool is_name, char *out)
{
    char consonants [4], vowels [3];
    size_t nconsonants = 0, nvowels = 0;
    for (const char *p = text; *p; p++) {
        char c = *p;
        if (c == ' ' || c == '\'')
            continue;
        if (s_is_lower (c))
            c = (char) (c - 'a' + 'A');
        if (!s_is_upper (c))
            return -1;
        if (strchr ("AEIOU", c)) {
            if (nvowels < sizeof vowels)
                vowels [nvowels] = c;
            nvowels++;
        }
        else {
            if (nconsonants < sizeof consonants)
                consonants [nconsonants] = c;
            nconsonants++;
        }
    }
    if (nconsonants + nvowels == 0)
        return -1;
    if (is_name && nconsonants >= 4) {
        out [0] = consonants [0];
        out [1] = consonants [2];
        out [2] = consonants [3];
        return 0;
    }
    size_t taken = 0;
    for (size_t i = 0; i < nconsonants && taken < 3; i++)
        out [taken++] = consonants [i];
    for (size_t i = 0; i < nvowels && taken < 3; i++)
        out [taken++] = vowels [i];
    while (taken < 3)
        out [taken++] = 'X';
    return 0;
}

/*  Builds the codice fiscale of a (synthetic) person: surname and name in
    ASCII letters (spaces and apostrophes ignored), an existing birth date,
    sex 'M' or 'F', a belfiore code (a letter, any case, and 3 digits).
    Writes 16 characters and a NUL into out (17 bytes or more). Returns 0, or
    -1 on bad input, leaving out untouched. */
int
sn_codice_fiscale_build (const char *surname, const char *name, int year, int month, int day,
                         char sex, const char *belfiore, char *out)
{
    if (!surname || !name || !belfiore || !out)
        return -1;
    if (year < 1 || year > 9999 || month < 1 || month > 12 || day < 1 || day > s_days_in (month, year))
        return -1;
    if (sex != 'M' && sex != 'F')
        return -1;
    if (strlen (belfiore) != 4 || !(s_is_upper (belfiore [0]) || s_is_lower (belfiore [0]))
        || !s_is_digit (belfiore [1]) || !s_is_digit (belfiore [2]) || !s_is_digit (belfiore [3]))
        return -1;
    char code [17];
    if (s_name_code (surname, false, code) || s_name_code (name, true, code + 3))
        return -1;
    int code_day = sex == 'F' ? day + 40 : day;
    code [6] = (char) ('0' + year % 100 / 10);
    code [7] = (char) ('0' + year % 10);
    code [8] = s_months [month - 1];
    code [9] = (char) ('0' + code_day / 10);
    code [10] = (char) ('0' + code_day % 10);
    code [11] = s_is_lower (belfiore [0]) ? (char) (belfiore [0] - 'a' + 'A') : belfiore [0];
    memcpy (code + 12, belfiore + 1, 3);
    code [15] = sn_codice_fiscale_check_char (code);
    code [16] = 0;
    if (!code [15])
        return -1;                      //  cannot happen: all 15 are letters and digits
    memcpy (out, code, sizeof code);
    return 0;
}

/*  Birth date and sex of a valid 16-character codice fiscale, omocodia
    resolved; a two-digit year not above ref_year's is in ref_year's century,
    else in the one before. Returns 0, or -1 if cf is not a valid
    16-character code, ref_year is below 100, or the date does not exist in
    the year chosen. Output pointers may be NULL; on -1 none is written. */
int
sn_codice_fiscale_birth (const char *cf, int ref_year, int *year, int *month, int *day, char *sex)
{
    if (ref_year < 100 || !sn_validate_codice_fiscale (cf, NULL, 0) || strlen (cf) != 16)
        return -1;
    int yy = s_digit_value (cf [6]) * 10 + s_digit_value (cf [7]);
    int century = ref_year - ref_year % 100;
    int full_year = yy <= ref_year % 100 ? century + yy : century - 100 + yy;
    int full_month = s_month_value (cf [8]);
    int code_day = s_digit_value (cf [9]) * 10 + s_digit_value (cf [10]);
    int full_day = code_day > 40 ? code_day - 40 : code_day;
    if (full_day > s_days_in (full_month, full_year))
        return -1;
    if (year)
        *year = full_year;
    if (month)
        *month = full_month;
    if (day)
        *day = full_day;
    if (sex)
        *sex = code_day > 40 ? 'F' : 'M';
    return 0;
}
