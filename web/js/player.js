// The player bar and its queue: one <audio> element streaming /api/stream/{id} (the server answers Range
// requests, so seeking works), an editable queue that refills itself from /api/queue/{last} when it runs low.

import { Api } from './api.js';
import { h, formatTime, artistAlbum, errorBox, announce } from './dom.js';
import { setIcon } from './icons.js';

const REFILL_WHEN_LEFT = 3;   // fetch more when this few tracks are left after the current one
const QUEUE_LENGTH = 20;

export class Player {
  constructor(app) {
    this.app = app;
    this.audio = document.getElementById('audio');
    this.els = {
      play: document.getElementById('btn-play'),
      prev: document.getElementById('btn-prev'),
      next: document.getElementById('btn-next'),
      seek: document.getElementById('seek'),
      current: document.getElementById('time-current'),
      total: document.getElementById('time-total'),
      volume: document.getElementById('volume'),
      mute: document.getElementById('btn-mute'),
      title: document.getElementById('now-title'),
      artist: document.getElementById('now-artist'),
      descriptors: document.getElementById('now-descriptors'),
      error: document.getElementById('player-error'),
      like: document.getElementById('btn-now-like'),
      list: document.getElementById('queue-list'),
      queueStatus: document.getElementById('queue-status'),
      queueError: document.getElementById('queue-error'),
    };
    this.queue = [];        // track objects ({id, title, artist, album, duration_s})
    this.index = -1;        // the current track's position in the queue
    this.mode = 'auto';     // 'auto': refill from /api/queue; 'list': a playlist, stops at its end
    this.played = new Set();
    this.refilling = false;
    this.seeking = false;
    this.loadToken = 0;
    this.bind();
    this.renderQueue();
    this.renderNow(null);
  }

  get current() { return this.queue[this.index] || null; }

  bind() {
    const { audio, els } = this;
    els.play.addEventListener('click', () => this.toggle());
    els.prev.addEventListener('click', () => this.prev());
    els.next.addEventListener('click', () => this.next());
    els.like.addEventListener('click', () => { if (this.current) this.app.toggleLike(this.current); });
    els.seek.addEventListener('input', () => {
      this.seeking = true;
      els.current.textContent = formatTime(Number(els.seek.value));
    });
    els.seek.addEventListener('change', () => {
      this.seeking = false;
      if (Number.isFinite(audio.duration)) audio.currentTime = Number(els.seek.value);
    });
    const savedVolume = Number(localStorage.getItem('audiorium.volume'));
    if (Number.isFinite(savedVolume) && localStorage.getItem('audiorium.volume') !== null) audio.volume = savedVolume;
    els.volume.value = String(Math.round(audio.volume * 100));
    els.volume.addEventListener('input', () => {
      audio.volume = Number(els.volume.value) / 100;
      audio.muted = false;
      localStorage.setItem('audiorium.volume', String(audio.volume));
    });
    els.mute.addEventListener('click', () => { audio.muted = !audio.muted; });
    audio.addEventListener('volumechange', () => {
      els.mute.setAttribute('aria-pressed', String(audio.muted));
      setIcon(els.mute, audio.muted || audio.volume === 0 ? 'mute' : 'volume');
      els.mute.setAttribute('aria-label', audio.muted ? 'Unmute' : 'Mute');
      els.volume.setAttribute('aria-valuetext', audio.muted ? 'muted' : `${Math.round(audio.volume * 100)}%`);
    });
    audio.addEventListener('play', () => this.renderPlayState());
    audio.addEventListener('pause', () => this.renderPlayState());
    audio.addEventListener('loadedmetadata', () => {
      const d = Number.isFinite(audio.duration) ? audio.duration : (this.current ? this.current.duration_s : 0);
      els.seek.max = String(Math.max(1, d));
      els.total.textContent = formatTime(d);
    });
    audio.addEventListener('timeupdate', () => {
      if (this.seeking) return;
      els.seek.value = String(audio.currentTime);
      els.current.textContent = formatTime(audio.currentTime);
      els.seek.setAttribute('aria-valuetext', `${formatTime(audio.currentTime)} of ${els.total.textContent}`);
    });
    audio.addEventListener('ended', () => this.next(true));
    audio.addEventListener('error', () => this.onAudioError());
  }

  // --- Starting playback ----------------------------------------------------------------------------------------

  // Plays a track and starts the automatic queue from it.
  async playFrom(track) {
    this.mode = 'auto';
    this.queue = [track];
    this.index = 0;
    this.played = new Set();
    this.load();
    await this.refill(track.id, 'Building a queue from this track…');
  }

  // Plays a fixed list (a playlist, liked tracks) from one of its tracks.
  playList(tracks, start = 0) {
    if (!tracks.length) return;
    this.mode = 'list';
    this.queue = tracks.slice();
    this.index = Math.min(Math.max(0, start), tracks.length - 1);
    this.played = new Set();
    this.load();
    this.renderQueue();
  }

  load(autoplay = true) {
    const t = this.current;
    this.setError(null);
    if (!t) {
      this.audio.removeAttribute('src');
      this.audio.load();
      this.renderNow(null);
      this.renderQueue();
      return;
    }
    this.played.add(t.id);
    this.historyRecordedFor = null;
    this.audio.src = Api.streamUrl(t.id);
    this.els.seek.value = '0';
    this.els.seek.max = String(Math.max(1, t.duration_s || 1));
    this.els.current.textContent = '0:00';
    this.els.total.textContent = formatTime(t.duration_s);
    this.renderNow(t);
    this.renderQueue();
    this.revealCurrent();
    this.loadDetails(t);
    if (autoplay) {
      const token = ++this.loadToken;
      this.audio.play().then(() => this.recordHistory(t, token)).catch((e) => {
        // A browser may refuse to start sound without a user gesture; that is not an error worth alarming about.
        if (e && e.name === 'NotAllowedError') this.setError(new Error('The browser blocked autoplay: press Play.'));
        else if (e && e.name !== 'AbortError') this.setError(e);
      });
    }
    this.maybeRefill();
  }

  recordHistory(t, token) {
    if (token !== this.loadToken || this.historyRecordedFor === t.id) return;
    this.historyRecordedFor = t.id;
    Api.addHistory(t.id).then(() => this.app.sidebar && this.app.sidebar.historyChanged())
      .catch((e) => announce(`Could not record “${t.title}” in the history: ${e.message}`, true));
  }

  async loadDetails(t) {
    const box = this.els.descriptors;
    box.textContent = '';
    try {
      const detail = await Api.track(t.id);
      if (this.current !== t) return;
      this.app.setLiked(t.id, detail.liked);
      box.replaceChildren(...describe(detail.descriptors || {}).map((d) => h('span', { class: 'chip', title: d.title, text: d.text })));
    } catch (e) {
      if (this.current === t) box.replaceChildren(errorBox(e, 'Track details'));
    }
  }

  async onAudioError() {
    const t = this.current;
    if (!t || !this.audio.getAttribute('src')) return;
    // The <audio> element hides the server's message: ask once more and read it (without a Range header, which
    // the server would apply to the error body too; a healthy stream is aborted as soon as its headers arrive).
    let message = this.audio.error ? `the browser cannot play this file (code ${this.audio.error.code})` : 'playback failed';
    const controller = new AbortController();
    try {
      const res = await fetch(Api.streamUrl(t.id), { signal: controller.signal });
      if (res.ok) controller.abort();
      if (!res.ok) {
        const body = await res.json().catch(() => null);
        if (body && body.error) message = body.error.message;
      } else if (this.audio.error && this.audio.error.code === 4) {
        message = `your browser cannot decode this format (${res.headers.get('Content-Type') || 'unknown type'})`;
      }
    } catch (e) {
      message = `cannot reach the server (${e.message})`;
    }
    if (this.current === t) this.setError(new Error(`“${t.title}”: ${message}`));
  }

  setError(err) {
    const box = this.els.error;
    box.replaceChildren();
    box.hidden = !err;
    if (err) box.append(errorBox(err, 'Playback'));
  }

  // --- Controls ---------------------------------------------------------------------------------------------------

  toggle() {
    if (!this.current) {
      announce('Nothing to play yet: search, then press ▶ on a result.');
      return;
    }
    if (this.audio.paused) {
      const token = ++this.loadToken;
      const t = this.current;
      this.audio.play().then(() => this.recordHistory(t, token)).catch((e) => { if (e.name !== 'AbortError') this.setError(e); });
    } else {
      this.audio.pause();
    }
  }

  next(auto = false) {
    if (this.index + 1 < this.queue.length) {
      this.index += 1;
      this.load();
    } else if (auto) {
      this.renderPlayState();
      announce(this.mode === 'list' ? 'End of the list.' : 'The queue is empty.');
    } else {
      announce('This is the last track in the queue.');
    }
  }

  prev() {
    if (this.audio.currentTime > 3 || this.index <= 0) {
      this.audio.currentTime = 0;
      return;
    }
    this.index -= 1;
    this.load();
  }

  jump(i) {
    if (i < 0 || i >= this.queue.length) return;
    this.index = i;
    this.load();
  }

  remove(i) {
    if (i < 0 || i >= this.queue.length) return;
    const [gone] = this.queue.splice(i, 1);
    if (i < this.index) {
      this.index -= 1;
    } else if (i === this.index) {
      // Removing the playing track moves on to the next one (or stops at the end).
      if (this.index >= this.queue.length) this.index = this.queue.length - 1;
      if (this.queue.length) this.load(!this.audio.paused);
      else { this.index = -1; this.load(false); }
    }
    announce(`Removed “${gone.title}” from the queue.`);
    this.renderQueue();
    this.maybeRefill();
    this.focusQueueItem(Math.min(i, this.queue.length - 1));
  }

  move(i, delta) {
    const j = i + delta;
    if (i < 0 || j < 0 || i >= this.queue.length || j >= this.queue.length) return;
    [this.queue[i], this.queue[j]] = [this.queue[j], this.queue[i]];
    if (this.index === i) this.index = j;
    else if (this.index === j) this.index = i;
    this.renderQueue();
    this.focusQueueItem(j, delta < 0 ? 'up' : 'down');
  }

  // "More like this" in the queue: keep everything up to this track, replace the rest with a queue from it.
  async moreLikeThis(i) {
    const t = this.queue[i];
    if (!t) return;
    const keep = Math.max(i, this.index);
    this.queue = this.queue.slice(0, keep + 1);
    this.mode = 'auto';
    this.renderQueue();
    await this.refill(t.id, `Replacing the rest of the queue with tracks like “${t.title}”…`);
  }

  // --- The automatic queue ------------------------------------------------------------------------------------

  maybeRefill() {
    if (this.mode !== 'auto' || this.refilling || !this.queue.length) return;
    if (this.queue.length - 1 - this.index < REFILL_WHEN_LEFT) {
      this.refill(this.queue[this.queue.length - 1].id, 'Finding more tracks…');
    }
  }

  async refill(fromId, message) {
    this.refilling = true;
    this.els.queueStatus.textContent = message;
    this.els.queueError.replaceChildren();
    try {
      const data = await Api.queue(fromId, QUEUE_LENGTH);
      const have = new Set([...this.played, ...this.queue.map((t) => t.id)]);
      const fresh = (data.results || []).filter((t) => !have.has(t.id));
      this.queue.push(...fresh);
      this.els.queueStatus.textContent = fresh.length ? '' : 'No new tracks to add: every similar track was already played.';
    } catch (e) {
      this.els.queueStatus.textContent = '';
      this.els.queueError.replaceChildren(errorBox(e, 'Queue'));
    } finally {
      this.refilling = false;
      this.renderQueue();
    }
  }

  // --- Rendering ------------------------------------------------------------------------------------------------

  renderPlayState() {
    const playing = !this.audio.paused && !!this.current;
    setIcon(this.els.play, playing ? 'pause' : 'play');
    this.els.play.setAttribute('aria-label', playing ? 'Pause' : 'Play');
    this.els.play.setAttribute('aria-pressed', String(playing));
    document.body.classList.toggle('is-playing', playing);
  }

  renderNow(t) {
    this.els.title.textContent = t ? t.title : 'Nothing playing';
    this.els.artist.textContent = t ? artistAlbum(t) : 'Search below, then press ▶ on a result';
    this.els.like.hidden = !t;
    if (t) this.app.renderLikeButton(this.els.like, t);
    if (!t) this.els.descriptors.textContent = '';
    document.title = t ? `${t.title} · Audiorium` : 'Audiorium';
    this.renderPlayState();
  }

  renderQueue() {
    const list = this.els.list;
    // Keep keyboard focus on the same row and button across the re-render.
    const focused = list.contains(document.activeElement) ? document.activeElement : null;
    const keep = focused && focused.closest('[data-index]')
      ? { index: focused.closest('[data-index]').dataset.index, act: focused.dataset.act || null } : null;
    list.replaceChildren();
    const count = document.getElementById('queue-count');
    if (count) count.textContent = this.queue.length ? String(Math.max(0, this.queue.length - this.index - 1)) : '';
    if (!this.queue.length) {
      list.append(h('li', { class: 'empty' }, 'The queue is empty. Play a search result to start one.'));
      return;
    }
    this.queue.forEach((t, i) => {
      const isCurrent = i === this.index;
      const label = `“${t.title}”`;
      list.append(h('li', { class: `queue-item${isCurrent ? ' is-current' : ''}${i < this.index ? ' is-past' : ''}`,
                            'aria-current': isCurrent ? 'true' : null, dataset: { index: String(i) } },
        h('button', { class: 'queue-play', type: 'button', 'aria-label': `Play ${label} now`, onclick: () => this.jump(i) },
          h('span', { class: 'queue-pos', 'aria-hidden': 'true', text: isCurrent ? '♪' : String(i + 1) }),
          h('span', { class: 'queue-text' },
            h('span', { class: 'queue-title', text: t.title }),
            h('span', { class: 'queue-artist', text: artistAlbum(t) }))),
        h('span', { class: 'queue-actions' },
          h('button', { type: 'button', class: 'icon', 'data-act': 'up', 'aria-label': `Move ${label} up`, title: 'Move up',
                        disabled: i === 0, onclick: () => this.move(i, -1), text: '↑' }),
          h('button', { type: 'button', class: 'icon', 'data-act': 'down', 'aria-label': `Move ${label} down`, title: 'Move down',
                        disabled: i === this.queue.length - 1, onclick: () => this.move(i, 1), text: '↓' }),
          h('button', { type: 'button', class: 'icon', 'data-act': 'more', 'aria-label': `More like ${label}: replace the rest of the queue`,
                        title: 'More like this (replaces the rest of the queue)', onclick: () => this.moreLikeThis(i), text: '≈' }),
          h('button', { type: 'button', class: 'icon', 'data-act': 'remove', 'aria-label': `Remove ${label} from the queue`,
                        title: 'Remove', onclick: () => this.remove(i), text: '✕' }))));
    });
    if (keep) this.focusQueueItem(Math.min(Number(keep.index), this.queue.length - 1), keep.act);
  }

  // Scrolls the queue panel (only it) so the playing track is in view.
  revealCurrent() {
    const panel = document.getElementById('queue-panel');
    const item = this.els.list.querySelector('.queue-item.is-current');
    if (!panel || !item || item.offsetParent !== panel) return;
    const top = item.offsetTop;
    if (top < panel.scrollTop || top + item.offsetHeight > panel.scrollTop + panel.clientHeight) {
      panel.scrollTop = Math.max(0, top - panel.clientHeight / 3);
    }
  }

  focusQueueItem(i, act = 'remove') {
    const item = this.els.list.querySelector(`[data-index="${i}"]`);
    if (!item) return;
    const target = (act && item.querySelector(`[data-act="${act}"]:not([disabled])`)) || item.querySelector('.queue-play');
    if (target) target.focus();
  }
}

// A few descriptors a person understands, from GET /api/tracks/{id}'s "descriptors" object. Names vary by
// catalog version, so each is looked up under the names it may have and skipped when missing.
const KEYS = ['C', 'C♯', 'D', 'E♭', 'E', 'F', 'F♯', 'G', 'A♭', 'A', 'B♭', 'B'];
function pick(d, ...names) {
  for (const n of names) if (typeof d[n] === 'number' && Number.isFinite(d[n])) return d[n];
  return undefined;
}
export function describe(d) {
  const out = [];
  const bpm = pick(d, 'tempo_bpm', 'tempo', 'bpm');
  if (bpm !== undefined && bpm > 0) out.push({ text: `${Math.round(bpm)} BPM`, title: 'Tempo' });
  const key = pick(d, 'key', 'key_index', 'key_pitch_class');
  const mode = pick(d, 'mode', 'key_mode', 'major');
  if (key !== undefined && key >= 0 && key < 12) {
    const m = mode === undefined ? '' : (mode >= 0.5 ? ' major' : ' minor');
    out.push({ text: `${KEYS[Math.round(key) % 12]}${m}`, title: 'Key' });
  }
  const lufs = pick(d, 'loudness_lufs', 'integrated_lufs', 'loudness', 'lufs');
  if (lufs !== undefined) out.push({ text: `${lufs.toFixed(1)} LUFS`, title: 'Loudness (EBU R128)' });
  const energy = pick(d, 'energy');
  if (energy !== undefined && out.length < 4) out.push({ text: `energy ${energy.toFixed(2)}`, title: 'Energy' });
  return out;
}
