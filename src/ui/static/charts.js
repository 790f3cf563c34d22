// Small SVG charts for the dashboard, drawn by hand: stacked bars (delivery volume) and lines (success rate,
// latency). Each returns an <svg> element with a <title> for screen readers. No dependencies.
'use strict';

(function () {
  const NS = 'http://www.w3.org/2000/svg';
  const W = 360, H = 170, PAD = { right: 8, top: 10, bottom: 24 };
  const CHAR_W = 6.2;  // width of one axis-label character at the labels' 10px font, for the left margin

  function el(tag, attrs, text) {
    const node = document.createElementNS(NS, tag);
    for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, String(v));
    if (text !== undefined) node.textContent = text;
    return node;
  }

  // A y axis: 2–4 equal steps of 1, 2 or 5 × 10^k covering `maxValue` (whole numbers only, for counts and
  // milliseconds), so every tick's label is exact and sits on its grid line; or the fixed `fixedMax` in halves.
  function axis(maxValue, fixedMax) {
    if (fixedMax) return { max: fixedMax, ticks: [0, fixedMax / 2, fixedMax] };
    const target = maxValue > 0 ? maxValue / 3 : 1;
    const p = Math.pow(10, Math.floor(Math.log10(target)));
    const step = Math.max(1, [1, 2, 5, 10].map((m) => m * p).find((s) => s >= target));
    const n = Math.max(2, Math.ceil(maxValue / step));
    return { max: step * n, ticks: Array.from({ length: n + 1 }, (_, i) => i * step) };
  }

  // The svg with its grid, y labels (right-aligned in a margin as wide as the widest one) and a few x labels.
  function frame(title, labels, scale, yFormat) {
    const svg = el('svg', { viewBox: `0 0 ${W} ${H}`, role: 'img' });
    svg.appendChild(el('title', {}, title));
    const texts = scale.ticks.map(yFormat);
    const left = Math.ceil(Math.max(...texts.map((t) => t.length)) * CHAR_W) + 8;
    const plot = { left, width: W - left - PAD.right, height: H - PAD.top - PAD.bottom };
    scale.ticks.forEach((v, i) => {
      const y = yAt(v, scale.max, plot);
      svg.appendChild(el('line', { class: 'axis', x1: left, x2: W - PAD.right, y1: y, y2: y }));
      svg.appendChild(el('text', { x: left - 4, y: y + 3, 'text-anchor': 'end' }, texts[i]));
    });
    const n = labels.length;
    const picks = n <= 1 ? [0] : [0, Math.floor((n - 1) / 2), n - 1];
    for (const i of new Set(picks)) {
      if (i >= n) continue;
      svg.appendChild(el('text', { x: xAt(i, n, plot), y: H - 6, 'text-anchor': i === 0 ? 'start' : i === n - 1 ? 'end' : 'middle' }, labels[i]));
    }
    return { svg, plot };
  }

  function xAt(i, n, plot) {
    return n <= 1 ? plot.left + plot.width / 2 : plot.left + (plot.width * i) / (n - 1);
  }

  function yAt(v, yMax, plot) {
    return PAD.top + plot.height * (1 - (yMax > 0 ? Math.min(v, yMax) / yMax : 0));
  }

  // stacks: [{name, color, values}], stacked bottom-up.
  function stackedBars(title, labels, stacks, yFormat = String) {
    const totals = labels.map((_, i) => stacks.reduce((s, st) => s + (st.values[i] || 0), 0));
    const scale = axis(Math.max(0, ...totals));
    const { svg, plot } = frame(title, labels, scale, yFormat);
    const bw = Math.max(2, Math.min(24, (plot.width / Math.max(1, labels.length)) * 0.7));
    labels.forEach((label, i) => {
      let base = 0;
      const x = labels.length <= 1 ? plot.left + plot.width / 2 - bw / 2 : plot.left + (plot.width - bw) * (i / (labels.length - 1));
      for (const st of stacks) {
        const v = st.values[i] || 0;
        if (v <= 0) continue;
        const y1 = yAt(base + v, scale.max, plot), y0 = yAt(base, scale.max, plot);
        const rect = el('rect', { x, y: y1, width: bw, height: Math.max(0.5, y0 - y1), fill: st.color, rx: 1.5 });
        rect.appendChild(el('title', {}, `${label}: ${st.name} ${v}`));
        svg.appendChild(rect);
        base += v;
      }
    });
    return svg;
  }

  // lines: [{name, color, values}] where a value may be null (no data in that bucket).
  function lines(title, labels, series, yMaxFixed, yFormat = (v) => String(Math.round(v))) {
    const all = series.flatMap((s) => s.values.filter((v) => v !== null && v !== undefined));
    const scale = axis(Math.max(0, ...all), yMaxFixed);
    const { svg, plot } = frame(title, labels, scale, yFormat);
    for (const s of series) {
      let d = '';
      s.values.forEach((v, i) => {
        if (v === null || v === undefined) { d += ' '; return; }  // a gap: the next point starts a new segment
        d += `${!d || d.endsWith(' ') ? 'M' : 'L'}${xAt(i, labels.length, plot).toFixed(1)},${yAt(v, scale.max, plot).toFixed(1)}`;
      });
      if (d.trim()) svg.appendChild(el('path', { d: d.trim(), fill: 'none', stroke: s.color, 'stroke-width': 2, 'stroke-linejoin': 'round' }));
      s.values.forEach((v, i) => {
        if (v === null || v === undefined) return;
        const dot = el('circle', { cx: xAt(i, labels.length, plot), cy: yAt(v, scale.max, plot), r: 2.5, fill: s.color });
        dot.appendChild(el('title', {}, `${labels[i]}: ${s.name} ${yFormat(v)}`));
        svg.appendChild(dot);
      });
    }
    return svg;
  }

  window.HookdCharts = { stackedBars, lines, axis };
})();
