"""CLI commands of this area (registered by portal.cli)."""


def init_app(app) -> None:
    pass
