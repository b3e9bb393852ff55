/*  rep_render: CSV, JSON and text. See rep_render.h. */
#include "rep_render.h"
#include "sn_json.h"
#include <czmq.h>
#include <math.h>
#include <string.h>

static const char *const s_formats [] = {"text", "csv", "csv-semicolon", "json", NULL};

int
rep_format_parse (const char *name, rep_format_t *format)
{
    for (int i = 0; s_formats [i]; i++)
        if (name && strcmp (name, s_formats [i]) == 0) {
            *format = (rep_format_t) i;
            return 0;
        }
    return -1;
}

const char *
rep_format_media_type (rep_format_t format)
{
    switch (format) {
        case REP_CSV: return "text/csv; charset=utf-8; header=present";
        case REP_CSV_SEMICOLON: return "text/csv; charset=utf-8; header=present";
        case REP_JSON: return "application/json";
        default: return "text/plain; charset=utf-8";
    }
}

size_t
rep_display_width (const char *text)
{
    size_t width = 0;
    for (const unsigned char *p = (const unsigned char *) text; *p; p++)
        width += (*p & 0xC0) != 0x80;
    return width;
}

void
rep_value_text (const Snodo__Reporting__Value *value, const char *unit, int decimal_comma, char *out, size_t size)
{
    if (value->hidden)
        snprintf (out, size, "*");
    else
    if (value->empty)
        snprintf (out, size, "%s", "");
    else
    if (value->value == floor (value->value) && fabs (value->value) < 1e15)
        snprintf (out, size, "%.0f", value->value);
    else {
        snprintf (out, size, "%.1f", value->value);
        char *dot = strchr (out, '.');
        if (dot && decimal_comma)
            *dot = ',';
    }
    (void) unit;
}

//  Appends a CSV field, quoted when it holds the separator, a quote or a
//  line break (RFC 4180).
static void
s_field (zchunk_t *out, const char *text, char sep, bool last)
{
    bool quote = strchr (text, sep) || strchr (text, '"') || strchr (text, '\n') || strchr (text, '\r');
    if (quote) {
        zchunk_extend (out, "\"", 1);
        for (const char *p = text; *p; p++)
            zchunk_extend (out, *p == '"' ? "\"\"" : p, *p == '"' ? 2 : 1);
        zchunk_extend (out, "\"", 1);
    }
    else
        zchunk_extend (out, text, strlen (text));
    zchunk_extend (out, last ? "\r\n" : &sep, last ? 2 : 1);
}

static void
s_csv_tables (const Snodo__Reporting__Report *r, zchunk_t *out, char sep)
{
    const char *header [] = {"table", "title", "row", "row_label", "column", "column_label", "value", "status", "unit"};
    for (int i = 0; i < 9; i++)
        s_field (out, header [i], sep, i == 8);
    for (size_t t = 0; t < r->n_tables; t++) {
        const Snodo__Reporting__Table *table = r->tables [t];
        for (size_t i = 0; i < table->n_rows; i++) {
            const Snodo__Reporting__Row *row = table->rows [i];
            for (size_t c = 0; c < row->n_values && c < table->n_columns; c++) {
                char value [64];
                rep_value_text (row->values [c], table->unit, sep == ';', value, sizeof value);
                const char *fields [] = {table->id, table->title, row->key, row->label, table->columns [c],
                                         table->column_labels [c], row->values [c]->hidden ? "" : value,
                                         row->values [c]->hidden ? "suppressed" : row->values [c]->empty ? "n/a" : "",
                                         table->unit};
                for (int k = 0; k < 9; k++)
                    s_field (out, fields [k], sep, k == 8);
            }
        }
    }
}

static void
s_csv_pathways (const Snodo__Reporting__Report *r, zchunk_t *out, char sep)
{
    const char *header [] = {"pathway_id", "person_id", "state", "kind", "ambito", "referred_on", "start_date",
                             "outcome", "outcome_date", "weekly_hours", "overdue_meetings", "findings"};
    for (int i = 0; i < 12; i++)
        s_field (out, header [i], sep, i == 11);
    for (size_t i = 0; i < r->n_pathways; i++) {
        const Snodo__Reporting__OwnPathway *p = r->pathways [i];
        char hours [16], overdue [16];
        snprintf (hours, sizeof hours, "%u", p->weekly_hours);
        snprintf (overdue, sizeof overdue, "%u", p->overdue_meetings);
        char *findings = strdup ("");
        for (size_t f = 0; f < p->n_findings; f++) {
            char *more = zsys_sprintf ("%s%s%s", findings, f ? "; " : "", p->findings [f]);
            free (findings);
            findings = more;
        }
        const char *fields [] = {p->pathway_id, p->person_id, p->state, p->kind, p->ambito, p->referred_on,
                                 p->start_date, p->outcome, p->outcome_date, hours, overdue, findings};
        for (int k = 0; k < 12; k++)
            s_field (out, fields [k], sep, k == 11);
        free (findings);
    }
}

//  Prints one table with its columns aligned by display width.
static void
s_text_table (const Snodo__Reporting__Table *t, zchunk_t *out)
{
    size_t cols = t->n_columns + 1;
    size_t *width = (size_t *) calloc (cols, sizeof (size_t));
    char cell [128];
    width [0] = 0;
    for (size_t i = 0; i < t->n_rows; i++)
        width [0] = rep_display_width (t->rows [i]->label) > width [0] ? rep_display_width (t->rows [i]->label) : width [0];
    for (size_t c = 0; c < t->n_columns; c++) {
        width [c + 1] = rep_display_width (t->column_labels [c]);
        for (size_t i = 0; i < t->n_rows; i++)
            if (c < t->rows [i]->n_values) {
                rep_value_text (t->rows [i]->values [c], t->unit, 0, cell, sizeof cell);
                width [c + 1] = strlen (cell) > width [c + 1] ? strlen (cell) : width [c + 1];
            }
    }
    char *line = zsys_sprintf ("%s (%s)%s\n", t->title, t->unit, t->suppressed ? "" : "");
    zchunk_extend (out, line, strlen (line));
    zstr_free (&line);
    for (size_t i = 0; i <= t->n_rows; i++) {
        for (size_t c = 0; c < cols; c++) {
            const char *text = "";
            if (i == 0)
                text = c ? t->column_labels [c - 1] : "";
            else
            if (c == 0)
                text = t->rows [i - 1]->label;
            else
            if (c - 1 < t->rows [i - 1]->n_values) {
                rep_value_text (t->rows [i - 1]->values [c - 1], t->unit, 0, cell, sizeof cell);
                text = cell;
            }
            size_t pad = width [c] - rep_display_width (text);
            if (c > 0)          //  numbers to the right, labels to the left
                for (size_t k = 0; k < pad + 2; k++)
                    zchunk_extend (out, " ", 1);
            zchunk_extend (out, text, strlen (text));
            if (c == 0)
                for (size_t k = 0; k < pad; k++)
                    zchunk_extend (out, " ", 1);
        }
        zchunk_extend (out, "\n", 1);
    }
    zchunk_extend (out, "\n", 1);
    free (width);
}

static void
s_text (const Snodo__Reporting__Report *r, zchunk_t *out)
{
    for (size_t t = 0; t < r->n_tables; t++)
        s_text_table (r->tables [t], out);
    for (size_t i = 0; i < r->n_pathways; i++) {
        const Snodo__Reporting__OwnPathway *p = r->pathways [i];
        char *line = zsys_sprintf ("%s  %-24s %-26s %-7s %-10s %-10s %-22s %u overdue%s%s\n", p->pathway_id, p->state,
                                   p->kind, p->ambito, p->referred_on, p->start_date, p->outcome,
                                   p->overdue_meetings, p->n_findings ? "  " : "", p->n_findings ? p->findings [0] : "");
        zchunk_extend (out, line, strlen (line));
        zstr_free (&line);
    }
    if (r->hidden) {
        char *line = zsys_sprintf ("* hidden: counts from 1 to %u and the cells that would reveal them "
                                   "(docs/reporting.md)\n", r->threshold);
        zchunk_extend (out, line, strlen (line));
        zstr_free (&line);
    }
}

char *
rep_render (const Snodo__Reporting__Report *report, rep_format_t format, size_t *size)
{
    if (format == REP_JSON) {
        char *json = sn_json_from_message (&report->base, SN_JSON_PRETTY);
        *size = json ? strlen (json) : 0;
        return json;
    }
    zchunk_t *out = zchunk_new (NULL, 4096);
    if (format == REP_TEXT)
        s_text (report, out);
    else
    if (strcmp (report->kind, "pathways") == 0)
        s_csv_pathways (report, out, format == REP_CSV ? ',' : ';');
    else
        s_csv_tables (report, out, format == REP_CSV ? ',' : ';');
    *size = zchunk_size (out);
    char *text = (char *) malloc (*size + 1);
    memcpy (text, zchunk_data (out), *size);
    text [*size] = 0;
    zchunk_destroy (&out);
    return text;
}
