"""Use cases (discover, login, chap, ...): keyword-only functions that return model objects and
outcomes. They never print; cli/ renders what they return."""
