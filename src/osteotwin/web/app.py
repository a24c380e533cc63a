"""FastAPI application factory: storage, migrations, routers, error handling, static assets; the
settings read from the environment (session secret, idle timeout, Secure cookies), the access audit
of record reads and the database health check (docs/deployment.md)."""

from __future__ import annotations

import logging
import os
import secrets
import time
from collections.abc import Callable, Mapping
from importlib import resources
from pathlib import Path
from typing import Any

import jinja2
from fastapi import FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.orm.exc import StaleDataError
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

import osteotwin
from osteotwin.clinic.render.labels import FILTERS
from osteotwin.errors import UserInputError, echoed
from osteotwin.records.storage import make_engine, make_sessionmaker, upgrade_to_head
from osteotwin.records.storage.audit import Actor, record_access
from osteotwin.simulate.display import simulated_value
from osteotwin.web import api, details, pages
from osteotwin.web.deps import USER_STATE, LoginRequired
from osteotwin.web.security import (
    ENV_SECURE_COOKIES,
    ENV_SESSION_IDLE_MINUTES,
    MAX_REQUEST_BODY_BYTES,
    BodySizeLimitMiddleware,
    LoginThrottle,
    SecurityHeadersMiddleware,
    SessionCodec,
    SessionRefreshMiddleware,
    client_address,
    idle_minutes_setting,
    secure_cookies_setting,
)
from osteotwin.web.services import Unavailable

WEB_DIR = Path(str(resources.files("osteotwin.web")))
ENV_SECRET_KEY = "OSTEOTWIN_SECRET_KEY"
#: Shortest session secret accepted from ``$OSTEOTWIN_SECRET_KEY`` (``secrets.token_urlsafe(32)``
#: gives 43 characters): osteotwin's choice, so that a random value carries at least the 112 bits
#: NIST SP 800-131A asks of a key (32 URL-safe characters carry 192).
MIN_SECRET_KEY_CHARS = 32
LOG = logging.getLogger("osteotwin.web")

#: What a request answers while the database cannot be reached (503).
DATABASE_UNAVAILABLE = ("The database is not available at the moment, so this request could not be "
                        "completed. Try again in a minute; if it persists, tell the system's "
                        "administrator.")
#: What an unexpected failure answers (500); the details go to the server's log only.
INTERNAL_ERROR = ("Something went wrong on the server and this request could not be completed. "
                  "Try again; if it persists, tell the system's administrator.")


def session_secret(secret_key: str | None = None) -> str:
    """The key that signs session cookies: ``secret_key`` if given (tests, embedding), else
    ``$OSTEOTWIN_SECRET_KEY``, which must have at least ``MIN_SECRET_KEY_CHARS`` characters, else a
    random key for this process, with a warning in the log: sessions then end when the server
    restarts, and another instance does not accept them."""
    if secret_key:
        return secret_key
    supplied = os.environ.get(ENV_SECRET_KEY)
    if supplied is not None:
        if len(supplied) < MIN_SECRET_KEY_CHARS:
            # the value itself is a secret: only its length is shown
            raise UserInputError(ENV_SECRET_KEY, f"a value of {len(supplied)} characters",
                                 f"at least {MIN_SECRET_KEY_CHARS} random characters, e.g. from "
                                 "`python3 -c 'import secrets; print(secrets.token_urlsafe(32))'`",
                                 problem="session secret too short")
        return supplied
    LOG.warning("%s is not set: this process signs sessions with a random secret, so browser sessions "
                "end when it restarts and other instances do not accept them; set %s (at least %d "
                "characters) in production (docs/deployment.md)", ENV_SECRET_KEY, ENV_SECRET_KEY,
                MIN_SECRET_KEY_CHARS)
    return secrets.token_urlsafe(32)


def database_reachable(engine: Engine) -> bool:
    """Whether the database answers ``SELECT 1``; a pooled connection that went stale (the server
    restarted) is replaced and tried once more."""
    for attempt in (1, 2):
        try:
            with engine.connect() as connection:
                connection.execute(text("SELECT 1"))
            return True
        except DBAPIError as exc:
            if exc.connection_invalidated and attempt == 1:
                continue
            LOG.warning("health check: the database did not answer: %s", _reason(exc))
            return False
        except SQLAlchemyError as exc:  # e.g. every pooled connection busy past the pool timeout
            LOG.warning("health check: the database did not answer: %s", _reason(exc))
            return False
    return False


def _reason(exc: BaseException) -> str:
    """An exception's first line, without the SQL statement and parameters SQLAlchemy appends
    (they may hold health data)."""
    cause = getattr(exc, "orig", None) or exc
    lines = str(cause).strip().splitlines()
    return f"{type(cause).__name__}: {lines[0] if lines else ''}"


def database_unreachable(exc: BaseException) -> bool:
    """Whether a database error means the database cannot be reached or used at the moment
    (connection refused or lost, the server shutting down, a lock not granted in time), rather
    than a fault in the request or the schema."""
    if isinstance(exc, OperationalError | InterfaceError):
        return True
    return isinstance(exc, DBAPIError) and exc.connection_invalidated


#: The reads of patient data that are audited (``view`` or ``export``), by method and route, with
#: the ``entity`` recorded (path parameters filled in). Every other route that reads a record is
#: in ``UNAUDITED_READS`` with the reason (a test holds the app's routes to the two lists).
AUDITED_READS: dict[tuple[str, str], tuple[str, str]] = {
    ("GET", "/patients"): ("view", "patient_list"),
    ("GET", "/patients/{patient_id}"): ("view", "timeline"),
    ("GET", "/patients/{patient_id}/details"): ("view", "details"),
    ("GET", "/patients/{patient_id}/assessment"): ("view", "assessment"),
    ("GET", "/patients/{patient_id}/plan"): ("view", "plan"),
    ("GET", "/patients/{patient_id}/what-if"): ("view", "what_if"),
    ("GET", "/patients/{patient_id}/audit"): ("view", "audit"),
    ("GET", "/patients/{patient_id}/plan.html"): ("export", "plan.html"),
    ("GET", "/patients/{patient_id}/report.{fmt}"): ("export", "report.{fmt}"),
    ("GET", "/patients/{patient_id}/patient.yaml"): ("export", "patient.yaml"),
    ("GET", "/patients/{patient_id}/fhir.json"): ("export", "fhir.json"),
    ("GET", "/api/patients"): ("view", "api:patient_list"),
    ("GET", "/api/patients/{patient_id}"): ("view", "api:patient"),
    ("GET", "/api/patients/{patient_id}/entries/{kind}"): ("view", "api:entries:{kind}"),
    ("GET", "/api/patients/{patient_id}/logs"): ("view", "api:logs"),
    ("GET", "/api/patients/{patient_id}/assessment"): ("view", "api:assessment"),
    ("GET", "/api/patients/{patient_id}/plan"): ("view", "api:plan"),
    ("POST", "/api/patients/{patient_id}/simulations"): ("view", "api:simulation"),
    ("GET", "/api/patients/{patient_id}/fhir"): ("export", "api:fhir"),
}
#: Routes that show a record's data but are not audited on their own, and why.
UNAUDITED_READS: dict[tuple[str, str], str] = {
    ("GET", "/patients/{patient_id}/plan/summary"): "the plan page's body, which that page loads",
    ("POST", "/patients/{patient_id}/what-if"): "a run on the what-if page, whose view is audited",
}


def access_event(scope: Scope) -> dict[str, Any] | None:
    """The access event a finished request makes (``record_access``'s arguments), or None when its
    route is not an audited read or no one was signed in."""
    route = scope.get("route")
    actor = scope.get("state", {}).get(USER_STATE)
    audited = AUDITED_READS.get((str(scope.get("method")), str(getattr(route, "path", ""))))
    if audited is None or not isinstance(actor, Actor):
        return None
    params = {key: str(value) for key, value in (scope.get("path_params") or {}).items()}
    action, entity = audited
    details = {"address": client_address(scope), "path": str(scope.get("path", ""))}
    query = bytes(scope.get("query_string") or b"").decode("latin-1")
    if query:
        details["query"] = query
    patient = params.get("patient_id", "")
    return {"action": action, "entity": entity.format_map(params), "username": actor.username,
            "user_id": actor.user_id, "patient_id": int(patient) if patient.isdigit() else None,
            "details": details}


class AccessAuditMiddleware:
    """Records who read which record (``AUDITED_READS``): one ``audit_log`` insert, in its own
    transaction, for each successful (2xx) answer, before the answer is sent. If it cannot be
    written, the data is not sent either: ``refuse`` answers instead (503)."""

    def __init__(self, app: ASGIApp, factory: sessionmaker[Session],
                 refuse: Callable[[Scope], Response]) -> None:
        self.app = app
        self.factory = factory
        self.refuse = refuse

    def _write(self, event: dict[str, Any]) -> None:
        with self.factory() as session:
            record_access(session, **event)
            session.commit()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        refused = False

        async def audited_send(message: Message) -> None:
            nonlocal refused
            if refused:
                return  # the route's answer is dropped: the refusal was sent instead
            if message["type"] == "http.response.start" and 200 <= message["status"] < 300:
                event = access_event(scope)
                if event is not None:
                    try:
                        await run_in_threadpool(self._write, event)
                    except SQLAlchemyError as exc:
                        LOG.error("access audit not written, the answer withheld: %s", _reason(exc))
                        refused = True
                        await self.refuse(scope)(scope, receive, send)
                        return
            await send(message)

        await self.app(scope, receive, audited_send)


def plotly_js_path() -> Path:
    """plotly.min.js as shipped inside the installed ``plotly`` Python package (served locally)."""
    import importlib.util

    spec = importlib.util.find_spec("plotly")
    if spec is None or spec.origin is None:
        raise RuntimeError("the plotly package is required to serve plotly.min.js")
    return Path(spec.origin).parent / "package_data" / "plotly.min.js"


def _error_items(exc: RequestValidationError) -> list[dict[str, Any]]:
    items = []
    for error in exc.errors():
        loc = [str(part) for part in error.get("loc", ()) if part not in ("body", "query", "path")]
        field = ".".join(loc) or "body"
        items.append({"field": field, "problem": str(error.get("msg", "invalid value")),
                      "accepted": _accepted(error),
                      "value": _echoed(error.get("input")),
                      "message": f"{field}: {error.get('msg', 'invalid value')}"})
    return items


#: Pydantic's bound checks and what each accepts (``ctx`` holds the bound).
_BOUNDS = {"greater_than_equal": ("ge", "at least"), "less_than_equal": ("le", "at most"),
           "greater_than": ("gt", "more than"), "less_than": ("lt", "less than")}


def _accepted(error: Mapping[str, Any]) -> str:
    """What a request validation error's field accepts, in words where pydantic says it: a bound
    (``at least 1``), the allowed values, a validator's own message; else pydantic's error type."""
    kind, ctx = str(error.get("type", "")), error.get("ctx") or {}
    if kind in _BOUNDS and _BOUNDS[kind][0] in ctx:
        bound = ctx[_BOUNDS[kind][0]]
        return f"{_BOUNDS[kind][1]} {bound:g}" if isinstance(bound, int | float) else f"{_BOUNDS[kind][1]} {bound}"
    if kind in ("literal_error", "enum") and "expected" in ctx:
        return str(ctx["expected"])
    if kind == "value_error":
        return str(error.get("msg", "")).removeprefix("Value error, ")
    if kind == "missing":
        return "a value (the field is required)"
    return kind


def _echoed(value: Any) -> Any:
    """A submitted value as an error body repeats it: plain values only, as ``errors.echoed`` gives
    them (text shortened, NaN and infinities as text: always valid JSON)."""
    return echoed(value) if isinstance(value, str | int | float | None) else None


def _wants_json(request: Request) -> bool:
    return request.url.path.startswith("/api")


def _page_message(items: list[dict[str, Any]]) -> str:
    """A request validation error as one sentence for a browser: each field, its value and the problem."""
    parts = []
    for item in items:
        got = f" (got '{item['value']}')" if item["value"] not in (None, "") else ""
        parts.append(f"{item['field']}{got}: {item['problem']}")
    return "This address is not valid: " + "; ".join(parts) + "."


class OsteotwinApp(FastAPI):
    """FastAPI with the security middleware outside Starlette's own error handling: the headers
    reach 500 responses too, and oversized bodies are refused before any other layer runs; the
    re-signed session cookie and the access audit see every answer, error pages included."""

    def build_middleware_stack(self) -> ASGIApp:
        inner = AccessAuditMiddleware(super().build_middleware_stack(), self.state.sessionmaker,
                                      self.state.refuse_unavailable)
        refresh = SessionRefreshMiddleware(inner, force_secure=self.state.secure_cookies)
        return SecurityHeadersMiddleware(BodySizeLimitMiddleware(refresh, self.state.max_body_bytes),
                                         force_https=self.state.secure_cookies)


def create_app(database_url: str | None = None, *, secret_key: str | None = None,
               migrate: bool = True, login_throttle: LoginThrottle | None = None,
               max_body_bytes: int = MAX_REQUEST_BODY_BYTES, secure_cookies: bool | None = None,
               session_idle_minutes: int | None = None,
               clock: Callable[[], float] = time.time) -> FastAPI:
    """The web application bound to a database (migrated to the newest schema unless told not to).

    Sessions are signed with ``session_secret(secret_key)``; a signed-in browser session ends after
    ``session_idle_minutes`` without a request (else ``$OSTEOTWIN_SESSION_IDLE_MINUTES``, else 30),
    on ``clock``; ``secure_cookies`` (else ``$OSTEOTWIN_SECURE_COOKIES``) marks the session cookie
    Secure and sends HSTS whatever the scheme. Failed logins are counted by ``login_throttle`` (a
    new one with the default limits if not given), in this process's memory; request bodies over
    ``max_body_bytes`` are refused (413). A setting that is not valid raises ``UserInputError``."""
    secret = session_secret(secret_key)
    idle = idle_minutes_setting(os.environ.get(ENV_SESSION_IDLE_MINUTES) if session_idle_minutes is None
                                else str(session_idle_minutes))
    force_secure = (secure_cookies_setting(os.environ.get(ENV_SECURE_COOKIES))
                    if secure_cookies is None else secure_cookies)
    engine = make_engine(database_url)
    if migrate:
        upgrade_to_head(engine)
    app = OsteotwinApp(title="osteotwin", version=osteotwin.__version__,
                  description="Bone safety under aromatase inhibitors: records, assessment, plan and "
                  "what-if simulations. Decision support only.",
                  # the interactive docs pages would load their scripts from a CDN: only the JSON is served
                  openapi_url="/api/openapi.json", docs_url=None, redoc_url=None)
    app.state.engine = engine
    app.state.login_throttle = login_throttle or LoginThrottle()
    app.state.max_body_bytes = max_body_bytes
    app.state.sessionmaker = make_sessionmaker(engine)
    app.state.session_codec = SessionCodec(secret, idle_s=idle * 60, clock=clock)
    app.state.secure_cookies = force_secure
    templates = Jinja2Templates(directory=str(WEB_DIR / "templates"))
    templates.env.autoescape = True  # every template is HTML, the .j2 sections included
    # the assessment page shows the same sections as the printable assessment (one template)
    templates.env.loader = jinja2.ChoiceLoader([
        jinja2.FileSystemLoader(WEB_DIR / "templates"),
        jinja2.PackageLoader("osteotwin.clinic.render", "templates")])
    templates.env.globals["version"] = osteotwin.__version__
    templates.env.filters.update(FILTERS)  # the assessment sections' data labels
    templates.env.filters["simulated_value"] = simulated_value  # the what-if table's numbers
    app.state.templates = templates

    app.include_router(api.router)
    app.include_router(pages.router)
    app.include_router(details.router)
    app.mount("/static", StaticFiles(directory=str(WEB_DIR / "static")), name="static")

    @app.get("/vendor/plotly.min.js", include_in_schema=False)
    def plotly_js() -> FileResponse:
        return FileResponse(plotly_js_path(), media_type="text/javascript",
                            headers={"Cache-Control": "public, max-age=86400"})

    @app.get("/healthz", include_in_schema=False)
    def health() -> JSONResponse:
        """200 ``{"status": "ok"}`` while the database answers ``SELECT 1``; else 503
        ``{"status": "database unavailable"}`` (for load balancers and monitors)."""
        if database_reachable(engine):
            return JSONResponse({"status": "ok"})
        return JSONResponse({"status": "database unavailable"}, status_code=503)

    def error_page(request: Request, title: str, message: str, status_code: int,
                   headers: Mapping[str, str] | None = None) -> Response:
        return templates.TemplateResponse(
            request, "error.html", {"title": title, "message": message, "user": None, "csrf": ""},
            status_code=status_code, headers=headers)

    def unavailable_answer(request: Request) -> Response:
        """503 while the database cannot be reached: JSON under /api, the error page otherwise."""
        retry = {"Retry-After": "30"}
        if _wants_json(request):
            return JSONResponse({"detail": DATABASE_UNAVAILABLE}, status_code=503, headers=retry)
        return error_page(request, "Database not available", DATABASE_UNAVAILABLE, 503, retry)

    app.state.refuse_unavailable = lambda scope: unavailable_answer(Request(scope))

    @app.exception_handler(DBAPIError)
    def database_error(request: Request, exc: DBAPIError) -> Response:
        """The database unreachable (refused, lost, shutting down, locked too long): 503 with a
        clear message; any other database error is an unexpected one (500)."""
        if not database_unreachable(exc):
            raise exc
        LOG.error("database unavailable during %s %s: %s", request.method, request.url.path,
                  _reason(exc))
        return unavailable_answer(request)

    @app.exception_handler(Exception)
    def unexpected_error(request: Request, exc: Exception) -> Response:
        """Anything else that fails: 500 with the app's error page (JSON under /api), no details;
        the server logs the traceback."""
        if _wants_json(request):
            return JSONResponse({"detail": INTERNAL_ERROR}, status_code=500)
        return error_page(request, "Error 500", INTERNAL_ERROR, 500)

    @app.exception_handler(UserInputError)
    def user_input_error(request: Request, exc: UserInputError) -> Response:
        if _wants_json(request):
            return JSONResponse({"detail": [exc.as_dict()]}, status_code=422)
        return error_page(request, "Error 422", exc.one_line(), 422)

    @app.exception_handler(RequestValidationError)
    def validation_error(request: Request, exc: RequestValidationError) -> Response:
        items = _error_items(exc)
        if _wants_json(request):
            return JSONResponse({"detail": items}, status_code=422)
        return error_page(request, "Error 422", _page_message(items), 422)

    @app.exception_handler(Unavailable)
    def unavailable(request: Request, exc: Unavailable) -> Response:
        if _wants_json(request):
            return JSONResponse({"detail": str(exc)}, status_code=503)
        return error_page(request, f"{exc.feature.capitalize()} not available", exc.reason, 503)

    @app.exception_handler(StaleDataError)
    def concurrent_change(request: Request, exc: StaleDataError) -> Response:
        """Two changes of one record at the same time: the later one is refused, nothing half-written
        (the session rolls back when the request ends)."""
        message = "The record was changed by someone else at the same time: reload it and try again."
        if _wants_json(request):
            return JSONResponse({"detail": message}, status_code=409)
        return error_page(request, "Error 409", message, 409)

    @app.exception_handler(LoginRequired)
    def login_required(request: Request, exc: LoginRequired) -> Response:
        if request.headers.get("HX-Request"):
            # an HTMX request (plan summary, what-if) would swap the followed redirect, a whole
            # login page, into its target: HTMX navigates the window on HX-Redirect instead
            return Response(status_code=204, headers={"HX-Redirect": "/login"})
        return RedirectResponse("/login", status_code=303)

    @app.exception_handler(StarletteHTTPException)
    def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        if _wants_json(request) or not isinstance(exc, StarletteHTTPException | HTTPException):
            return JSONResponse({"detail": exc.detail}, status_code=exc.status_code,
                                headers=getattr(exc, "headers", None))
        return error_page(request, f"Error {exc.status_code}", str(exc.detail), exc.status_code)

    return app


def app_from_environment() -> FastAPI:
    """App factory for server workers: database from ``$OSTEOTWIN_DATABASE_URL``, secret from
    ``$OSTEOTWIN_SECRET_KEY`` (shared by all workers so that sessions work on each); no migration
    (``osteotwin serve`` migrates once before the workers start)."""
    return create_app(migrate=False)
