"""The service's ``/docs`` page without the internet: Swagger UI's files come from a package.

FastAPI's default ``/docs`` loads Swagger UI's JavaScript and CSS from a CDN, so offline (a
classroom without network, a laptop on a train) the page stays blank. ``serve_docs_offline``
serves the same page with Swagger UI 5 from the ``swagger-ui-bundle-v2`` wheel (Apache-2.0), its
files mounted under ``/docs-static``. Every address in the page is relative, so it also works
behind a proxy that adds a prefix (Binder's ``/user/<name>/proxy/<port>/docs``).
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
from swagger_ui_bundle import swagger_ui_path

DOCS_PATH = "/docs"
STATIC_PATH = "/docs-static"
SWAGGER_UI_FILES = Path(str(swagger_ui_path))
# relative to /docs, so that a proxy prefix in front of the service is kept
SWAGGER_JS = "docs-static/swagger-ui-bundle.js"
SWAGGER_CSS = "docs-static/swagger-ui.css"
FAVICON = "docs-static/favicon-32x32.png"


def serve_docs_offline(app: FastAPI) -> None:
    """Add ``/docs`` (create the app with ``docs_url=None``) and the files it loads."""
    if any(getattr(route, "path", None) == DOCS_PATH for route in app.routes):
        raise ValueError(f"{DOCS_PATH} is already served: create the app with docs_url=None")
    if app.openapi_url is None:
        raise ValueError("the app publishes no OpenAPI document for /docs to show")
    openapi_url = app.openapi_url.lstrip("/")
    title = f"{app.title} - Swagger UI"
    app.mount(STATIC_PATH, StaticFiles(directory=SWAGGER_UI_FILES), name="docs-static")

    @app.get(DOCS_PATH, include_in_schema=False)
    async def swagger_ui() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=openapi_url,
            title=title,
            swagger_js_url=SWAGGER_JS,
            swagger_css_url=SWAGGER_CSS,
            swagger_favicon_url=FAVICON,
        )
