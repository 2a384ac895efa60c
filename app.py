"""rowscan: draw a digit and watch a recurrent network read it, one pixel row at a time.

    python app.py        (GRADIO_SERVER_NAME / GRADIO_SERVER_PORT choose where it listens)
"""

import ctypes
import sys

from demo.inference import Reader
from demo.ui import CSS, THEME, build
from model.checkpoint import CheckpointError


def return_freed_memory() -> None:
    """Keep glibc from holding on to memory the server has freed.

    After a large block is freed, glibc raises its mmap threshold, so later large temporaries (a
    stroke's 28 re-read images, a response's JSON) are cut from the heap, whose free fragments it
    keeps: under load the server grew by several KB per request while the memory in use stayed
    flat. A fixed threshold keeps them mmapped, returned as soon as they are freed, and two
    arenas for Gradio's worker threads leave fewer heaps to fragment.
    """
    try:
        mallopt = ctypes.CDLL("libc.so.6").mallopt
    except (OSError, AttributeError):  # not glibc: nothing to tune
        return
    mallopt(-3, 128 * 1024)  # M_MMAP_THRESHOLD, at glibc's initial value
    mallopt(-8, 2)  # M_ARENA_MAX


def main() -> None:
    return_freed_memory()
    try:
        reader = Reader()
    except CheckpointError as error:
        sys.exit(f"rowscan cannot start: {error}")
    print(f"models loaded on {reader.device}")
    app = build(reader)
    # Events that run a model share demo.ui.MODEL_SLOTS (one per core); the default limit here
    # covers the rest, which only redraw pictures, per event listener. Beyond 64 waiting, a
    # request is refused ("queue is full"). api_open=False: programs go through the queue too,
    # not round its limits by POSTing to /run/.
    app.queue(default_concurrency_limit=2, max_size=64, api_open=False)
    # Each session keeps its last reading (under 0.2 MB with both models shown): at most 2,000
    # sessions are kept, the least recently used dropped first. No run history: nothing about
    # anyone's drawings is recorded, in the browser or elsewhere.
    app.launch(css=CSS, theme=THEME, max_file_size="10mb", state_session_capacity=2000, run_history=False)


if __name__ == "__main__":
    main()
