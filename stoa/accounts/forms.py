from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm

from stoa.accounts.models import User


class AdminUserAddForm(AdminUserCreationForm):
    class Meta:
        model = User
        fields = ["email", "display_name"]


class AdminUserEditForm(UserChangeForm):
    class Meta:
        model = User
        fields = "__all__"
