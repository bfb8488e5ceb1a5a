"""Saving a source: its handler_config, its secret(s) and its slug are checked (admin and API).

The model does not call these (no ``InboundSource.clean``): the checks need the handler
registry, and the handlers need the models. The admin form and the API serializer call them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django import forms
from django.core.exceptions import ValidationError

from hub.crypto import split_secrets
from inbound.handlers import HANDLERS
from inbound.schemes import SCHEMES

if TYPE_CHECKING:
    from inbound.models import InboundSource

MIN_SECRET_SLUG = 24  # a "none" source's slug is its only secret


def validate_secrets(source: InboundSource) -> None:
    scheme = SCHEMES.get(source.verification)
    if scheme is None:
        raise ValidationError({"verification": f"Unknown scheme {source.verification!r}."})
    if not scheme.uses_secret:
        if len(source.slug or "") < MIN_SECRET_SLUG:
            raise ValidationError(
                {
                    "slug": f"With verification '{scheme.name}' the slug is the secret: use a "
                    f"generated slug of at least {MIN_SECRET_SLUG} characters."
                }
            )
        return
    values = split_secrets(source.secret or "")
    if not values:
        if scheme.new_secret is None:
            raise ValidationError({"secret": f"Paste the signing secret issued by {scheme.name}."})
        source.secret = scheme.new_secret()
        return
    for position, value in enumerate(values, start=1):
        # Never echo the secret: validation messages reach API responses and logs.
        if not scheme.secret_ok(value):
            raise ValidationError({"secret": f"Secret {position} {scheme.secret_hint}"})


def validate_handler(source: InboundSource) -> None:
    module = HANDLERS.get(source.handler)
    if module is None:
        raise ValidationError({"handler": f"Unknown handler {source.handler!r}."})
    if source.handler_config is None:
        source.handler_config = {}
    module.validate_config(source.handler_config, source=source)


def validate_source(source: InboundSource) -> None:
    errors: dict[str, list[str]] = {}
    for check in (validate_secrets, validate_handler):
        try:
            check(source)
        except ValidationError as exc:
            for field, messages in exc.message_dict.items():
                errors.setdefault(field, []).extend(messages)
    if errors:
        raise ValidationError(errors)


class SourceChecksForm(forms.ModelForm):
    """A ModelForm of ``InboundSource`` that runs the source checks after the model's own."""

    # Django's private hook after the model's own validation (not in django-stubs); its
    # _update_errors files each message under its field, as the model's errors are.
    def _post_clean(self) -> None:
        super()._post_clean()  # type: ignore[misc]
        try:
            validate_source(self.instance)
        except ValidationError as exc:
            self._update_errors(exc)  # type: ignore[attr-defined]
