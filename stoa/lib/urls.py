"""Reversing URLs once per process: Django's {% url %} tag, and reverse() for Python, that
remember what they reversed; and {% static %} straight from the static files' storage.

A learner's step page reverses about fifteen URLs (the site's header, the step's forms, the
conversation's links), and reverse() costs about 0.03 ms each time: a tenth of a page whose
bar is two and a half times a bare view. The answer depends only on the arguments, the URL
configuration and the script prefix, so it is kept per process for those (a bounded number:
the least recently used are dropped). The tag is installed as a builtin in place of Django's
(settings.TEMPLATES), so templates write {% url %} as usual. So is {% static %}, for templates
that do not {% load static %}: Django's asks the app registry whether staticfiles is installed
at every use, and the storage (stoa.lib.staticfiles) keeps each URL once worked out.
"""

import functools
from collections.abc import Hashable, Iterable, Mapping
from typing import Any

from django import template
from django.contrib.staticfiles.storage import staticfiles_storage
from django.template.base import Parser, Token
from django.template.defaulttags import URLNode
from django.template.defaulttags import url as django_url
from django.templatetags.static import StaticNode, do_static
from django.urls import NoReverseMatch, get_script_prefix, get_urlconf
from django.urls import reverse as django_reverse
from django.utils.html import conditional_escape

register = template.Library()


@functools.lru_cache(maxsize=8192)
def _reversed(
    view_name: str,
    args: tuple,
    kwargs: tuple,
    current_app: str | None,
    urlconf: str | None,
    prefix: str,  # part of the key: reverse() reads it from the thread
) -> str:
    return django_reverse(
        view_name, args=args, kwargs=dict(kwargs), current_app=current_app, urlconf=urlconf
    )


def reverse(
    view_name: str,
    args: Iterable[Any] = (),
    kwargs: Mapping[str, Any] | None = None,
    current_app: str | None = None,
) -> str:
    """django.urls.reverse, remembered (for names and hashable arguments)."""
    args = tuple(args)
    items = tuple(sorted((kwargs or {}).items()))
    if not all(isinstance(value, Hashable) for value in (*args, *(v for _, v in items))):
        return django_reverse(
            view_name, args=args, kwargs=dict(kwargs or {}), current_app=current_app
        )
    return _reversed(view_name, args, items, current_app, get_urlconf(), get_script_prefix())


class RememberedURLNode(URLNode):
    """Django's URLNode.render, reversing through reverse() above."""

    def render(self, context: template.Context) -> str:
        args = [arg.resolve(context) for arg in self.args]
        kwargs = {key: value.resolve(context) for key, value in self.kwargs.items()}
        view_name = self.view_name.resolve(context)
        try:
            current_app = context.request.current_app  # type: ignore[attr-defined]
        except AttributeError:
            try:
                current_app = context.request.resolver_match.namespace  # type: ignore[attr-defined]
            except AttributeError:
                current_app = None
        url = ""
        try:
            url = reverse(view_name, args, kwargs, current_app)
        except NoReverseMatch:
            if self.asvar is None:
                raise
        if self.asvar:
            context[self.asvar] = url
            return ""
        return conditional_escape(url) if context.autoescape else url


@register.tag
def url(parser: Parser, token: Token) -> RememberedURLNode:
    node = django_url(parser, token)
    return RememberedURLNode(node.view_name, node.args, node.kwargs, node.asvar)


class StorageStaticNode(StaticNode):
    def url(self, context: template.Context) -> str:
        return staticfiles_storage.url(self.path.resolve(context))


@register.tag
def static(parser: Parser, token: Token) -> StorageStaticNode:
    node = do_static(parser, token)
    return StorageStaticNode(varname=node.varname, path=node.path)
