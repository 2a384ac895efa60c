"""Bounds on what a request may carry, applied before anything reads it."""

import re

from starlette.responses import PlainTextResponse

# The largest body each route may carry, by path prefix (the longest prefix that matches wins).
# An image of at most 10 MB (the upload bound) written inline as base64 grows by 4/3, plus the
# JSON around it; uploads themselves are multipart, bounded by Gradio's max_file_size. Every other
# request of the API and the page is JSON of a few values: the largest, a canvas at its bound of
# 5,000 points, is under 0.2 MB.
BODY_LIMITS = {
    "/gradio_api/mcp": 14 * 1024 * 1024,
    "/gradio_api/upload": 11 * 1024 * 1024,
    "/": 1024 * 1024,
}


def body_limit(path: str) -> int:
    return BODY_LIMITS[max((prefix for prefix in BODY_LIMITS if path.startswith(prefix)), key=len)]


class BoundedBody:
    """ASGI middleware: a request with a body must declare its length, at most its route's limit
    (BODY_LIMITS), or it is refused unread. Gradio reads a JSON body whole, and the MCP routes
    decode an inline image and write it to a file before the app's own bounds see it; the server
    reads no more than a body's declared length."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] == "http" and scope["method"] not in ("GET", "HEAD", "OPTIONS"):
            headers = dict(scope["headers"])
            declared = headers.get(b"content-length", b"")
            # A chunked body's length is not declared, whatever Content-Length says beside it.
            if not declared.isdigit() or b"transfer-encoding" in headers:
                return await PlainTextResponse("a request body needs a Content-Length", 411)(scope, receive, send)
            limit = body_limit(scope["path"])
            if int(declared) > limit:
                message = f"request body over {limit / 2**20:g} MB: send an image of at most 10 MB, as an upload"
                return await PlainTextResponse(message, 413)(scope, receive, send)
        await self.app(scope, receive, send)


BAD_DATA_URL = "the image's data: URL does not hold base64: send data:image/png;base64, then the file's bytes in base64"
BASE64 = re.compile(r"(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?")


def arguments_at(value, positions):
    """The values at `positions` (paths of keys) in a tool call's arguments, where they exist."""
    for position in positions:
        node = value
        try:
            for key in position:
                node = node[key]
        except (KeyError, IndexError, TypeError):
            continue
        yield node


def clean_mcp_images(app) -> None:
    """Gradio's MCP server writes each inline image a tool call sends to a file of its own, which
    the app's cache cleaning (Blocks' delete_cache) does not know: one more file per distinct
    image, for ever. Hand each such file to the app's uploads, which delete_cache removes."""
    server = app.mcp_server_obj
    convert = server.convert_strings_to_filedata

    def convert_and_track(value, positions):
        # Gradio decodes whatever follows a data: URL's comma as base64, leniently: junk became an
        # unreadable file, or the message "Incorrect padding".
        for given in arguments_at(value, positions):  # where the tool's arguments hold files, e.g. ["image"]
            if isinstance(given, str) and given.startswith("data:"):
                header, comma, data = given.partition(",")
                if not (comma and header.endswith(";base64") and BASE64.fullmatch(re.sub(r"\s", "", data))):
                    raise ValueError(BAD_DATA_URL)
        converted = convert(value, positions)
        for node in arguments_at(converted, positions):
            if isinstance(node, dict) and not node.get("url"):  # a file written here, not an http URL
                app.upload_file_set.add(node["path"])
        return converted

    server.convert_strings_to_filedata = convert_and_track
