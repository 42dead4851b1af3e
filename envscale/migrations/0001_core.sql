-- Core warehouse tables, one per stage output. Every row carries
-- `lineage_hash` (content hash of what produced it) and `run_id`.

CREATE TABLE runs (
    run_id            VARCHAR PRIMARY KEY,
    flow              VARCHAR NOT NULL,
    status            VARCHAR NOT NULL,          -- running | completed | failed | skipped
    started_at        TIMESTAMP NOT NULL,
    finished_at       TIMESTAMP,
    params            JSON,
    summary           JSON,
    input_hash        VARCHAR,                   -- content hash of the stage's inputs (skip-if-unchanged)
    prefect_flow_run_id VARCHAR,
    error             VARCHAR
);

CREATE TABLE tools (
    tool_id           VARCHAR PRIMARY KEY,       -- content hash of the normalized tool
    name              VARCHAR NOT NULL UNIQUE,   -- canonical name, unique in the catalog
    description       VARCHAR NOT NULL,
    parameters        JSON NOT NULL,             -- JSON Schema (object)
    returns           JSON,
    kind              VARCHAR NOT NULL,          -- read | write | unknown
    kind_reason       VARCHAR NOT NULL,
    source_format     VARCHAR NOT NULL,
    categories        JSON,
    sources           JSON NOT NULL,             -- every (file, pointer) that yielded this tool
    near_duplicate_of VARCHAR,
    record            JSON NOT NULL,             -- the full normalized record
    lineage_hash      VARCHAR NOT NULL,
    run_id            VARCHAR,
    created_at        TIMESTAMP DEFAULT current_timestamp
);

CREATE TABLE rejected_tools (
    rejection_id      VARCHAR PRIMARY KEY,       -- hash of (source, pointer, reason_code)
    source_file       VARCHAR NOT NULL,
    pointer           VARCHAR,
    source_format     VARCHAR,
    reason_code       VARCHAR NOT NULL,
    reason            VARCHAR NOT NULL,
    excerpt           VARCHAR,
    lineage_hash      VARCHAR NOT NULL,
    run_id            VARCHAR,
    created_at        TIMESTAMP DEFAULT current_timestamp
);

CREATE TABLE domains (
    domain_id         VARCHAR PRIMARY KEY,
    name              VARCHAR NOT NULL,
    tool_ids          JSON NOT NULL,
    n_tools           INTEGER NOT NULL,
    tags              JSON,
    lineage_hash      VARCHAR NOT NULL,
    run_id            VARCHAR,
    created_at        TIMESTAMP DEFAULT current_timestamp
);

CREATE TABLE environments (
    env_id            VARCHAR PRIMARY KEY,       -- hash of schema + programs + seed
    domain_id         VARCHAR,
    name              VARCHAR NOT NULL,
    origin            VARCHAR NOT NULL,          -- generated | imported
    path              VARCHAR NOT NULL,          -- DuckDB file
    manifest          JSON NOT NULL,
    status            VARCHAR NOT NULL,          -- accepted | rejected
    report            JSON,
    n_tools           INTEGER NOT NULL,
    lineage_hash      VARCHAR NOT NULL,
    run_id            VARCHAR,
    created_at        TIMESTAMP DEFAULT current_timestamp
);

CREATE TABLE blueprints (
    blueprint_id      VARCHAR PRIMARY KEY,
    env_id            VARCHAR NOT NULL,
    calls             JSON NOT NULL,             -- gold calls with their results
    read_only         BOOLEAN NOT NULL,
    n_calls           INTEGER NOT NULL,
    gold_state_hash   VARCHAR NOT NULL,
    gold_diff         JSON,
    status            VARCHAR NOT NULL,          -- kept | dropped
    reason            VARCHAR,
    lineage_hash      VARCHAR NOT NULL,
    run_id            VARCHAR,
    created_at        TIMESTAMP DEFAULT current_timestamp
);

CREATE TABLE tasks (
    task_id           VARCHAR PRIMARY KEY,
    blueprint_id      VARCHAR NOT NULL,
    env_id            VARCHAR NOT NULL,
    instruction       VARCHAR NOT NULL,
    writer            VARCHAR NOT NULL,          -- llm | template
    fallback_reason   VARCHAR,
    lineage_hash      VARCHAR NOT NULL,
    run_id            VARCHAR,
    created_at        TIMESTAMP DEFAULT current_timestamp
);

CREATE TABLE trajectories (
    trajectory_id     VARCHAR PRIMARY KEY,       -- hash of (env_id, blueprint_id, attempt, mode)
    task_id           VARCHAR NOT NULL,
    env_id            VARCHAR NOT NULL,
    blueprint_id      VARCHAR NOT NULL,
    attempt           INTEGER NOT NULL,
    mode              VARCHAR NOT NULL,          -- forward | reverse
    messages          JSON NOT NULL,             -- OpenAI chat format
    tools             JSON NOT NULL,
    termination       VARCHAR NOT NULL,
    usage             JSON,
    timings           JSON,
    lineage_hash      VARCHAR NOT NULL,
    run_id            VARCHAR,
    created_at        TIMESTAMP DEFAULT current_timestamp
);

CREATE TABLE validations (
    trajectory_id     VARCHAR PRIMARY KEY,
    verdict           VARCHAR NOT NULL,          -- accepted | rejected | quarantined
    stage             VARCHAR,
    reason_code       VARCHAR,
    evidence          JSON,
    state_changes     JSON,
    lineage_hash      VARCHAR NOT NULL,
    run_id            VARCHAR,
    created_at        TIMESTAMP DEFAULT current_timestamp
);

CREATE TABLE datasets (
    dataset_id        VARCHAR PRIMARY KEY,       -- digest of the exported rows
    name              VARCHAR NOT NULL,
    split             VARCHAR NOT NULL,
    path              VARCHAR NOT NULL,
    n_rows            INTEGER NOT NULL,
    env_ids           JSON NOT NULL,
    lineage_hash      VARCHAR NOT NULL,
    run_id            VARCHAR,
    created_at        TIMESTAMP DEFAULT current_timestamp
);
