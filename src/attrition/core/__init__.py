"""The relational core: resolved events, spells and the scope of a question, as SQL on any engine."""
