"""``osteotwin serve``: the web application on SQLite (default) or PostgreSQL."""

from __future__ import annotations

from typing import Annotated

import typer

from osteotwin.cli.common import DB_HELP

#: Environment variable for --demo/--no-demo (1/true/yes: demo accounts; 0/false/no: none).
ENV_DEMO = "OSTEOTWIN_DEMO"
#: Environment variable for --secure-cookies; ``serve`` sets it to 1 (or removes it) for the web
#: app and its workers, which then mark session cookies Secure and send HSTS on every request.
ENV_SECURE_COOKIES = "OSTEOTWIN_SECURE_COOKIES"


def register(app: typer.Typer) -> None:
    app.command("serve")(serve)


def serve(
    db: Annotated[str | None, typer.Option("--db", help=DB_HELP)] = None,
    host: Annotated[str, typer.Option(help="interface to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="TCP port")] = 8000,
    workers: Annotated[int, typer.Option(min=1, max=64, help="server processes (SQLite in WAL mode and "
                                                           "PostgreSQL both take several)")] = 2,
    demo: Annotated[bool | None, typer.Option(
        "--demo/--no-demo", envvar=ENV_DEMO, show_default=False,
        help="seed an empty database with a demo patient and demo accounts, printing their passwords "
             "once. Default: --demo on SQLite (as `make run` does), --no-demo on PostgreSQL; "
             "$OSTEOTWIN_DEMO=1 or 0 chooses too. Without demo accounts the app starts with no "
             "accounts at all: create them with `osteotwin users create`")] = None,
    forwarded_allow_ips: Annotated[str | None, typer.Option(
        "--forwarded-allow-ips",
        help="behind a TLS reverse proxy: the proxy's address(es), comma-separated, whose "
             "X-Forwarded-Proto and X-Forwarded-For are trusted, so the app sees https (session "
             "cookies marked Secure, HSTS sent) and each client's own address (login throttling)")
    ] = None,
    secure_cookies: Annotated[bool, typer.Option(
        "--secure-cookies", envvar=ENV_SECURE_COOKIES,
        help="always mark session cookies Secure and send HSTS, whatever the proxy headers say "
             "(the service is reached only over https); also $OSTEOTWIN_SECURE_COOKIES=1")] = False,
) -> None:
    """Serve the web app; a new database is created and migrated, and an empty one is seeded with demo
    accounts where --demo applies (by default on SQLite only)."""
    import os

    import uvicorn

    from osteotwin.cli.common import open_database
    from osteotwin.records.storage import make_sessionmaker, resolve_database_url
    from osteotwin.records.storage.engine import ENV_DATABASE_URL, masked_url
    from osteotwin.records.storage.seed import has_users, seed_demo
    from osteotwin.web.app import ENV_SECRET_KEY, create_app, session_secret

    url = resolve_database_url(db)
    engine = open_database(url)
    # one secret for this server and its workers (a short $OSTEOTWIN_SECRET_KEY refused here, before
    # the banner; a generated one said in the log), so a cookie signed by one worker is valid on all
    secret = session_secret()
    if demo is None:  # demo accounts by default only on the local SQLite file
        demo = engine.dialect.name == "sqlite"
    seeded = []
    with make_sessionmaker(engine)() as session:
        if demo:
            seeded = seed_demo(session)
        no_accounts = not has_users(session)
    engine.dispose()
    if seeded:
        typer.echo("Demo accounts created (passwords are shown only this once):")
        for account in seeded:
            extra = f", record /patients/{account.patient_id}" if account.patient_id else ""
            typer.echo(f"  {account.role:<9} {account.username:<16} password: {account.password}{extra}")
    elif no_accounts:
        typer.echo("osteotwin: the database has no accounts yet: create one with "
                   "`osteotwin users create --role clinician --username NAME` (or start with --demo)")
    typer.echo(f"osteotwin: serving http://{host}:{port}/ (database {masked_url(url)})")
    # the web app (and each worker process) reads the variable
    if secure_cookies:
        os.environ[ENV_SECURE_COOKIES] = "1"
    else:
        os.environ.pop(ENV_SECURE_COOKIES, None)
    proxy: dict[str, object] = ({} if forwarded_allow_ips is None else
                                {"proxy_headers": True, "forwarded_allow_ips": forwarded_allow_ips})
    if workers == 1:
        uvicorn.run(create_app(url, migrate=False, secret_key=secret), host=host, port=port,
                    log_level="warning", **proxy)  # type: ignore[arg-type]
        return
    os.environ[ENV_DATABASE_URL] = url
    os.environ[ENV_SECRET_KEY] = secret
    uvicorn.run("osteotwin.web.app:app_from_environment", factory=True, host=host, port=port,
                workers=workers, log_level="warning", **proxy)  # type: ignore[arg-type]
