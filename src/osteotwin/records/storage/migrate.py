"""Run the packaged Alembic migrations programmatically (the app migrates on first start)."""

from __future__ import annotations

from importlib import resources

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine


def alembic_config(engine: Engine) -> Config:
    """An Alembic configuration pointing at ``osteotwin.records.migrations``, bound to ``engine``."""
    config = Config()
    config.set_main_option("script_location",
                           str(resources.files("osteotwin.records").joinpath("migrations")))
    config.attributes["engine"] = engine
    return config


def upgrade_to_head(engine: Engine) -> None:
    """Create or migrate the schema to the newest revision."""
    command.upgrade(alembic_config(engine), "head")
