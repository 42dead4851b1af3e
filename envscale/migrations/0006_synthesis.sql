-- Synthesis extras: the episode's final state hash and the recorded issues
-- (broken replies, failed calls) of each trajectory.
ALTER TABLE trajectories ADD COLUMN final_state_hash VARCHAR;
ALTER TABLE trajectories ADD COLUMN issues JSON;
