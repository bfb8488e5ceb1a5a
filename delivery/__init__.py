"""Delivery: signing, authenticating, sending, logging and retrying webhooks."""
