/*  sn_validate: codice fiscale, partita IVA, ATECO. */
#include "sn_validate.h"
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#define FAIL(...) do { if (err && errlen) snprintf (err, errlen, __VA_ARGS__); return false; } while (0)

static const char s_months [] = "ABCDEHLMPRST";
static const char s_omocodia [] = "LMNPQRSTUV";
//  Positions (0-based) that hold digits, or their omocodia letters.
static const int s_digit_positions [] = {6, 7, 9, 10, 12, 13, 14};

//  Values of the characters in odd positions (1st, 3rd, ...), for 0-9 and A-Z.
static const int s_odd [36] = {
    1, 0, 5, 7, 9, 13, 15, 17, 19, 21,
    1, 0, 5, 7, 9, 13, 15, 17, 19, 21, 2, 4, 18, 20, 11, 3, 6, 8, 12, 14, 16, 10, 22, 25, 24, 23
};

static int
s_index (char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'A' && c <= 'Z')
        return 10 + c - 'A';
    return -1;
}

char
sn_codice_fiscale_check_char (const char *first15)
{
    if (!first15)
        return 0;
    int sum = 0;
    for (int i = 0; i < 15; i++) {
        int k = s_index (first15 [i]);
        if (k < 0)
            return 0;
        if (i % 2 == 0)
            sum += s_odd [k];
        else
            sum += k < 10 ? k : k - 10;
    }
    return (char) ('A' + sum % 26);
}

//  The digit a position holds, omocodia resolved; -1 if neither.
static int
s_digit (char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    const char *p = c ? strchr (s_omocodia, c) : NULL;
    return p ? (int) (p - s_omocodia) : -1;
}

static bool
s_is_digit_position (int i)
{
    for (size_t k = 0; k < sizeof s_digit_positions / sizeof s_digit_positions [0]; k++)
        if (s_digit_positions [k] == i)
            return true;
    return false;
}

//  The 11-digit check of a partita IVA (and a temporary codice fiscale).
static int
s_luhn_check (const char *digits)
{
    int sum = 0;
    for (int i = 0; i < 10; i++) {
        int d = digits [i] - '0';
        if (i % 2 == 1) {
            d *= 2;
            if (d > 9)
                d -= 9;
        }
        sum += d;
    }
    return (10 - sum % 10) % 10;
}

static bool
s_all_digits (const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!isdigit ((unsigned char) s [i]))
            return false;
    return true;
}

bool
sn_validate_codice_fiscale (const char *cf, char *err, size_t errlen)
{
    size_t n = cf ? strlen (cf) : 0;
    if (n == 11 && s_all_digits (cf, 11)) {
        int check = s_luhn_check (cf);
        if (cf [10] - '0' != check)
            FAIL ("check digit is '%c', expected '%d'", cf [10], check);
        return true;
    }
    if (n != 16)
        FAIL ("must be 16 characters, got %zu", n);
    for (size_t i = 0; i < 16; i++) {
        if (islower ((unsigned char) cf [i]))
            FAIL ("must be upper case");
        if (!isupper ((unsigned char) cf [i]) && !isdigit ((unsigned char) cf [i]))
            FAIL ("invalid character at position %zu", i + 1);
    }
    for (int i = 0; i < 16; i++) {
        bool digit_place = s_is_digit_position (i);
        if (digit_place && s_digit (cf [i]) < 0)
            FAIL ("position %d must be a digit (or an omocodia letter), got '%c'", i + 1, cf [i]);
        if (!digit_place && i != 15 && !isupper ((unsigned char) cf [i]))
            FAIL ("position %d must be a letter, got '%c'", i + 1, cf [i]);
    }
    if (!strchr (s_months, cf [8]))
        FAIL ("invalid month letter '%c' at position 9", cf [8]);
    int month = (int) (strchr (s_months, cf [8]) - s_months) + 1;
    int day = s_digit (cf [9]) * 10 + s_digit (cf [10]);
    if (day > 40)
        day -= 40;
    static const int days [] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (day < 1 || day > days [month - 1])
        FAIL ("invalid day of birth %c%c for month %d", cf [9], cf [10], month);
    char expected = sn_codice_fiscale_check_char (cf);
    if (cf [15] != expected)
        FAIL ("check character is '%c', expected '%c'", cf [15], expected);
    return true;
}

bool
sn_validate_partita_iva (const char *piva, char *err, size_t errlen)
{
    size_t n = piva ? strlen (piva) : 0;
    if (n != 11)
        FAIL ("must be 11 digits, got %zu characters", n);
    if (!s_all_digits (piva, 11))
        FAIL ("must be 11 digits");
    if (strcmp (piva, "00000000000") == 0)
        FAIL ("cannot be all zeros");
    int office = (piva [7] - '0') * 100 + (piva [8] - '0') * 10 + (piva [9] - '0');
    if (!((office >= 1 && office <= 100) || office == 120 || office == 121 || office == 888 || office == 999))
        FAIL ("office code %03d does not exist", office);
    int check = s_luhn_check (piva);
    if (piva [10] - '0' != check)
        FAIL ("check digit is '%c', expected '%d'", piva [10], check);
    return true;
}

bool
sn_validate_ateco (const char *code, char *err, size_t errlen)
{
    size_t n = code ? strlen (code) : 0;
    //  shapes: NN, NN.N, NN.NN, NN.NN.N, NN.NN.NN
    static const char *shapes [] = {"99", "99.9", "99.99", "99.99.9", "99.99.99", NULL};
    bool fits = false;
    for (int s = 0; shapes [s] && !fits; s++) {
        if (strlen (shapes [s]) != n)
            continue;
        fits = true;
        for (size_t i = 0; i < n && fits; i++)
            fits = shapes [s][i] == '.' ? code [i] == '.' : isdigit ((unsigned char) code [i]) != 0;
    }
    if (!fits)
        FAIL ("\"%.16s\" is not an ATECO code (NN, NN.N, NN.NN, NN.NN.N or NN.NN.NN)", code ? code : "");
    int division = (code [0] - '0') * 10 + (code [1] - '0');
    if (division < 1)
        FAIL ("ATECO division %02d does not exist", division);
    return true;
}

//  Consonants, then vowels, of a name, upper case, letters only.
static void
s_letters (const char *text, char *consonants, char *vowels)
{
    size_t c = 0, v = 0;
    for (const char *p = text; *p; p++) {
        char u = (char) toupper ((unsigned char) *p);
        if (u < 'A' || u > 'Z')
            continue;
        if (strchr ("AEIOU", u))
            vowels [v++] = u;
        else
            consonants [c++] = u;
    }
    consonants [c] = 0;
    vowels [v] = 0;
}

static void
s_code3 (const char *text, bool is_name, char *out)
{
    char consonants [64], vowels [64], all [140];
    s_letters (text, consonants, vowels);
    if (is_name && strlen (consonants) >= 4) {
        out [0] = consonants [0];
        out [1] = consonants [2];
        out [2] = consonants [3];
        return;
    }
    snprintf (all, sizeof all, "%s%sXXX", consonants, vowels);
    memcpy (out, all, 3);
}

int
sn_codice_fiscale_build (const char *surname, const char *name, int year, int month, int day,
                         char sex, const char *belfiore, char *out)
{
    if (!surname || !name || !belfiore || strlen (surname) > 60 || strlen (name) > 60
    ||  month < 1 || month > 12 || day < 1 || day > 31 || year < 0 || (sex != 'M' && sex != 'F')
    ||  strlen (belfiore) != 4 || !isupper ((unsigned char) belfiore [0])
    ||  !s_all_digits (belfiore + 1, 3))
        return -1;
    char first [16];
    s_code3 (surname, false, first);
    s_code3 (name, true, first + 3);
    snprintf (first + 6, 10, "%02d%c%02d%s", year % 100, s_months [month - 1],
              day + (sex == 'F' ? 40 : 0), belfiore);
    char check = sn_codice_fiscale_check_char (first);
    if (!check)
        return -1;
    memcpy (out, first, 15);
    out [15] = check;
    out [16] = 0;
    return 0;
}

int
sn_codice_fiscale_birth (const char *cf, int ref_year, int *year, int *month, int *day, char *sex)
{
    if (!sn_validate_codice_fiscale (cf, NULL, 0) || strlen (cf) != 16)
        return -1;
    int yy = s_digit (cf [6]) * 10 + s_digit (cf [7]);
    *year = yy <= ref_year % 100 ? 2000 + yy : 1900 + yy;
    *month = (int) (strchr (s_months, cf [8]) - s_months) + 1;
    int d = s_digit (cf [9]) * 10 + s_digit (cf [10]);
    *sex = d > 40 ? 'F' : 'M';
    *day = d > 40 ? d - 40 : d;
    return 0;
}
