// The drawing canvas: keeps the strokes in the browser and sends them as flat point lists, every
// props.send_every_ms while the pen moves and once when it lifts. While the pen moves they go to
// the explorer as a 'rowscan:stroke' event with `drawing: true` (it asks for a light reading
// through its live channel); when it lifts, as props.value, whose change event reads it in full.
const canvas = element.querySelector('canvas');
const context = canvas.getContext('2d');
const size = props.size;
let strokes = [];
let current = null;
let drawingPointer = null;  // the pointer drawing `current`: a second finger or a resting palm draws nothing
let drawingType = null;  // its pointerType: mouse, pen or touch
let lastSent = 0;

function redraw() {
  context.clearRect(0, 0, size, size);
  context.strokeStyle = getComputedStyle(element).getPropertyValue('--body-text-color') || '#000';
  context.lineWidth = props.brush;
  context.lineCap = 'round';
  context.lineJoin = 'round';
  for (const stroke of current ? strokes.concat([current]) : strokes) {
    context.beginPath();
    context.moveTo(stroke[0], stroke[1]);
    for (let i = 2; i < stroke.length; i += 2) context.lineTo(stroke[i], stroke[i + 1]);
    if (stroke.length === 2) context.lineTo(stroke[0] + 0.1, stroke[1]);
    context.stroke();
  }
}

function send() {
  const all = current ? strokes.concat([current]) : strokes;
  const value = {size: size, brush: props.brush, drawing: current !== null, strokes: all.map((stroke) => stroke.slice())};
  document.dispatchEvent(new CustomEvent('rowscan:stroke', {detail: value}));
  if (!value.drawing) props.value = value;
  lastSent = performance.now();
}

function point(event) {
  const box = canvas.getBoundingClientRect();
  return [Math.round((event.clientX - box.left) * size / box.width),
          Math.round((event.clientY - box.top) * size / box.height)];
}

function finish() {
  if (!current) return;
  strokes.push(current);
  current = null;
  redraw();
  send();
}

canvas.addEventListener('pointerdown', (event) => {
  // The hand holding a pen rests on the screen: a pen's stroke never gives way to a touch, and a
  // touch stroke gives way to a pen. Otherwise a stroke that has drawn no line yet gives way: it
  // was a palm that touched before the finger.
  if (current && drawingType === 'pen' && event.pointerType === 'touch') return;
  if (current && current.length > 2 && !(event.pointerType === 'pen' && drawingType === 'touch')) return;
  drawingPointer = event.pointerId;
  drawingType = event.pointerType;
  canvas.setPointerCapture(drawingPointer);
  current = point(event);
  redraw();
});
canvas.addEventListener('pointermove', (event) => {
  if (!current || event.pointerId !== drawingPointer) return;
  current.push(...point(event));
  redraw();
  if (performance.now() - lastSent > props.send_every_ms) send();
});
function lifted(event) {
  if (event.pointerId === drawingPointer) finish();
}
canvas.addEventListener('pointerup', lifted);
canvas.addEventListener('pointercancel', lifted);
canvas.addEventListener('lostpointercapture', lifted);  // a stroke whose pointer-up never comes ends all the same
element.querySelector('.undo').addEventListener('click', () => { strokes.pop(); redraw(); send(); });
element.querySelector('.clear').addEventListener('click', () => { strokes = []; redraw(); send(); });
canvas.dataset.ready = 'true';  // listeners attached: strokes from here on are seen
