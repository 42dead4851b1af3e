-- Evaluation reports (one per agent and task set) and promotion decisions.
-- A registered model version's report is keyed by what determines it (model
-- version, task set, k, seeds, engine and simulator settings), so the promote
-- flow reuses it instead of playing the same trials again.
CREATE TABLE evaluations (
    eval_id           VARCHAR PRIMARY KEY,
    label             VARCHAR NOT NULL,          -- model URI, or base_url + model
    model_version     VARCHAR,                   -- '<name>/<version>' of a registered model
    task_set_hash     VARCHAR NOT NULL,
    k                 INTEGER NOT NULL,
    seed              INTEGER NOT NULL,
    n_tasks           INTEGER NOT NULL,
    pass_1            DOUBLE NOT NULL,
    pass_k            DOUBLE NOT NULL,
    report            JSON NOT NULL,             -- the full EvalReport
    mlflow_run_id     VARCHAR,
    run_id            VARCHAR,
    created_at        TIMESTAMP DEFAULT current_timestamp
);

CREATE TABLE promotions (
    decision_id       VARCHAR PRIMARY KEY,
    registered_model  VARCHAR NOT NULL,
    challenger        VARCHAR NOT NULL,          -- version
    champion          VARCHAR,                   -- version before the decision
    promoted          BOOLEAN NOT NULL,
    reason            VARCHAR NOT NULL,
    decision          JSON NOT NULL,
    task_set_hash     VARCHAR,
    run_id            VARCHAR,
    created_at        TIMESTAMP DEFAULT current_timestamp
);
