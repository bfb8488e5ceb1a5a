"""API plumbing shared by every app: router, permissions, error handling."""
