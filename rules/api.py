"""API endpoints of this app (registered on hub.api.routers.router)."""
