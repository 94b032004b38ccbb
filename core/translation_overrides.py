"""Django messages whose stock zh-hans translation misleads users; our catalogue re-translates them.

Project catalogues (LOCALE_PATHS) take precedence over Django's own, and naming the messages here
keeps them in our catalogue when it is regenerated.
"""

from django.utils.translation import gettext_noop

OVERRIDDEN = [
    # Stock translation says "empty strings are not allowed", which is not what happened.
    gettext_noop("Null characters are not allowed."),
]
