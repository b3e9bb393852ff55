/*  snodoctl: text for people. Widths are display widths, not bytes: "Zanè
    Niccolò" takes twelve columns however many bytes its UTF-8 holds, so
    accented names line up; a text cut to fit is cut on a character and
    marked with an ellipsis. A table on a terminal is fitted to its width by
    narrowing its widest columns. */
#include "snodoctl.h"
#include <locale.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <wchar.h>

//  The next character of s (n bytes left) as a wide character, its length
//  in *len; a byte that does not start UTF-8 counts as one column.
static wchar_t
s_next (const char *s, size_t n, size_t *len)
{
    mbstate_t state;
    memset (&state, 0, sizeof state);
    wchar_t wc = 0;
    size_t got = mbrtowc (&wc, s, n, &state);
    if (got == (size_t) -1 || got == (size_t) -2 || got == 0) {
        *len = 1;
        return L'?';
    }
    *len = got;
    return wc;
}

static size_t
s_char_width (wchar_t wc)
{
    int w = wcwidth (wc);
    return w < 0 ? 1 : (size_t) w;
}

void
ctl_text_init (void)
{
    //  wide characters need a UTF-8 locale; the user's if it is one
    if (!setlocale (LC_CTYPE, "") || MB_CUR_MAX == 1)
        if (!setlocale (LC_CTYPE, "C.UTF-8"))
            setlocale (LC_CTYPE, "en_US.UTF-8");
}

size_t
ctl_text_width (const char *text)
{
    size_t width = 0, n = strlen (text), len;
    for (size_t i = 0; i < n; i += len)
        width += s_char_width (s_next (text + i, n - i, &len));
    return width;
}

char *
ctl_text_cut (const char *text, size_t width)
{
    if (ctl_text_width (text) <= width)
        return strdup (text);
    //  room for the ellipsis (one column, three bytes)
    size_t n = strlen (text), len, used = 0, i = 0;
    while (i < n) {
        size_t w = s_char_width (s_next (text + i, n - i, &len));
        if (used + w + 1 > width)
            break;
        used += w;
        i += len;
    }
    char *out = (char *) malloc (i + 4);
    memcpy (out, text, i);
    memcpy (out + i, width ? "\xe2\x80\xa6" : "", width ? 4 : 1);
    return out;
}

void
ctl_print_padded (const char *text, size_t width, const char *after)
{
    size_t w = ctl_text_width (text);
    printf ("%s%*s%s", text, (int) (w < width ? width - w : 0), "", after);
}

size_t
ctl_terminal_width (void)
{
    struct winsize ws;
    if (isatty (fileno (stdout)) && ioctl (fileno (stdout), TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
        return ws.ws_col;
    const char *columns = getenv ("COLUMNS");
    if (columns && atoi (columns) > 0)
        return (size_t) atoi (columns);
    return 0;
}

char *
ctl_header (const char *field)
{
    //  "codiceFiscale" -> "codice fiscale", "referringMemberId" -> "referring member"
    size_t n = strlen (field);
    if (n > 2 && streq (field + n - 2, "Id") && n != 2)
        n -= 2;
    char *out = (char *) malloc (2 * n + 1);
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        char c = field [i];
        if (c >= 'A' && c <= 'Z') {
            if (k)
                out [k++] = ' ';
            c = (char) (c - 'A' + 'a');
        }
        out [k++] = c;
    }
    out [k] = 0;
    return out;
}

void
ctl_table_print (char **headers, char ***cells, size_t rows, int columns)
{
    size_t width [CTL_TABLE_MAX];
    for (int c = 0; c < columns; c++) {
        width [c] = ctl_text_width (headers [c]);
        for (size_t r = 0; r < rows; r++) {
            size_t w = ctl_text_width (cells [r][c]);
            if (w > width [c])
                width [c] = w;
        }
    }
    //  on a terminal: the widest column narrows a column at a time (to 8
    //  at least) until the table fits
    size_t term = isatty (fileno (stdout)) ? ctl_terminal_width () : 0;
    if (term) {
        while (true) {
            size_t total = 0;
            int widest = 0;
            for (int c = 0; c < columns; c++) {
                total += width [c] + (c + 1 < columns ? 2 : 0);
                if (width [c] > width [widest])
                    widest = c;
            }
            if (total <= term || width [widest] <= 8)
                break;
            width [widest]--;       //  a column at a time: the wide ones meet

        }
    }
    for (int c = 0; c < columns; c++) {
        char *cut = ctl_text_cut (headers [c], width [c]);
        ctl_print_padded (cut, c + 1 < columns ? width [c] : 0, c + 1 < columns ? "  " : "\n");
        free (cut);
    }
    for (size_t r = 0; r < rows; r++)
        for (int c = 0; c < columns; c++) {
            char *cut = ctl_text_cut (cells [r][c], width [c]);
            ctl_print_padded (cut, c + 1 < columns ? width [c] : 0, c + 1 < columns ? "  " : "\n");
            free (cut);
        }
}
