"""Change management: change records, blackout windows and their assessment."""
