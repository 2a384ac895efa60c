"""Pictures of a reading, cheap enough to redraw on every stroke and every scrub step.

Heatmaps are built at one pixel per cell and stretched by the browser with hard edges, so
a picture costs a few small numpy operations and one tiny PNG. A ruler column at the left of
each heatmap marks the row at the cursor. The answer after each row is an HTML table.
"""

import numpy as np

CURSOR = np.array([255, 150, 0], np.uint8)  # the row at the slider
RULER = 2  # columns of the cursor ruler
WHITE = np.array([255, 255, 255], np.uint8)


def diverging(values: np.ndarray, scale: float) -> np.ndarray:
    """Blue below zero, white at zero, red above, saturating at +-scale."""
    x = np.clip(values / max(scale, 1e-6), -1, 1)[..., None]
    red, blue, white = np.array([178, 24, 43]), np.array([33, 102, 172]), np.array([247, 247, 247])
    return np.where(x >= 0, white + x * (red - white), white - x * (blue - white)).astype(np.uint8)


def sequential(values: np.ndarray) -> np.ndarray:
    """White at 0 to dark violet at 1."""
    x = np.clip(values, 0, 1)[..., None]
    return (np.array([250, 250, 250]) + x * (np.array([60, 20, 110]) - np.array([250, 250, 250]))).astype(np.uint8)


def unit_order(states: np.ndarray) -> np.ndarray:
    """Units (columns) sorted by the row where each peaks in |activation|, then by the sign of that peak."""
    peak = np.abs(states).argmax(0)
    sign = np.sign(states[peak, np.arange(states.shape[1])])
    return np.lexsort((-sign, peak))


def fade_unread(rgb: np.ndarray, cursor: int, backward: bool = False) -> np.ndarray:
    """Fade the rows a reader has not reached at `cursor`: below it reading down, above it reading up."""
    out = rgb.copy()
    unread = slice(0, cursor) if backward else slice(cursor + 1, None)
    out[unread] = (out[unread] * 0.3 + 255 * 0.7).astype(np.uint8)
    return out


def with_ruler(rgb: np.ndarray, cursor: int) -> np.ndarray:
    ruler = np.full((rgb.shape[0], RULER, 3), 255, np.uint8)
    ruler[cursor] = CURSOR
    return np.concatenate([ruler, rgb], 1)


def side_by_side(panels: list[np.ndarray]) -> np.ndarray:
    gap = np.full((panels[0].shape[0], 2, 3), 255, np.uint8)
    return np.concatenate([part for panel in panels for part in (gap, panel)][1:], 1)


def states_picture(states: np.ndarray, cursor: int, signed: bool = True) -> np.ndarray:
    """(rows, directions, units) -> one heatmap per direction, side by side: rows x units sorted by
    unit_order, the cursor row marked on the ruler, rows not yet read faded."""
    scale = float(np.abs(states).max())
    panels = []
    for direction in range(states.shape[1]):
        values = states[:, direction]
        values = values[:, unit_order(values)]
        rgb = diverging(values, scale) if signed else sequential(values)
        panels.append(with_ruler(fade_unread(rgb, cursor, backward=direction == 1), cursor))
    return side_by_side(panels)


def input_picture(image: np.ndarray, cursor: int, importance: np.ndarray) -> np.ndarray:
    """The 28x28 input (white ink on black) with the rows not yet read dimmed, and at the right one
    bar per row: how much the final answer's probability drops when that row alone is blanked,
    relative to the most important row (drops under 2% stay short rather than being blown up)."""
    grey = (np.clip(image, 0, 1) * 255).astype(np.uint8)
    rgb = np.repeat(grey[..., None], 3, 2)
    rgb[cursor + 1 :] = (rgb[cursor + 1 :] * 0.35).astype(np.uint8)
    bars = np.full((image.shape[0], 14, 3), 255, np.uint8)
    relative = np.clip(importance, 0, None) / max(float(importance.max()), 0.02)
    lengths = np.round(relative * bars.shape[1]).astype(int)
    bars[np.arange(bars.shape[1]) < lengths[:, None]] = (214, 39, 40)
    return side_by_side([with_ruler(rgb, cursor), bars])


def first_top_row(row_probabilities: np.ndarray) -> int:
    """The first row after which the final answer was already the top class."""
    final = row_probabilities[-1].argmax()
    return int(np.flatnonzero(row_probabilities.argmax(1) == final)[0])


def probabilities_table(row_probabilities: np.ndarray, cursor: int) -> str:
    """HTML heatmap of the 10 class probabilities after each row; the cursor row shows percentages
    and the row where the final answer first led is marked."""
    first = first_top_row(row_probabilities)
    colours = sequential(row_probabilities)
    header = "".join(f"<th>{digit}</th>" for digit in range(10))
    rows = []
    for row, (probabilities, rgb) in enumerate(zip(row_probabilities.tolist(), colours.tolist())):  # floats format faster
        cells = "".join(
            f'<td style="background:rgb({r},{g},{b});color:{"#fff" if p > 0.5 else "#000"}">'
            + (f"{p:.0%}" if row == cursor else "")
            + "</td>"
            for p, (r, g, b) in zip(probabilities, rgb)
        )
        marks = ("cursor " if row == cursor else "") + ("first" if row == first else "")
        label = f"{row}{' ◀ leads' if row == first else ''}"
        rows.append(f'<tr class="{marks}"><th>{label}</th>{cells}</tr>')
    caption = "<caption>Answer after each row (rows x digits 0-9)</caption>"
    return f'<table class="rows">{caption}<tr><th>row</th>{header}</tr>{"".join(rows)}</table>'
