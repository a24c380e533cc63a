"""FastAPI application factory: storage, migrations, routers, error handling, static assets."""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from importlib import resources
from pathlib import Path
from typing import Any

import jinja2
from fastapi import FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from sqlalchemy.orm.exc import StaleDataError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp

import osteotwin
from osteotwin.clinic.render.labels import FILTERS
from osteotwin.errors import UserInputError, shortened
from osteotwin.records.storage import make_engine, make_sessionmaker, upgrade_to_head
from osteotwin.simulate.display import simulated_value
from osteotwin.web import api, details, pages
from osteotwin.web.deps import LoginRequired
from osteotwin.web.security import (
    MAX_REQUEST_BODY_BYTES,
    BodySizeLimitMiddleware,
    LoginThrottle,
    SecurityHeadersMiddleware,
    SessionCodec,
)
from osteotwin.web.services import Unavailable

WEB_DIR = Path(str(resources.files("osteotwin.web")))
ENV_SECRET_KEY = "OSTEOTWIN_SECRET_KEY"


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
    """A submitted value as an error body repeats it: plain values only, long text shortened
    (``errors.shortened``, as in every error message)."""
    if isinstance(value, str):
        return shortened(value)
    return value if isinstance(value, int | float | None) else None


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
    reach 500 responses too, and oversized bodies are refused before any other layer runs."""

    def build_middleware_stack(self) -> ASGIApp:
        inner = super().build_middleware_stack()
        return SecurityHeadersMiddleware(BodySizeLimitMiddleware(inner, self.state.max_body_bytes))


def create_app(database_url: str | None = None, *, secret_key: str | None = None,
               migrate: bool = True, login_throttle: LoginThrottle | None = None,
               max_body_bytes: int = MAX_REQUEST_BODY_BYTES) -> FastAPI:
    """The web application bound to a database (migrated to the newest schema unless told not to).

    Failed logins are counted by ``login_throttle`` (a new one with the default limits if not
    given), in this process's memory; request bodies over ``max_body_bytes`` are refused (413)."""
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
    app.state.session_codec = SessionCodec(secret_key or os.environ.get(ENV_SECRET_KEY)
                                           or secrets.token_urlsafe(32))
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
    def health() -> dict[str, str]:
        return {"status": "ok"}

    def error_page(request: Request, title: str, message: str, status_code: int) -> Response:
        return templates.TemplateResponse(
            request, "error.html", {"title": title, "message": message, "user": None, "csrf": ""},
            status_code=status_code)

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
