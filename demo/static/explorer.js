// The explorer: draws a reading (demo/payload.py) in the browser. Moving the cursor (slider, Play,
// keyboard), hovering and choosing a unit need no request; only a unit's exact step numbers do
// (trigger('inspect') -> props.steps), besides a correction (trigger('correct')) and a drawing read
// for another model than the one chosen meanwhile (trigger('reread')). Every text comes from
// props.texts, which holds each language's (demo/locales): those of the language Gradio chose for
// the page, which it sets as <html lang>.
const T = props.texts[document.documentElement.lang] || props.texts.en;
const ROWS = 28;
const LAST = ROWS - 1;
const PLAY_MS = 80;  // 12.5 rows per second, every row shown
const CURSOR = '#ff9600';
const QUANTITIES = Object.keys(T.quantities);
const SIGNED = {hidden: true, cell: true, candidate: true};

const view = {readings: {}, kept: {}, cursor: LAST, quantity: 'hidden', sorted: true, timer: null,
              unit: null, steps: null, focus: {}, focusRow: {}, numbersOpen: false, asked: 0};
// Read by the tests and the benchmark: every paint, the rows Play showed, the last correction's answer.
let ink = '#000';  // the theme's text colour, read once per paint
const probe = window.rowscanExplorer = {paints: 0, played: [], paintMs: [], view: view};

function format(text, values) {
  return text.replace(/\{(\w+)\}/g, (match, key) => (key in values ? values[key] : match));
}
function percent(p) { return Math.round(p * 100) + '%'; }
function fixed(x, digits) { return (Math.abs(x) < 0.5 * 10 ** -digits ? 0 : x).toFixed(digits); }
function make(tag, attributes, parent) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attributes || {})) {
    if (key === 'text') node.textContent = value; else node.setAttribute(key, value);
  }
  if (parent) parent.appendChild(node);
  return node;
}

// ---- colour maps: viridis for 0..1, blue-white-red for signed values (both colour-blind safe)
function ramp(stops) {
  const table = new Uint8ClampedArray(256 * 3);
  for (let k = 0; k < 256; k++) {
    const x = k / 255 * (stops.length - 1);
    const a = Math.min(Math.floor(x), stops.length - 2);
    const w = x - a;
    for (let c = 0; c < 3; c++) table[k * 3 + c] = stops[a][c] * (1 - w) + stops[a + 1][c] * w;
  }
  return table;
}
const VIRIDIS = ramp([[68, 1, 84], [72, 40, 120], [62, 73, 137], [49, 104, 142], [38, 130, 142],
                      [31, 158, 137], [53, 183, 121], [110, 206, 88], [253, 231, 37]]);
const DIVERGING = ramp([[33, 102, 172], [103, 169, 207], [209, 229, 240], [247, 247, 247],
                        [253, 219, 199], [239, 138, 98], [178, 24, 43]]);
function colour(value, scale, signed) {
  const k = signed ? Math.round((Math.max(-1, Math.min(1, value / scale)) + 1) * 127.5)
                   : Math.round(Math.max(0, Math.min(1, value)) * 255);
  const table = signed ? DIVERGING : VIRIDIS;
  return [table[k * 3], table[k * 3 + 1], table[k * 3 + 2]];
}
function css(rgb) { return `rgb(${rgb[0]},${rgb[1]},${rgb[2]})`; }
// Black or white text, whichever stands out more on this colour by WCAG's contrast ratio: at least
// 4.58 to 1 on any colour, 4.60 on viridis. (White on viridis up to 0.55, as before, came to 4.0.)
function inkOn(rgb) {
  const [r, g, b] = rgb.map((c) => (c / 255 <= 0.04045 ? c / 255 / 12.92 : ((c / 255 + 0.055) / 1.055) ** 2.4));
  const light = 0.2126 * r + 0.7152 * g + 0.0722 * b;
  return (light + 0.05) / 0.05 >= 1.05 / (light + 0.05) ? '#000' : '#fff';
}

// ---- the payload: scaled codes back to numbers, each the trace's value rounded to its step
function base64Bytes(text) { return Uint8Array.from(atob(text), (c) => c.charCodeAt(0)); }
// Codes are bytes, or (width 2) 16-bit little-endian numbers: a typed array reads the machine's
// order, little-endian on every browser's platform.
function codes(bytes, encoded) { return encoded.width === 2 ? new Uint16Array(bytes.buffer, bytes.byteOffset, bytes.length / 2) : bytes; }
function scaled(coded, encoded) {
  const values = new Float32Array(coded.length);
  for (let k = 0; k < coded.length; k++) values[k] = encoded.low + coded[k] * encoded.step;
  return values;
}
function decode(encoded) { return scaled(codes(base64Bytes(encoded.bytes), encoded), encoded); }
// The decimals a value of this step is shown to: all the digits the payload knows.
function decimals(encoded) { return Math.max(0, Math.round(-Math.log10(encoded.step))); }

// A bidirectional model's states on every cut (payload.encode_cuts): deflated differences, the
// (cut, row) pairs nearest the cut first, both directions of each. Summing them back along each
// cut's rows, in the order the direction reads them, then from cut to cut, gives the codes in the
// triangle order of stateAt.
async function decodeCuts(encoded) {
  const stream = new Blob([base64Bytes(encoded.raw_deflate)]).stream().pipeThrough(new DecompressionStream('deflate-raw'));
  const sent = codes(new Uint8Array(await new Response(stream).arrayBuffer()), encoded);
  const [pairs, directions, units] = encoded.shape;
  const coded = new sent.constructor(sent.length);  // adds mod 256 (or 65536), as the differences were taken
  const at = (t, row, d) => ((t * (t + 1) / 2 + row) * directions + d) * units;
  let k = 0;
  for (let distance = 0; distance < ROWS; distance++) {
    for (let t = distance; t < ROWS; t++) {
      for (let d = 0; d < directions; d++, k += units) coded.set(sent.subarray(k, k + units), at(t, t - distance, d));
    }
  }
  const add = (to, from) => { for (let j = 0; j < units; j++) coded[to + j] += coded[from + j]; };
  for (let t = 0; t < ROWS; t++) {
    for (let row = 1; row <= t; row++) {
      add(at(t, row, 0), at(t, row - 1, 0));  // forwards: rows 0..t
      add(at(t, t - row, 1), at(t, t - row + 1, 1));  // backwards: rows t..0
    }
    for (let row = 0; row < t; row++) {
      for (let d = 0; d < directions; d++) add(at(t, row, d), at(t - 1, row, d));
    }
  }
  return scaled(coded, encoded);
}

async function prepare(name, sent) {
  const reading = {name: name, ...sent, image: decode(sent.image)};
  if (!sent.full) return reading;
  reading.states = {};
  reading.scale = {};  // the largest size of each quantity: its colours' scale
  reading.digits = {};
  for (const [quantity, encoded] of Object.entries(sent.states)) {
    const values = encoded.raw_deflate ? await decodeCuts(encoded) : decode(encoded);
    reading.states[quantity] = values;
    reading.scale[quantity] = values.reduce((most, v) => Math.max(most, Math.abs(v)), 0) || 1;
    reading.digits[quantity] = decimals(encoded);
  }
  reading.order = [];
  for (let d = 0; d < sent.directions; d++) reading.order.push(unitOrder(reading, d));
  return reading;
}

// The value of one quantity at (cursor t, row, direction, unit): for a bidirectional model the state
// of the image cut after row t (null below the cut); otherwise the state after that row.
function stateAt(reading, quantity, t, row, direction, unit) {
  const values = reading.states[quantity];
  if (!values) return null;
  let index = row;
  if (reading.cuts) {
    if (row > t) return null;
    index = t * (t + 1) / 2 + row;
  }
  return values[(index * reading.directions + direction) * reading.units + unit];
}

// Units sorted by the row where their hidden state peaks in size over the whole image (cut 27),
// so that a unit keeps its column whatever the cursor and the quantity.
function unitOrder(reading, direction) {
  const peaks = [];
  for (let j = 0; j < reading.units; j++) {
    let best = -1, bestRow = 0, sign = 0;
    for (let r = 0; r < ROWS; r++) {
      const v = stateAt(reading, 'hidden', LAST, r, direction, j);
      if (Math.abs(v) > best) { best = Math.abs(v); bestRow = r; sign = Math.sign(v); }
    }
    peaks.push([bestRow, -sign, j]);
  }
  peaks.sort((a, b) => a[0] - b[0] || a[1] - b[1] || a[2] - b[2]);
  return peaks.map((p) => p[2]);
}
function columnsOf(reading, direction) {
  return view.sorted ? reading.order[direction] : [...Array(reading.units).keys()];
}
// The reading whose states are drawn: during a stroke, the last full one, shown faded.
function withStates(reading) { return reading.full ? reading : view.kept[reading.name]; }

// ---- the page's skeleton: the page contract (#status, #row, #play) comes in the template
// (demo/explorer.py); the rest is built once
const root = element.querySelector('.explorer');
const status = root.querySelector('#status');
const slider = root.querySelector('#row-range');
const rowText = root.querySelector('#row output');
const play = root.querySelector('#play');
root.querySelector('#row label').textContent = T.row;
play.textContent = T.play;
const quantityBox = make('fieldset', {class: 'quantity'}, root);
make('legend', {text: T.show}, quantityBox);
const group = 'quantity-' + Math.random().toString(36).slice(2);  // one radio group per explorer
for (const quantity of QUANTITIES) {
  const label = make('label', {}, quantityBox);
  const radio = make('input', {type: 'radio', name: group, value: quantity}, label);
  radio.checked = quantity === view.quantity;
  label.append(' ' + T.quantities[quantity]);
  radio.addEventListener('change', () => { view.quantity = quantity; paint(); });
}
const sortLabel = make('label', {class: 'sort'}, root);
const sortBox = make('input', {type: 'checkbox'}, sortLabel);
sortBox.checked = true;
sortLabel.append(' ' + T.sort);
sortBox.addEventListener('change', () => { view.sorted = sortBox.checked; tooltip.hidden = true; paint(); });  // its cell moved
const now = make('p', {class: 'now'}, root);
const models = make('div', {class: 'models'}, root);
const unitPanel = make('section', {class: 'unit-panel', 'aria-label': T.unit_panel}, root);
const legend = make('details', {class: 'legend'}, root);
make('summary', {text: T.legend_title}, legend);
make('p', {text: T.legend}, legend);
const tooltip = make('div', {class: 'tooltip', role: 'tooltip', hidden: ''}, root);

// ---- "That's wrong, it's a __", where the host turned saving on: under the status line, a button
// per digit. A click saves the drawing on screen, named by its key, so that a newer drawing still
// on its way is not saved in its place (trigger('correct') -> props.said).
const correction = props.feedback ? buildCorrection() : null;
function buildCorrection() {
  const box = make('div', {class: 'correction', role: 'group'});
  status.after(box);
  const label = make('span', {id: group + '-correction', text: T.feedback_label}, box);
  box.setAttribute('aria-labelledby', label.id);
  const buttons = [];
  for (let digit = 0; digit < 10; digit++) {
    const button = make('button', {type: 'button', 'data-digit': digit, text: digit,
                                   'aria-label': format(T.feedback_digit, {digit: digit})}, box);
    button.addEventListener('click', () => correct(digit));
    buttons.push(button);
  }
  const said = make('p', {class: 'said', role: 'status'}, box);
  make('p', {class: 'notice', text: T.feedback_notice}, box);
  return {buttons: buttons, said: said, asked: 0, answered: 0, drawing: null};
}
// The latest click, left unanswered this long, says so rather than "Saving…" for ever (a server
// gone away, a request lost). Its answer, should it still come, replaces that.
const NO_ANSWER_MS = 15000;
function correct(digit) {
  const asked = ++correction.asked;
  correction.said.textContent = T.feedback_saving;
  trigger('correct', {digit: digit, drawing: correction.drawing, id: asked});
  setTimeout(() => {
    if (correction.asked === asked && correction.answered !== asked) correction.said.textContent = T.feedback_no_answer;
  }, NO_ANSWER_MS);
}
// Only a drawing read in full can be saved (not an MNIST test digit, which has no key). Another
// drawing on screen, or none, clears what was said of the last one, and its answer still on its
// way is not shown under the new one.
function paintCorrection(readings) {
  const drawing = readings.length && readings.every((reading) => reading.full) ? element.explorerValue.drawing : null;
  for (const button of correction.buttons) button.disabled = !drawing;
  if (drawing === correction.drawing) return;
  correction.drawing = drawing;
  correction.asked += 1;
  correction.said.textContent = '';
}

// ---- per model: input, answer lines, the cursor row's table, one heatmap per direction
function buildModels() {
  models.textContent = '';
  for (const reading of Object.values(view.readings)) {
    const section = make('section', {class: 'model', 'data-model': reading.name}, models);
    make('h3', {text: reading.name}, section);
    if (reading.directions === 2) make('p', {class: 'note', text: T.backward_note}, section);
    const pair = make('div', {class: 'pair'}, section);
    const seen = make('figure', {}, pair);
    make('canvas', {class: 'input', role: 'img'}, seen);
    make('figcaption', {text: T.seen}, seen);
    const lines = make('figure', {}, pair);
    make('canvas', {class: 'lines', role: 'img'}, lines);
    make('figcaption', {text: T.lines}, lines);
    const table = make('table', {class: 'probabilities'}, section);
    make('caption', {}, table);
    const head = make('tr', {}, table), body = make('tr', {}, table);
    make('th', {scope: 'row', text: T.digit}, head);
    make('th', {scope: 'row', text: '%'}, body);
    for (let d = 0; d < 10; d++) { make('th', {scope: 'col', text: d}, head); make('td', {}, body); }
    const maps = make('div', {class: 'heatmaps'}, section);
    for (let d = 0; d < (reading.directions || 1); d++) {
      const figure = make('figure', {}, maps);
      const canvas = make('canvas', {class: 'heatmap', role: 'img', tabindex: '0', 'data-direction': d}, figure);
      make('figcaption', {}, figure);
      listen(canvas, reading.name, d);
    }
  }
}

// ---- canvases: their sizes, and what does not move with the cursor
// Widths come from a ResizeObserver: reading clientWidth while painting, after the last step's
// writes, forced a layout on every step. A new width repaints before that frame is shown.
const widths = new WeakMap();
const resized = new ResizeObserver((entries) => {
  let changed = false;
  for (const entry of entries) {
    const width = Math.round(entry.contentRect.width);
    changed ||= widths.get(entry.target) !== width;
    widths.set(entry.target, width);
  }
  if (changed) paint();
});

// A context's font outlives a paint (setting it costs a parse), but not a resize.
function setUp(context, ratio, reset) {
  context.setTransform(ratio, 0, 0, ratio, 0, 0);
  if (reset) context.font = '11px ui-sans-serif, system-ui, sans-serif';
  context.fillStyle = context.strokeStyle = ink;
  return context;
}

// Canvas sized to its box, cleared, drawn in css pixels.
function fit(canvas, height) {
  const figure = canvas.parentElement;
  if (!widths.has(figure)) {  // first sight: one layout read, then the observer keeps it
    widths.set(figure, figure.clientWidth);
    resized.observe(figure);
  }
  const width = widths.get(figure) || 300;
  const ratio = window.devicePixelRatio || 1;
  const reset = canvas.width !== Math.round(width * ratio) || canvas.height !== Math.round(height * ratio);
  if (reset) {
    canvas.width = Math.round(width * ratio);
    canvas.height = Math.round(height * ratio);
    canvas.style.height = height + 'px';
  }
  const context = setUp(canvas.getContext('2d'), ratio, reset);
  context.clearRect(0, 0, width, height);
  return [context, width];
}

// What does not move with the cursor (axes, colour bar, answer lines, importance bars) is drawn by
// drawStill once per source and key on an offscreen canvas; a step copies it, then draws what moves.
const stills = new WeakMap();
function paintStill(canvas, height, source, key, drawStill) {
  const [context, width] = fit(canvas, height);
  key = [key, canvas.width, canvas.height, ink].join('|');
  let still = stills.get(canvas);
  if (!still || still.source !== source || still.key !== key) {
    still = {source: source, key: key, canvas: document.createElement('canvas')};
    still.canvas.width = canvas.width;
    still.canvas.height = canvas.height;
    drawStill(setUp(still.canvas.getContext('2d'), window.devicePixelRatio || 1, true), width, height);
    stills.set(canvas, still);
  }
  context.drawImage(still.canvas, 0, 0, width, height);
  return [context, width];
}

// Small images, one pixel per cell (rows x columns), made by fill(data) once per reading and key.
const images = new WeakMap();
function cachedImage(reading, key, columns, fill) {
  if (!images.has(reading)) images.set(reading, new Map());
  const cache = images.get(reading);
  if (!cache.has(key)) {
    const bitmap = document.createElement('canvas');
    bitmap.width = columns;
    bitmap.height = ROWS;
    const context = bitmap.getContext('2d');
    const pixels = context.createImageData(columns, ROWS);
    fill(pixels.data);
    context.putImageData(pixels, 0, 0);
    cache.set(key, bitmap);
  }
  return cache.get(key);
}

// Rows [from, to) of a cached image, scaled onto the plot at (x, top).
function copyRows(context, bitmap, from, to, x, top, width, cell) {
  if (to <= from) return;
  context.imageSmoothingEnabled = false;
  context.drawImage(bitmap, 0, from, bitmap.width, to - from, x, top + from * cell, width, (to - from) * cell);
}

// Writes only what changed: a browser may redo the style and layout of a text written again unchanged.
function write(node, text) { if (node.textContent !== text) node.textContent = text; }
function label(node, text) { if (node.getAttribute('aria-label') !== text) node.setAttribute('aria-label', text); }

function rowTicks(context, x, top, cell) {
  context.textAlign = 'right';
  context.textBaseline = 'middle';
  for (const r of [0, 7, 14, 21, 27]) context.fillText(r, x, top + (r + 0.5) * cell);
}

// The input; rows after t faded (not read yet). With a tint {full, direction, unit}: each row
// blended with that unit's hidden state there.
function paintInput(canvas, reading, t, tint) {
  const height = 230, left = 24, top = 4;
  const cellOf = (width) => Math.min((height - 20) / ROWS, (width - 90) / ROWS);
  const importance = withStates(reading)?.importance;
  const [context, width] = paintStill(canvas, height, importance || reading, 'input', (still, width) => {
    const cell = cellOf(width);
    rowTicks(still, left - 4, top, cell);
    if (!importance) return;
    // bars: the drop in the final answer's probability when the row is blanked
    const x0 = left + cell * ROWS + 6, span = Math.max(width - x0 - 6, 20);
    const top1 = Math.max(...importance, 0.02);
    still.fillStyle = '#d62728';
    importance.forEach((v, r) => still.fillRect(x0, top + r * cell + 1, span * Math.max(v, 0) / top1, cell - 2));
    still.fillStyle = ink;
    still.textAlign = 'left';
    still.textBaseline = 'top';
    still.fillText(T.importance, x0, top + ROWS * cell + 3);
  });
  const cell = cellOf(width);
  const cut = tint && tint.full.cuts ? t : LAST;  // an LSTM's tint does not depend on the cursor
  const image = (faded) => cachedImage(reading, ['input', faded, tint && [tint.direction, tint.unit, cut]].join(), ROWS,
                                       (data) => fillInput(data, reading, faded, tint, cut));
  copyRows(context, image(false), 0, t + 1, left, top, cell * ROWS, cell);
  copyRows(context, image(true), t + 1, ROWS, left, top, cell * ROWS, cell);
  marker(context, left - 2, top + (t + 0.5) * cell);
  const top1 = importance ? importance.indexOf(Math.max(...importance)) : 0;
  label(canvas, format(T.seen_alt, {row: t, top: top1}));
}

function fillInput(data, reading, faded, tint, cut) {
  for (let r = 0; r < ROWS; r++) {
    const rgbTint = tint && colour(stateAt(tint.full, 'hidden', cut, r, tint.direction, tint.unit) ?? 0,
                                   tint.full.scale.hidden, true);
    for (let c = 0; c < ROWS; c++) {
      const v = reading.image[r * ROWS + c] * 255 * (faded ? 0.35 : 1);
      const k = (r * ROWS + c) * 4;
      for (let channel = 0; channel < 3; channel++) {
        data[k + channel] = tint ? v * 0.55 + rgbTint[channel] * 0.45 : v;
      }
      data[k + 3] = 255;
    }
  }
}

function marker(context, x, y) {
  context.save();
  context.fillStyle = CURSOR;
  context.beginPath();
  context.moveTo(x, y);
  context.lineTo(x - 8, y - 5);
  context.lineTo(x - 8, y + 5);
  context.fill();
  context.restore();
}

// The answer after each row, one line per digit: the final answer's in blue, the leader at the
// cursor's in red (the one line that moves), the others grey.
function paintLines(canvas, reading, t) {
  const height = 230, left = 38, right = 16, top = 8, bottom = 22;
  const y = (p) => top + (1 - p) * (height - top - bottom);
  const xOf = (width) => (r) => left + r / LAST * (width - left - right);
  const [context, width] = paintStill(canvas, height, reading, 'lines', (still, width) => {
    const x = xOf(width);
    still.textAlign = 'right';
    still.textBaseline = 'middle';
    for (const p of [0, 0.5, 1]) still.fillText(percent(p), left - 4, y(p));
    still.textAlign = 'center';
    still.textBaseline = 'top';
    for (const r of [0, 7, 14, 21, 27]) still.fillText(r, x(r), height - bottom + 4);
    for (let d = 0; d < 10; d++) if (d !== reading.digit) answerLine(still, reading, d, null, x, y);
    answerLine(still, reading, reading.digit, '#1f77b4', x, y);
  });
  const x = xOf(width);
  const leader = argmax(reading.probabilities[t]);
  if (leader !== reading.digit) answerLine(context, reading, leader, '#d62728', x, y);
  context.strokeStyle = CURSOR;
  context.lineWidth = 2;
  context.beginPath();
  context.moveTo(x(t), top);
  context.lineTo(x(t), height - bottom);
  context.stroke();
  label(canvas, format(T.lines_alt, {digit: reading.digit}));
}

// One digit's line: in `hue`, thick and labelled, or with none, thin grey.
function answerLine(context, reading, d, hue, x, y) {
  context.strokeStyle = hue || 'rgba(128,128,128,0.45)';
  context.lineWidth = hue ? 2.5 : 1;
  context.beginPath();
  reading.probabilities.forEach((row, r) => (r ? context.lineTo(x(r), y(row[d])) : context.moveTo(x(r), y(row[d]))));
  context.stroke();
  if (hue) {
    context.fillStyle = hue;
    context.textAlign = 'left';
    context.textBaseline = 'middle';
    context.fillText(d, x(LAST) + 3, y(reading.probabilities[LAST][d]));
  }
}

function argmax(values) { return values.indexOf(Math.max(...values)); }

function paintTable(table, reading, t) {
  write(table.querySelector('caption'), format(T.probabilities_caption, {row: t}));
  const cells = table.querySelectorAll('td');
  const row = reading.probabilities[t];
  const leader = argmax(row);
  cells.forEach((td, d) => {
    write(td, percent(row[d]));
    const rgb = colour(row[d], 1, false);
    td.style.background = css(rgb);
    td.style.color = inkOn(rgb);
    td.classList.toggle('leader', d === leader);
  });
}

const MARGIN = {left: 30, right: 64, top: 6, bottom: 30};

function paintHeatmap(canvas, reading, direction, t) {
  const full = withStates(reading);
  const quantity = view.quantity;
  const directionName = reading.directions === 2 ? T.directions[direction] : T.directions[0];
  write(canvas.nextElementSibling, format(T.heatmap, {quantity: T.quantities[quantity], direction: directionName}));
  const height = 250;
  if (!full || !full.states[quantity]) { fit(canvas, height); canvas.removeAttribute('aria-label'); return; }
  const columns = columnsOf(full, direction);
  const signed = !!SIGNED[quantity], scale = signed ? full.scale[quantity] : 1;
  const [context, width] = paintStill(canvas, height, full, [quantity, direction, view.sorted].join(), (still, width) => {
    const plotWidth = width - MARGIN.left - MARGIN.right, plotHeight = height - MARGIN.top - MARGIN.bottom;
    const column = plotWidth / columns.length;
    rowTicks(still, MARGIN.left - 4, MARGIN.top, plotHeight / ROWS);
    // unit axis: the unit in every 16th (or 32nd) column, under a tick, in number order or sorted by peak row
    still.textAlign = 'center';
    still.textBaseline = 'top';
    for (let j = 0; j < columns.length; j += columns.length > 64 ? 32 : 16) {
      const x = MARGIN.left + (j + 0.5) * column;
      still.fillRect(x - 0.5, MARGIN.top + plotHeight, 1, 3);
      still.fillText(columns[j], x, MARGIN.top + plotHeight + 3);
    }
    still.fillText(format(T.axis_units, {order: view.sorted ? T.order_peak : T.order_number}),
                   MARGIN.left + plotWidth / 2, MARGIN.top + plotHeight + 15);
    colourBar(still, width - MARGIN.right + 10, MARGIN.top, plotHeight, scale, signed, full.digits[quantity]);
  });
  const plotWidth = width - MARGIN.left - MARGIN.right, plotHeight = height - MARGIN.top - MARGIN.bottom;
  const cell = plotHeight / ROWS, column = plotWidth / columns.length;
  // A bidirectional model's cells change with the cut; an LSTM's fade after the cursor row. During
  // a stroke the last full reading is shown, all faded.
  const cut = full.cuts ? t : LAST;
  const image = (faded) => cachedImage(full, ['heatmap', quantity, direction, view.sorted, cut, faded].join(),
                                       columns.length, (data) => fillHeatmap(data, full, quantity, direction, cut, columns, faded));
  const readTo = !reading.full ? 0 : full.cuts ? ROWS : t + 1;
  copyRows(context, image(false), 0, readTo, MARGIN.left, MARGIN.top, plotWidth, cell);
  copyRows(context, image(true), readTo, ROWS, MARGIN.left, MARGIN.top, plotWidth, cell);
  if (full.cuts && t < LAST - 2) {  // below the cut: say so instead of leaving it empty
    context.textAlign = 'center';
    context.textBaseline = 'middle';
    context.fillText(T.not_in_cut, MARGIN.left + plotWidth / 2, MARGIN.top + (t + 1 + (LAST - t) / 2 + 0.5) * cell);
  }
  marker(context, MARGIN.left - 1, MARGIN.top + (t + 0.5) * cell);
  context.strokeStyle = CURSOR;
  context.lineWidth = 1.5;
  context.strokeRect(MARGIN.left, MARGIN.top + t * cell, plotWidth, cell);
  if (view.unit && view.unit.model === reading.name && view.unit.direction === direction) {
    context.strokeStyle = ink;
    context.strokeRect(MARGIN.left + columns.indexOf(view.unit.unit) * column, MARGIN.top, column, plotHeight);
  }
  const focus = view.focus[reading.name + direction], focusRow = view.focusRow[reading.name + direction];
  if (focus !== undefined && document.activeElement === canvas) {
    context.setLineDash([3, 2]);
    context.strokeRect(MARGIN.left + focus * column, MARGIN.top, column, plotHeight);
    context.setLineDash([]);
    if (focusRow !== undefined) context.strokeRect(MARGIN.left + focus * column - 2, MARGIN.top + focusRow * cell - 2, column + 4, cell + 4);
  }
  let best = {value: -Infinity, unit: 0};  // the text alternative names the largest unit at the cursor row
  for (const unit of columns) {
    const v = stateAt(full, quantity, t, t, direction, unit);
    if (Math.abs(v) > best.value) best = {value: Math.abs(v), unit: unit, shown: v};
  }
  label(canvas, format(T.heatmap_alt, {
    quantity: T.quantities[quantity], units: columns.length, direction: directionName, row: t,
    unit: best.unit, value: fixed(best.shown ?? 0, full.digits[quantity])}));
}

// One pixel per (row, column) of the state after `cut`; transparent where the cut has no state.
function fillHeatmap(data, full, quantity, direction, cut, columns, faded) {
  const signed = !!SIGNED[quantity], scale = signed ? full.scale[quantity] : 1;
  for (let r = 0; r < ROWS; r++) {
    columns.forEach((unit, column) => {
      const v = stateAt(full, quantity, cut, r, direction, unit);
      if (v === null) return;
      const k = (r * columns.length + column) * 4;
      data.set(colour(v, scale, signed), k);
      data[k + 3] = faded ? 70 : 255;
    });
  }
}

function colourBar(context, x, top, height, scale, signed, digits) {
  for (let k = 0; k < height; k++) {
    const f = 1 - k / height;
    context.fillStyle = css(colour(signed ? (2 * f - 1) * scale : f, scale, signed));
    context.fillRect(x, top + k, 10, 1.5);
  }
  context.fillStyle = ink;
  context.textAlign = 'left';
  context.textBaseline = 'middle';
  const ticks = signed ? [scale, 0, -scale] : [1, 0.5, 0];
  ticks.forEach((v, k) => context.fillText(fixed(v, digits), x + 14, top + k * height / 2));
}

// ---- hover, focus and click on a heatmap cell
function cellAt(canvas, reading, direction, event) {
  const box = canvas.getBoundingClientRect();
  const plotWidth = box.width - MARGIN.left - MARGIN.right, plotHeight = box.height - MARGIN.top - MARGIN.bottom;
  const x = event.clientX - box.left - MARGIN.left, y = event.clientY - box.top - MARGIN.top;
  if (x < 0 || y < 0 || x >= plotWidth || y >= plotHeight) return null;
  const full = withStates(reading);
  const columns = columnsOf(full, direction);
  return {row: Math.floor(y / plotHeight * ROWS), column: Math.floor(x / plotWidth * columns.length), columns: columns};
}

// What the tooltip points at, so that a repaint (another cursor row, quantity or reading) shows that
// cell's value then: a tooltip opened from the keyboard follows the cursor row.
let tip = null;
function refreshTooltip() {  // its text only: the cell has not moved
  const reading = tip && view.readings[tip.name];
  if (tooltip.hidden || !reading || !withStates(reading)) { tooltip.hidden = true; return; }
  writeTooltip(reading, tip.direction, tip.followsCursor ? view.cursor : tip.row, tip.unit);
}

function showTooltip(reading, direction, row, unit, x, y, followsCursor = false) {
  tip = {name: reading.name, direction: direction, row: row, unit: unit, followsCursor: followsCursor};
  writeTooltip(reading, direction, row, unit);
  const box = root.getBoundingClientRect();
  tooltip.style.left = Math.min(x - box.left + 12, box.width - 260) + 'px';
  tooltip.style.top = (y - box.top + 14) + 'px';
  tooltip.hidden = false;
}

function writeTooltip(reading, direction, row, unit) {
  const full = withStates(reading);
  const v = stateAt(full, view.quantity, view.cursor, row, direction, unit);
  const shown = v === null ? T.not_in_cut : fixed(v, full.digits[view.quantity]);
  tooltip.textContent = format(T.tooltip, {
    model: reading.name, direction: reading.directions === 2 ? T.directions[direction] : T.directions[0],
    row: row, unit: unit, quantity: T.quantities[view.quantity], value: shown});
  Object.assign(tooltip.dataset, {model: reading.name, direction: direction, row: row, unit: unit, value: shown});
}

function listen(canvas, name, direction) {
  canvas.addEventListener('mousemove', (event) => {
    const reading = view.readings[name];
    const at = withStates(reading) && cellAt(canvas, reading, direction, event);
    if (!at) { tooltip.hidden = true; return; }
    showTooltip(reading, direction, at.row, at.columns[at.column], event.clientX, event.clientY);
  });
  canvas.addEventListener('mouseleave', () => { tooltip.hidden = true; });
  canvas.addEventListener('click', (event) => {
    const reading = view.readings[name];
    const at = withStates(reading) && cellAt(canvas, reading, direction, event);
    if (at) inspect(name, direction, at.columns[at.column]);
  });
  // keyboard: up/down choose a unit column, Enter inspects it; the tooltip says its value at the
  // cursor row, or, once page up/down have chosen a row, at that row (as the mouse can point at any)
  canvas.addEventListener('keydown', (event) => {
    const reading = view.readings[name];
    const full = withStates(reading);
    if (!full) return;
    const key = name + direction, columns = columnsOf(full, direction);
    let focus = view.focus[key] ?? 0;
    if (event.key === 'ArrowUp' || event.key === 'ArrowDown') {
      focus = (focus + (event.key === 'ArrowUp' ? 1 : -1) + columns.length) % columns.length;
    } else if (event.key === 'PageUp' || event.key === 'PageDown') {
      const row = (view.focusRow[key] ?? view.cursor) + (event.key === 'PageUp' ? -1 : 1);
      view.focusRow[key] = Math.max(0, Math.min(LAST, row));
    } else if (event.key === 'Enter') {
      inspect(name, direction, columns[focus]);
    } else return;
    event.preventDefault();
    view.focus[key] = focus;
    paint();
    const box = canvas.getBoundingClientRect();
    const column = (box.width - MARGIN.left - MARGIN.right) / columns.length;
    const row = view.focusRow[key];
    const rowHeight = (box.height - MARGIN.top - MARGIN.bottom) / ROWS;
    showTooltip(reading, direction, row ?? view.cursor, columns[focus], box.left + MARGIN.left + focus * column,
                box.top + MARGIN.top + (row ?? 0) * rowHeight, row === undefined);
  });
  canvas.addEventListener('focus', () => { view.focus[name + direction] ??= 0; paint(); });
  canvas.addEventListener('blur', () => { tooltip.hidden = true; delete view.focusRow[name + direction]; paint(); });
}

// ---- the unit panel
function ask(name, unit) {  // exact numbers of the unit's step: answered in props.steps
  view.steps = null;
  view.asked += 1;
  trigger('inspect', {model: name, unit: unit, id: view.asked});
}

function inspect(name, direction, unit) {
  view.unit = {model: name, direction: direction, unit: unit};
  if (!view.steps || view.steps.model !== name || view.steps.unit !== unit) {
    ask(name, unit);
  }
  paint();
  unitPanel.scrollIntoView({block: 'nearest'});
}

// The panel's elements are built when the chosen unit or the reading changes; moving the cursor
// only repaints them (rebuilding canvases on every step costs a layout each).
let panelFor = null;

function paintUnitPanel(t) {
  const chosen = view.unit;
  const reading = chosen && view.readings[chosen.model];
  const full = reading && withStates(reading);
  if (!full || chosen.unit >= full.units) {
    if (panelFor !== 'hint') {
      unitPanel.textContent = '';
      if (Object.keys(view.readings).length) make('p', {class: 'hint', text: T.unit_hint}, unitPanel);
      panelFor = Object.keys(view.readings).length ? 'hint' : null;
    }
    return;
  }
  if (!panelFor || panelFor.full !== full || panelFor.unit !== chosen) {
    buildUnitPanel(chosen, full);
    panelFor = {full: full, unit: chosen};
  }
  for (const figure of unitPanel.querySelectorAll('.unit-plots figure')) {
    const quantity = figure.dataset.quantity;
    const values = [];
    for (let r = 0; r < ROWS; r++) values.push(stateAt(full, quantity, t, r, chosen.direction, chosen.unit));
    const digits = full.digits[quantity];
    write(figure.lastChild, T.quantities[quantity] + ' = ' + fixed(values[t] ?? 0, digits));
    paintUnitLine(figure.firstChild, values, t, SIGNED[quantity] ? full.scale[quantity] : null);
    label(figure.firstChild, T.quantities[quantity] + ': ' + values.map((v) => (v === null ? '' : fixed(v, digits))).join(' '));
  }
  paintInput(unitPanel.querySelector('figure.tinted canvas'), reading, t, {full: full, ...chosen});
  paintStep(unitPanel.querySelector('.step'), full, t);
}

function buildUnitPanel(chosen, full) {
  // a control used to choose another unit or direction keeps the focus in the new panel
  const focused = unitPanel.contains(document.activeElement) ? document.activeElement.dataset.control : null;
  unitPanel.textContent = '';
  const directionName = full.directions === 2 ? T.directions[chosen.direction] : T.directions[0];
  const header = make('div', {class: 'unit-header'}, unitPanel);
  make('h3', {text: format(T.unit_title, {unit: chosen.unit, model: chosen.model, direction: directionName})}, header);
  const numberLabel = make('label', {text: T.unit_number + ' '}, header);
  const number = make('input', {type: 'number', min: 0, max: full.units - 1, value: chosen.unit, 'data-control': 'unit'}, numberLabel);
  number.addEventListener('change', () => {
    const j = Math.max(0, Math.min(full.units - 1, parseInt(number.value, 10) || 0));
    inspect(chosen.model, chosen.direction, j);
  });
  if (full.directions === 2) {
    const directionLabel = make('label', {text: T.direction + ' '}, header);
    const select = make('select', {'data-control': 'direction'}, directionLabel);
    T.directions.forEach((text, d) => { const o = make('option', {value: d, text: text}, select); o.selected = d === chosen.direction; });
    select.addEventListener('change', () => inspect(chosen.model, parseInt(select.value, 10), chosen.unit));
  }
  const close = make('button', {type: 'button', text: T.close, 'data-control': 'close'}, header);
  close.addEventListener('click', () => {
    view.unit = null;
    paint();
    heatmapOf(chosen.model, chosen.direction)?.focus();  // back where the unit was chosen
  });
  const plots = make('div', {class: 'unit-plots'}, unitPanel);
  for (const quantity of QUANTITIES) {
    if (!full.states[quantity]) continue;
    const figure = make('figure', {'data-quantity': quantity}, plots);
    make('canvas', {role: 'img'}, figure);
    make('figcaption', {}, figure);
  }
  const seen = make('figure', {class: 'tinted'}, unitPanel);
  make('canvas', {role: 'img', 'aria-label': format(T.tinted, {unit: chosen.unit})}, seen);
  make('figcaption', {text: format(T.tinted, {unit: chosen.unit})}, seen);
  make('div', {class: 'step', 'aria-live': 'polite'}, unitPanel);
  if (focused) unitPanel.querySelector(`[data-control="${focused}"]`)?.focus();
}

function heatmapOf(model, direction) {
  return models.querySelector(`section.model[data-model="${model}"] canvas.heatmap[data-direction="${direction}"]`);
}

function paintUnitLine(canvas, values, t, scale) {
  const height = 70;
  const [context, width] = fit(canvas, height);
  const low = scale === null ? 0 : -scale, high = scale === null ? 1 : scale;
  const x = (r) => 4 + r / LAST * (width - 8);
  const y = (v) => 4 + (high - v) / (high - low) * (height - 8);
  context.strokeStyle = 'rgba(128,128,128,0.5)';
  context.beginPath();
  context.moveTo(x(0), y(0));
  context.lineTo(x(LAST), y(0));
  context.stroke();
  context.strokeStyle = ink;
  context.lineWidth = 1.5;
  context.beginPath();
  let started = false;
  values.forEach((v, r) => {
    if (v === null) return;
    if (started) context.lineTo(x(r), y(v)); else context.moveTo(x(r), y(v));
    started = true;
  });
  context.stroke();
  context.strokeStyle = CURSOR;
  context.beginPath();
  context.moveTo(x(t), 2);
  context.lineTo(x(t), height - 2);
  context.stroke();
  if (values[t] !== null) {
    context.fillStyle = CURSOR;
    context.beginPath();
    context.arc(x(t), y(values[t]), 3.5, 0, 2 * Math.PI);
    context.fill();
  }
}

// The step's elements are built when the unit or its numbers change; a cursor step only writes
// the numbers of its row into them.
let stepFor = null;

function paintStep(box, reading, t) {
  const chosen = view.unit, steps = view.steps;
  const ready = steps && steps.model === chosen.model && steps.unit === chosen.unit ? steps : null;
  if (!stepFor || stepFor.box !== box || stepFor.steps !== ready) {
    stepFor = {box: box, steps: ready, nodes: buildStep(box, ready, chosen.direction)};
  }
  const nodes = stepFor.nodes;
  const d = chosen.direction;
  const directionName = reading.directions === 2 ? T.directions[d] : T.directions[0];
  write(nodes.title, format(T.step_title, {row: t, unit: chosen.unit, direction: directionName}));
  if (!ready) return;
  const at = (name) => ready[name][t][d];
  const features = reading.units * reading.directions;  // the layer below's output
  write(nodes.input, reading.layers > 1 ? format(T.step_input_stacked, {row: t, features: features})
                                        : format(T.step_input_one, {row: t}));
  if (nodes.backward) write(nodes.backward, format(T.step_backward_start, {row: t}));
  write(nodes.xSummary, format(reading.directions === 2 ? T.step_x_values_both : T.step_x_values, {row: t, count: ready.x[t].length}));
  write(nodes.xValues, ready.x[t].map((v) => fixed(v, 4)).join('  '));
  for (const [td, term, k] of nodes.terms) write(td, fixed(at(term === 'gate' ? 'gates' : term)[k], 4));
  const [i, f, g, o] = at('gates').map((v) => fixed(v, 4));
  const cPrev = fixed(at('c_prev'), 4), cell = fixed(at('cell'), 4), hidden = fixed(at('hidden'), 4);
  write(nodes.c_prev, format(T.step_c_prev, {value: cPrev}));
  write(nodes.cell, format(T.step_cell, {f: f, c_prev: cPrev, i: i, g: g, value: cell}));
  write(nodes.hidden, format(T.step_hidden, {o: o, c: cell, value: hidden}));
}

function buildStep(box, ready, direction) {
  box.textContent = '';
  const nodes = {title: make('h4', {}, box)};
  if (!ready) {
    make('p', {text: T.step_loading}, box);
    return nodes;
  }
  nodes.input = make('p', {}, box);
  // x_t itself, the numbers W_ih multiplies: not read aloud at every cursor step, and left open or
  // closed as the person left it when another unit's step comes
  const numbers = make('details', {class: 'step-x', 'aria-live': 'off'}, box);
  numbers.open = view.numbersOpen;
  numbers.addEventListener('toggle', () => { view.numbersOpen = numbers.open; });
  nodes.xSummary = make('summary', {}, numbers);
  nodes.xValues = make('p', {}, numbers);
  if (direction === 1) nodes.backward = make('p', {}, box);
  // a phone is narrower than the table: it scrolls sideways in a box of its own, which the keyboard reaches too
  const scroller = make('div', {class: 'step-scroll', tabindex: '0', role: 'region', 'aria-label': T.step_terms}, box);
  const table = make('table', {class: 'step-terms'}, scroller);
  const head = make('tr', {}, table);
  for (const text of [T.step_gate, T.step_from_input, T.step_from_state, T.step_bias, T.step_pre, T.step_value]) {
    make('th', {scope: 'col', text: text}, head);
  }
  nodes.terms = [];
  ['input', 'forget', 'candidate', 'output'].forEach((gate, k) => {
    const tr = make('tr', {'data-gate': gate}, table);
    make('th', {scope: 'row', text: T.gate_names[gate]}, tr);
    for (const term of ['input', 'recurrent', 'bias', 'pre', 'gate']) {
      nodes.terms.push([make('td', {'data-term': term}, tr), term, k]);
    }
  });
  for (const term of ['c_prev', 'cell', 'hidden']) nodes[term] = make('p', {'data-term': term}, box);
  return nodes;
}

// ---- the status line, the cursor's sentence, and everything at the cursor
function paintStatus() {
  const value = element.explorerValue;
  const readings = Object.values(view.readings);
  if (correction) paintCorrection(readings);
  status.textContent = '';
  if (!readings.length) {
    make('p', {text: value && value.problem && !value.nothing_drawn ? value.problem : T.nothing_drawn}, status);
    return;
  }
  for (const reading of readings) {
    const line = make('p', {}, status);
    make('strong', {text: format(T.reads, {model: reading.name, digit: reading.digit,
                                           percent: percent(reading.probabilities[LAST][reading.digit])})}, line);
    let rest = '';
    if (reading.candidates.length > 1) {  // under the model's validation-chosen threshold
      rest += format(T.unsure, {first: reading.candidates[0], second: reading.candidates[1]});
    }
    rest += format(T.first_led, {row: reading.first_led});  // each text brings its language's punctuation
    if (reading.led_for_good !== reading.first_led) rest += format(T.led_for_good, {row: reading.led_for_good});
    if (!reading.full) rest += T.while_drawing;
    line.append(rest);
  }
}

function paint() {
  const start = performance.now();
  cancelAnimationFrame(frame);
  frame = 0;
  if (!fresh) requestAnimationFrame(() => { fresh = false; });
  fresh = true;
  ink = getComputedStyle(root).color;
  const t = view.cursor;
  if (slider.value !== String(t)) slider.value = t;
  write(rowText, format(T.row_value, {row: t}));
  write(now, Object.values(view.readings).map((reading) => {
    const row = reading.probabilities[t];
    const leader = argmax(row);
    return format(T.after_row, {row: t, model: reading.name, digit: leader, percent: percent(row[leader])});
  }).join(' '));
  for (const section of models.querySelectorAll('section.model')) {
    const reading = view.readings[section.dataset.model];
    paintInput(section.querySelector('canvas.input'), reading, t);
    paintLines(section.querySelector('canvas.lines'), reading, t);
    paintTable(section.querySelector('table'), reading, t);
    section.querySelectorAll('canvas.heatmap').forEach((canvas) => paintHeatmap(canvas, reading, +canvas.dataset.direction, t));
    section.classList.toggle('drawing', !reading.full);
  }
  paintUnitPanel(t);
  refreshTooltip();
  if (view.timer && probe.played.at(-1) !== t) probe.played.push(t);  // a repaint of a row is no new row
  probe.paints += 1;
  probe.paintMs.push(performance.now() - start);
  if (probe.paintMs.length > 500) probe.paintMs.shift();
}

// The first cursor move after a frame paints at once, in the time left before the next frame; more
// moves before that frame (a fast drag, a held key) wait for it and paint once, in it.
let frame = 0;  // a paint waiting for the next frame
let fresh = false;  // painted since the last frame began
function moveTo(row) {
  view.cursor = Math.max(0, Math.min(LAST, row));
  if (!fresh) paint();
  else if (!frame) frame = requestAnimationFrame(paint);
}

function stop() {
  clearInterval(view.timer);
  view.timer = null;
  play.textContent = T.play;
  play.setAttribute('aria-pressed', 'false');
}

function togglePlay() {
  if (view.timer) { stop(); return; }
  probe.played = [];  // paint() adds each row it shows while playing
  play.textContent = T.pause;
  play.setAttribute('aria-pressed', 'true');
  view.timer = setInterval(() => (view.cursor === LAST ? stop() : moveTo(view.cursor + 1)), PLAY_MS);
  moveTo(view.cursor === LAST ? 0 : view.cursor);
}

slider.addEventListener('input', () => { stop(); moveTo(parseInt(slider.value, 10)); });
play.addEventListener('click', togglePlay);
// Left/right, Home/End and space move the cursor from anywhere but a field that uses those keys.
document.addEventListener('keydown', (event) => {
  const target = event.target;
  const field = target.closest && target.closest('input, textarea, select, [contenteditable], .ink');
  if (field || event.altKey || event.ctrlKey || event.metaKey || !Object.keys(view.readings).length) return;
  const moves = {ArrowLeft: view.cursor - 1, ArrowRight: view.cursor + 1, Home: 0, End: LAST};
  if (event.key in moves) { stop(); moveTo(moves[event.key]); }
  else if (event.key === ' ' && target.tagName !== 'BUTTON' && target.tagName !== 'SUMMARY') togglePlay();
  else return;
  event.preventDefault();
});

// A value is drawn once its states are decoded, unless a newer one came meanwhile. Its full
// readings are kept even then: the live channel's light readings draw their states.
let valuesShown = 0;
const keptAt = {};
async function show(value = props.value || {}) {
  const shown = ++valuesShown;
  if (value.layout !== props.layout) {  // a server upgraded since the page loaded: its numbers would be misread
    element.explorerValue = {problem: T.reload};
    view.readings = {};
    view.unit = null;
    buildModels();
    paintStatus();
    paint();
    return;
  }
  const names = Object.keys(value.readings || {});
  const prepared = await Promise.all(names.map((name) => prepare(name, value.readings[name])));
  for (const reading of prepared) {
    if (!reading.full || shown < (keptAt[reading.name] || 0)) continue;
    view.kept[reading.name] = reading;
    keptAt[reading.name] = shown;
  }
  if (shown !== valuesShown) return;
  element.explorerValue = value;
  const before = Object.keys(view.readings).join();
  view.readings = {};
  for (const reading of prepared) view.readings[reading.name] = reading;
  if (names.join() !== before || models.querySelectorAll('section.model').length !== names.length) buildModels();
  if (view.unit && !view.readings[view.unit.model]) view.unit = null;
  if (names.length && Object.values(view.readings).every((r) => r.full)) view.steps = null;  // a new drawing
  if (view.unit && !view.steps && Object.values(view.readings).every((r) => r.full)) ask(view.unit.model, view.unit.unit);
  paintStatus();
  paint();
  followMode(value);
}

// A drawing read while the person chose another model (an upload read for a second, then a click
// on "Both") comes back for the model it was sent with: ask for it again as the radio says now.
// Once per drawing and mode until an answer agrees with the radio, so that no answer can make it
// ask again and again.
let modeAsked = null;
function followMode(value) {
  const chosen = document.querySelector('#mode input:checked');
  const names = Object.keys(value.readings || {});
  if (!chosen || !names.length || !names.every((name) => value.readings[name].full)) return;
  if (value.mode === chosen.value) { modeAsked = null; return; }
  const asked = value.readings[names[0]].image.bytes + ' ' + chosen.value;
  if (asked === modeAsked) return;
  modeAsked = asked;
  trigger('reread', {});
}

watch('value', () => show());
watch('steps', () => {
  if (props.steps && props.steps.id === view.asked) { view.steps = props.steps; paint(); }
});
watch('said', () => {
  probe.said = props.said;
  if (correction && props.said && props.said.id === correction.asked) {
    correction.answered = props.said.id;
    correction.said.textContent = props.said.text;
  }
});
// ---- the live channel: the canvas's strokes in progress, read through the app's route props.live
// (demo/live.py) rather than the queue. One ask at a time, the newest stroke next (as Gradio's
// always_last); a pen-up makes every earlier answer stale, since its full reading follows.
const live = {asking: false, next: null, pen: 0};
function liveURL() {
  // Below Gradio's root. On the page's own host, the page's origin: behind a proxy that passes
  // Host without its port or scheme, the root's may be wrong (as Gradio's client does).
  const root = new URL((window.gradio_config && window.gradio_config.root) || '/', window.location.href);
  const origin = root.hostname === window.location.hostname ? window.location.origin : root.origin;
  return origin + root.pathname.replace(/\/$/, '') + props.live;
}
async function askLive() {
  if (live.asking || !live.next) return;
  const canvas = live.next, pen = live.pen;
  live.next = null;
  live.asking = true;
  try {
    const response = await fetch(liveURL(), {method: 'POST', headers: {'Content-Type': 'application/json'},
                                             body: JSON.stringify({canvas: canvas, mode: (props.value || {}).mode || 'LSTM'})});
    const value = await response.json();
    // An answer without readings (busy, or a refused value) leaves the last one on screen: the
    // stroke's end says why, through the queue.
    if (pen === live.pen && Object.keys(value.readings || {}).length) show(value);
  } catch (error) {
    // The stroke's end is read through the queue in any case: a lost live answer only skips a frame.
  } finally {
    live.asking = false;
    askLive();
  }
}
document.addEventListener('rowscan:stroke', (event) => {
  if (event.detail.drawing) { live.next = event.detail; askLive(); }
  else { live.pen += 1; live.next = null; }
});
show();
root.dataset.ready = 'true';
