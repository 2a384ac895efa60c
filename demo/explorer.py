"""The explorer: one gr.HTML whose value is a reading's payload (demo/payload.py), drawn in the
browser by demo/static/explorer.js. Its `steps` prop carries the exact numbers of one unit's
step, answered to the script's 'inspect' event. With `feedback` on (the host set
ROWSCAN_FEEDBACK_DIR), it offers "That's wrong, it's a __" under the status line; its `said`
prop answers the script's 'correct' event (demo.feedback.correct_asked)."""

from pathlib import Path

import gradio as gr

STATIC = Path(__file__).resolve().parent / "static"
# The page contract automated tests rely on (the status line, the row slider, Play) is in the
# template; explorer.js fills in their texts in the page's language and builds the rest.
TEMPLATE = """
<div class="explorer">
  <div id="status" role="status" aria-live="polite"></div>
  <div class="controls">
    <div id="row" class="row-control">
      <label for="row-range"></label>
      <input id="row-range" type="range" min="0" max="27" step="1" value="27">
      <output for="row-range"></output>
    </div>
    <button id="play" type="button" aria-pressed="false"></button>
  </div>
</div>
"""


class Explorer(gr.HTML):
    def __init__(self, texts: dict | None = None, steps: dict | None = None, feedback: bool = False,
                 said: dict | None = None, **kwargs):
        # Gradio rebuilds the component from its config to apply an update: keep what it passes.
        kwargs.setdefault("html_template", TEMPLATE)
        kwargs.setdefault("css_template", (STATIC / "explorer.css").read_text())
        kwargs.setdefault("js_on_load", (STATIC / "explorer.js").read_text())
        super().__init__(texts=texts, steps=steps, feedback=feedback, said=said, **kwargs)

    def api_info(self) -> dict:
        return {"type": "object", "description": "a reading as numbers: see demo/payload.py"}

    def __getattr__(self, name: str):
        # gr.HTML takes any quoted name in its script for a custom event; `steps` and `said` are props
        # that updates set (gr.update(steps=...)), which Gradio then sends in "props" only.
        if name in self.__dict__.get("props", {}):
            raise AttributeError(name)
        return super().__getattr__(name)
