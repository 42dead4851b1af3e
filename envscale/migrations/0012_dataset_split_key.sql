-- The split family an export belongs to (seed and held-out fraction): a held-out environment stays
-- held out across exports of one family, and evaluation leaves out what that family trained on.
-- Changing the seed or the fraction starts a new family (a deliberate re-split). NULL: older rows.
ALTER TABLE datasets ADD COLUMN split_key VARCHAR;
