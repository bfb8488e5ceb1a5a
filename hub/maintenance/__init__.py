"""Project-wide maintenance jobs that span apps: log retention (after rollups) and dead letters."""
