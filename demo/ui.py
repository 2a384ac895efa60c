"""The Gradio layout and its wiring; every event calls a plain function from demo.events.

The server sends each reading as numbers (demo.payload) to the explorer, which draws it in the
browser: moving the cursor, playing, hovering and choosing a unit cost no request.
"""

from functools import partial

import gradio as gr
from PIL import Image
from torchvision.datasets import MNIST

from demo import events, feedback, live, payload
from demo.canvas import InkCanvas
from demo.components import ImageFile
from demo.explorer import Explorer
from demo.guard import Blocks
from demo.i18n import TEXTS, every_language, language, page, text, translations
from demo.inference import MODEL_SLOTS, Reader
from demo.sketches import gallery
from model.data import data_root

# Text at a 4.5:1 contrast at least (axe-core): Gradio's orange and its grey footer are lighter.
CSS = """
#explorer { min-width: 0; }
button[role="tab"][aria-selected="true"] { color: #b43c0a; }
.dark button[role="tab"][aria-selected="true"] { color: #fdba74; }
footer a, footer button, footer .show-api, footer .settings { color: var(--body-text-color) !important; }
@media (max-width: 600px) {  /* phones: the canvas and the answer under it fit the first screen */
  #intro h1 { font-size: 19px !important; margin-bottom: 2px !important; }
  #intro p { display: none; }
  #mode { padding: 4px 8px; }
}
"""

THEME = gr.themes.Default(font=["ui-sans-serif", "system-ui", "sans-serif"],  # no web fonts to fetch
                          font_mono=["ui-monospace", "monospace"])

def mnist_examples() -> list[tuple[Image.Image, str]]:
    """One MNIST test digit per class, when the dataset is already on disk (never downloads)."""
    try:
        test = MNIST(str(data_root()), train=False, download=False)
    except RuntimeError:
        return []
    first = {}
    for index, label in enumerate(test.targets.tolist()):
        first.setdefault(label, index)
    examples = []
    for d in sorted(first):
        picture = Image.fromarray(test.data[first[d]].numpy()).resize((112, 112), Image.Resampling.NEAREST)
        picture.info[events.TEST_DIGIT] = True  # never saved as a correction
        examples.append((picture, f"MNIST {d}"))
    return examples


def page_translations(reader: Reader) -> gr.I18n:
    """Every fixed text of the page in both languages: the locale files' page texts, and each
    model's about panel, made from its config and model card."""
    made = {lang: {} for lang in TEXTS}
    for lang in TEXTS:
        for name in reader.models:
            made[lang] |= {f"about_title_{name}": text(lang, "about_title", model=name),
                           f"about_{name}": events.about(reader, name, lang)}
    return translations(made)


def build(reader: Reader) -> gr.Blocks:
    """The page; launch it with i18n=page_translations(reader). The canvas and the explorer get
    their texts in both languages and show those of the language Gradio chose for the page."""
    with Blocks(title="rowscan", analytics_enabled=False, delete_cache=(600, 1800)) as app:
        gr.Markdown(page("intro"), elem_id="intro")
        shown = gr.State(events.Shown())
        modes = [(page("mode_both") if name == "Both side by side" else name, name) for name in events.MODES]
        mode = gr.Radio(modes, value="LSTM", label=page("mode_label"), elem_id="mode")
        with gr.Row():
            with gr.Column(scale=1, min_width=300):
                with gr.Tabs():
                    with gr.Tab(page("tab_draw")):
                        canvas = InkCanvas(every_language("canvas"), label=page("canvas_label"), elem_id="draw")
                    with gr.Tab(page("tab_upload")):
                        upload = ImageFile(label=page("upload_label"), sources=["upload", "clipboard"])
                    with gr.Tab(page("tab_examples")):
                        test_digits = mnist_examples()
                        examples = gallery() + test_digits
                        pick = gr.Gallery(examples, label=page("examples_label"), columns=4, height=380,
                                          object_fit="contain", allow_preview=False, interactive=False)
            with gr.Column(scale=3, min_width=320):
                # "That's wrong, it's a __" sits under the explorer's status line, where the host turned saving on.
                corrections = feedback.folder()
                explorer = Explorer(every_language("explorer"), value=events.explorer_value(reader, events.Shown(), "LSTM"),
                                    live=live.LIVE_PATH, layout=payload.LAYOUT, feedback=corrections is not None,
                                    elem_id="explorer")
        with gr.Row():
            for name in reader.models:
                with gr.Accordion(page(f"about_title_{name}"), open=False):
                    gr.Markdown(page(f"about_{name}"))

        quiet = dict(show_progress="hidden", trigger_mode="always_last", api_visibility="private")
        # Every queued event that runs a model takes one of MODEL_SLOTS, shared by all of them
        # (Gradio's default_concurrency_limit counts per event listener, so it would let each listener
        # run its own jobs). The API batches what waits. The canvas's channels have slots of their own.
        reads = dict(concurrency_id="model", concurrency_limit=MODEL_SLOTS)
        # A message the server writes (a drawing it cannot read) is in the request's language.
        async def stroke_end(value, mode_name, request: gr.Request):
            return await live.stroke_end(reader, value, mode_name, language(request))

        def draw_upload(value, mode_name, request: gr.Request):
            return events.draw(reader, "image", value, mode_name, language(request))

        # Sent outside the queue, in the live channel's slots (demo/live.py says why). Callable by
        # programs (the load test draws through it) but left out of the API page.
        canvas.change(stroke_end, [canvas, mode], [shown, explorer],
                      **{**quiet, "api_visibility": "undocumented"}, api_name="stroke", queue=False)
        upload.change(draw_upload, [upload, mode], [shown, explorer], **quiet, **reads)

        def pick_example(mode_name, selected: gr.SelectData, request: gr.Request):
            return events.draw_example(reader, examples, selected.index, mode_name, language(request))

        pick.select(pick_example, [mode], [shown, explorer], **quiet, **reads)
        mode.change(partial(events.switch, reader), [shown, mode], [shown, explorer], **quiet, **reads)
        # The explorer asks again when a drawing comes back read for another mode than the radio's now.
        explorer.reread(partial(events.switch, reader), [shown, mode], [shown, explorer], **quiet, **reads)

        def inspect(shown_now, asked: gr.EventData):
            return gr.update(steps=events.inspect(reader, shown_now, asked._data))

        explorer.inspect(inspect, [shown], [explorer], **quiet, **reads)

        if corrections is not None:
            logger = feedback.ImageFolderLogger()
            logger.setup([shown], corrections, [picture for picture, _ in test_digits])

            def correct(shown_now, asked: gr.EventData, request: gr.Request):
                return gr.update(said=feedback.correct_asked(logger, shown_now, asked._data, language(request)))

            # Every click sends its own digit (always_last would keep a click made while the last one
            # runs and send that one's data again), one at a time in the order clicked: the last saved wins.
            explorer.correct(correct, [shown], [explorer], **{**quiet, "trigger_mode": "multiple"}, concurrency_limit=1)

        with gr.Row(visible=False):  # the API endpoint's own components, not shown in the page
            api_image = ImageFile()
            # A text box, not a gr.Radio: Gradio would refuse an unknown name before the function
            # and fail every request batched with it; events.classify answers it per request.
            api_model = gr.Textbox(value="LSTM", info=f"the model: {' or '.join(reader.models)}")
            api_result = gr.JSON()
            api_button = gr.Button()

        def classify(image: list, model: list[str]) -> list[list[dict]]:
            """Read a handwritten digit (0-9) in an image, as an LSTM reads MNIST: one pixel row at a time.

            The image is cropped to its ink, scaled and centred in 28x28 like MNIST, then read one
            row per timestep. Dark ink on light, light on dark, or ink on a transparent background.
            As an MCP tool, send the image inline as a data URL; over HTTP, upload the file
            (gradio_client's handle_file). The server fetches no URL and opens no path.

            Args:
                image: the digit, PNG, JPEG, GIF, BMP, WebP or TIFF: over MCP a data URL ("data:image/png;base64,..."), at most about 3 MB over streamable HTTP
                model: "LSTM" (reads top-down) or "BiLSTM" (reads top-down and bottom-up)

            Returns:
                an object (over MCP as Python writes it: 'digit', True, False, None) with "digit": 0-9, or null when the image holds no ink (then "nothing_drawn" is true)
                "probabilities": the 10 final probabilities, for digits 0 to 9
                "row_probabilities": 28 lists of 10, the answer after each pixel row
                "first_top_row": the row after which the final answer first led
                "unsure": true when the top probability is under the model's threshold, chosen on validation
                "candidates": [the answer] or, when unsure, [the two likeliest digits]
                "message" or "error" instead, saying why, for an unreadable image or an unknown model
            """
            return [events.classify(reader, image, model)]  # batched: one list per output, one item per request

        api_button.click(
            classify,
            [api_image, api_model],
            [api_result],
            api_name="classify",
            batch=True,
            max_batch_size=16,
            **reads,
        )
    return app
