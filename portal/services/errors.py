"""Errors raised by services when a rule is broken; the message is shown to the user as is."""


class DomainError(ValueError):
    """A business rule refused the change. ``str(exc)`` is a translated, user-facing message."""

    def __init__(self, message, field: str | None = None):
        super().__init__(str(message))
        self.message = message
        self.field = field

    def __str__(self) -> str:
        return str(self.message)
