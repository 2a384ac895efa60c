"""rowscan: draw a digit and watch a recurrent network read it, one pixel row at a time.

    python app.py [--host H] [--port P] [--share] [--device cpu|cuda] [--checkpoints DIR]

Each flag's default comes from the environment where one is named: GRADIO_SERVER_NAME,
GRADIO_SERVER_PORT, ROWSCAN_CHECKPOINTS. The app also serves its `classify` endpoint as an MCP
tool at /gradio_api/mcp (streamable HTTP) and /gradio_api/mcp/sse.
"""

import argparse
import ctypes
import ipaddress
import os
import re
import sys
from pathlib import Path

QUEUE_POLL_SECONDS = 0.01
MMAP_THRESHOLD = 1024 * 1024  # bytes: larger blocks are mmapped, and unmapped when freed
HOSTNAME = re.compile(r"^(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$")


class OneLineErrors(argparse.ArgumentParser):
    """A bad value ends the program with one line that names it, not a usage block."""

    def error(self, message):
        self.exit(2, f"{self.prog}: error: {message} (see --help)\n")


def host(value: str) -> str:
    try:
        return str(ipaddress.ip_address(value))
    except ValueError:
        if HOSTNAME.match(value):
            return value
    raise argparse.ArgumentTypeError(f"{value!r} is neither an IP address nor a host name")


def port(value: str) -> int:
    if not value.isdigit() or not 1 <= int(value) <= 65535:
        raise argparse.ArgumentTypeError(f"{value!r} is not a port number (1-65535)")
    return int(value)


def folder(value: str) -> Path:
    if not Path(value).is_dir():
        raise argparse.ArgumentTypeError(f"{value!r} is not a folder")
    return Path(value)


def return_freed_memory() -> None:
    """Keep glibc from holding on to memory the server has freed.

    After a large block is freed, glibc raises its mmap threshold (up to 32 MB), so later large
    temporaries are cut from the heap, whose free fragments it keeps: under load the server grew
    by several KB per request while the memory in use stayed flat. A fixed threshold keeps blocks
    above it mmapped, returned as soon as they are freed, and two arenas for Gradio's worker
    threads leave fewer heaps to fragment.

    The threshold is 1 MB, not glibc's initial 128 KB: each LSTM call on a CPU allocates and
    frees blocks of a few hundred KB inside torch, which would be mapped, faulted in and unmapped
    afresh on every call. Smaller temporaries, a reading's JSON among them (at most about 0.3 MB),
    now come from the heap; the memory they leave stayed flat (README, "Speed").
    """
    try:
        mallopt = ctypes.CDLL("libc.so.6").mallopt
    except (OSError, AttributeError):  # not glibc: nothing to tune
        return
    mallopt(-3, MMAP_THRESHOLD)  # M_MMAP_THRESHOLD
    mallopt(-8, 2)  # M_ARENA_MAX


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = OneLineErrors(prog="app.py", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    # String defaults pass through each flag's type, so a bad environment variable is refused the same way.
    parser.add_argument("--host", type=host, default=os.environ.get("GRADIO_SERVER_NAME", "127.0.0.1"),
                        help="address to listen on (default: $GRADIO_SERVER_NAME or 127.0.0.1; 0.0.0.0 for every interface)")
    parser.add_argument("--port", type=port, default=os.environ.get("GRADIO_SERVER_PORT", "7860"),
                        help="port to listen on (default: $GRADIO_SERVER_PORT or 7860)")
    parser.add_argument("--share", action="store_true",
                        help="also open a temporary public *.gradio.live link through Gradio's share servers (needs internet)")
    parser.add_argument("--device", choices=("cpu", "cuda"),
                        help="where the models run (default: cuda when torch sees a GPU, else cpu)")
    parser.add_argument("--checkpoints", type=folder, metavar="DIR", default=os.environ.get("ROWSCAN_CHECKPOINTS"),
                        help="folder holding lstm.pt and bilstm.pt with their .json cards "
                             "(default: $ROWSCAN_CHECKPOINTS or the shipped checkpoints/)")
    args = parser.parse_args(argv)
    if args.device == "cuda":
        import torch

        if not torch.cuda.is_available():
            parser.error("--device cuda: torch sees no CUDA GPU on this machine")
    return args


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    return_freed_memory()
    # Loaded after the flags are read, so --help and a bad value answer at once, not after seconds.
    from starlette.middleware import Middleware

    from demo.bounds import BoundedBody, clean_mcp_images
    from demo.inference import CHECKPOINTS, Reader
    from demo.live import QUEUE_SIZE, stroke_route
    from demo.ui import CSS, THEME, build, page_translations
    from model.checkpoint import CheckpointError

    try:
        reader = Reader(args.checkpoints or CHECKPOINTS, args.device)
    except CheckpointError as error:
        sys.exit(f"rowscan cannot start: {error}")
    print(f"models loaded from {args.checkpoints or CHECKPOINTS} on {reader.device}")
    app = build(reader)
    # Queued events that run a model share demo.inference.MODEL_SLOTS (one per core); the default
    # limit here covers the rest (saving a correction), per event listener. Beyond QUEUE_SIZE (64)
    # waiting, a request is refused ("queue is full"). api_open=False: programs go through the queue
    # too, not round its limits by POSTing to /run/; only the canvas's event is sent there
    # (queue=False), bounded by the live channel's slots (demo/live.py).
    app.queue(default_concurrency_limit=2, max_size=QUEUE_SIZE, api_open=False)
    # While no event waits, Gradio's queue looks for one every millisecond (its private
    # sleep_when_free): 830 to 870 wake-ups a second with nobody there. Every 10 ms delays an
    # event's start by 5 ms on average (README, "Hostile input, many users": Gradio's queue).
    app._queue.sleep_when_free = QUEUE_POLL_SECONDS
    # Each session keeps its last input and canvas value (at most about 0.33 MB): at most 2,000
    # sessions are kept, the least recently used dropped first. No run history: nothing about
    # anyone's drawings is recorded, in the browser or elsewhere.
    # The MCP server offers `classify` as a tool to agents, beside the page and the HTTP API.
    # The canvas's live channel (demo/live.py) is a route of Gradio's app, first among its routes.
    try:
        app.launch(server_name=args.host, server_port=args.port, share=args.share, css=CSS, theme=THEME,
                   max_file_size="10mb", state_session_capacity=2000, run_history=False, mcp_server=True,
                   i18n=page_translations(reader), app_kwargs={"middleware": [Middleware(BoundedBody)], "routes": [stroke_route(reader)]},
                   prevent_thread_lock=True)
    except OSError as error:  # e.g. the port is taken, or the address is not this machine's
        sys.exit(f"rowscan cannot start: {error}")
    clean_mcp_images(app)
    app.block_thread()


if __name__ == "__main__":
    main()
