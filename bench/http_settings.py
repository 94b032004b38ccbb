"""Production settings for bench/pages_http.py, with static files collected into its own folder.

Only STATIC_ROOT differs (base.py fixes it to the checkout's staticfiles/), so that a benchmark
never rewrites the folder that `make prod` or another run serves.
"""

import os

from config.settings.production import *  # noqa: F403

STATIC_ROOT = os.environ["CHC_BENCH_STATIC_ROOT"]
