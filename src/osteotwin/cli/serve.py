"""``osteotwin serve``: the web application on SQLite (default) or PostgreSQL."""

from __future__ import annotations

from typing import Annotated

import typer


def register(app: typer.Typer) -> None:
    app.command("serve")(serve)


def serve(
    db: Annotated[str | None, typer.Option(
        "--db", help="database URL (default: $OSTEOTWIN_DATABASE_URL, else sqlite:///var/osteotwin.sqlite3)")
    ] = None,
    host: Annotated[str, typer.Option(help="interface to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="TCP port")] = 8000,
) -> None:
    """Serve the web app; a new database is created, migrated and seeded with demo accounts."""
    import uvicorn

    from osteotwin.records.storage import make_engine, make_sessionmaker, resolve_database_url
    from osteotwin.records.storage.migrate import upgrade_to_head
    from osteotwin.records.storage.seed import seed_demo
    from osteotwin.web.app import create_app

    url = resolve_database_url(db)
    engine = make_engine(url)
    upgrade_to_head(engine)
    with make_sessionmaker(engine)() as session:
        seeded = seed_demo(session)
    engine.dispose()
    if seeded:
        typer.echo("Demo accounts created (passwords are shown only this once):")
        for account in seeded:
            extra = f", record /patients/{account.patient_id}" if account.patient_id else ""
            typer.echo(f"  {account.role:<9} {account.username:<16} password: {account.password}{extra}")
    typer.echo(f"osteotwin: serving http://{host}:{port}/ (database {_safe(url)})")
    uvicorn.run(create_app(url, migrate=False), host=host, port=port, log_level="warning")


def _safe(url: str) -> str:
    """The URL without any password."""
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)
