"""rowscan: draw a digit and watch a recurrent network read it, one pixel row at a time.

    python app.py        (GRADIO_SERVER_NAME / GRADIO_SERVER_PORT choose where it listens)
"""

import sys

from demo.inference import Reader
from demo.ui import CSS, THEME, build
from model.checkpoint import CheckpointError


def main() -> None:
    try:
        reader = Reader()
    except CheckpointError as error:
        sys.exit(f"rowscan cannot start: {error}")
    print(f"models loaded on {reader.device}")
    app = build(reader)
    app.queue(default_concurrency_limit=2, max_size=64)
    app.launch(css=CSS, theme=THEME, max_file_size="10mb")


if __name__ == "__main__":
    main()
