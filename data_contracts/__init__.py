"""Great Expectations data contracts. GE takes seconds to import, so every module here imports it lazily."""
