"""Bounds on what a request may carry, applied before anything reads it."""

from starlette.responses import PlainTextResponse

# An image of at most 10 MB (the upload bound) written inline as base64 grows by 4/3, plus the JSON around it.
MCP_BODY_BYTES = 14 * 1024 * 1024
MCP_PATH = "/gradio_api/mcp"


class BoundedBody:
    """ASGI middleware: a request with a body under `prefix` must declare its length, at most `limit`
    bytes, or it is refused unread. The MCP routes decode an inline image and write it to a file
    before the app's own bounds see it; the server reads no more than a body's declared length."""

    def __init__(self, app, prefix: str = MCP_PATH, limit: int = MCP_BODY_BYTES):
        self.app, self.prefix, self.limit = app, prefix, limit

    async def __call__(self, scope, receive, send):
        if scope["type"] == "http" and scope["method"] not in ("GET", "HEAD", "OPTIONS") \
                and scope["path"].startswith(self.prefix):
            declared = dict(scope["headers"]).get(b"content-length", b"")
            if not declared.isdigit():
                return await PlainTextResponse("a request body needs a Content-Length", 411)(scope, receive, send)
            if int(declared) > self.limit:
                message = f"request body over {self.limit // 2**20} MB: send an image of at most 10 MB"
                return await PlainTextResponse(message, 413)(scope, receive, send)
        await self.app(scope, receive, send)


def clean_mcp_images(app) -> None:
    """Gradio's MCP server writes each inline image a tool call sends to a file of its own, which
    the app's cache cleaning (Blocks' delete_cache) does not know: one more file per distinct
    image, for ever. Hand each such file to the app's uploads, which delete_cache removes."""
    server = app.mcp_server_obj
    convert = server.convert_strings_to_filedata

    def convert_and_track(value, positions):
        converted = convert(value, positions)
        for position in positions:  # where the tool's arguments hold files, e.g. ["image"]
            node = converted
            try:
                for key in position:
                    node = node[key]
            except (KeyError, IndexError, TypeError):
                continue
            if isinstance(node, dict) and not node.get("url"):  # a file written here, not an http URL
                app.upload_file_set.add(node["path"])
        return converted

    server.convert_strings_to_filedata = convert_and_track
