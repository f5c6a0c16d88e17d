"""The API documentation page: Swagger UI served from the hub's own static files.

A government intranet cannot reach a CDN, so the viewer's files are vendored under
``hub/web/static/swagger/`` (swagger-ui-dist, Apache-2.0, its LICENSE beside it) and the page loads
nothing from another origin and runs no inline script (``hub.web.headers.DOCS_CSP``).
"""

from __future__ import annotations

from html import escape
from typing import Any

from litestar import Request
from litestar.openapi.plugins import SwaggerRenderPlugin

from hub.web.pages.render import asset

SWAGGER_VERSION = "5.35.0"  # the vendored swagger-ui-dist


class HubSwaggerRenderPlugin(SwaggerRenderPlugin):
    """Litestar's Swagger UI page, with the hub's own files and the start-up in a static script."""

    def __init__(self, path: str = "/swagger") -> None:
        super().__init__(
            version=SWAGGER_VERSION,
            js_url=asset("swagger/swagger-ui-bundle.js"),
            css_url=asset("swagger/swagger-ui.css"),
            standalone_preset_js_url=asset("swagger/swagger-ui-standalone-preset.js"),
            path=path,
            favicon=f"<link rel='icon' type='image/png' href='{asset('swagger/favicon-32x32.png')}'>",
            style=f"<link rel='stylesheet' href='{asset('swagger/page.css')}'>",
        )

    def render(self, request: Request, openapi_schema: dict[str, Any]) -> bytes:
        spec_url = self.get_openapi_json_route(request)  # the schema document served beside this page
        title = escape(str(openapi_schema.get("info", {}).get("title", "API")))
        return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
{self.favicon}
<link rel="stylesheet" href="{self.css_url}">
{self.style}
<script src="{self.js_url}" defer></script>
<script src="{self.standalone_preset_js_url}" defer></script>
<script src="{asset("swagger/init.js")}" defer></script>
</head>
<body>
<div id="swagger-container" data-spec-url="{escape(spec_url)}"></div>
</body>
</html>
""".encode()
