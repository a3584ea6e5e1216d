"""More CLI commands (seed-demo, generate-data, worker, report) — filled in by their areas."""


def init_app(app) -> None:
    pass
