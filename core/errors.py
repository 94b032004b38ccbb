"""The project's domain error; views turn it into a form error or a flash message."""


class DomainError(Exception):
    """A business rule refused the action; the message is meant for the user."""
