"""Document stages: extraction, language ID, and (later) quality filters."""
