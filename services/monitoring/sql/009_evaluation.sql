-- The evaluation of the work capacity acquired (valutazione delle capacità
-- acquisite), in view of hiring: dated, with its verdict (EvaluationVerdict:
-- 1 READY_TO_HIRE, 2 CONTINUE, 3 CHANGE_PROJECT, 4 NOT_PLACEABLE_NOW), the
-- basis the service summarised when it was recorded (attendance, the
-- S.O.M.I. trend: the JSON of EvaluationBasis) and the team's note. A close
-- as HIRED or RETURNED needs one (docs/monitoring.md, "Evaluation").
CREATE TABLE evaluation (
    id              bigserial PRIMARY KEY,
    pathway_id      uuid NOT NULL REFERENCES pathway,
    evaluated_on    date NOT NULL,
    verdict         integer NOT NULL CHECK (verdict BETWEEN 1 AND 4),
    basis           jsonb NOT NULL,
    note            text NOT NULL DEFAULT '',
    recorded_by     text NOT NULL,
    recorded_at     timestamptz NOT NULL DEFAULT now ()
);
CREATE INDEX evaluation_pathway ON evaluation (pathway_id, evaluated_on);
