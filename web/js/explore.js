// The Explore view: the library's map (GET /api/map, a PCA of every track's embedding computed by the engine)
// drawn twice: in 3D with plain WebGL (gl.POINTS with size attenuation, orbit by drag, zoom by wheel or pinch,
// arrow keys) and in 2D on a canvas. Both are coloured by a descriptor or a tag; hovering shows the track,
// clicking plays it (and starts the automatic queue), the playing track and a journey's path are highlighted.
//
// Picking is not O(n) per mouse move: the 2D points and the 3D points' screen positions go into a uniform grid
// (rebuilt only when the view changes), so a hover looks at the few points of nearby cells.

import { Api } from './api.js';
import { h, announce, errorBox } from './dom.js';

const HOVER_RADIUS = 9;   // CSS pixels
const GRID_CELL = 24;     // CSS pixels per picking cell
const MISSING = [0.45, 0.47, 0.52];
// Highlights that read on dark and light backgrounds alike: a journey's path, the playing track, the pointer's.
const PATH = [1, 0.3, 0.45], PLAYING = [1, 0.72, 0.15], POINTED = [0.2, 0.75, 1];
// A 12-colour categorical palette (distinct on dark and light backgrounds); later categories share "other".
const PALETTE = ['#7c9cff', '#ff8a65', '#6fd39a', '#f0c75a', '#c084fc', '#4dd0e1', '#f472b6', '#a3e635',
  '#fb923c', '#60a5fa', '#e879f9', '#34d399'];
// Perceptually ordered ramp (viridis-like) for numbers.
const RAMP = [[0.27, 0.0, 0.33], [0.23, 0.32, 0.55], [0.13, 0.57, 0.55], [0.37, 0.79, 0.38], [0.99, 0.91, 0.14]];

function hexToRgb(hex) {
  const v = parseInt(hex.slice(1), 16);
  return [((v >> 16) & 255) / 255, ((v >> 8) & 255) / 255, (v & 255) / 255];
}
function hsl(hue, s, l) {  // hue in turns
  const f = (n) => {
    const k = (n + hue * 12) % 12;
    return l - s * Math.min(l, 1 - l) * Math.max(-1, Math.min(k - 3, 9 - k, 1));
  };
  return [f(0), f(8), f(4)];
}
function ramp(t) {
  const x = Math.max(0, Math.min(1, t)) * (RAMP.length - 1);
  const i = Math.min(RAMP.length - 2, Math.floor(x));
  const f = x - i;
  return RAMP[i].map((a, c) => a + (RAMP[i + 1][c] - a) * f);
}
const css = (rgb) => `rgb(${rgb.map((v) => Math.round(v * 255)).join(' ')})`;

// --- A uniform grid over screen points, for picking -------------------------------------------------------------

class Grid {
  constructor(xs, ys, visible, width, height) {
    this.cols = Math.max(1, Math.ceil(width / GRID_CELL));
    this.rows = Math.max(1, Math.ceil(height / GRID_CELL));
    this.xs = xs;
    this.ys = ys;
    this.cells = new Map();
    for (let i = 0; i < xs.length; i++) {
      if (visible && !visible[i]) continue;
      const c = Math.floor(xs[i] / GRID_CELL), r = Math.floor(ys[i] / GRID_CELL);
      if (c < 0 || r < 0 || c >= this.cols || r >= this.rows) continue;
      const key = r * this.cols + c;
      let cell = this.cells.get(key);
      if (!cell) this.cells.set(key, (cell = []));
      cell.push(i);
    }
  }
  // The nearest point within radius of (x, y); `prefer(i)` smaller wins ties (e.g. the nearer in depth).
  nearest(x, y, radius, prefer) {
    let best = -1, bestD = radius * radius, bestP = Infinity;
    const c0 = Math.floor((x - radius) / GRID_CELL), c1 = Math.floor((x + radius) / GRID_CELL);
    const r0 = Math.floor((y - radius) / GRID_CELL), r1 = Math.floor((y + radius) / GRID_CELL);
    for (let r = Math.max(0, r0); r <= Math.min(this.rows - 1, r1); r++) {
      for (let c = Math.max(0, c0); c <= Math.min(this.cols - 1, c1); c++) {
        const cell = this.cells.get(r * this.cols + c);
        if (!cell) continue;
        for (const i of cell) {
          const d = (this.xs[i] - x) ** 2 + (this.ys[i] - y) ** 2;
          const p = prefer ? prefer(i) : 0;
          if (d < bestD - 1 || (d <= bestD + 1 && p < bestP)) { best = i; bestD = d; bestP = p; }
        }
      }
    }
    return best;
  }
}

// --- Small matrix helpers (column-major, as WebGL wants) ---------------------------------------------------------

function perspective(fovy, aspect, near, far) {
  const f = 1 / Math.tan(fovy / 2), nf = 1 / (near - far);
  return new Float32Array([f / aspect, 0, 0, 0, 0, f, 0, 0, 0, 0, (far + near) * nf, -1, 0, 0, 2 * far * near * nf, 0]);
}
function multiply(a, b) {
  const out = new Float32Array(16);
  for (let c = 0; c < 4; c++) for (let r = 0; r < 4; r++) {
    let s = 0;
    for (let k = 0; k < 4; k++) s += a[k * 4 + r] * b[c * 4 + k];
    out[c * 4 + r] = s;
  }
  return out;
}
// The view of an orbit camera: rotate by yaw (around y) and pitch (around x), then back off by distance.
function orbitView(yaw, pitch, distance) {
  const cy = Math.cos(yaw), sy = Math.sin(yaw), cp = Math.cos(pitch), sp = Math.sin(pitch);
  return new Float32Array([cy, sp * sy, -cp * sy, 0, 0, cp, sp, 0, sy, -sp * cy, cp * cy, 0, 0, 0, -distance, 1]);
}

const VERTEX = `
attribute vec3 a_pos;
attribute vec3 a_col;
uniform mat4 u_mvp;
uniform float u_size;
uniform float u_dim;
varying vec3 v_col;
void main() {
  gl_Position = u_mvp * vec4(a_pos, 1.0);
  gl_PointSize = clamp(u_size / gl_Position.w, 1.5, 48.0);  // nearer points are bigger
  v_col = a_col * u_dim;
}`;
const FRAGMENT = `
precision mediump float;
varying vec3 v_col;
uniform float u_round;
void main() {
  vec2 p = gl_PointCoord * 2.0 - 1.0;
  float r = dot(p, p);
  if (u_round > 0.5 && r > 1.0) discard;
  gl_FragColor = vec4(v_col * (u_round > 0.5 ? 1.0 - 0.25 * r : 1.0), 1.0);
}`;

// --- The 3D view -------------------------------------------------------------------------------------------------

class Map3d {
  constructor(canvas, explore) {
    this.canvas = canvas;
    this.explore = explore;
    this.yaw = 0.6;
    this.pitch = 0.35;
    this.distance = 2.7;
    this.gl = canvas.getContext('webgl', { antialias: true });
    if (!this.gl) return;
    const gl = this.gl;
    const shader = (type, src) => {
      const s = gl.createShader(type);
      gl.shaderSource(s, src);
      gl.compileShader(s);
      if (!gl.getShaderParameter(s, gl.COMPILE_STATUS)) throw new Error(gl.getShaderInfoLog(s));
      return s;
    };
    const prog = gl.createProgram();
    gl.attachShader(prog, shader(gl.VERTEX_SHADER, VERTEX));
    gl.attachShader(prog, shader(gl.FRAGMENT_SHADER, FRAGMENT));
    gl.linkProgram(prog);
    if (!gl.getProgramParameter(prog, gl.LINK_STATUS)) throw new Error(gl.getProgramInfoLog(prog));
    this.prog = prog;
    this.loc = {
      pos: gl.getAttribLocation(prog, 'a_pos'), col: gl.getAttribLocation(prog, 'a_col'),
      mvp: gl.getUniformLocation(prog, 'u_mvp'), size: gl.getUniformLocation(prog, 'u_size'),
      dim: gl.getUniformLocation(prog, 'u_dim'), round: gl.getUniformLocation(prog, 'u_round'),
    };
    this.buffers = { pos: gl.createBuffer(), col: gl.createBuffer(), hiPos: gl.createBuffer(), hiCol: gl.createBuffer(),
      axes: gl.createBuffer(), axesCol: gl.createBuffer() };
    const axes = new Float32Array([-1.1, 0, 0, 1.1, 0, 0, 0, -1.1, 0, 0, 1.1, 0, 0, 0, -1.1, 0, 0, 1.1]);
    gl.bindBuffer(gl.ARRAY_BUFFER, this.buffers.axes);
    gl.bufferData(gl.ARRAY_BUFFER, axes, gl.STATIC_DRAW);
    gl.bindBuffer(gl.ARRAY_BUFFER, this.buffers.axesCol);
    gl.bufferData(gl.ARRAY_BUFFER, new Float32Array(18).fill(0.35), gl.STATIC_DRAW);
    this.bindInput();
  }

  get ok() { return !!this.gl; }

  setData(xyz) {
    if (!this.ok) return;
    const gl = this.gl;
    this.count = xyz.length / 3;
    gl.bindBuffer(gl.ARRAY_BUFFER, this.buffers.pos);
    gl.bufferData(gl.ARRAY_BUFFER, xyz, gl.STATIC_DRAW);
    this.gridDirty = true;
  }

  setColours(rgb) {
    if (!this.ok) return;
    const gl = this.gl;
    gl.bindBuffer(gl.ARRAY_BUFFER, this.buffers.col);
    gl.bufferData(gl.ARRAY_BUFFER, rgb, gl.STATIC_DRAW);
  }

  matrix() {
    const w = this.canvas.clientWidth || 1, hgt = this.canvas.clientHeight || 1;
    return multiply(perspective(Math.PI / 4, w / hgt, 0.1, 50), orbitView(this.yaw, this.pitch, this.distance));
  }

  draw(state) {
    if (!this.ok) return;
    const gl = this.gl, dpr = window.devicePixelRatio || 1;
    const w = Math.max(1, Math.round(this.canvas.clientWidth * dpr)), hgt = Math.max(1, Math.round(this.canvas.clientHeight * dpr));
    if (this.canvas.width !== w || this.canvas.height !== hgt) { this.canvas.width = w; this.canvas.height = hgt; this.gridDirty = true; }
    gl.viewport(0, 0, w, hgt);
    const bg = getComputedStyle(document.documentElement).getPropertyValue('--bg-2').trim() || '#161a23';
    const [r, g, b] = hexToRgb(bg.startsWith('#') && bg.length === 7 ? bg : '#161a23');
    gl.clearColor(r, g, b, 1);
    gl.clear(gl.COLOR_BUFFER_BIT | gl.DEPTH_BUFFER_BIT);
    gl.enable(gl.DEPTH_TEST);
    gl.useProgram(this.prog);
    const mvp = this.matrix();
    gl.uniformMatrix4fv(this.loc.mvp, false, mvp);
    // Point size in device pixels at distance 1, scaled with the view and thinned for big libraries.
    const base = Math.max(3, Math.min(10, 70 / Math.sqrt(Math.max(1, this.count)))) * dpr * (hgt / (500 * dpr) + 0.5) * 2.7;
    const attrib = (buf, loc) => {
      gl.bindBuffer(gl.ARRAY_BUFFER, buf);
      gl.enableVertexAttribArray(loc);
      gl.vertexAttribPointer(loc, 3, gl.FLOAT, false, 0, 0);
    };
    // Axes, faint.
    gl.uniform1f(this.loc.dim, 1);
    gl.uniform1f(this.loc.round, 0);
    attrib(this.buffers.axes, this.loc.pos);
    attrib(this.buffers.axesCol, this.loc.col);
    gl.drawArrays(gl.LINES, 0, 6);
    if (!this.count) return;
    // All tracks; dimmed while a journey is shown so its path stands out.
    gl.uniform1f(this.loc.round, 1);
    gl.uniform1f(this.loc.size, base);
    gl.uniform1f(this.loc.dim, state.path.length ? 0.45 : 1);
    attrib(this.buffers.pos, this.loc.pos);
    attrib(this.buffers.col, this.loc.col);
    gl.drawArrays(gl.POINTS, 0, this.count);
    // Highlights on top: the journey's line and points, the hovered/selected and the playing track.
    const hi = state.highlights();
    if (hi.pos.length) {
      gl.disable(gl.DEPTH_TEST);
      gl.bindBuffer(gl.ARRAY_BUFFER, this.buffers.hiPos);
      gl.bufferData(gl.ARRAY_BUFFER, new Float32Array(hi.pos), gl.DYNAMIC_DRAW);
      gl.bindBuffer(gl.ARRAY_BUFFER, this.buffers.hiCol);
      gl.bufferData(gl.ARRAY_BUFFER, new Float32Array(hi.col), gl.DYNAMIC_DRAW);
      attrib(this.buffers.hiPos, this.loc.pos);
      attrib(this.buffers.hiCol, this.loc.col);
      gl.uniform1f(this.loc.dim, 1);
      if (hi.pathCount > 1) {
        gl.uniform1f(this.loc.round, 0);
        gl.drawArrays(gl.LINE_STRIP, 0, hi.pathCount);
      }
      gl.uniform1f(this.loc.round, 1);
      gl.uniform1f(this.loc.size, base * 2.2);
      gl.drawArrays(gl.POINTS, 0, hi.pos.length / 3);
    }
  }

  // Screen positions (CSS pixels in the canvas) of every point, for the picking grid; rebuilt after the view moves.
  grid(xyz) {
    if (!this.gridDirty && this.cachedGrid) return this.cachedGrid;
    const m = this.matrix(), w = this.canvas.clientWidth, hgt = this.canvas.clientHeight, n = xyz.length / 3;
    const xs = new Float32Array(n), ys = new Float32Array(n), depth = new Float32Array(n), visible = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      const x = xyz[i * 3], y = xyz[i * 3 + 1], z = xyz[i * 3 + 2];
      const cw = m[3] * x + m[7] * y + m[11] * z + m[15];
      if (cw <= 0.01) continue;
      xs[i] = ((m[0] * x + m[4] * y + m[8] * z + m[12]) / cw * 0.5 + 0.5) * w;
      ys[i] = (1 - ((m[1] * x + m[5] * y + m[9] * z + m[13]) / cw * 0.5 + 0.5)) * hgt;
      depth[i] = cw;
      visible[i] = 1;
    }
    this.depth = depth;
    this.cachedGrid = new Grid(xs, ys, visible, w, hgt);
    this.gridDirty = false;
    return this.cachedGrid;
  }

  pick(x, y) {
    if (!this.count) return -1;
    const g = this.grid(this.explore.data.xyz);
    return g.nearest(x, y, HOVER_RADIUS, (i) => this.depth[i]);
  }

  moved() { this.gridDirty = true; this.explore.requestDraw(); }

  bindInput() {
    const c = this.canvas;
    const pointers = new Map();
    let dragged = 0, pinch = 0;
    c.addEventListener('pointerdown', (e) => {
      pointers.set(e.pointerId, { x: e.clientX, y: e.clientY });
      c.setPointerCapture(e.pointerId);
      dragged = 0;
      if (pointers.size === 2) {
        const [a, b] = [...pointers.values()];
        pinch = Math.hypot(a.x - b.x, a.y - b.y);
      }
    });
    c.addEventListener('pointermove', (e) => {
      const p = pointers.get(e.pointerId);
      if (!p) { this.explore.hover(this, e); return; }
      if (pointers.size === 2) {
        p.x = e.clientX; p.y = e.clientY;
        const [a, b] = [...pointers.values()];
        const d = Math.hypot(a.x - b.x, a.y - b.y);
        if (pinch > 0 && d > 0) this.zoom(pinch / d);
        pinch = d;
        dragged += 10;
        return;
      }
      const dx = e.clientX - p.x, dy = e.clientY - p.y;
      p.x = e.clientX; p.y = e.clientY;
      dragged += Math.abs(dx) + Math.abs(dy);
      this.yaw += dx * 0.008;
      this.pitch = Math.max(-1.5, Math.min(1.5, this.pitch + dy * 0.008));
      this.explore.hideTooltip();
      this.moved();
    });
    const end = (e) => {
      const was = pointers.has(e.pointerId);
      pointers.delete(e.pointerId);
      if (was && e.type === 'pointerup' && dragged < 5 && pointers.size === 0) this.explore.click(this, e);
    };
    c.addEventListener('pointerup', end);
    c.addEventListener('pointercancel', end);
    c.addEventListener('pointerleave', () => this.explore.hideTooltip());
    c.addEventListener('wheel', (e) => { e.preventDefault(); this.zoom(Math.exp(e.deltaY * 0.001)); }, { passive: false });
    c.addEventListener('keydown', (e) => {
      const step = e.shiftKey ? 0.25 : 0.08;
      const keys = {
        ArrowLeft: () => { this.yaw -= step; }, ArrowRight: () => { this.yaw += step; },
        ArrowUp: () => { this.pitch = Math.max(-1.5, this.pitch - step); },
        ArrowDown: () => { this.pitch = Math.min(1.5, this.pitch + step); },
        '+': () => this.zoom(0.85), '=': () => this.zoom(0.85), '-': () => this.zoom(1 / 0.85),
        0: () => { this.yaw = 0.6; this.pitch = 0.35; this.distance = 2.7; },
      };
      if (keys[e.key]) { e.preventDefault(); keys[e.key](); this.moved(); }
      else this.explore.keyNavigate(e);
    });
  }

  zoom(f) {
    this.distance = Math.max(1.2, Math.min(12, this.distance * f));
    this.moved();
  }
}

// --- The 2D view -------------------------------------------------------------------------------------------------

class Map2d {
  constructor(canvas, explore) {
    this.canvas = canvas;
    this.explore = explore;
    this.ctx = canvas.getContext('2d');
    this.base = document.createElement('canvas');  // all points, redrawn only when data, colours or size change
    this.baseDirty = true;
    this.bindInput();
  }

  layout() {
    const dpr = window.devicePixelRatio || 1;
    const w = this.canvas.clientWidth || 1, hgt = this.canvas.clientHeight || 1;
    if (this.canvas.width !== Math.round(w * dpr) || this.canvas.height !== Math.round(hgt * dpr)) {
      this.canvas.width = this.base.width = Math.round(w * dpr);
      this.canvas.height = this.base.height = Math.round(hgt * dpr);
      this.baseDirty = true;
    }
    const pad = 14, side = Math.min(w, hgt) - 2 * pad;
    this.view = { cx: w / 2, cy: hgt / 2, s: Math.max(10, side / 2), w, hgt, dpr };
    return this.view;
  }

  // CSS pixels inside the canvas of point i.
  at(i) {
    const v = this.view || this.layout(), xy = this.explore.data.xy;
    return { x: v.cx + xy[i * 2] * v.s, y: v.cy - xy[i * 2 + 1] * v.s };
  }

  draw(state) {
    const v = this.layout();
    const data = this.explore.data, n = data.count;
    if (this.baseDirty) {
      const g = this.base.getContext('2d');
      g.setTransform(v.dpr, 0, 0, v.dpr, 0, 0);
      g.clearRect(0, 0, v.w, v.hgt);
      const r = Math.max(1.6, Math.min(5, 45 / Math.sqrt(Math.max(1, n))));
      const xs = new Float32Array(n), ys = new Float32Array(n);
      const rgb = state.colours;
      g.globalAlpha = state.path.length ? 0.45 : 0.9;
      for (let i = 0; i < n; i++) {
        const p = this.at(i);
        xs[i] = p.x; ys[i] = p.y;
        g.fillStyle = `rgb(${rgb[i * 3] * 255 | 0},${rgb[i * 3 + 1] * 255 | 0},${rgb[i * 3 + 2] * 255 | 0})`;
        g.beginPath();
        g.arc(p.x, p.y, r, 0, Math.PI * 2);
        g.fill();
      }
      g.globalAlpha = 1;
      this.radius = r;
      this.gridCache = new Grid(xs, ys, null, v.w, v.hgt);
      this.baseDirty = false;
    }
    const ctx = this.ctx;
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.clearRect(0, 0, this.canvas.width, this.canvas.height);
    ctx.drawImage(this.base, 0, 0);
    ctx.setTransform(v.dpr, 0, 0, v.dpr, 0, 0);
    // The journey: a line through its tracks, numbered ends.
    if (state.path.length > 1) {
      ctx.strokeStyle = css(PATH);
      ctx.lineWidth = 2.5;
      ctx.beginPath();
      state.path.forEach((i, k) => { const p = this.at(i); if (k) ctx.lineTo(p.x, p.y); else ctx.moveTo(p.x, p.y); });
      ctx.stroke();
      for (const i of state.path) this.ring(i, css(PATH), this.radius + 2.5);
    }
    if (state.playing >= 0) this.ring(state.playing, css(PLAYING), this.radius + 6, true);
    if (state.selected >= 0) this.ring(state.selected, css(POINTED), this.radius + 4);
    if (state.hovered >= 0) this.ring(state.hovered, css(POINTED), this.radius + 3);
  }

  ring(i, colour, r, thick) {
    const p = this.at(i), ctx = this.ctx;
    ctx.strokeStyle = colour;
    ctx.lineWidth = thick ? 3 : 2;
    ctx.beginPath();
    ctx.arc(p.x, p.y, r, 0, Math.PI * 2);
    ctx.stroke();
  }

  pick(x, y) {
    if (!this.gridCache || !this.explore.data.count) return -1;
    return this.gridCache.nearest(x, y, Math.max(HOVER_RADIUS, this.radius + 3));
  }

  bindInput() {
    const c = this.canvas;
    c.addEventListener('pointermove', (e) => this.explore.hover(this, e));
    c.addEventListener('pointerleave', () => this.explore.hideTooltip());
    c.addEventListener('click', (e) => this.explore.click(this, e));
    c.addEventListener('keydown', (e) => this.explore.keyNavigate(e));
  }
}

// --- The view ----------------------------------------------------------------------------------------------------

export class Explore {
  constructor(app) {
    this.app = app;
    this.section = document.getElementById('explore');
    this.select = document.getElementById('map-colour');
    this.legend = document.getElementById('map-legend');
    this.status = document.getElementById('map-status');
    this.tooltip = document.getElementById('map-tooltip');
    this.selection = document.getElementById('map-selection');
    this.canvas2d = document.getElementById('map2d');
    this.canvas3d = document.getElementById('map3d');
    this.data = { count: 0, ids: [], xyz: new Float32Array(0), xy: new Float32Array(0) };
    this.state = {
      colours: new Float32Array(0), path: [], hovered: -1, selected: -1, playing: -1,
      highlights: () => this.highlights(),
    };
    this.loaded = null;
    this.map2d = new Map2d(this.canvas2d, this);
    try {
      this.map3d = new Map3d(this.canvas3d, this);
    } catch (e) {
      this.map3d = null;
      console.warn('WebGL map disabled:', e);
    }
    if (!this.map3d || !this.map3d.ok) {
      this.canvas3d.replaceWith(h('p', { id: 'map3d', class: 'map-fallback', role: 'note',
        text: 'This browser has no WebGL, so the 3D map is off; the 2D map beside it shows the same library.' }));
      this.map3d = null;
    }
    this.select.addEventListener('change', () => this.colourBy(this.select.value));
    new ResizeObserver(() => { this.map2d.baseDirty = true; if (this.map3d) this.map3d.gridDirty = true; this.requestDraw(); })
      .observe(this.section);
    // The playing track, whoever started it (a result, the queue, the map).
    const audio = document.getElementById('audio');
    for (const ev of ['loadstart', 'play']) audio.addEventListener(ev, () => this.syncPlaying());
    window.audioriumMap = {
      screenPositionOf2d: (id) => this.screenPositionOf2d(id),
      trackIds: () => this.data.ids.slice(),
    };
  }

  // Loads the map once (again after reload()); the view may be hidden meanwhile.
  load() {
    if (!this.loaded) this.loaded = this.fetch();
    return this.loaded;
  }

  reload() { this.loaded = null; return this.load(); }

  async fetch() {
    this.status.textContent = 'Loading the map…';
    try {
      const t0 = performance.now();
      const m = await Api.map();
      const cols = m.tracks;
      const n = m.count;
      this.data = {
        count: n, ids: cols.id, xyz: Float32Array.from(cols.xyz), xy: Float32Array.from(cols.xy), columns: cols,
        fields: m.colour_fields, index: new Map(cols.id.map((id, i) => [id, i])), projection: m.projection,
      };
      if (this.map3d) this.map3d.setData(this.data.xyz);
      this.fillSelect();
      this.colourBy(this.select.value);
      const ev = (m.projection.explained_variance || []).reduce((a, b) => a + b, 0);
      this.status.textContent = n
        ? `${n.toLocaleString()} tracks · PCA of the sound embeddings (${Math.round(ev * 100)}% of the variance shown) · ${Math.round(performance.now() - t0)} ms`
        : 'No analysed tracks yet: run audiorium index ~/Music, then reload.';
      this.draw();
      this.canvas2d.dataset.count = String(n);
      this.canvas2d.dataset.ready = 'true';
      this.syncPlaying();
    } catch (e) {
      this.status.replaceChildren(errorBox(e, 'Map'));
      this.loaded = null;
    }
  }

  fillSelect() {
    const prev = this.select.value;
    const usable = this.data.fields.filter((f) => f.kind === 'number' || f.categories.length > 1 || f.name === 'mode');
    this.select.replaceChildren(...usable.map((f) => h('option', { value: f.name, text: f.unit ? `${f.label} (${f.unit})` : f.label })));
    // Genre when most tracks carry one (a map coloured mostly "untagged" says little), else tempo.
    const genre = usable.find((f) => f.name === 'genre');
    const tagged = genre ? this.data.columns.genre.filter((c) => genre.categories[c] !== '').length : 0;
    const preferred = genre && genre.categories.filter((c) => c !== '').length > 1 && tagged * 2 >= this.data.count
      ? 'genre' : ['tempo_bpm', 'energy_db'].find((name) => usable.some((f) => f.name === name));
    this.select.value = usable.some((f) => f.name === prev) ? prev : (preferred || (usable[0] && usable[0].name) || '');
  }

  colourBy(name) {
    const n = this.data.count, rgb = new Float32Array(n * 3);
    const field = (this.data.fields || []).find((f) => f.name === name);
    const col = field ? this.data.columns[name] : null;
    const legend = [];
    if (!field) {
      for (let i = 0; i < n; i++) rgb.set([0.49, 0.61, 1], i * 3);
    } else if (field.kind === 'number') {
      // Spread by the 2nd..98th percentiles so one outlier does not wash out the scale.
      const values = col.filter((v) => v !== null).sort((a, b) => a - b);
      const lo = values.length ? values[Math.floor(values.length * 0.02)] : 0;
      const hi = values.length ? values[Math.min(values.length - 1, Math.floor(values.length * 0.98))] : 1;
      const span = hi - lo || 1;
      for (let i = 0; i < n; i++) rgb.set(col[i] === null ? MISSING : ramp((col[i] - lo) / span), i * 3);
      const fmt = (v) => (Math.abs(v) >= 100 ? Math.round(v) : Math.round(v * 100) / 100).toLocaleString();
      legend.push(h('span', { class: 'legend-label', text: `${fmt(lo)}${field.unit ? ` ${field.unit}` : ''}` }),
        h('span', { class: 'legend-ramp', 'aria-hidden': 'true',
          style: `background: linear-gradient(90deg, ${RAMP.map(css).join(', ')})` }),
        h('span', { class: 'legend-label', text: `${fmt(hi)}${field.unit ? ` ${field.unit}` : ''}` }));
    } else {
      const cats = field.categories;
      const isKey = name === 'key';
      const colour = (c) => {
        if (c === null || c === undefined) return MISSING;
        if (isKey) return hsl(c / 12, 0.75, 0.6);  // the circle of pitch classes as a colour wheel
        if (cats[c] === '') return MISSING;
        const rank = cats.slice(0, c).filter((x) => x !== '').length;
        return rank < PALETTE.length ? hexToRgb(PALETTE[rank]) : [0.62, 0.64, 0.7];
      };
      const table = cats.map((_, c) => colour(c));
      for (let i = 0; i < n; i++) rgb.set(col[i] === null ? MISSING : table[col[i]], i * 3);
      const shown = cats.map((c, i) => [c, i]).filter(([c]) => c !== '').slice(0, isKey ? 12 : PALETTE.length);
      for (const [c, i] of shown) {
        legend.push(h('span', { class: 'legend-item' }, h('span', { class: 'swatch', style: `background: ${css(table[i])}` }), c));
      }
      const rest = cats.filter((c) => c !== '').length - shown.length;
      if (rest > 0) legend.push(h('span', { class: 'legend-item' }, h('span', { class: 'swatch', style: 'background: rgb(158 163 178)' }), `${rest} more`));
      if (cats.includes('') || col.some((v) => v === null)) {
        legend.push(h('span', { class: 'legend-item' }, h('span', { class: 'swatch', style: `background: ${css(MISSING)}` }), 'untagged'));
      }
    }
    this.legend.replaceChildren(...legend);
    this.state.colours = rgb;
    if (this.map3d) this.map3d.setColours(rgb);
    this.map2d.baseDirty = true;
    this.requestDraw();
  }

  track(i) {
    const c = this.data.columns, f = (name) => {
      const field = this.data.fields.find((x) => x.name === name);
      return field && c[name][i] !== null ? field.categories[c[name][i]] : '';
    };
    return { id: c.id[i], title: c.title[i], artist: f('artist'), album: f('album'), genre: f('genre'), duration_s: c.duration_s[i] };
  }

  highlights() {
    const pos = [], col = [];
    const add = (i, rgb) => { pos.push(...this.data.xyz.subarray(i * 3, i * 3 + 3)); col.push(...rgb); };
    for (const i of this.state.path) add(i, PATH);
    const pathCount = this.state.path.length;
    if (this.state.selected >= 0) add(this.state.selected, POINTED);
    if (this.state.hovered >= 0) add(this.state.hovered, POINTED);
    if (this.state.playing >= 0) add(this.state.playing, PLAYING);
    return { pos, col, pathCount };
  }

  requestDraw() {
    if (this.frame) return;
    this.frame = requestAnimationFrame(() => { this.frame = 0; this.draw(); });
  }

  draw() {
    if (this.section.hidden || !this.data.fields) return;
    this.map2d.draw(this.state);
    if (this.map3d) this.map3d.draw(this.state);
  }

  // --- Interaction ---------------------------------------------------------------------------------------------

  local(view, e) {
    const r = view.canvas.getBoundingClientRect();
    return { x: e.clientX - r.left, y: e.clientY - r.top };
  }

  hover(view, e) {
    const p = this.local(view, e);
    const i = view.pick(p.x, p.y);
    if (i !== this.state.hovered) { this.state.hovered = i; this.requestDraw(); }
    view.canvas.style.cursor = i >= 0 ? 'pointer' : (view === this.map3d ? 'grab' : 'default');
    if (i < 0) { this.hideTooltip(); return; }
    this.showTooltip(i, e.clientX, e.clientY);
  }

  showTooltip(i, x, y) {
    const t = this.track(i);
    this.tooltip.replaceChildren(h('strong', { text: t.title }), h('span', { text: t.artist || 'Unknown artist' }),
      this.pendingJourney ? h('span', { class: 'hint', text: 'Click: journey to here' }) : h('span', { class: 'hint', text: 'Click to play' }));
    this.tooltip.hidden = false;
    const tw = this.tooltip.offsetWidth, th = this.tooltip.offsetHeight;
    this.tooltip.style.left = `${Math.min(window.innerWidth - tw - 4, x + 14)}px`;
    this.tooltip.style.top = `${Math.max(4, y - th - 10)}px`;
  }

  hideTooltip() {
    this.tooltip.hidden = true;
    if (this.state.hovered >= 0) { this.state.hovered = -1; this.requestDraw(); }
  }

  click(view, e) {
    const p = this.local(view, e);
    const i = view.pick(p.x, p.y);
    if (i < 0) return;
    this.choose(i, true);
  }

  // A track chosen on the map (click, or Enter after keyboard navigation): plays it, or ends a pending journey.
  choose(i, play) {
    const t = this.track(i);
    this.state.selected = i;
    this.renderSelection(t);
    this.requestDraw();
    if (this.pendingJourney && this.pendingJourney.id !== t.id) {
      const from = this.pendingJourney;
      this.cancelJourney();
      this.app.runJourney(from, t);
    } else if (play) {
      this.app.player.playFrom(t);
    }
  }

  renderSelection(t) {
    this.selection.replaceChildren(
      h('span', { class: 'map-selected' }, h('strong', { text: t.title }), ` — ${t.artist || 'Unknown artist'}`),
      h('button', { type: 'button', class: 'button ghost', text: '▶ Play', 'aria-label': `Play “${t.title}” and start a queue from it`,
        onclick: () => this.app.player.playFrom(t) }),
      h('button', { id: 'btn-journey', type: 'button', class: 'button ghost', text: 'Journey from here…',
        'aria-label': `Journey from “${t.title}”: choose a destination next`, onclick: () => this.app.journeyFrom(t) }));
  }

  // Keyboard: arrows move a cursor in 2D (the nearest track is selected), Enter plays the selection.
  keyNavigate(e) {
    if (!this.data.count) return;
    if (e.key === 'Enter' && this.state.selected >= 0) {
      e.preventDefault();
      this.choose(this.state.selected, true);
      return;
    }
    if (e.target !== this.canvas2d) return;
    const d = { ArrowLeft: [-1, 0], ArrowRight: [1, 0], ArrowUp: [0, 1], ArrowDown: [0, -1] }[e.key];
    if (!d) return;
    e.preventDefault();
    const xy = this.data.xy, from = this.state.selected >= 0 ? this.state.selected : -1;
    const cx = from >= 0 ? xy[from * 2] : 0, cy = from >= 0 ? xy[from * 2 + 1] : 0;
    // The nearest track in that direction (within a 45° cone), O(n) on a key press only.
    let best = -1, bestD = Infinity;
    for (let i = 0; i < this.data.count; i++) {
      if (i === from) continue;
      const dx = xy[i * 2] - cx, dy = xy[i * 2 + 1] - cy;
      const along = dx * d[0] + dy * d[1], across = Math.abs(dx * d[1] - dy * d[0]);
      if (from >= 0 && (along <= 0 || across > along)) continue;
      const dist = dx * dx + dy * dy;
      if (dist < bestD) { bestD = dist; best = i; }
    }
    if (best < 0) return;
    this.state.selected = best;
    const t = this.track(best);
    this.renderSelection(t);
    announce(`${t.title} — ${t.artist || 'Unknown artist'}. Enter plays it.`);
    const p = this.map2d.at(best), r = this.canvas2d.getBoundingClientRect();
    this.showTooltip(best, r.left + p.x, r.top + p.y);
    this.requestDraw();
  }

  syncPlaying() {
    const t = this.app.player.current;
    const i = t && this.data.index ? this.data.index.get(t.id) : undefined;
    const next = i === undefined ? -1 : i;
    if (next !== this.state.playing) { this.state.playing = next; this.requestDraw(); }
  }

  // --- Journeys ------------------------------------------------------------------------------------------------

  startJourney(t) { this.pendingJourney = t; }
  cancelJourney() { this.pendingJourney = null; }

  showPath(ids) {
    this.state.path = ids.map((id) => this.data.index && this.data.index.get(id)).filter((i) => i !== undefined);
    this.map2d.baseDirty = true;
    this.requestDraw();
  }

  screenPositionOf2d(id) {
    const i = this.data.index ? this.data.index.get(Number(id)) : undefined;
    if (i === undefined || this.section.hidden) return null;
    this.map2d.layout();
    const p = this.map2d.at(i), r = this.canvas2d.getBoundingClientRect();
    return { x: r.left + p.x, y: r.top + p.y };
  }
}
