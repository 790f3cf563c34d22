// Small SVG charts for the dashboard, drawn by hand: stacked bars (delivery volume) and lines (success rate,
// latency). Each returns an <svg> element with a <title> for screen readers. No dependencies.
'use strict';

(function () {
  const NS = 'http://www.w3.org/2000/svg';
  const W = 360, H = 170, PAD = { left: 40, right: 8, top: 10, bottom: 24 };

  function el(tag, attrs, text) {
    const node = document.createElementNS(NS, tag);
    for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, String(v));
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function frame(title, labels, yMax, yFormat) {
    const svg = el('svg', { viewBox: `0 0 ${W} ${H}`, role: 'img' });
    svg.appendChild(el('title', {}, title));
    const plotH = H - PAD.top - PAD.bottom;
    for (const f of [0, 0.5, 1]) {
      const y = PAD.top + plotH * (1 - f);
      svg.appendChild(el('line', { class: 'axis', x1: PAD.left, x2: W - PAD.right, y1: y, y2: y }));
      svg.appendChild(el('text', { x: PAD.left - 4, y: y + 3, 'text-anchor': 'end' }, yFormat(yMax * f)));
    }
    const n = labels.length;
    const picks = n <= 1 ? [0] : [0, Math.floor((n - 1) / 2), n - 1];
    for (const i of new Set(picks)) {
      if (i >= n) continue;
      const x = xAt(i, n);
      svg.appendChild(el('text', { x, y: H - 6, 'text-anchor': i === 0 ? 'start' : i === n - 1 ? 'end' : 'middle' }, labels[i]));
    }
    return svg;
  }

  function xAt(i, n) {
    const plotW = W - PAD.left - PAD.right;
    return n <= 1 ? PAD.left + plotW / 2 : PAD.left + (plotW * i) / (n - 1);
  }

  function yAt(v, yMax) {
    const plotH = H - PAD.top - PAD.bottom;
    return PAD.top + plotH * (1 - (yMax > 0 ? Math.min(v, yMax) / yMax : 0));
  }

  function niceMax(v) {
    if (!(v > 0)) return 1;
    const p = Math.pow(10, Math.floor(Math.log10(v)));
    for (const m of [1, 2, 2.5, 5, 10]) if (m * p >= v) return m * p;
    return 10 * p;
  }

  // stacks: [{name, color, values}], stacked bottom-up.
  const count = (v) => (Number.isInteger(v) ? String(v) : v.toFixed(1));

  function stackedBars(title, labels, stacks, yFormat = count) {
    const totals = labels.map((_, i) => stacks.reduce((s, st) => s + (st.values[i] || 0), 0));
    const yMax = niceMax(Math.max(0, ...totals));
    const svg = frame(title, labels, yMax, yFormat);
    const plotW = W - PAD.left - PAD.right;
    const bw = Math.max(2, Math.min(24, (plotW / Math.max(1, labels.length)) * 0.7));
    labels.forEach((label, i) => {
      let base = 0;
      const x = labels.length <= 1 ? PAD.left + plotW / 2 - bw / 2 : PAD.left + (plotW - bw) * (i / (labels.length - 1));
      for (const st of stacks) {
        const v = st.values[i] || 0;
        if (v <= 0) continue;
        const y1 = yAt(base + v, yMax), y0 = yAt(base, yMax);
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
    const yMax = yMaxFixed || niceMax(Math.max(0, ...all));
    const svg = frame(title, labels, yMax, yFormat);
    for (const s of series) {
      let d = '';
      s.values.forEach((v, i) => {
        if (v === null || v === undefined) return;
        d += `${d ? 'L' : 'M'}${xAt(i, labels.length).toFixed(1)},${yAt(v, yMax).toFixed(1)}`;
      });
      if (d) svg.appendChild(el('path', { d, fill: 'none', stroke: s.color, 'stroke-width': 2, 'stroke-linejoin': 'round' }));
      s.values.forEach((v, i) => {
        if (v === null || v === undefined) return;
        const dot = el('circle', { cx: xAt(i, labels.length), cy: yAt(v, yMax), r: 2.5, fill: s.color });
        dot.appendChild(el('title', {}, `${labels[i]}: ${s.name} ${yFormat(v)}`));
        svg.appendChild(dot);
      });
    }
    return svg;
  }

  window.HookdCharts = { stackedBars, lines };
})();
