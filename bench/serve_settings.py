"""Settings for the gunicorn bench: the production settings, plus a bench-only URLconf."""

from __future__ import annotations

from hub.settings import *  # noqa: F403

# The bare baseline view lives only here (bench/serve_urls.py), never in the product's URLs.
ROOT_URLCONF = "bench.serve_urls"
