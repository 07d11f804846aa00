"""Users' interests: explicit topics and implicit ones from their questions."""
