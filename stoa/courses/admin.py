from django.contrib import admin
from django.http import HttpRequest

from stoa.courses.models import (
    Course,
    CourseOrganisation,
    CourseRun,
    CourseTeamMember,
    MediaFile,
    Option,
    Organisation,
    PeerReviewSettings,
    Question,
    Step,
    TeamInvitation,
    TranscriptCue,
    Week,
    bump_version,
)


class ChangesStructure(admin.ModelAdmin):
    """An admin whose saves and deletes change a course's structure, which each process holds
    keyed by the course's version (stoa.courses.structure): they replace the version, in the
    same transaction, after the inlines are saved too."""

    def courses_of(self, obj) -> list[int]:
        raise NotImplementedError

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        for course_id in self.courses_of(form.instance):
            bump_version(course_id)

    def delete_model(self, request, obj):
        courses = self.courses_of(obj)
        super().delete_model(request, obj)
        for course_id in courses:
            bump_version(course_id)

    def delete_queryset(self, request, queryset):
        courses = {course_id for obj in queryset for course_id in self.courses_of(obj)}
        super().delete_queryset(request, queryset)
        for course_id in courses:
            bump_version(course_id)


class CourseOrganisationInline(admin.TabularInline):
    model = CourseOrganisation
    extra = 0
    autocomplete_fields = ["organisation"]


class CourseTeamMemberInline(admin.TabularInline):
    """Link an account to a member to let them moderate and carry the role badge; or add a
    member, which the package import then leaves alone (see CourseTeamMember.from_package)."""

    model = CourseTeamMember
    extra = 0
    fields = ["position", "name", "role", "bio", "user", "from_package"]
    readonly_fields = ["from_package"]
    autocomplete_fields = ["user"]


class WeekInline(admin.TabularInline):
    model = Week
    extra = 0


class CourseRunInline(admin.TabularInline):
    model = CourseRun
    extra = 0


@admin.register(Organisation)
class OrganisationAdmin(ChangesStructure):
    search_fields = ["name"]
    list_display = ["name", "url"]

    def courses_of(self, obj: Organisation) -> list[int]:
        return list(obj.courses.values_list("pk", flat=True))


@admin.register(Course)
class CourseAdmin(ChangesStructure):
    list_display = ["title", "slug", "language", "hours_per_week", "updated_at"]
    search_fields = ["title", "slug"]
    inlines = [CourseOrganisationInline, CourseTeamMemberInline, WeekInline, CourseRunInline]

    def courses_of(self, obj: Course) -> list[int]:
        return [obj.pk]


@admin.register(CourseRun)
class CourseRunAdmin(admin.ModelAdmin):
    list_display = ["course", "starts_on"]
    list_filter = ["course"]
    date_hierarchy = "starts_on"


class TranscriptCueInline(admin.TabularInline):
    model = TranscriptCue
    extra = 0


class QuestionInline(admin.StackedInline):
    model = Question
    extra = 0
    show_change_link = True


class PeerReviewSettingsInline(admin.StackedInline):
    model = PeerReviewSettings
    extra = 0


@admin.register(Step)
class StepAdmin(ChangesStructure):
    list_display = ["__str__", "type", "week"]
    list_filter = ["type", "week__course"]
    list_select_related = ["week", "week__course"]
    search_fields = ["title", "slug"]
    raw_id_fields = ["week", "media_file"]
    inlines = [TranscriptCueInline, QuestionInline, PeerReviewSettingsInline]

    def courses_of(self, obj: Step) -> list[int]:
        return [obj.week.course_id]


class OptionInline(admin.TabularInline):
    model = Option
    extra = 0


@admin.register(Question)
class QuestionAdmin(admin.ModelAdmin):
    list_display = ["prompt", "step", "choose"]
    raw_id_fields = ["step"]
    inlines = [OptionInline]


@admin.register(MediaFile)
class MediaFileAdmin(ChangesStructure):
    list_display = ["path", "course", "size"]
    list_filter = ["course"]

    def courses_of(self, obj: MediaFile) -> list[int]:
        return [obj.course_id]


@admin.register(TeamInvitation)
class TeamInvitationAdmin(admin.ModelAdmin):
    """Invitations are made on the course's Team tab (courses.services.invite), which emails
    the link and stores the address as sign-in compares it, so none is added here; an
    address or course changed here would not be the one the link was sent for. What staff
    may do: look one up, give it another role or a later expiry, or delete it (cancelling
    it, as the Team tab does)."""

    list_display = ["email", "course", "role", "created_at", "expires_at", "accepted_at"]
    list_filter = ["course", "role"]
    list_select_related = ["course"]
    search_fields = ["email"]
    fields = [
        *("email", "course", "role", "invited_by", "token"),
        *("created_at", "expires_at", "accepted_at"),
    ]
    # The token is the link's whole secret: shown so staff can compare it, never typed over.
    readonly_fields = ["email", "course", "invited_by", "token", "created_at", "accepted_at"]
    ordering = ["-created_at"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False
