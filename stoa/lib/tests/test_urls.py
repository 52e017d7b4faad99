import pytest
from django.template import Context, Template, engines
from django.urls import NoReverseMatch
from django.urls import reverse as django_reverse

from stoa.lib import urls
from stoa.lib.staticfiles import StaticFilesStorage


def _render(source: str, **context) -> str:
    return engines["django"].from_string(source).render(context)


def test_the_url_tag_reverses_as_django_s_does():
    expected = django_reverse("learning:todo", args=["a-course"])

    assert _render("{% url 'learning:todo' slug %}", slug="a-course") == expected
    assert _render("{% url 'learning:todo' slug as todo %}[{{ todo }}]", slug="x") == (
        f"[{django_reverse('learning:todo', args=['x'])}]"
    )
    assert _render("{% url 'courses:catalogue' %}") == django_reverse("courses:catalogue")


def test_a_url_that_cannot_be_reversed_fails_as_with_django_s_tag():
    with pytest.raises(NoReverseMatch):
        _render("{% url 'no-such-view' %}")
    assert _render("{% url 'no-such-view' as gone %}[{{ gone }}]") == "[]"


def test_the_tag_is_stoa_s_in_every_template_and_remembers():
    template = Template("{% url 'learning:progress' slug %}")
    urls._reversed.cache_clear()

    for _ in range(3):
        template.render(Context({"slug": "remembered"}))

    assert urls._reversed.cache_info().hits == 2
    assert urls._reversed.cache_info().misses == 1


def test_reverse_takes_unhashable_arguments_too():
    assert urls.reverse("learning:todo", args=["a"]) == django_reverse("learning:todo", args=["a"])
    assert urls.reverse("learning:todo", kwargs={"slug": "b"}) == django_reverse(
        "learning:todo", kwargs={"slug": "b"}
    )
    with pytest.raises(NoReverseMatch):  # reversed each time, as Django does
        urls.reverse("learning:todo", args=[["c"]])


def test_static_urls_are_worked_out_once(tmp_path):
    storage = StaticFilesStorage(location=tmp_path, base_url="/static/")
    storage.hashed_files = {"stoa/a.css": "stoa/a.123.css"}

    assert storage.url("stoa/a.css") == "/static/stoa/a.123.css"
    storage.hashed_files = {"stoa/a.css": "stoa/a.456.css"}  # the manifest never changes live
    assert storage.url("stoa/a.css") == "/static/stoa/a.123.css"


def test_the_csrf_token_is_masked_once_per_request_and_secret(rf):
    from django.middleware.csrf import _unmask_cipher_token, rotate_token

    from stoa.lib.http import csrf_token

    request = rf.get("/")
    first = csrf_token(request)

    assert csrf_token(request) == first
    secret = request.META["CSRF_COOKIE"]
    assert _unmask_cipher_token(first) == secret
    rotate_token(request)  # as signing in does
    rotated = csrf_token(request)
    assert rotated != first
    assert _unmask_cipher_token(rotated) == request.META["CSRF_COOKIE"] != secret


def test_the_token_masks_the_cookie_s_secret_anew_for_each_request(rf):
    from django.middleware.csrf import CSRF_ALLOWED_CHARS, _unmask_cipher_token

    from stoa.lib.http import csrf_token

    secret = "s3cr3t" * 5 + "ab"
    tokens = []
    for _ in range(2000):
        request = rf.get("/")
        request.META["CSRF_COOKIE"] = secret  # as the middleware finds it in the cookie
        tokens.append(csrf_token(request))
        assert request.META["CSRF_COOKIE_NEEDS_UPDATE"]  # the cookie's expiry is renewed

    assert all(_unmask_cipher_token(token) == secret for token in tokens)
    assert len(set(tokens)) == len(tokens)
    masks = "".join(token[:32] for token in tokens)
    assert set(masks) == set(CSRF_ALLOWED_CHARS)  # every character drawn, none left out


def test_the_static_tag_gives_the_storage_s_url():
    from django.contrib.staticfiles.storage import staticfiles_storage

    assert _render("{% static 'stoa/stoa.css' %}") == staticfiles_storage.url("stoa/stoa.css")
    assert _render("{% static 'stoa/a b.css' as css %}[{{ css }}]") == (
        f"[{staticfiles_storage.url('stoa/a b.css')}]"
    )
