"""A Gradio component changed at one point, to keep the server's resources bounded."""

import gradio as gr


class ImageFile(gr.Image):
    """An image input that hands the event the uploaded file's path, unopened.

    gr.Image opens the file itself, and a file that is not an image, or one whose header claims
    too many pixels, then fails the whole event (a whole batch, for the API) with no message.
    model.preprocess.read_image reads it instead, checking the pixel count before decoding, so
    every bad file gets its own clear answer.
    """

    def __init__(self, **kwargs):
        super().__init__(type="filepath", image_mode=None, **kwargs)

    def preprocess(self, payload) -> str | None:
        if payload is not None and payload.path:
            return payload.path
        return super().preprocess(payload)  # a data: URL, which Gradio decodes to a file
