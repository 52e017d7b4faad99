from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from stoa.accounts.forms import AdminUserAddForm, AdminUserEditForm
from stoa.accounts.models import User


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    add_form = AdminUserAddForm
    form = AdminUserEditForm
    ordering = ["email"]
    list_display = ["email", "display_name", "is_staff", "date_joined"]
    search_fields = ["email", "display_name"]
    fieldsets = [
        (None, {"fields": ["email", "password"]}),
        ("Profile", {"fields": ["display_name", "bio"]}),
        (
            "Permissions",
            {"fields": ["is_active", "is_staff", "is_superuser", "groups", "user_permissions"]},
        ),
        ("Dates", {"fields": ["last_login", "date_joined"]}),
    ]
    add_fieldsets = [
        (None, {"classes": ["wide"], "fields": ["email", "display_name", "password1", "password2"]})
    ]
