-- Goal-directed blueprints: the user's goals (with a rule's refusal when the goal is forbidden) and the
-- facts the user states. NULL: a random-walk blueprint, or one stored before goal planning.
ALTER TABLE blueprints ADD COLUMN plan JSON;
