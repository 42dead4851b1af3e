-- One row per (environment, tool) the build considered: working tools and
-- dropped ones with the stage and reason, so "why was this tool not built"
-- is one query.
CREATE TABLE environment_tools (
    env_id            VARCHAR NOT NULL,
    name              VARCHAR NOT NULL,
    kind              VARCHAR,                   -- read | write (NULL when dropped before compiling)
    writes            JSON,
    working           BOOLEAN NOT NULL,
    stage             VARCHAR,                   -- schema | compile | check | selftest (dropped tools)
    reason            VARCHAR,
    run_id            VARCHAR,
    created_at        TIMESTAMP DEFAULT current_timestamp,
    PRIMARY KEY (env_id, name)
);
