"""Rules: the event catalogue, webhook rules and payload fields; matching and payload building."""
