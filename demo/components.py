"""A Gradio component changed at one point, to keep the server's resources bounded."""

import gradio as gr

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

    # The page draws it as Gradio's own Image. Gradio names a component's front end after its class
    # and sends the page the parameters its __init__ names: as a plain subclass, the page looked for
    # a custom component "imagefile" that does not exist, and the Upload tab stayed empty.
    is_template = True

    def __init__(self, **kwargs):
        super().__init__(type="filepath", image_mode=None, **kwargs)

    def get_config(self, cls=None) -> dict:
        return super().get_config(cls or gr.Image)

    def preprocess(self, payload) -> str | Refused | None:
        if payload is None:
            return None
        if payload.path is None and (payload.url or "").startswith("data:"):
            return Refused(INLINE)
        return payload.path if uploaded(payload.path) else Refused(NOT_UPLOADED)

