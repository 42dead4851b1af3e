-- Results of Great Expectations checkpoints, one row per suite run.
CREATE TABLE contract_results (
    result_id   VARCHAR PRIMARY KEY,
    run_id      VARCHAR NOT NULL,
    suite       VARCHAR NOT NULL,
    subject     VARCHAR,                 -- what was validated (e.g. an env_id), empty for whole-stage suites
    success     BOOLEAN NOT NULL,
    n_rows      INTEGER NOT NULL,
    n_failed    INTEGER NOT NULL,
    outcomes    JSON NOT NULL,
    docs_path   VARCHAR,
    created_at  TIMESTAMP DEFAULT current_timestamp
);
