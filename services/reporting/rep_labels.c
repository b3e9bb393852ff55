/*  The reports' labels, in Italian (the users' language) and English. */
#include "rep_report.h"
#include <string.h>

static const struct {
    const char *key;
    const char *it;
    const char *en;
} s_labels [] = {
    //  the indicators of seed 004
    {"persons_placed", "Persone svantaggiate inserite in contesti lavorativi", "Disadvantaged persons placed in work settings"},
    {"work_placements", "Inserimenti lavorativi", "Work placements"},
    {"social_placements", "Inserimenti con obiettivi di integrazione sociale", "Placements with social-integration objectives"},
    {"protected_workshops", "Inserimenti in laboratori protetti", "Placements in protected workshops"},
    {"poverty_inclusion", "Persone a rischio di povertà con percorso di inclusione sociale", "Persons at risk of poverty with a social-inclusion pathway"},
    {"poverty_reinsertion", "Persone a rischio di povertà con percorso di reinserimento lavorativo", "Persons at risk of poverty with a work re-insertion pathway"},
    //  outcomes
    {"referred", "Percorsi segnalati", "Pathways referred"},
    {"hired", "Assunti", "Hired"},
    {"returned", "Restituiti ai servizi sociali", "Returned to social services"},
    {"interrupted", "Interrotti", "Interrupted"},
    {"open", "Ancora aperti", "Still open"},
    {"share_hired", "Quota assunti (%)", "Share hired (%)"},
    {"days_to_job", "Giorni dalla segnalazione all'assunzione (media)", "Days from referral to hiring (mean)"},
    {"tenure_days", "Giorni dall'assunzione a oggi (media)", "Days since hiring (mean)"},
    {"weekly_hours", "Ore settimanali (media)", "Weekly hours (mean)"},
    {"share_20h", "Quota con 20 ore o più (%)", "Share working 20 hours or more (%)"},
    //  standards
    {"within", "Nell'intervallo", "Within the range"},
    {"below", "Sotto il minimo", "Below the minimum"},
    {"above", "Sopra il massimo", "Above the maximum"},
    {"min_hours", "Ore minime", "Minimum hours"},
    {"max_hours", "Ore massime", "Maximum hours"},
    {"mean_hours", "Ore erogate per percorso (media)", "Hours delivered per pathway (mean)"},
    {"total_hours", "Ore erogate (totale)", "Hours delivered (total)"},
    //  network
    {"overdue", "Incontri scaduti", "Overdue meetings"},
    {"companies", "Aziende", "Companies"},
    {"quota", "Quota di riserva", "Reserved quota"},
    {"covered", "Quota coperta", "Quota covered"},
    {"uncovered", "Quota scoperta", "Quota uncovered"},
    {"band_15_35", "15-35 dipendenti", "15-35 employees"},
    {"band_36_50", "36-50 dipendenti", "36-50 employees"},
    {"band_51", "oltre 50 dipendenti", "over 50 employees"},
    //  tables and columns
    {"total", "Totale", "Total"},
    {"year", "Anno", "Year"},
    {"baseline", "Anno base", "Baseline"},
    {"change", "Variazione sull'anno base (%)", "Change on the baseline (%)"},
    {"ambito", "Ambito", "Ambito"},
    {"category", "Categoria (L. 381/1991)", "Category (law 381/1991)"},
    {"referring", "Servizio inviante", "Referring service"},
    {"code", "Servizio standard", "Standard service"},
    {"state", "Stato", "State"},
    {"band", "Dimensione aziendale", "Company size"},
    {"indicator", "Indicatore", "Indicator"},
    {"summary", "Indicatori di risultato (obiettivi 8 e 9)", "Result indicators (objectives 8 and 9)"},
    {"mix", "Esiti per anno di segnalazione", "Outcomes by year of referral"},
    {"measures", "Esiti occupazionali", "Employment outcomes"},
    {"-", "non indicato", "not given"},
    //  ambiti
    {"est", "Est", "Est"}, {"sud", "Sud", "Sud"}, {"ovest", "Ovest", "Ovest"}, {"nord", "Nord", "Nord"},
    {"urbano", "Urbano", "Urbano"},
    //  states
    {"PATHWAY_STATE_REFERRED", "Segnalato", "Referred"},
    {"PATHWAY_STATE_INTAKE", "Presa in carico", "Intake"},
    {"PATHWAY_STATE_ASSESSMENT", "Approfondimento", "Assessment"},
    {"PATHWAY_STATE_MATCHING", "Abbinamento", "Matching"},
    {"PATHWAY_STATE_PROJECT", "Progetto", "Project"},
    {"PATHWAY_STATE_AGREEMENT", "Convenzione", "Agreement"},
    {"PATHWAY_STATE_ACTIVE", "Attivo", "Active"},
    {"PATHWAY_STATE_SUSPENDED", "Sospeso", "Suspended"},
    {"PATHWAY_STATE_CLOSED", "Chiuso", "Closed"},
    //  categories
    {"CATEGORY_UNSPECIFIED", "non indicata", "not given"},
    {"CATEGORY_PHYSICAL_DISABILITY", "Disabilità fisica", "Physical disability"},
    {"CATEGORY_MENTAL_DISABILITY", "Disabilità psichica", "Mental disability"},
    {"CATEGORY_SENSORY_DISABILITY", "Disabilità sensoriale", "Sensory disability"},
    {"CATEGORY_FORMER_PSYCHIATRIC_INPATIENT", "Ex degenti psichiatrici", "Former psychiatric in-patients"},
    {"CATEGORY_PSYCHIATRIC_TREATMENT", "In trattamento psichiatrico", "In psychiatric treatment"},
    {"CATEGORY_DRUG_ADDICTION", "Tossicodipendenza", "Drug addiction"},
    {"CATEGORY_ALCOHOLISM", "Alcolismo", "Alcoholism"},
    {"CATEGORY_MINOR_FAMILY_DIFFICULTY", "Minori in difficoltà familiare", "Minors in family difficulty"},
    {"CATEGORY_CONVICT_ALTERNATIVE_MEASURE", "Condannati in misura alternativa", "Convicts in alternative measures"},
    {"CATEGORY_SOCIAL_HEALTH_COMBINED", "Problemi sociali e sanitari", "Combined social and health problems"},
    {"CATEGORY_POVERTY_RISK", "Rischio di povertà", "Risk of poverty"},
    //  units
    {"count", "numero", "count"}, {"percent", "%", "%"}, {"days", "giorni", "days"}, {"hours", "ore", "hours"},
    {NULL, NULL, NULL}
};

const char *
rep_label (const char *key, bool en)
{
    for (int i = 0; s_labels [i].key; i++)
        if (strcmp (s_labels [i].key, key) == 0)
            return en ? s_labels [i].en : s_labels [i].it;
    return key;
}
