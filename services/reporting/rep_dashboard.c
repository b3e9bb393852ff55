/*  rep_dashboard: HTML and SVG. See rep_dashboard.h. */
#include "rep_dashboard.h"
#include "rep_render.h"
#include "rep_report.h"
#include <czmq.h>
#include <math.h>
#include <stdarg.h>
#include <string.h>

#define CHART_W 360
#define CHART_H 180
#define MAX_BARS 64

static const char *const s_colors [] = {"#1b6ca8", "#d9822b", "#2e8540", "#8c4799", "#b5323a", "#5a6b7b"};

static void s_out (zchunk_t *out, const char *fmt, ...) __attribute__ ((format (printf, 2, 3)));

static void
s_out (zchunk_t *out, const char *fmt, ...)
{
    va_list args;
    va_start (args, fmt);
    char *text = zsys_vprintf (fmt, args);
    va_end (args);
    if (text) {
        zchunk_extend (out, text, strlen (text));
        zstr_free (&text);
    }
}

//  Text as HTML (and as an attribute value).
static void
s_esc (zchunk_t *out, const char *text)
{
    for (const char *p = text; p && *p; p++) {
        const char *e = *p == '<' ? "&lt;" : *p == '>' ? "&gt;" : *p == '&' ? "&amp;" : *p == '"' ? "&quot;"
                      : *p == '\'' ? "&#39;" : NULL;
        zchunk_extend (out, e ? e : p, e ? strlen (e) : 1);
    }
}

static const char *
s_t (bool en, const char *it, const char *english)
{
    return en ? english : it;
}

static const Snodo__Reporting__Table *
s_table (const Snodo__Reporting__Report *r, const char *id)
{
    for (size_t i = 0; r && i < r->n_tables; i++)
        if (strcmp (r->tables [i]->id, id) == 0)
            return r->tables [i];
    return NULL;
}

//  A table of numbers, as the chart beside it shows them.
static void
s_table_html (zchunk_t *out, const Snodo__Reporting__Table *t)
{
    s_out (out, "<table data-table=\"");
    s_esc (out, t->id);
    s_out (out, "\"><caption>");
    s_esc (out, t->title);
    s_out (out, "</caption><thead><tr><th></th>");
    for (size_t c = 0; c < t->n_columns; c++) {
        s_out (out, "<th scope=\"col\">");
        s_esc (out, t->column_labels [c]);
        s_out (out, "</th>");
    }
    s_out (out, "</tr></thead><tbody>");
    for (size_t i = 0; i < t->n_rows; i++) {
        const Snodo__Reporting__Row *row = t->rows [i];
        s_out (out, "<tr data-row=\"");
        s_esc (out, row->key);
        s_out (out, "\"><th scope=\"row\">");
        s_esc (out, row->label);
        s_out (out, "</th>");
        for (size_t c = 0; c < row->n_values; c++) {
            char text [64];
            rep_value_text (row->values [c], t->unit, 0, text, sizeof text);
            s_out (out, "<td%s>%s</td>", row->values [c]->hidden ? " class=\"hidden\"" : "", text);
        }
        s_out (out, "</tr>");
    }
    s_out (out, "</tbody></table>");
}

typedef struct {
    const char *labels [MAX_BARS];
    const Snodo__Reporting__Value *values [MAX_BARS];
    size_t n;
} s_series_t;

//  A row of a table (or a column, by_column) as bars.
static void
s_series (const Snodo__Reporting__Table *t, const char *key, bool by_column, s_series_t *s)
{
    s->n = 0;
    if (!t)
        return;
    if (!by_column) {
        for (size_t i = 0; i < t->n_rows; i++)
            if (strcmp (t->rows [i]->key, key) == 0)
                for (size_t c = 0; c < t->rows [i]->n_values && c < t->n_columns && s->n < MAX_BARS; c++, s->n++) {
                    s->labels [s->n] = t->column_labels [c];
                    s->values [s->n] = t->rows [i]->values [c];
                }
        return;
    }
    size_t column = 0;
    while (column < t->n_columns && strcmp (t->columns [column], key))
        column++;
    for (size_t i = 0; i < t->n_rows && column < t->n_columns && s->n < MAX_BARS; i++)
        if (strcmp (t->rows [i]->key, "total") && column < t->rows [i]->n_values) {
            s->labels [s->n] = t->rows [i]->label;
            s->values [s->n++] = t->rows [i]->values [column];
        }
}

//  Vertical bars, with a dashed line at baseline (NAN: none). A hidden
//  value is drawn as a hatched stub marked "*".
static void
s_bars (zchunk_t *out, const char *id, const char *title, const s_series_t *s, double baseline, const char *color)
{
    double max = baseline == baseline ? baseline : 0;
    for (size_t i = 0; i < s->n; i++)
        if (!s->values [i]->hidden && !s->values [i]->empty && s->values [i]->value > max)
            max = s->values [i]->value;
    max = max > 0 ? max * 1.15 : 1;
    double slot = s->n ? (CHART_W - 40.0) / (double) s->n : 1;
    s_out (out, "<svg class=\"chart\" data-chart=\"%s\" viewBox=\"0 0 %d %d\" role=\"img\" aria-label=\"", id,
           CHART_W, CHART_H + 30);
    s_esc (out, title);
    s_out (out, "\"><line x1=\"30\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#444\"/>", CHART_H, CHART_W, CHART_H);
    for (size_t i = 0; i < s->n; i++) {
        const Snodo__Reporting__Value *v = s->values [i];
        double x = 34 + slot * (double) i, w = slot * 0.7;
        double h = v->hidden || v->empty ? 0 : (v->value / max) * (CHART_H - 10);
        char text [64];
        rep_value_text (v, "", 0, text, sizeof text);
        if (v->hidden)
            s_out (out, "<rect class=\"hidden\" x=\"%.1f\" y=\"%d\" width=\"%.1f\" height=\"6\" fill=\"url(#hatch)\" "
                        "data-hidden=\"1\"/>", x, CHART_H - 6, w);
        else
            s_out (out, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"%s\" data-value=\"%s\">"
                        "<title>", x, CHART_H - h, w, h, color, text);
        if (!v->hidden) {
            s_esc (out, s->labels [i]);
            s_out (out, ": %s</title></rect>", text);
        }
        s_out (out, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"10\" text-anchor=\"middle\">%s</text>", x + w / 2,
               CHART_H - h - 3, text);
        s_out (out, "<text x=\"%.1f\" y=\"%d\" font-size=\"9\" text-anchor=\"middle\">", x + w / 2, CHART_H + 12);
        s_esc (out, s->labels [i]);
        s_out (out, "</text>");
    }
    if (baseline == baseline)
        s_out (out, "<line class=\"baseline\" x1=\"30\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"#b5323a\" "
                    "stroke-dasharray=\"5 3\" data-baseline=\"%.0f\"/>", CHART_H - (baseline / max) * (CHART_H - 10),
               CHART_W, CHART_H - (baseline / max) * (CHART_H - 10), baseline);
    s_out (out, "</svg>");
}

//  A figure: the chart, and beside it the table of its numbers.
static void
s_figure_open (zchunk_t *out, const char *title)
{
    s_out (out, "<figure><figcaption>");
    s_esc (out, title);
    s_out (out, "</figcaption><div class=\"pair\"><div>");
}

static void
s_figure_close (zchunk_t *out, const Snodo__Reporting__Table *t)
{
    s_out (out, "</div><div>");
    if (t)
        s_table_html (out, t);
    s_out (out, "</div></div></figure>");
}

static void
s_indicators (zchunk_t *out, const rep_page_t *page)
{
    const Snodo__Reporting__Report *r = page->indicators;
    const Snodo__Reporting__Table *summary = s_table (r, "summary");
    if (!summary)
        return;
    s_out (out, "<section id=\"indicators\"><h2>%s</h2>", summary->title);
    char base [16];
    snprintf (base, sizeof base, "%u", r->filter->baseline_year);
    for (size_t i = 0; i < summary->n_rows; i++) {
        const Snodo__Reporting__Row *row = summary->rows [i];
        s_series_t s;
        s_series (summary, row->key, false, &s);
        if (s.n)
            s.n--;              //  the change column is not a year
        double baseline = NAN;
        for (size_t c = 0; c < summary->n_columns; c++)
            if (strcmp (summary->columns [c], base) == 0 && !row->values [c]->hidden)
                baseline = row->values [c]->value;
        char id [96], detail [96];
        snprintf (id, sizeof id, "indicators.%s", row->key);
        s_figure_open (out, row->label);
        s_bars (out, id, row->label, &s, baseline, s_colors [i % 6]);
        snprintf (detail, sizeof detail, "%s.ambito", row->key);
        s_figure_close (out, s_table (r, detail));
    }
    s_table_html (out, summary);
    s_out (out, "<details><summary>%s</summary>", s_t (page->en, "Per categoria e servizio inviante",
                                                       "By category and referring service"));
    for (size_t i = 0; i < r->n_tables; i++)
        if (strstr (r->tables [i]->id, ".category") || strstr (r->tables [i]->id, ".referring"))
            s_table_html (out, r->tables [i]);
    s_out (out, "</details></section>");
}

//  The outcome mix: stacked bars, one per year of referral.
static void
s_outcome_mix (zchunk_t *out, const Snodo__Reporting__Table *t)
{
    double max = 1;
    for (size_t i = 0; i < t->n_rows; i++) {
        const Snodo__Reporting__Value *total = t->rows [i]->values [t->rows [i]->n_values - 1];
        if (!total->hidden && total->value > max)
            max = total->value;
    }
    double slot = t->n_rows ? (CHART_W - 40.0) / (double) t->n_rows : 1;
    s_out (out, "<svg class=\"chart\" data-chart=\"outcomes.mix\" viewBox=\"0 0 %d %d\" role=\"img\">", CHART_W,
           CHART_H + 50);
    for (size_t i = 0; i < t->n_rows; i++) {
        const Snodo__Reporting__Row *row = t->rows [i];
        double y = CHART_H, x = 34 + slot * (double) i;
        for (size_t c = 0; c + 1 < row->n_values && c < 4; c++) {
            const Snodo__Reporting__Value *v = row->values [c];
            double h = v->hidden ? 0 : v->value / max * (CHART_H - 10);
            y -= h;
            char text [64];
            rep_value_text (v, "", 0, text, sizeof text);
            s_out (out, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"%s\" data-value=\"%s\">"
                        "<title>%s %s: %s</title></rect>", x, y, slot * 0.7, h, s_colors [c], text, row->label,
                   t->column_labels [c], text);
        }
        s_out (out, "<text x=\"%.1f\" y=\"%d\" font-size=\"9\" text-anchor=\"middle\">%s</text>", x + slot * 0.35,
               CHART_H + 12, row->label);
    }
    for (size_t c = 0; c < 4 && c < t->n_columns; c++) {     //  the legend, two by two
        s_out (out, "<rect x=\"%zu\" y=\"%zu\" width=\"8\" height=\"8\" fill=\"%s\"/><text x=\"%zu\" y=\"%zu\" "
                    "font-size=\"9\">", 34 + c % 2 * 170, CHART_H + 22 + c / 2 * 12, s_colors [c], 46 + c % 2 * 170,
               CHART_H + 30 + c / 2 * 12);
        s_esc (out, t->column_labels [c]);
        s_out (out, "</text>");
    }
    s_out (out, "</svg>");
}

static void
s_outcomes (zchunk_t *out, const rep_page_t *page)
{
    const Snodo__Reporting__Table *mix = s_table (page->outcomes, "outcomes.mix");
    if (!mix)
        return;
    s_out (out, "<section id=\"outcomes\"><h2>%s</h2>", s_t (page->en, "Esiti", "Outcomes"));
    s_figure_open (out, mix->title);
    s_outcome_mix (out, mix);
    s_figure_close (out, mix);
    const Snodo__Reporting__Table *measures = s_table (page->outcomes, "outcomes.measures");
    if (measures)
        s_table_html (out, measures);
    const Snodo__Reporting__Table *hired = s_table (page->outcomes, "outcomes.hired.ambito");
    if (hired)
        s_table_html (out, hired);
    s_out (out, "</section>");
}

static void
s_network (zchunk_t *out, const rep_page_t *page)
{
    const Snodo__Reporting__Table *states = s_table (page->network, "network.states");
    const Snodo__Reporting__Table *overdue = s_table (page->network, "network.overdue.ambito");
    if (!states || !overdue)
        return;
    s_out (out, "<section id=\"network\"><h2>%s</h2>", s_t (page->en, "Il lavoro della rete", "The network's work"));
    s_series_t s;
    s_series (states, "total", false, &s);
    if (s.n)
        s.n--;                  //  not the total column
    s_figure_open (out, states->title);
    s_bars (out, "network.states", states->title, &s, NAN, s_colors [0]);
    s_figure_close (out, states);
    s_series (overdue, "overdue", true, &s);
    s_figure_open (out, overdue->title);
    s_bars (out, "network.overdue.ambito", overdue->title, &s, NAN, s_colors [4]);
    s_figure_close (out, overdue);
    for (size_t i = 0; i < page->network->n_tables; i++)
        if (strcmp (page->network->tables [i]->id, "network.overdue.referring") == 0
        ||  strcmp (page->network->tables [i]->id, "network.quota") == 0)
            s_table_html (out, page->network->tables [i]);
    s_out (out, "</section>");
}

//  Hours per standard code: the range as a band, the mean delivered as a bar.
static void
s_standards_chart (zchunk_t *out, const Snodo__Reporting__Table *t)
{
    double max = 1;
    for (size_t i = 0; i < t->n_rows; i++)
        for (size_t c = 0; c < 3 && c < t->rows [i]->n_values; c++)
            if (!t->rows [i]->values [c]->hidden && t->rows [i]->values [c]->value > max)
                max = t->rows [i]->values [c]->value;
    int height = 20 + 18 * (int) t->n_rows;
    s_out (out, "<svg class=\"chart\" data-chart=\"standards.hours\" viewBox=\"0 0 %d %d\" role=\"img\">", CHART_W,
           height);
    for (size_t i = 0; i < t->n_rows && t->rows [i]->n_values >= 3; i++) {
        const Snodo__Reporting__Row *row = t->rows [i];
        double scale = (CHART_W - 60.0) / max, y = 10 + 18 * (double) i;
        double lo = row->values [0]->value, hi = row->values [1]->value;
        const Snodo__Reporting__Value *mean = row->values [2];
        s_out (out, "<text x=\"0\" y=\"%.1f\" font-size=\"10\">%s</text>", y + 10, row->key);
        s_out (out, "<rect class=\"range\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"14\" fill=\"#dde6ee\"/>",
               40 + lo * scale, y, (hi - lo) * scale);
        char text [64];
        rep_value_text (mean, "", 0, text, sizeof text);
        if (!mean->hidden && !mean->empty)
            s_out (out, "<rect x=\"40\" y=\"%.1f\" width=\"%.1f\" height=\"6\" fill=\"%s\" data-value=\"%s\">"
                        "<title>%s: %s h</title></rect>", y + 4, mean->value * scale,
                   mean->value > hi || mean->value < lo ? "#b5323a" : "#2e8540", text, row->key, text);
        s_out (out, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"9\">%s</text>", 44 + (hi > mean->value ? hi : mean->value) * scale,
               y + 10, text);
    }
    s_out (out, "</svg>");
}

static void
s_standards (zchunk_t *out, const rep_page_t *page)
{
    const Snodo__Reporting__Table *hours = s_table (page->standards, "standards.hours");
    const Snodo__Reporting__Table *counts = s_table (page->standards, "standards.pathways");
    if (!hours || !counts)
        return;
    s_out (out, "<section id=\"standards\"><h2>%s</h2>", s_t (page->en, "Ore rispetto agli standard (seed 003)",
                                                                "Hours against the standards (seed 003)"));
    s_figure_open (out, hours->title);
    s_standards_chart (out, hours);
    s_figure_close (out, hours);
    s_table_html (out, counts);
    s_out (out, "</section>");
}

static void
s_pathways (zchunk_t *out, const rep_page_t *page)
{
    const Snodo__Reporting__Report *r = page->pathways;
    if (!r)
        return;
    s_out (out, "<section id=\"pathways\"><h2>%s (%zu)</h2><table data-table=\"pathways\"><thead><tr>",
           s_t (page->en, "I miei percorsi", "My pathways"), r->n_pathways);
    const char *it [] = {"Percorso", "Stato", "Tipo", "Ambito", "Segnalato", "Avvio", "Esito", "Scaduti", "Fuori standard"};
    const char *en [] = {"Pathway", "State", "Kind", "Ambito", "Referred", "Start", "Outcome", "Overdue", "Outside the standard"};
    for (int c = 0; c < 9; c++)
        s_out (out, "<th>%s</th>", page->en ? en [c] : it [c]);
    s_out (out, "</tr></thead><tbody>");
    for (size_t i = 0; i < r->n_pathways; i++) {
        const Snodo__Reporting__OwnPathway *p = r->pathways [i];
        s_out (out, "<tr><td><code>%.8s</code></td><td>%s</td><td>%s</td><td>", p->pathway_id,
               rep_label (p->state, page->en), p->kind);
        s_esc (out, p->ambito);
        s_out (out, "</td><td>%s</td><td>%s</td><td>%s</td><td>%u</td><td>", p->referred_on, p->start_date,
               p->outcome, p->overdue_meetings);
        for (size_t f = 0; f < p->n_findings; f++) {
            s_esc (out, p->findings [f]);
            s_out (out, "%s", f + 1 < p->n_findings ? "<br>" : "");
        }
        s_out (out, "</td></tr>");
    }
    s_out (out, "</tbody></table></section>");
}

static const char s_style [] =
    "<style>body{font-family:sans-serif;margin:1.5em;color:#222}h1{font-size:1.4em}h2{font-size:1.15em;"
    "border-bottom:1px solid #ccc}figure{margin:1em 0}.pair{display:flex;flex-wrap:wrap;gap:1.5em;"
    "align-items:flex-start}.chart{width:360px;height:auto}table{border-collapse:collapse;font-size:.85em;"
    "margin:.5em 0}td,th{border:1px solid #ccc;padding:2px 6px}td{text-align:right}caption{text-align:left;"
    "font-weight:bold}td.hidden{color:#888}nav a{margin-right:1em}form.filters label{margin-right:.8em}"
    "@media print{nav,form,.no-print{display:none}body{margin:0;font-size:10pt}section,figure{break-inside:avoid}"
    "details{display:block}details>*{display:block}}</style>"
    "<svg width=\"0\" height=\"0\" style=\"position:absolute\"><defs><pattern id=\"hatch\" width=\"4\" height=\"4\" "
    "patternUnits=\"userSpaceOnUse\"><path d=\"M0 4L4 0\" stroke=\"#888\"/></pattern></defs></svg>";

static void
s_head (zchunk_t *out, bool en, const char *title)
{
    s_out (out, "<!DOCTYPE html><html lang=\"%s\"><head><meta charset=\"utf-8\"><title>", en ? "en" : "it");
    s_esc (out, title);
    s_out (out, "</title>%s</head><body>", s_style);
}

//  The filters as a GET form, the scope and language as links.
static void
s_filters (zchunk_t *out, const rep_page_t *page)
{
    const Snodo__Reporting__ReportFilter *f = page->indicators->filter;
    bool own = f->scope == SNODO__REPORTING__SCOPE__SCOPE_OWN;
    const char *lang = page->en ? "en" : "it";
    s_out (out, "<nav class=\"no-print\"><a href=\"/?scope=network&amp;lang=%s\">%s</a>", lang,
           s_t (page->en, "Rete", "Network"));
    if (page->owns_pathways)
        s_out (out, "<a href=\"/?scope=own&amp;lang=%s\">%s</a>", lang, s_t (page->en, "I miei percorsi", "My pathways"));
    s_out (out, "<a href=\"/?lang=%s&amp;scope=%s\">%s</a>", page->en ? "it" : "en", own ? "own" : "network",
           page->en ? "Italiano" : "English");
    s_out (out, "<a href=\"/export?report=indicators&amp;format=csv-semicolon&amp;scope=%s\">CSV</a>"
                "<a href=\"/export?report=indicators&amp;format=json&amp;scope=%s\">JSON</a>",
           own ? "own" : "network", own ? "own" : "network");
    s_out (out, "<form method=\"post\" action=\"/logout\" style=\"display:inline\"><button>%s</button></form></nav>",
           s_t (page->en, "Esci", "Sign out"));
    s_out (out, "<form class=\"filters\" method=\"get\" action=\"/\"><input type=\"hidden\" name=\"lang\" value=\"%s\">"
                "<input type=\"hidden\" name=\"scope\" value=\"%s\">", lang, own ? "own" : "network");
    s_out (out, "<label>%s <input name=\"from\" size=\"4\" value=\"%u\"></label><label>%s <input name=\"to\" size=\"4\" "
                "value=\"%u\"></label><label>%s <input name=\"baseline\" size=\"4\" value=\"%u\"></label>",
           s_t (page->en, "Dal", "From"), f->from_year, s_t (page->en, "al", "to"), f->to_year,
           s_t (page->en, "Anno base", "Baseline"), f->baseline_year);
    s_out (out, "<label>Ambito <select name=\"ambito\"><option value=\"\">%s</option>", s_t (page->en, "tutti", "all"));
    const char *ambiti [] = {"est", "sud", "ovest", "nord", "urbano"};
    for (int i = 0; i < 5; i++)
        s_out (out, "<option%s>%s</option>", strcmp (f->ambito, ambiti [i]) ? "" : " selected", ambiti [i]);
    s_out (out, "</select></label><label>%s <input name=\"referring\" size=\"12\" value=\"",
           s_t (page->en, "Servizio inviante", "Referring service"));
    s_esc (out, f->referring_member_id);
    s_out (out, "\"></label><button>%s</button></form>", s_t (page->en, "Applica", "Apply"));
}

//  The page's text, out destroyed. Caller frees.
static char *
s_finish (zchunk_t **out_p, size_t *size)
{
    zchunk_t *out = *out_p;
    *size = zchunk_size (out);
    char *html = (char *) malloc (*size + 1);
    memcpy (html, zchunk_data (out), *size);
    html [*size] = 0;
    zchunk_destroy (out_p);
    return html;
}

char *
rep_dashboard_html (const rep_page_t *page, size_t *size)
{
    zchunk_t *out = zchunk_new (NULL, 65536);
    const char *title = s_t (page->en, "Snodo: rendicontazione della rete", "Snodo: the network's reports");
    s_head (out, page->en, title);
    bool own = page->indicators->filter->scope == SNODO__REPORTING__SCOPE__SCOPE_OWN;
    s_out (out, "<h1>%s</h1><p>%s <strong>", title, s_t (page->en, "Accesso come", "Signed in as"));
    s_esc (out, page->member_id);
    s_out (out, "</strong> &middot; %s &middot; %s</p>",
           own ? s_t (page->en, "i propri percorsi, in dettaglio", "its own pathways, in detail")
               : s_t (page->en, "tutta la rete", "the whole network"),
           own ? "" : s_t (page->en, "i conteggi piccoli e le celle che li rivelerebbero sono nascosti (*)",
                           "small counts and the cells that would reveal them are hidden (*)"));
    s_filters (out, page);
    s_indicators (out, page);
    s_outcomes (out, page);
    s_network (out, page);
    s_standards (out, page);
    s_pathways (out, page);
    s_out (out, "</body></html>");
    return s_finish (&out, size);
}

char *
rep_message_html (bool en, const char *title, const char *message, size_t *size)
{
    zchunk_t *out = zchunk_new (NULL, 4096);
    s_head (out, en, title);
    s_out (out, "<h1>");
    s_esc (out, title);
    s_out (out, "</h1><p>");
    s_esc (out, message);
    s_out (out, "</p></body></html>");
    return s_finish (&out, size);
}

char *
rep_signin_html (bool en, const char *message, size_t *size)
{
    char text [1024];
    snprintf (text, sizeof text, "%s%s%s", message ? message : "", message ? " " : "",
              s_t (en, "Per entrare serve un collegamento monouso del proprio ente: "
                       "snodoctl --as ENTE report link (valido 5 minuti, si apre una volta sola).",
                   "To sign in, ask for a one-time link as your member: "
                   "snodoctl --as MEMBER report link (valid for 5 minutes, opens once)."));
    return rep_message_html (en, s_t (en, "Snodo: accesso alla rendicontazione", "Snodo: sign in to the reports"),
                             text, size);
}
