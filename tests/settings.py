"""Test settings: the real settings, with the queue run inline and loopback targets allowed."""

from __future__ import annotations

import os

os.environ.setdefault("HUB_ALLOW_PRIVATE_TARGETS", "1")
os.environ.setdefault("DJANGO_DEBUG", "0")

from hub.settings import *  # noqa: E402,F403
from hub.settings import Q_CLUSTER  # noqa: E402

# django-q2 reads Q_CLUSTER once at import: configure tests here, not with override_settings.
Q_CLUSTER["sync"] = True
HUB_ENCRYPTION_KEYS = ["zMK4-gYOuUGKhSvyD-YCx0mt9hGgQzim6KMkkkisyqk="]
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# The sync queue runs a sender inline per event: it must return as soon as it is idle.
HUB_DELIVERY_LINGER = 0.0
