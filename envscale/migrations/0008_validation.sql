-- Validation extras: the environment, the funnel flags of each trajectory,
-- and whether it may be exported for training (accepted and contract-clean).
ALTER TABLE validations ADD COLUMN env_id VARCHAR;
ALTER TABLE validations ADD COLUMN passed_validity BOOLEAN;
ALTER TABLE validations ADD COLUMN passed_alignment BOOLEAN;
ALTER TABLE validations ADD COLUMN passed_exact_match BOOLEAN;
ALTER TABLE validations ADD COLUMN accepted_for_export BOOLEAN DEFAULT false;
