/*  rep_render: a report as CSV (RFC 4180: UTF-8, CRLF, a header row; or
    with semicolons and decimal commas for spreadsheets set to Italian),
    JSON (the proto3 mapping of Report) or text for a terminal (columns
    aligned by display width). snodoctl and the dashboard render the same
    report with the same functions. */
#ifndef REP_RENDER_H_INCLUDED
#define REP_RENDER_H_INCLUDED

#include "reporting.pb-c.h"
#include <stddef.h>

typedef enum { REP_TEXT, REP_CSV, REP_CSV_SEMICOLON, REP_JSON } rep_format_t;

//  "text", "csv", "csv-semicolon", "json". Returns 0, or -1 for any other name.
int rep_format_parse (const char *name, rep_format_t *format);

//  The media type of a format ("text/csv; charset=utf-8", ...).
const char *rep_format_media_type (rep_format_t format);

//  The report in format. Caller frees; *size is its length.
char *rep_render (const Snodo__Reporting__Report *report, rep_format_t format, size_t *size);

//  The display width of UTF-8 text: one column per character (the labels
//  hold no wide characters).
size_t rep_display_width (const char *text);

//  A value as the text tables print it: "12", "37.5", "" (empty), "*"
//  (hidden). decimal_comma for Italian spreadsheets.
void rep_value_text (const Snodo__Reporting__Value *value, const char *unit, int decimal_comma, char *out,
                     size_t size);

#endif
