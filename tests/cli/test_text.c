/*  snodoctl's text for people: widths by display columns, cuts on a
    character, tables whose columns line up with accented names. */
#include "snodoctl.h"
#include <criterion/criterion.h>
#include <criterion/redirect.h>
#include <string.h>

static void
setup (void)
{
    ctl_text_init ();
}

TestSuite (text, .init = setup);

Test (text, width_counts_columns_not_bytes)
{
    cr_assert_eq (ctl_text_width ("Zanè Niccolò"), 12);
    cr_assert_eq (strlen ("Zanè Niccolò"), 14);
    cr_assert_eq (ctl_text_width ("Società"), 7);
    cr_assert_eq (ctl_text_width (""), 0);
    //  a byte that is not UTF-8 takes one column, and is not a crash
    cr_assert_eq (ctl_text_width ("a\xffz"), 3);
}

Test (text, a_cut_falls_on_a_character_and_says_so)
{
    char *cut = ctl_text_cut ("Zanè Niccolò", 5);
    //  four columns of text and the ellipsis: "Zanè…"
    cr_assert_str_eq (cut, "Zan\xc3\xa8\xe2\x80\xa6");
    cr_assert_eq (ctl_text_width (cut), 5);
    free (cut);
    cut = ctl_text_cut ("Società", 7);
    cr_assert_str_eq (cut, "Società", "a text that fits is not cut");
    free (cut);
    cut = ctl_text_cut ("èèèè", 3);
    cr_assert_str_eq (cut, "èè\xe2\x80\xa6");
    free (cut);
}

Test (text, headers_are_words)
{
    char *h = ctl_header ("codiceFiscale");
    cr_assert_str_eq (h, "codice fiscale");
    free (h);
    h = ctl_header ("referringMemberId");
    cr_assert_str_eq (h, "referring member");
    free (h);
    h = ctl_header ("id");
    cr_assert_str_eq (h, "id");
    free (h);
}

//  The display column at which the n-th cell of line starts (cells apart
//  by two spaces or more).
static size_t
s_column_of (const char *line, int n)
{
    size_t column = 0;
    const char *p = line;
    for (int cell = 0; cell < n; cell++) {
        while (*p && !(p [0] == ' ' && p [1] == ' ')) {
            size_t len = ((unsigned char) *p & 0xE0) == 0xC0 ? 2 : ((unsigned char) *p & 0xF0) == 0xE0 ? 3 : 1;
            char ch [4] = {0};
            memcpy (ch, p, len);
            column += ctl_text_width (ch);
            p += len;
        }
        while (*p == ' ') {
            column++;
            p++;
        }
    }
    return column;
}

Test (text, a_table_lines_up_accented_names, .init = cr_redirect_stdout)
{
    ctl_text_init ();
    char *headers [3] = {"surname", "name", "id"};
    char *r0 [3] = {"Zanè", "Niccolò", "a1"}, *r1 [3] = {"Rossi", "Maria", "b2"}, *r2 [3] = {"Società", "Zoè", "c3"};
    char **rows [3] = {r0, r1, r2};
    ctl_table_print (headers, rows, 3, 3);
    fflush (stdout);
    FILE *out = cr_get_redirected_stdout ();
    char lines [4][128];
    for (int i = 0; i < 4; i++)
        cr_assert_not_null (fgets (lines [i], sizeof lines [i], out));
    for (int cell = 1; cell <= 2; cell++)
        for (int i = 1; i < 4; i++)
            cr_assert_eq (s_column_of (lines [i], cell), s_column_of (lines [0], cell),
                          "cell %d of \"%s\" starts at column %zu, the header's at %zu", cell, lines [i],
                          s_column_of (lines [i], cell), s_column_of (lines [0], cell));
}
