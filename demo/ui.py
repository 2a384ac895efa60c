"""The Gradio layout and its wiring; every event calls a plain function from demo.events."""

import os
import time
from functools import partial

import gradio as gr
from PIL import Image
from torchvision.datasets import MNIST

from demo import events, feedback
from demo.canvas import InkCanvas
from demo.components import ImageFile, InlinePicture
from demo.guard import Blocks
from demo.inference import Reader
from demo.sketches import gallery
from model.data import data_root
from model.network import ROWS

# Every event that runs a model takes one of these slots, shared by all of them (Gradio's
# default_concurrency_limit counts per event listener, so it would let each listener run its own
# jobs): one per core, each running with one torch thread. The API batches what waits.
MODEL_SLOTS = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
FRAME_SECONDS = 0.06  # browsers merge frames that come faster than about 20 per second
STRETCHED, SQUARE = "stretched", "square"  # heatmaps fill their box; the input keeps square pixels
CSS = f"""
.{STRETCHED} img {{ image-rendering: pixelated; object-fit: fill; width: 100%; display: block; }}
.{SQUARE} img {{ image-rendering: pixelated; object-fit: contain; width: 100%; display: block; }}
table.rows caption {{ font-size: 12px; text-align: left; padding-bottom: 2px; }}
table.rows {{ border-collapse: collapse; table-layout: fixed; font-size: 10px; line-height: 1.1; width: 100%; }}
table.rows td, table.rows th {{ padding: 0 1px; text-align: center; border: 0; overflow: hidden; }}
table.rows th:first-child {{ width: 4.2em; text-align: right; padding-right: 4px; }}
table.rows tr.cursor {{ outline: 2px solid rgb(255, 150, 0); outline-offset: -1px; }}
table.rows tr.first th {{ color: rgb(0, 140, 60); }}
"""

THEME = gr.themes.Default(font=["ui-sans-serif", "system-ui", "sans-serif"],  # no web fonts to fetch
                          font_mono=["ui-monospace", "monospace"])

INTRO = """# rowscan: watch a recurrent network read your digit, one pixel row at a time
Draw a digit (or upload an image, or pick an example). It is cropped, scaled to 20x20 and
centred like MNIST, then fed to the network **row by row: 28 timesteps of 28 pixels**.
Move the **row slider** (or press **Play**) to see what the network knew after each row.
"""

LEGEND = """**Reading the pictures.** Rows run top (row 0) to bottom (row 27). The orange mark at the
left of each picture, and the orange outline in the table, is the row at the slider; rows not yet
read are faded. Heatmap columns are units, sorted by the row where each peaks (earliest left); red
is positive, blue negative, white zero. Gates run from white (0) to violet (1); the candidate is
signed like the states. In the table, the green row label marks the row after which the final
answer was first the top class. The red bars beside the input show each row's importance: how much
the final answer's probability drops when that row alone is blanked, relative to the most
important row."""

BIDIRECTIONAL_NOTE = (
    "*This model also reads bottom-up, so its answer 'after row t' is its answer on the image cut "
    "after row t (rows 0..t read in both directions). Backward heatmaps are faded above the cursor.*"
)


def mnist_examples() -> list[tuple[Image.Image, str]]:
    """One MNIST test digit per class, when the dataset is already on disk (never downloads)."""
    try:
        test = MNIST(str(data_root()), train=False, download=False)
    except RuntimeError:
        return []
    first = {}
    for index, label in enumerate(test.targets.tolist()):
        first.setdefault(label, index)
    return [
        (Image.fromarray(test.data[first[d]].numpy()).resize((112, 112), Image.Resampling.NEAREST), f"MNIST {d}")
        for d in sorted(first)
    ]


def picture(label: str, height: int = 230, style: str = STRETCHED) -> InlinePicture:
    """An output picture shown scaled up with hard pixel edges."""
    return InlinePicture(label=label, height=height, elem_classes=style)


def panel(name: str, reader: Reader, visible: bool) -> tuple[gr.Column, list]:
    """One model's pictures; returns its column and its outputs in events.PANEL_OUTPUTS order."""
    with gr.Column(visible=visible, elem_id=f"panel-{name}") as column:
        gr.Markdown(f"### {name}  \n{reader.models[name].config.describe()}")
        if reader.models[name].config.bidirectional:
            gr.Markdown(BIDIRECTIONAL_NOTE)
        answer = gr.Label(num_top_classes=3, label="Final answer (top 3)", elem_id=f"answer-{name}")
        with gr.Row():
            seen = picture("What the network sees (28x28) · row importance", height=320, style=SQUARE)
            probabilities = gr.HTML(elem_id=f"rows-{name}")
        direction = "forward | backward, " if reader.models[name].config.bidirectional else ""
        states = picture(f"The chosen state or gate after each row ({direction}rows x units)")
        with gr.Accordion(f"About the {name} model", open=False):
            gr.Markdown(events.about(reader, name))
    return column, [answer, seen, probabilities, states]


def feedback_controls(shown: gr.State) -> None:
    """"That's wrong, it's a __" under the answer, only where the host turned saving on."""
    where = feedback.folder()
    if where is None:
        return
    logger = feedback.ImageFolderLogger()
    logger.setup([shown], where)
    gr.Markdown(feedback.NOTICE, elem_id="feedback-notice")
    with gr.Row():
        digit = gr.Dropdown([str(d) for d in range(10)], value=None, label="That's wrong, it's a", elem_id="feedback-digit")
        save = gr.Button("Save", elem_id="feedback-save")
    said = gr.Markdown(elem_id="feedback-said")
    save.click(partial(feedback.correct, logger), [shown, digit], said, api_visibility="private")


def build(reader: Reader) -> gr.Blocks:
    with Blocks(title="rowscan", analytics_enabled=False, delete_cache=(600, 1800)) as app:
        gr.Markdown(INTRO)
        shown = gr.State(events.Shown())
        with gr.Row():
            with gr.Column(scale=1, min_width=320):
                with gr.Tabs():
                    with gr.Tab("Draw"):
                        canvas = InkCanvas(label="Draw a digit")
                    with gr.Tab("Upload"):
                        upload = ImageFile(label="Upload an image of a digit", sources=["upload", "clipboard"])
                examples = gallery() + mnist_examples()
                pick = gr.Gallery(examples, label="Examples (click one)", columns=5,
                                  height=260, object_fit="contain", allow_preview=False, interactive=False)
                mode = gr.Radio(list(events.MODES), value="LSTM", label="Model", elem_id="mode")
                quantity = gr.Radio(list(events.QUANTITIES), value=events.QUANTITIES[0], elem_id="quantity",
                                    label="Show in the heatmaps (cell state and gates: LSTM only)")
                cursor = gr.Slider(0, ROWS - 1, value=ROWS - 1, step=1, label="Row (timestep)", elem_id="row")
                play = gr.Button("Play the 28 rows", elem_id="play")
                gr.Markdown(LEGEND)
            with gr.Column(scale=3):
                status = gr.Markdown(events.NOTHING_DRAWN, elem_id="status")
                feedback_controls(shown)
                with gr.Row():
                    lstm_column, lstm_outputs = panel("LSTM", reader, visible=True)
                    bilstm_column, bilstm_outputs = panel("BiLSTM", reader, visible=False)

        pictures = [status, *lstm_outputs, *bilstm_outputs]
        quiet = dict(show_progress="hidden", trigger_mode="always_last", api_visibility="private")
        reads = dict(concurrency_id="model", concurrency_limit=MODEL_SLOTS)
        view = [mode, cursor, quantity]
        # Callable by programs (the load test draws through it) but left out of the API page.
        canvas.change(partial(events.draw, reader, "canvas"), [canvas, *view], [shown, *pictures],
                      **{**quiet, "api_visibility": "undocumented"}, api_name="stroke", **reads)
        upload.change(partial(events.draw, reader, "image"), [upload, *view], [shown, *pictures], **quiet, **reads)

        def pick_example(mode_name, row, chosen, selected: gr.SelectData):
            return events.draw_example(reader, examples, selected.index, mode_name, row, chosen)

        pick.select(pick_example, view, [shown, *pictures], **quiet, **reads)

        def switch(shown_now, mode_name, row, chosen):
            visible = events.MODES[mode_name]
            return [gr.Column(visible="LSTM" in visible), gr.Column(visible="BiLSTM" in visible),
                    *events.switch(reader, shown_now, mode_name, row, chosen)]

        mode.change(switch, [shown, *view], [lstm_column, bilstm_column, shown, *pictures], **quiet, **reads)
        cursor.input(events.scrub, [shown, cursor, quantity], pictures, **quiet)
        quantity.change(events.scrub, [shown, cursor, quantity], pictures, **quiet)

        def animate(shown_now, chosen):
            for row in range(ROWS):
                yield [row, *events.scrub(shown_now, row, chosen)]
                time.sleep(FRAME_SECONDS)

        play.click(animate, [shown, quantity], [cursor, *pictures], show_progress="hidden", api_visibility="private")

        with gr.Row(visible=False):  # the API endpoint's own components, not shown in the page
            api_image = ImageFile()
            # A text box, not a gr.Radio: Gradio would refuse an unknown name before the function
            # and fail every request batched with it; events.classify answers it per request.
            api_model = gr.Textbox(value="LSTM", info=f"the model: {' or '.join(reader.models)}")
            api_result = gr.JSON()
            api_button = gr.Button()
        api_button.click(
            lambda images, models: [events.classify(reader, images, models)],
            [api_image, api_model],
            [api_result],
            api_name="classify",
            batch=True,
            max_batch_size=16,
            **reads,
        )
    return app
