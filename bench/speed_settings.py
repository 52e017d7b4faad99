"""The speed benchmark's settings: Stoa's own, with the bare baselines' URLs in front
(bench.speed_urls). Nothing here reaches the product: only bench.speed serves with it."""

from stoa.settings import *  # noqa: F403

ROOT_URLCONF = "bench.speed_urls"
