-- Contacts with companies (primo contatto con l'azienda, seed 000): when,
-- how, who (the operator's name and the member that recorded it), the
-- outcome and the next step. data keeps the CompanyContact's fields; the
-- columns are what the lists filter and order by.
CREATE TABLE company_contact (
    id              uuid PRIMARY KEY,
    company_id      uuid NOT NULL REFERENCES company,
    contacted_on    date NOT NULL,
    how             integer NOT NULL CHECK (how BETWEEN 1 AND 4),   -- ContactHow
    operator        text NOT NULL DEFAULT '',
    member_id       text NOT NULL REFERENCES member,
    data            jsonb NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now ()
);
CREATE INDEX company_contact_company ON company_contact (company_id, contacted_on DESC);
CREATE INDEX company_contact_member ON company_contact (member_id, contacted_on DESC);
CREATE INDEX company_contact_operator ON company_contact (lower (operator), contacted_on DESC);
