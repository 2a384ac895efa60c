"""`classify` as an MCP tool, as an agent reaches it: the mcp client package over streamable HTTP
and SSE, and raw JSON-RPC over HTTP for the attacks."""

import ast
import asyncio
import base64
import io
import json
import re

import httpx
import pytest
from mcp import ClientSession
from mcp.client.sse import sse_client
from mcp.client.streamable_http import streamable_http_client
from PIL import Image

from demo.bounds import BAD_DATA_URL

JSON_RPC = {"Accept": "application/json, text/event-stream", "Content-Type": "application/json"}


def data_url(image: Image.Image) -> str:
    with io.BytesIO() as png:
        image.save(png, format="PNG")
        return "data:image/png;base64," + base64.b64encode(png.getvalue()).decode("ascii")


async def session_calls(transport, url: str, calls: list[tuple[str, str]]):
    """tools/list, then a tools/call of classify for each (image, model), in one MCP session."""
    async with transport(url) as (read, write, *_), ClientSession(read, write) as session:
        await session.initialize()
        tools = (await session.list_tools()).tools
        results = [await session.call_tool("classify", {"image": image, "model": model}) for image, model in calls]
        return tools, results


def answer(result) -> dict:
    assert not result.isError, result.content
    [content] = result.content
    return ast.literal_eval(content.text)  # Gradio's MCP server sends a dict as its Python text


def raw_call(app_url: str, arguments: dict) -> str:
    """A tools/call as plain HTTP, no MCP session: what the server answers, as text."""
    body = {"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"name": "classify", "arguments": arguments}}
    response = httpx.post(app_url + "gradio_api/mcp/", json=body, headers=JSON_RPC, timeout=60)
    assert response.status_code == 200
    return response.text


def test_tools_list_describes_classify(app_url):
    tools, _ = asyncio.run(session_calls(streamable_http_client, app_url + "gradio_api/mcp/", []))
    [tool] = tools  # the page's own events are not tools
    assert tool.name == "classify"
    assert set(tool.inputSchema["properties"]) == {"image", "model"}
    # the model is a text value (a batch must not fail on an unknown name): its description names both
    model = str(tool.inputSchema["properties"]["model"])
    assert '"LSTM"' in model and '"BiLSTM"' in model
    assert "data:image/png;base64," in tool.inputSchema["properties"]["image"]["description"]
    for promise in ("handwritten digit", "fetches no URL", '"probabilities"', '"row_probabilities"'):
        assert promise in tool.description


@pytest.mark.parametrize("transport, path", [(streamable_http_client, "gradio_api/mcp/"),
                                             (sse_client, "gradio_api/mcp/sse")])
def test_tools_call_classifies_mnist_digits(app_url, digits, transport, path):
    images, labels = digits
    calls = [(data_url(Image.fromarray((images[i] * 255).byte().numpy())), model)
             for i in range(4) for model in ("LSTM", "BiLSTM")]
    _, results = asyncio.run(session_calls(transport, app_url + path, calls))
    for (_, model), result, label in zip(calls, results, labels[:4].repeat_interleave(2).tolist()):
        read = answer(result)
        assert read["digit"] == label and read["model"] == model
        assert len(read["row_probabilities"]) == 28 and sum(read["probabilities"]) == pytest.approx(1, abs=1e-4)


def test_a_blank_image_is_answered(app_url):
    _, [result] = asyncio.run(session_calls(streamable_http_client, app_url + "gradio_api/mcp/",
                                            [(data_url(Image.new("L", (64, 64), 255)), "LSTM")]))
    read = answer(result)
    assert read["digit"] is None and read["nothing_drawn"] is True


@pytest.mark.parametrize("image", [
    "/etc/passwd",
    "../../../../etc/passwd",
    "file:///etc/passwd",
    {"path": "/etc/passwd", "meta": {"_type": "gradio.FileData"}},
    "http://127.0.0.1:1/digit.png",
    "https://example.com/digit.png",
])
def test_no_path_is_opened_and_no_url_fetched(app_url, image):
    answered = raw_call(app_url, {"image": image, "model": "LSTM"})
    # refused unopened and unfetched: an error, or the app's own "not an uploaded image" answer
    assert '"isError":true' in answered or "not an uploaded image" in answered
    assert "root:" not in answered and not re.search(r"'digit': \d", answered)


@pytest.mark.parametrize("image", ["data:image/png,abc", "data:image/png,abcd", "data:image/png;base64,abc",
                                   "data:image/png;base64,ab!d", "data:image/png;base64"])
def test_a_data_url_that_is_not_base64_is_answered_clearly(app_url, image):
    event = raw_call(app_url, {"image": image, "model": "LSTM"})
    answered = json.loads(event.split("data: ", 1)[1])["result"]
    assert answered["isError"] and answered["content"][0]["text"] == BAD_DATA_URL, answered


def test_an_oversized_or_unmeasured_body_is_refused_unread(app_url):
    url = app_url + "gradio_api/mcp/"
    assert httpx.post(url, content=b"{" * (15 * 2**20), headers=JSON_RPC, timeout=60).status_code == 413
    chunked = httpx.post(url, content=iter([b'{"jsonrpc": "2.0", "id": 1, "method": "tools/list"}']), headers=JSON_RPC)
    assert chunked.status_code == 411


def test_the_files_gradio_writes_for_inline_images_are_cleaned(tmp_path):
    """Gradio's MCP server writes a file per inline image; delete_cache removes only the files
    the app knows of, so clean_mcp_images hands them over."""
    import gradio as gr

    from demo.bounds import clean_mcp_images

    def classify(image):
        return {"read": image}

    with gr.Blocks() as app:
        image, answer = gr.Image(type="filepath"), gr.JSON()
        gr.Button().click(classify, image, answer, api_name="classify")
    app.mcp_server_obj = gr.mcp.GradioMCPServer(app)
    clean_mcp_images(app)
    _, positions = app.mcp_server_obj.get_input_schema("classify")
    digit = Image.new("L", (28, 28), 0)
    digit.putpixel((14, 14), 255)
    converted = app.mcp_server_obj.convert_strings_to_filedata({"image": data_url(digit)}, positions)
    assert converted["image"]["path"] in app.upload_file_set
    converted = app.mcp_server_obj.convert_strings_to_filedata({"image": "https://example.com/7.png"}, positions)
    assert converted["image"]["path"] not in app.upload_file_set
