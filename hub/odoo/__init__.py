"""Odoo connector: XML-RPC client, poller and push endpoint."""
