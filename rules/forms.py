"""Admin forms for rules: write-only credential inputs and readable JSON fields."""

from __future__ import annotations

import json
from typing import Any

from django import forms
from django.core.exceptions import ValidationError

from hub.crypto import split_secrets
from hub.lib.formfields import NAME_LIST_HELP, NameListField
from hub.lib.redaction import MaskedValueError, mask_headers, restore_masked
from rules.models import PayloadField, WebhookRule

CREDENTIAL_FIELDS = ("auth_password", "auth_token", "api_key")
WRITE_ONLY_FIELDS = ("secret", *CREDENTIAL_FIELDS)


class PrettyJSONEncoder(json.JSONEncoder):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs["indent"] = 2
        super().__init__(*args, **kwargs)


def secret_status(rule: WebhookRule) -> str:
    count = len(split_secrets(rule.secret))
    if count == 0:
        return "not set"
    if count == 1:
        return "set"
    return f"set ({count} secrets: rotation in progress, all of them sign)"


class WebhookRuleAdminForm(forms.ModelForm):
    clear_credentials = forms.BooleanField(
        required=False,
        label="Forget stored credentials",
        help_text="Erase the stored password, token and API key (then type new ones, if any).",
    )
    trigger_fields = NameListField(
        help_text="Fire a write only when one of these fields changed; empty: any change. "
        + NAME_LIST_HELP
    )

    class Meta:
        model = WebhookRule
        fields = "__all__"  # noqa: DJ007 - the admin's fieldsets choose and order them
        widgets = {name: forms.PasswordInput(render_value=False) for name in WRITE_ONLY_FIELDS}
        error_messages = {
            "headers": {
                "invalid": "Enter a JSON object of header names and values, "
                'e.g. {"X-Tenant": "acme"}.'
            }
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        headers = self.fields.get("headers")
        if isinstance(headers, forms.JSONField):
            headers.encoder = PrettyJSONEncoder
        if "max_retries" in self.fields:  # the API keeps the name max_retries
            attempts = self.fields["max_retries"]
            attempts.label = "Max attempts"
            attempts.help_text = "Total attempts, the first one included (1 = never retry)."
        adding = self.instance.pk is None
        if "headers" in self.fields and not adding:
            # Credential header values are never put in the page; the mask comes back on save.
            self.initial["headers"] = mask_headers(self.instance.headers or {})
        for name in WRITE_ONLY_FIELDS:
            if name not in self.fields:
                continue
            field = self.fields[name]
            field.required = False
            # A callable model default (the generated secret) would otherwise be rendered in a
            # hidden "initial-" input: the page would carry the plaintext.
            field.show_hidden_initial = False
            if name == "secret":
                state = "generated on save" if adding else secret_status(self.instance)
                hint = "Several secrets may be given, separated by spaces, while rotating."
            else:
                state = "set" if getattr(self.instance, name) else "not set"
                hint = ""
            field.help_text = f"Currently: {state}. Leave blank to keep it. {hint}".strip()

    def clean_headers(self) -> Any:
        value = self.cleaned_data.get("headers")
        if not isinstance(value, dict):
            return value  # the model's validator says what is wrong
        stored = self.instance.headers if self.instance.pk else {}
        try:
            return restore_masked(value, stored or {})
        except MaskedValueError as exc:
            raise ValidationError(str(exc)) from exc

    def _keep(self, name: str) -> str:
        typed = self.cleaned_data.get(name) or ""
        return typed.strip() if name == "secret" else typed

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        self.generated_secret = self.instance.pk is None and not self._keep("secret")
        forget = cleaned.get("clear_credentials")
        for name in WRITE_ONLY_FIELDS:
            if name not in self.fields:
                continue
            typed = self._keep(name)
            if typed:
                cleaned[name] = typed
            elif forget and name in CREDENTIAL_FIELDS:
                cleaned[name] = ""
            else:
                # Blank keeps the stored value (a new rule keeps its generated secret).
                cleaned[name] = getattr(self.instance, name)
        return cleaned


class PayloadFieldFormSet(forms.BaseInlineFormSet):
    """Two included fields may not write the same key of ``data``."""

    def clean(self) -> None:
        super().clean()
        seen: set[str] = set()
        for form in self.forms:
            data = getattr(form, "cleaned_data", None) or {}
            if not data or data.get("DELETE") or not data.get("include", True):
                continue
            key = data.get("payload_key") or data.get("source_path") or ""
            if key in seen:
                raise ValidationError(f"Two payload fields write the key {key!r}.")
            seen.add(key)


class PayloadFieldInlineForm(forms.ModelForm):
    class Meta:
        model = PayloadField
        fields = (
            "sequence", "source_path", "payload_key", "field_type", "transform",
            "transform_arg", "default_value", "include",
        )  # fmt: skip
        # Narrow inputs: the whole row (delete included) fits a 1,366 px screen.
        widgets = {
            "sequence": forms.NumberInput(attrs={"style": "width: 4em"}),
            "source_path": forms.TextInput(attrs={"size": 24}),
            "payload_key": forms.TextInput(attrs={"size": 14}),
            "field_type": forms.Select(attrs={"style": "max-width: 9em"}),
            "transform": forms.Select(attrs={"style": "max-width: 11em"}),
            "transform_arg": forms.TextInput(attrs={"size": 18}),
            "default_value": forms.TextInput(attrs={"size": 10}),
        }
