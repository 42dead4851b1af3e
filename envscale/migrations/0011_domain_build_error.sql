-- A domain whose environment could not be built keeps the reason (the exception, shortened), so a
-- failed build is visible in the warehouse and not only in the run's Prefect artifact.
ALTER TABLE domains ADD COLUMN build_error VARCHAR;
