"""The fake LINE API's rich menu, alias, default, per-user link and mark-as-read endpoints.

Checked the way LINE documents them (Messaging API reference, "Rich menu"): size 2500x1686 or
2500x843 (or within 800..2500 wide, ratio >= 1.45), 1..20 areas inside the image, chatBarText at most
14 characters, name at most 300, the image a PNG or JPEG of the menu's size and at most 1 MB, uploaded
once; alias ids 1..32 of [A-Za-z0-9_-]; markAsRead with a markAsReadToken.
"""

from __future__ import annotations

import re
import struct
import uuid
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

if TYPE_CHECKING:
    from tests.fakes.line_api import FakeLine

ALIAS_ID = re.compile(r"^[A-Za-z0-9_-]{1,32}$")
MAX_IMAGE = 1024 * 1024


def richmenu_routes(fake: FakeLine) -> list[Route]:
    def serve(endpoint: str, action: Any) -> Any:
        async def handler(request: Request) -> Response:
            return await fake._serve(endpoint, request, action)

        return handler

    return [
        Route("/v2/bot/richmenu", serve("richmenu", lambda r, b: _create(fake, b)), methods=["POST"]),
        Route("/v2/bot/richmenu/list", serve("richmenu_list", lambda r, b: _list(fake)), methods=["GET"]),
        Route(
            "/v2/bot/richmenu/alias/list", serve("alias_list", lambda r, b: _aliases(fake)), methods=["GET"]
        ),
        Route("/v2/bot/richmenu/alias", serve("alias", lambda r, b: _alias(fake, b)), methods=["POST"]),
        Route(
            "/v2/bot/richmenu/alias/{alias_id}",
            serve("alias_update", lambda r, b: _alias_update(fake, r, b)),
            methods=["POST"],
        ),
        Route(
            "/v2/bot/richmenu/{rich_menu_id}/content",
            serve("richmenu_image", lambda r, b: _image(fake, r)),
            methods=["POST"],
        ),
        Route(
            "/v2/bot/richmenu/{rich_menu_id}",
            serve("richmenu_delete", lambda r, b: _delete(fake, r)),
            methods=["DELETE"],
        ),
        Route(
            "/v2/bot/user/all/richmenu/{rich_menu_id}",
            serve("default", lambda r, b: _set_default(fake, r)),
            methods=["POST"],
        ),
        Route(
            "/v2/bot/user/all/richmenu", serve("get_default", lambda r, b: _default(fake)), methods=["GET"]
        ),
        Route(
            "/v2/bot/user/{user_id}/richmenu/{rich_menu_id}",
            serve("link", lambda r, b: _link(fake, r)),
            methods=["POST"],
        ),
        Route(
            "/v2/bot/chat/markAsRead", serve("mark_read", lambda r, b: _mark_read(fake, b)), methods=["POST"]
        ),
    ]


def _bad(message: str) -> JSONResponse:
    return JSONResponse({"message": message}, status_code=400)


def _not_found() -> JSONResponse:
    return JSONResponse({"message": "Not found"}, status_code=404)


def check_menu(body: Any) -> str:
    if not isinstance(body, dict):
        return "The request body has 1 error(s)"
    size = body.get("size") or {}
    width, height = size.get("width"), size.get("height")
    if not (isinstance(width, int) and isinstance(height, int) and 800 <= width <= 2500 and height >= 250):
        return "size: width 800..2500, height at least 250"
    if width / height < 1.45:
        return "size: width/height at least 1.45"
    if not isinstance(body.get("selected"), bool):
        return "selected: required boolean"
    name = body.get("name")
    if not isinstance(name, str) or not 1 <= len(name) <= 300:
        return "name: 1 to 300 characters"
    bar = body.get("chatBarText")
    if not isinstance(bar, str) or not 1 <= len(bar) <= 14:
        return "chatBarText: 1 to 14 characters"
    areas = body.get("areas")
    if not isinstance(areas, list) or not 1 <= len(areas) <= 20:
        return "areas: 1 to 20"
    for area in areas:
        b = area.get("bounds", {})
        if b.get("x", -1) < 0 or b.get("y", -1) < 0 or b["x"] + b.get("width", 0) > width:
            return "areas.bounds: inside the image"
        if b["y"] + b.get("height", 0) > height:
            return "areas.bounds: inside the image"
        action = area.get("action", {})
        if action.get("type") != "postback" or not 1 <= len(action.get("data", "")) <= 300:
            return "areas.action: postback with 1..300 characters of data"
        if len(action.get("label", "")) > 20 or len(action.get("displayText", "")) > 300:
            return "areas.action: label at most 20, displayText at most 300"
    return ""


def _create(fake: FakeLine, body: Any) -> Response:
    problem = check_menu(body)
    if problem:
        return _bad(problem)
    menu_id = "richmenu-" + uuid.uuid4().hex
    fake.rich_menus[menu_id] = {**body, "richMenuId": menu_id}
    return JSONResponse({"richMenuId": menu_id})


def _list(fake: FakeLine) -> Response:
    return JSONResponse({"richmenus": list(fake.rich_menus.values())})


def _png_size(data: bytes) -> tuple[int, int] | None:
    if len(data) < 24 or data[:8] != b"\x89PNG\r\n\x1a\n" or data[12:16] != b"IHDR":
        return None
    width, height = struct.unpack(">II", data[16:24])
    return int(width), int(height)


def _image(fake: FakeLine, request: Request) -> Response:
    menu_id = request.path_params["rich_menu_id"]
    menu = fake.rich_menus.get(menu_id)
    if menu is None:
        return _not_found()
    if menu_id in fake.images:
        return _bad("An image has already been uploaded to the richmenu")
    raw: bytes = request.state.raw
    if request.headers.get("content-type") != "image/png" or len(raw) > MAX_IMAGE:
        return _bad("image/png of at most 1 MB expected")
    size = _png_size(raw)
    if size != (menu["size"]["width"], menu["size"]["height"]):
        return _bad("The image size does not match the rich menu size")
    fake.images[menu_id] = raw
    return JSONResponse({})


def _delete(fake: FakeLine, request: Request) -> Response:
    menu_id = request.path_params["rich_menu_id"]
    if fake.rich_menus.pop(menu_id, None) is None:
        return _not_found()
    fake.images.pop(menu_id, None)
    return JSONResponse({})


def _aliases(fake: FakeLine) -> Response:
    items = [{"richMenuAliasId": a, "richMenuId": m} for a, m in fake.aliases.items()]
    return JSONResponse({"aliases": items})


def _alias(fake: FakeLine, body: Any) -> Response:
    if not isinstance(body, dict) or not ALIAS_ID.match(str(body.get("richMenuAliasId", ""))):
        return _bad("richMenuAliasId: 1 to 32 of A-Z a-z 0-9 _ -")
    alias, menu_id = body["richMenuAliasId"], body.get("richMenuId")
    if alias in fake.aliases:
        return _bad("conflict richmenu alias id")
    if menu_id not in fake.images:
        return _bad("richmenu not found or its image is not uploaded")
    fake.aliases[alias] = menu_id
    return JSONResponse({})


def _alias_update(fake: FakeLine, request: Request, body: Any) -> Response:
    alias = request.path_params["alias_id"]
    if alias not in fake.aliases:
        return _not_found()
    menu_id = body.get("richMenuId") if isinstance(body, dict) else None
    if menu_id not in fake.images:
        return _bad("richmenu not found or its image is not uploaded")
    fake.aliases[alias] = menu_id
    return JSONResponse({})


def _set_default(fake: FakeLine, request: Request) -> Response:
    menu_id = request.path_params["rich_menu_id"]
    if menu_id not in fake.images:
        return _bad("richmenu not found or its image is not uploaded")
    fake.default_menu = menu_id
    return JSONResponse({})


def _default(fake: FakeLine) -> Response:
    if fake.default_menu is None:
        return _not_found()
    return JSONResponse({"richMenuId": fake.default_menu})


def _link(fake: FakeLine, request: Request) -> Response:
    menu_id = request.path_params["rich_menu_id"]
    if menu_id not in fake.images:
        return _bad("richmenu not found or its image is not uploaded")
    fake.user_menus[request.path_params["user_id"]] = menu_id
    return JSONResponse({})


def _mark_read(fake: FakeLine, body: Any) -> Response:
    token = body.get("markAsReadToken") if isinstance(body, dict) else None
    if not isinstance(token, str) or not token:
        return _bad("markAsReadToken: required")
    fake.read_marks.append(token)
    return JSONResponse({})
