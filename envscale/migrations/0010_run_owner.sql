-- Who executes a run: host, pid and the process's start time, so a run left 'running' by a killed
-- process can be told apart from a live one (envscale.integrity). Status gains 'interrupted'.
ALTER TABLE runs ADD COLUMN owner JSON;
