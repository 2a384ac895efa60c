"""What a client may send: only files that Gradio itself received as uploads, never a URL, and
to a batched endpoint a request that cannot spoil the others in its batch.

Gradio checks a file a request names only when the file's dict carries
`"meta": {"_type": "gradio.FileData"}`, and then it either copies the file (when it is an upload),
fails the whole event with a message that repeats the path (a whole batch, for the API), or, for an
http(s) URL, downloads it. `Blocks` below takes the meta off every dict that does not name an
upload before Gradio sees it, so Gradio does none of that; the input's own component then answers
"not an uploaded image" for that request alone (components.ImageFile).
"""

import os
from dataclasses import dataclass

import gradio as gr
from gradio import queueing, utils
from gradio.context import LocalContext
from gradio_client.utils import is_http_url_like

NOT_UPLOADED = "not an uploaded image: send the image file itself (gradio_client's handle_file uploads it)"
UNREADABLE_REQUEST = "the request's values could not be read: send an image file and a model name"
WRONG_COUNT = "send one value per input of this endpoint ({} of them), not {}"


@dataclass(frozen=True)
class Refused:
    """An input refused before anything was opened or decoded; `reason` is what the caller is told."""

    reason: str


def uploaded(path) -> bool:
    """Whether `path` is a file Gradio received as an upload: a file inside its upload folder once
    `..` and symlinks are resolved, and not in the app's blocked_paths (Gradio's own check)."""
    if not isinstance(path, str) or not path or is_http_url_like(path) or "\0" in path:
        return False
    blocks = LocalContext.blocks.get(None)
    try:
        allowed, _ = utils.is_allowed_file(
            utils.abspath(path),
            blocked_paths=blocks.blocked_paths if blocks else [],
            allowed_paths=[],
            created_paths=[utils.get_upload_folder()],
        )
    except (OSError, ValueError):  # a name the file system cannot even resolve
        return False
    return allowed and os.path.isfile(path)


def unmarked(value):
    """`value` with the Gradio file mark taken off every dict that does not name an upload."""
    if isinstance(value, dict):
        if "meta" in value and not uploaded(value.get("path")):
            value = {key: item for key, item in value.items() if key != "meta"}
        return {key: unmarked(item) for key, item in value.items()}
    if isinstance(value, list):
        return [unmarked(item) for item in value]
    return value


class Queue(queueing.Queue):
    """Gradio's queue, refusing at the door a request to a batched function that does not carry
    one value per input: the queue lines a batch's requests up with zip, so one short request
    would cut a value off every request batched with it, before any of the app's code runs."""

    async def push(self, body, request, username):
        fn = self.blocks.fns.get(body.fn_index) if isinstance(body.fn_index, int) else None
        if fn is not None and fn.batch and len(body.data) != len(fn.inputs):
            return False, WRONG_COUNT.format(len(fn.inputs), len(body.data)), "error"
        return await super().push(body, request, username)


class Blocks(gr.Blocks):
    """gr.Blocks whose events see only uploads as files, and whose batched events answer each
    request on its own: a request whose values Gradio cannot preprocess (a wrong type, a value
    a component refuses) reaches the function as Refused values instead of failing its batch."""

    async def preprocess_data(self, block_fn, inputs, state, explicit_call=False):
        inputs = [unmarked(value) for value in inputs]
        try:
            return await super().preprocess_data(block_fn, inputs, state, explicit_call)
        except Exception:
            if not block_fn.batch:
                raise
            return [Refused(UNREADABLE_REQUEST)] * len(block_fn.inputs)

    def queue(self, *args, **kwargs):
        super().queue(*args, **kwargs)
        self._queue.__class__ = Queue  # the queue Gradio just built, with the check above added
        return self
