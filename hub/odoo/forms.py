"""Admin forms for connections (write-only credentials) and hooks (events, fields, domain)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django import forms

from hub.lib.formfields import NAME_LIST_HELP, NameListField
from hub.models import STANDARD_EVENTS, ModelHook, OdooConnection
from rules.domain import DomainError, parse_domain

if TYPE_CHECKING:
    from rules.models import WebhookRule

SECRET_FIELDS = ("password", "api_key")


class OdooConnectionForm(forms.ModelForm):
    url = forms.URLField(
        max_length=500,
        assume_scheme="https",
        help_text="Base URL of the Odoo server, e.g. https://odoo.example.com",
    )

    class Meta:
        model = OdooConnection
        fields = (
            "name",
            "url",
            "database",
            "username",
            "password",
            "api_key",
            "poll_interval",
            "timeout",
            "protocol",
            "active",
        )
        widgets = {name: forms.PasswordInput(render_value=False) for name in SECRET_FIELDS}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in SECRET_FIELDS:
            field = self.fields[name]
            field.required = False
            state = "set" if getattr(self.instance, name) else "not set"
            field.help_text = f"Currently: {state}. Leave blank to keep it."
        self.fields["api_key"].help_text += " Used instead of the password when set."
        self.fields["protocol"].required = False  # blank: automatic, as before the field existed

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        for name in SECRET_FIELDS:
            if not cleaned.get(name):
                cleaned[name] = getattr(self.instance, name)  # blank keeps the stored value
        cleaned["protocol"] = cleaned.get("protocol") or "auto"
        if not (cleaned.get("password") or cleaned.get("api_key")):
            raise forms.ValidationError("Give a password or an API key.")
        if cleaned["protocol"] == "json2" and not cleaned.get("api_key"):
            self.add_error("protocol", "JSON-2 needs an API key.")
        return cleaned

    def save(self, commit: bool = True) -> OdooConnection:
        if {"url", "database", "username", "password", "api_key", "protocol"} & set(
            self.changed_data
        ):
            self.instance.uid = None  # log in again (and re-detect the version) on next use
            self.instance.version = self.instance.transport = ""
        return super().save(commit)


class ModelHookForm(forms.ModelForm):
    events = forms.MultipleChoiceField(
        choices=[(c, c) for c in STANDARD_EVENTS],
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text="None checked = all three.",
    )
    tracked_fields = NameListField(
        widget=forms.TextInput(attrs={"size": 80, "autocomplete": "off"}),
        help_text="A write that changes none of these fields emits nothing; empty: every stored "
        "field. The active field is always tracked (archive/unarchive). " + NAME_LIST_HELP,
    )

    class Meta:
        model = ModelHook
        fields = (
            "connection",
            "model",
            "events",
            "domain",
            "tracked_fields",
            "echo_suppression",
            "active",
        )
        widgets = {
            "model": forms.TextInput(attrs={"size": 40}),
            "domain": forms.Textarea(attrs={"rows": 2, "cols": 80}),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.initial["tracked_fields"] = ", ".join(self.instance.tracked_fields or [])
        self.initial["events"] = list(self.instance.events or [])

    def clean_tracked_fields(self) -> list[str]:
        names = self.cleaned_data.get("tracked_fields") or []
        bad = [n for n in names if "." in n or not n.replace("_", "").isalnum()]
        if bad:
            raise forms.ValidationError(f"Not a field name: {', '.join(bad)} (no dotted paths).")
        return names

    def clean_domain(self) -> str:
        text = self.cleaned_data.get("domain") or ""
        try:
            parse_domain(text)
        except DomainError as exc:
            raise forms.ValidationError(f"Invalid domain: {exc}") from exc
        return text

    def clean_events(self) -> list[str]:
        return list(self.cleaned_data.get("events") or [])


class PreviewForm(forms.Form):
    rule: forms.ModelChoiceField[WebhookRule] = forms.ModelChoiceField(queryset=None)
    record_id = forms.IntegerField(min_value=1, label="Record id")
    event = forms.ChoiceField(choices=[(c, c) for c in STANDARD_EVENTS], initial="write")

    def __init__(self, *args: Any, model: str, **kwargs: Any) -> None:
        from rules.models import WebhookRule

        super().__init__(*args, **kwargs)
        rule_field = self.fields["rule"]
        assert isinstance(rule_field, forms.ModelChoiceField)
        rule_field.queryset = WebhookRule.objects.filter(model=model)
