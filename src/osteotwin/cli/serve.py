"""``osteotwin serve``: the web application on SQLite (default) or PostgreSQL."""

from __future__ import annotations

from typing import Annotated

import typer

#: Environment variable for --demo/--no-demo (0/false/no: no demo accounts).
ENV_DEMO = "OSTEOTWIN_DEMO"


def register(app: typer.Typer) -> None:
    app.command("serve")(serve)


def serve(
    db: Annotated[str | None, typer.Option(
        "--db", help="database URL (default: $OSTEOTWIN_DATABASE_URL, else sqlite:///var/osteotwin.sqlite3)")
    ] = None,
    host: Annotated[str, typer.Option(help="interface to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="TCP port")] = 8000,
    workers: Annotated[int, typer.Option(min=1, max=64, help="server processes (SQLite in WAL mode and "
                                                           "PostgreSQL both take several)")] = 2,
    demo: Annotated[bool, typer.Option(
        "--demo/--no-demo", envvar=ENV_DEMO,
        help="seed an empty database with a demo patient and demo accounts, printing their passwords "
             "once (the default, as `make run` does); --no-demo (or $OSTEOTWIN_DEMO=0) starts with no "
             "accounts at all: create them with `osteotwin users create`")] = True,
    forwarded_allow_ips: Annotated[str | None, typer.Option(
        "--forwarded-allow-ips",
        help="behind a TLS reverse proxy: the proxy's address(es), comma-separated, whose "
             "X-Forwarded-Proto and X-Forwarded-For are trusted, so the app sees https (session "
             "cookies marked Secure, HSTS sent) and each client's own address (login throttling)")
    ] = None,
) -> None:
    """Serve the web app; a new database is created and migrated, and (unless --no-demo) an empty one
    is seeded with demo accounts."""
    import os
    import secrets

    import uvicorn

    from osteotwin.records.storage import make_engine, make_sessionmaker, resolve_database_url
    from osteotwin.records.storage.engine import ENV_DATABASE_URL
    from osteotwin.records.storage.migrate import upgrade_to_head
    from osteotwin.records.storage.seed import seed_demo
    from osteotwin.web.app import ENV_SECRET_KEY, create_app

    url = resolve_database_url(db)
    engine = make_engine(url)
    upgrade_to_head(engine)
    seeded = []
    if demo:
        with make_sessionmaker(engine)() as session:
            seeded = seed_demo(session)
    engine.dispose()
    if seeded:
        typer.echo("Demo accounts created (passwords are shown only this once):")
        for account in seeded:
            extra = f", record /patients/{account.patient_id}" if account.patient_id else ""
            typer.echo(f"  {account.role:<9} {account.username:<16} password: {account.password}{extra}")
    typer.echo(f"osteotwin: serving http://{host}:{port}/ (database {_safe(url)})")
    proxy: dict[str, object] = ({} if forwarded_allow_ips is None else
                                {"proxy_headers": True, "forwarded_allow_ips": forwarded_allow_ips})
    if workers == 1:
        uvicorn.run(create_app(url, migrate=False), host=host, port=port, log_level="warning",
                    **proxy)  # type: ignore[arg-type]
        return
    os.environ[ENV_DATABASE_URL] = url
    # one secret for all workers, so a session cookie signed by one is valid on the others
    os.environ.setdefault(ENV_SECRET_KEY, secrets.token_urlsafe(32))
    uvicorn.run("osteotwin.web.app:app_from_environment", factory=True, host=host, port=port,
                workers=workers, log_level="warning", **proxy)  # type: ignore[arg-type]


def _safe(url: str) -> str:
    """The URL without any password."""
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)
