"""Two Gradio components changed at one point each, to keep the server's resources bounded."""

import base64
import io

import gradio as gr
import numpy as np
from PIL import Image

from demo.guard import NOT_UPLOADED, Refused, uploaded

INLINE = "inline (data: URL) images are not accepted: upload the image file instead (gradio_client's handle_file does)"


class ImageFile(gr.Image):
    """An image input that hands the event the uploaded file's path, unopened, or Refused.

    gr.Image opens the file itself, and a file that is not an image, or one whose header claims
    too many pixels, then fails the whole event (a whole batch, for the API) with no message.
    model.preprocess.read_image reads it instead, checking the format and pixel count before
    decoding, so every bad file gets its own clear answer. Only uploads are handed on: a path
    Gradio did not receive, an http(s) URL or an inline data: URL is refused unopened, unfetched
    and undecoded, with nothing written to the cache.
    """

    def __init__(self, **kwargs):
        super().__init__(type="filepath", image_mode=None, **kwargs)

    def preprocess(self, payload) -> str | Refused | None:
        if payload is None:
            return None
        if payload.path is None and (payload.url or "").startswith("data:"):
            return Refused(INLINE)
        return payload.path if uploaded(payload.path) else Refused(NOT_UPLOADED)


class InlinePicture(gr.HTML):
    """A picture (an (H, W, 3) uint8 array) sent inside the page as a PNG data URL.

    gr.Image writes every picture it returns to Gradio's cache folder: one file per picture per
    stroke, growing until the cache is cleaned. A picture of a few kilobytes needs no file.
    """

    def __init__(self, label: str, height: int, **kwargs):
        self.height = height
        super().__init__(label=label, show_label=True, container=True, js_on_load=None, **kwargs)

    def postprocess(self, value: np.ndarray | None) -> str | None:
        if value is None:
            return None
        with io.BytesIO() as png:
            Image.fromarray(value).save(png, format="PNG", compress_level=1)
            data = base64.b64encode(png.getvalue()).decode("ascii")
        return f'<img alt="" style="height:{self.height}px" src="data:image/png;base64,{data}">'

    def api_info(self) -> dict:
        return {"type": "string", "description": "an HTML <img> with the picture as a PNG data URL"}
