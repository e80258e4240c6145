const NS = 'http://www.w3.org/2000/svg';

function svg(tag, attributes) {
  const node = document.createElementNS(NS, tag);
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, String(value));
  return node;
}

/**
 * Draws series of `{ t, v }` points (t in ms) as lines over the last `windowMs`, each on its own scale (a
 * count and a duration do not share an axis); the right-hand labels give each series' latest value.
 */
export function drawLines(container, series, { windowMs = 300_000, now = Date.now() } = {}) {
  const width = 640;
  const height = 180;
  const pad = { left: 8, right: 70, top: 10, bottom: 18 };
  const root = svg('svg', { viewBox: `0 0 ${width} ${height}`, class: 'chart-svg', 'aria-hidden': 'true' });
  const x = (t) => pad.left + ((t - (now - windowMs)) / windowMs) * (width - pad.left - pad.right);
  for (let minute = 0; minute <= windowMs / 60_000; minute += 1) {
    const gx = x(now - minute * 60_000);
    root.append(svg('line', { x1: gx, x2: gx, y1: pad.top, y2: height - pad.bottom, class: 'grid' }));
    const label = svg('text', { x: gx, y: height - 4, class: 'axis', 'text-anchor': 'middle' });
    label.textContent = minute === 0 ? 'now' : `-${minute}m`;
    root.append(label);
  }
  const labelYs = [];
  series.forEach((s) => {
    const points = s.points.filter((p) => p.t >= now - windowMs);
    if (points.length === 0) return;
    const max = Math.max(1, ...points.map((p) => p.v)) * 1.1;
    const y = (v) => height - pad.bottom - (v / max) * (height - pad.top - pad.bottom);
    const d = points
      .map((p, i) => `${i === 0 ? 'M' : 'L'}${x(p.t).toFixed(1)},${y(p.v).toFixed(1)}`)
      .join(' ');
    root.append(svg('path', { d, class: `line ${s.className}` }));
    const last = points.at(-1);
    // Keep the latest-value labels from printing over each other.
    let labelY = y(last.v) + 4;
    while (labelYs.some((taken) => Math.abs(taken - labelY) < 13)) labelY += 13;
    labelYs.push(labelY);
    const label = svg('text', { x: width - pad.right + 6, y: labelY, class: `value ${s.className}` });
    label.textContent = s.format ? s.format(last.v) : String(last.v);
    root.append(label);
  });
  container.replaceChildren(root);
}
