"""The Team tab's forms (stoa/courses/team_views.py); the rules are the services'."""

from django import forms
from django.utils.translation import gettext_lazy as _

from stoa.courses.models import TeamRole


class InviteForm(forms.Form):
    email = forms.EmailField(
        label=_("Email address"),
        max_length=254,
        help_text=_("Someone with an account joins at once; anyone else gets an invitation."),
    )
    role = forms.ChoiceField(label=_("Role"), choices=TeamRole.choices, initial=TeamRole.EDUCATOR)


class RoleForm(forms.Form):
    role = forms.ChoiceField(label=_("Role"), choices=TeamRole.choices)
