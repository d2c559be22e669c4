// Audiorium web app: wires the conversation (text and photo search), the player, the queue and the sidebar.

import { Api } from './api.js';
import { h, errorBox, announce, isTypingTarget, formatTime } from './dom.js';
import { Player } from './player.js';
import { fillIcons } from './icons.js';
import { Explore } from './explore.js';
import { Sidebar } from './sidebar.js';
import { createMessage, trackList, understanding } from './tracks.js';

class App {
  constructor() {
    this.conversation = document.getElementById('conversation');
    this.composer = document.getElementById('composer');
    this.input = document.getElementById('prompt');
    this.liked = new Set();
    this.libraryEmpty = false;
    fillIcons();
    this.player = new Player(this);
    this.sidebar = new Sidebar(this);
    this.explore = new Explore(this);
    this.bindTabs();
    this.bindComposer();
    this.bindPhoto();
    this.bindPanels();
    this.bindKeyboard();
    this.bindPlaylistDialog();
  }

  async start() {
    if (new URLSearchParams(location.search).get('view') === 'explore') this.showView('explore');
    await Promise.all([this.sidebar.loadAll(), this.loadLikes()]);
    const q = new URLSearchParams(location.search).get('q');
    if (q && q.trim()) {
      this.input.value = q;
      this.runSearch(q);
    }
  }

  // --- Text search ----------------------------------------------------------------------------------------------

  bindComposer() {
    this.composer.addEventListener('submit', (e) => {
      e.preventDefault();
      const text = this.input.value.trim();
      if (!text) {
        announce('Type what you want to hear, e.g. “slow dark piano”.');
        this.input.focus();
        return;
      }
      this.input.value = '';
      this.runSearch(text);
    });
    for (const b of document.querySelectorAll('[data-example]')) {
      b.addEventListener('click', () => this.runSearch(b.dataset.example));
    }
  }

  async runSearch(text) {
    const url = new URL(location.href);
    url.searchParams.set('q', text);
    history.replaceState(null, '', url);
    this.closeSidebarOnPhone();
    const msg = createMessage(this.conversation, {
      kind: 'text', label: `Search: ${text}`,
      promptNodes: [h('p', { class: 'prompt-text', text: text })],
    });
    try {
      const data = await Api.search(text, 10);
      msg.done(understanding(data), this.resultsOrEmpty(data.results, 'Nothing in the library fits this prompt.'),
        data.results.length ? h('p', { class: 'hint', text: `Drawn from the best ${data.pool} · random seed ${data.random_seed}` }) : null);
      this.sidebar.loadSearches();
    } catch (e) {
      msg.fail(e, 'Search');
    }
  }

  resultsOrEmpty(results, emptyText) {
    if (!results.length && this.libraryEmpty) {
      return h('p', { class: 'empty-library' }, 'No music indexed yet — run ', h('code', { text: 'audiorium index ~/Music' }));
    }
    return trackList(this, results, { emptyText });
  }

  // --- Photo search ---------------------------------------------------------------------------------------------

  bindPhoto() {
    const picker = document.getElementById('photo-input');
    picker.addEventListener('change', () => {
      const file = picker.files && picker.files[0];
      if (file) this.runImage(file);
      picker.value = '';
    });
    const overlay = document.getElementById('drop-overlay');
    let depth = 0;
    const hasFiles = (e) => e.dataTransfer && Array.from(e.dataTransfer.types || []).includes('Files');
    window.addEventListener('dragenter', (e) => {
      if (!hasFiles(e)) return;
      e.preventDefault();
      depth += 1;
      overlay.hidden = false;
    });
    window.addEventListener('dragover', (e) => { if (hasFiles(e)) e.preventDefault(); });
    window.addEventListener('dragleave', (e) => {
      if (!hasFiles(e)) return;
      depth = Math.max(0, depth - 1);
      if (!depth) overlay.hidden = true;
    });
    window.addEventListener('drop', (e) => {
      if (!hasFiles(e)) return;
      e.preventDefault();
      depth = 0;
      overlay.hidden = true;
      const file = Array.from(e.dataTransfer.files).find((f) => f.type.startsWith('image/') || !f.type);
      if (file) this.runImage(file);
      else announce('Drop an image (JPEG, PNG, WebP or HEIC) to search by its mood.', true);
    });
    // Pasting an image into the page works too.
    window.addEventListener('paste', (e) => {
      const file = Array.from((e.clipboardData && e.clipboardData.files) || []).find((f) => f.type.startsWith('image/'));
      if (file) {
        e.preventDefault();
        this.runImage(file);
      }
    });
  }

  async runImage(file) {
    this.closeSidebarOnPhone();
    const url = URL.createObjectURL(file);
    const thumb = h('img', { class: 'photo-thumb', src: url, alt: `Your photo ${file.name || ''}`.trim() });
    thumb.addEventListener('error', () => thumb.replaceWith(h('span', { class: 'chip', text: 'no preview for this format' })), { once: true });
    const msg = createMessage(this.conversation, {
      kind: 'photo', label: `Photo search: ${file.name || 'photo'}`,
      promptNodes: [thumb, h('p', { class: 'prompt-text', text: `Music for this photo${file.name ? ` (${file.name})` : ''}` })],
    });
    try {
      const data = await Api.searchImage(file);
      const m = data.mood || {};
      const facts = typeof m.brightness === 'number'
        ? h('p', { class: 'hint', text: `${m.width}×${m.height} ${m.format || ''} · brightness ${m.brightness.toFixed(2)} · ` +
            `saturation ${m.saturation.toFixed(2)} · warmth ${m.warmth.toFixed(2)} · contrast ${m.contrast.toFixed(2)}` })
        : null;
      msg.done(understanding(data), facts, this.resultsOrEmpty(data.results, 'Nothing in the library fits this mood.'));
      this.sidebar.loadSearches();
    } catch (e) {
      msg.fail(e, 'Photo search');
    }
  }

  // --- More like this, collections -------------------------------------------------------------------------------

  async showSimilar(t) {
    const msg = createMessage(this.conversation, {
      kind: 'similar', label: `More like ${t.title}`,
      promptNodes: [h('p', { class: 'prompt-text' }, 'More like ', h('strong', { text: t.title }))],
    });
    try {
      const data = await Api.similar(t.id, 10);
      msg.done(h('p', { class: 'note', text: 'Closest in sound (timbre, harmony, rhythm, dynamics).' }),
        trackList(this, data.results, { emptyText: 'No other tracks to compare with.' }));
    } catch (e) {
      msg.fail(e, 'More like this');
    }
  }

  async openLikes() {
    this.closeSidebarOnPhone();
    const msg = createMessage(this.conversation, {
      kind: 'collection', label: 'Liked tracks', promptNodes: [h('p', { class: 'prompt-text', text: '♥ Liked tracks' })],
    });
    try {
      const { likes } = await Api.likes();
      this.liked = new Set(likes.map((t) => t.id));
      this.sidebar.setLikesCount(likes.length);
      msg.done(likes.length ? h('button', { type: 'button', class: 'button', onclick: () => this.player.playList(likes, 0) }, '▶ Play all') : null,
        trackList(this, likes, { emptyText: 'No liked tracks yet: press ♡ on a track.',
                                 onPlay: (t) => this.player.playList(likes, likes.indexOf(t)) }));
    } catch (e) {
      msg.fail(e, 'Liked tracks');
    }
  }

  async openPlaylist(id) {
    this.closeSidebarOnPhone();
    const msg = createMessage(this.conversation, {
      kind: 'collection', label: 'Playlist', promptNodes: [h('p', { class: 'prompt-text', text: 'Playlist' })],
    });
    try {
      const p = await Api.playlist(id);
      this.renderPlaylist(msg, p);
    } catch (e) {
      msg.fail(e, 'Playlist');
    }
  }

  renderPlaylist(msg, p) {
    const promptText = msg.article.querySelector('.prompt-text');
    promptText.textContent = `Playlist “${p.name}”`;
    const errors = h('div', { class: 'errors' });
    const fail = (e, what) => errors.replaceChildren(errorBox(e, what));
    const refresh = (data) => { this.renderPlaylist(msg, data); this.sidebar.loadPlaylists(); };

    const renameInput = h('input', { type: 'text', value: p.name, maxlength: '200', 'aria-label': `New name for playlist ${p.name}` });
    const renameForm = h('form', { class: 'inline-form', hidden: true },
      renameInput, h('button', { type: 'submit', class: 'button', text: 'Save name' }),
      h('button', { type: 'button', class: 'button ghost', text: 'Cancel', onclick: () => { renameForm.hidden = true; } }));
    renameForm.addEventListener('submit', async (e) => {
      e.preventDefault();
      try { refresh(await Api.updatePlaylist(p.id, { name: renameInput.value.trim() })); announce('Playlist renamed.'); }
      catch (err) { fail(err, 'Rename'); }
    });
    const deleteButton = h('button', { type: 'button', class: 'button danger', 'aria-label': `Delete playlist ${p.name}`, text: 'Delete' });
    deleteButton.addEventListener('click', async () => {
      if (deleteButton.dataset.armed !== 'yes') {
        deleteButton.dataset.armed = 'yes';
        deleteButton.textContent = 'Really delete?';
        deleteButton.setAttribute('aria-label', `Confirm: delete playlist ${p.name}`);
        return;
      }
      try {
        await Api.deletePlaylist(p.id);
        msg.done(h('p', { class: 'note', text: `Playlist “${p.name}” was deleted.` }));
        announce(`Deleted playlist “${p.name}”.`);
        this.sidebar.loadPlaylists();
      } catch (err) { fail(err, 'Delete'); }
    });
    const ids = p.tracks.map((t) => t.id);
    const total = p.tracks.reduce((s, t) => s + (t.duration_s || 0), 0);
    msg.done(
      h('div', { class: 'toolbar' },
        h('span', { class: 'hint', text: `${p.tracks.length} tracks · ${formatTime(total)}` }),
        p.tracks.length ? h('button', { type: 'button', class: 'button', onclick: () => this.player.playList(p.tracks, 0) }, '▶ Play all') : null,
        h('button', { type: 'button', class: 'button ghost', 'aria-label': `Rename playlist ${p.name}`, text: 'Rename',
                      onclick: () => { renameForm.hidden = false; renameInput.focus(); renameInput.select(); } }),
        h('a', { class: 'button ghost', href: Api.m3uUrl(p.id), download: '', 'aria-label': `Export playlist ${p.name} as M3U`, text: 'Export .m3u' }),
        deleteButton),
      renameForm, errors,
      trackList(this, p.tracks, {
        emptyText: 'This playlist is empty: press ＋ on any track to add it.',
        onPlay: (t) => this.player.playList(p.tracks, p.tracks.indexOf(t)),
        extra: (t) => [h('button', { type: 'button', class: 'icon', 'aria-label': `Remove “${t.title}” from ${p.name}`,
          title: 'Remove from playlist', text: '✕', onclick: async () => {
            const i = p.tracks.indexOf(t);
            const rest = ids.filter((_, j) => j !== i);
            try { refresh(await Api.updatePlaylist(p.id, { track_ids: rest })); announce(`Removed “${t.title}”.`); }
            catch (err) { fail(err, 'Remove'); }
          } })],
      }));
  }

  // --- Views: Discover (the conversation) and Explore (the map above it) ------------------------------------------

  bindTabs() {
    document.getElementById('tab-discover').addEventListener('click', () => this.showView('discover'));
    document.getElementById('tab-explore').addEventListener('click', () => this.showView('explore'));
  }

  showView(name) {
    const explore = name === 'explore';
    this.explore.section.hidden = !explore;
    document.body.classList.toggle('view-explore', explore);
    for (const [id, on] of [['tab-discover', !explore], ['tab-explore', explore]]) {
      const tab = document.getElementById(id);
      if (on) tab.setAttribute('aria-current', 'page'); else tab.removeAttribute('aria-current');
    }
    const url = new URL(location.href);
    if (explore) url.searchParams.set('view', 'explore'); else url.searchParams.delete('view');
    history.replaceState(null, '', url);
    if (explore) this.explore.load().then(() => this.explore.requestDraw());
  }

  // --- Journeys: from one track to another, step by step in sound ------------------------------------------------

  // From a result row: the first press picks the start, a press on another track picks the destination.
  journeyButton(t) {
    if (this.journeyStart && this.journeyStart.id !== t.id) this.runJourney(this.journeyStart, t);
    else this.journeyFrom(t);
  }

  journeyFrom(t) {
    this.journeyStart = t;
    this.explore.startJourney(t);
    const banner = document.getElementById('journey-banner');
    banner.replaceChildren(
      h('span', {}, 'Journey from ', h('strong', { text: t.title }), ': click the destination on the map, or press ⇝ on a result.'),
      h('button', { type: 'button', class: 'button ghost', text: 'Cancel', onclick: () => this.cancelJourney() }));
    banner.hidden = false;
    announce(`Journey from “${t.title}”: now choose where it should end.`);
  }

  cancelJourney() {
    this.journeyStart = null;
    this.explore.cancelJourney();
    document.getElementById('journey-banner').hidden = true;
  }

  async runJourney(from, to) {
    this.cancelJourney();
    const msg = createMessage(this.conversation, {
      kind: 'journey', label: `Journey from ${from.title} to ${to.title}`,
      promptNodes: [h('p', { class: 'prompt-text' }, 'Journey from ', h('strong', { text: from.title }), ' to ', h('strong', { text: to.title }))],
    });
    try {
      const data = await Api.journey(from.id, to.id, 12);
      const tracks = data.tracks;
      const show = () => { this.explore.load().then(() => this.explore.showPath(tracks.map((t) => t.id))); };
      show();
      msg.done(
        h('div', { class: 'toolbar' },
          h('button', { type: 'button', class: 'button', onclick: () => this.player.playList(tracks, 0) }, '▶ Play the journey'),
          h('button', { type: 'button', class: 'button ghost', onclick: () => { this.showView('explore'); show(); } }, 'Show on the map'),
          h('span', { class: 'hint', text: `${tracks.length} tracks, each a step closer in sound to the last` })),
        trackList(this, tracks, { emptyText: 'No path between these tracks.', onPlay: (t) => this.player.playList(tracks, tracks.indexOf(t)) }));
    } catch (e) {
      msg.fail(e, 'Journey');
    }
  }

  // --- Likes ------------------------------------------------------------------------------------------------------

  async loadLikes() {
    try {
      const { likes } = await Api.likes();
      this.liked = new Set(likes.map((t) => t.id));
      this.sidebar.setLikesCount(likes.length);
      this.refreshLikeButtons();
    } catch (e) {
      announce(`Could not load liked tracks: ${e.message}`, true);
    }
  }

  renderLikeButton(btn, t) {
    const on = this.liked.has(t.id);
    btn.dataset.likeId = String(t.id);
    btn.textContent = on ? '♥' : '♡';
    btn.classList.add('like');
    btn.setAttribute('aria-pressed', String(on));
    btn.setAttribute('aria-label', `Like “${t.title}”`);
    btn.title = on ? 'Liked (press to unlike)' : 'Like';
  }

  setLiked(id, on) {
    if (on === this.liked.has(id)) return;
    if (on) this.liked.add(id); else this.liked.delete(id);
    this.refreshLikeButtons(id);
  }

  refreshLikeButtons(id) {
    const sel = id === undefined ? 'button[data-like-id]' : `button[data-like-id="${id}"]`;
    for (const b of document.querySelectorAll(sel)) {
      const on = this.liked.has(Number(b.dataset.likeId));
      b.textContent = on ? '♥' : '♡';
      b.setAttribute('aria-pressed', String(on));
      b.title = on ? 'Liked (press to unlike)' : 'Like';
    }
  }

  async toggleLike(t) {
    const on = !this.liked.has(t.id);
    try {
      await Api.like(t.id, on);
      this.setLiked(t.id, on);
      this.sidebar.setLikesCount(this.liked.size);
      announce(on ? `Liked “${t.title}”.` : `Removed “${t.title}” from liked tracks.`);
    } catch (e) {
      announce(`Could not ${on ? 'like' : 'unlike'} “${t.title}”: ${e.message}`, true);
    }
  }

  // --- Add to playlist (a modal <dialog>) -------------------------------------------------------------------------

  bindPlaylistDialog() {
    this.dialog = document.getElementById('playlist-dialog');
    this.dialogList = document.getElementById('dialog-playlists');
    this.dialogError = document.getElementById('dialog-error');
    this.dialogName = document.getElementById('dialog-new-name');
    document.getElementById('dialog-cancel').addEventListener('click', () => this.dialog.close());
    document.getElementById('dialog-new-form').addEventListener('submit', async (e) => {
      e.preventDefault();
      const name = this.dialogName.value.trim();
      if (!name) { this.dialogError.replaceChildren(errorBox(new Error('Give the new playlist a name.'), 'New playlist')); return; }
      try {
        const p = await Api.createPlaylist(name, [this.dialogTrack.id]);
        this.dialog.close();
        announce(`Created “${p.name}” with “${this.dialogTrack.title}”.`);
        this.sidebar.loadPlaylists();
      } catch (err) {
        this.dialogError.replaceChildren(errorBox(err, 'New playlist'));
      }
    });
    this.dialog.addEventListener('close', () => { if (this.dialogReturn) this.dialogReturn.focus(); });
  }

  async addToPlaylist(t, returnFocus) {
    this.dialogTrack = t;
    this.dialogReturn = returnFocus;
    document.getElementById('dialog-title').textContent = `Add “${t.title}” to a playlist`;
    this.dialogError.replaceChildren();
    this.dialogName.value = '';
    this.dialogList.replaceChildren(h('li', { class: 'muted', text: 'Loading playlists…' }));
    this.dialog.showModal();
    try {
      const { playlists } = await Api.playlists();
      this.dialogList.replaceChildren(...(playlists.length ? playlists.map((p) => h('li', {},
        h('button', { type: 'button', class: 'button ghost wide', onclick: async () => {
          try {
            await Api.updatePlaylist(p.id, { add: [t.id] });
            this.dialog.close();
            announce(`Added “${t.title}” to “${p.name}”.`);
            this.sidebar.loadPlaylists();
          } catch (err) {
            this.dialogError.replaceChildren(errorBox(err, 'Add to playlist'));
          }
        } }, p.name, h('span', { class: 'count', text: `${p.track_count}` }))))
        : [h('li', { class: 'muted', text: 'No playlists yet: create one below.' })]));
      if (playlists.length) this.dialogList.querySelector('button').focus();
      else this.dialogName.focus();
    } catch (e) {
      this.dialogList.replaceChildren(h('li', {}, errorBox(e, 'Playlists')));
    }
  }

  // --- Layout, keyboard ------------------------------------------------------------------------------------------

  bindPanels() {
    const sidebarBtn = document.getElementById('btn-sidebar');
    const queueBtn = document.getElementById('btn-queue');
    sidebarBtn.addEventListener('click', () => this.setPanel('sidebar', !document.body.classList.contains('sidebar-open')));
    queueBtn.addEventListener('click', () => this.setPanel('queue', !document.body.classList.contains('queue-open')));
    document.getElementById('btn-close-queue').addEventListener('click', () => this.setPanel('queue', false));
    document.getElementById('scrim').addEventListener('click', () => { this.setPanel('sidebar', false); this.setPanel('queue', false); });
  }

  setPanel(which, open) {
    document.body.classList.toggle(`${which}-open`, open);
    const btn = document.getElementById(which === 'sidebar' ? 'btn-sidebar' : 'btn-queue');
    btn.setAttribute('aria-expanded', String(open));
    if (open) {
      const panel = document.getElementById(which === 'sidebar' ? 'sidebar' : 'queue-panel');
      const first = panel.querySelector('button:not([disabled]), input, a[href]');
      if (first && window.matchMedia('(max-width: 1099px)').matches) first.focus();
    }
  }

  closeSidebarOnPhone() {
    if (window.matchMedia('(max-width: 759px)').matches) this.setPanel('sidebar', false);
  }

  bindKeyboard() {
    document.addEventListener('keydown', (e) => {
      if (e.defaultPrevented || e.altKey || e.ctrlKey || e.metaKey) return;
      if (e.key === 'Escape') {
        if (this.journeyStart) this.cancelJourney();
        if (document.body.classList.contains('queue-open')) this.setPanel('queue', false);
        if (document.body.classList.contains('sidebar-open')) this.setPanel('sidebar', false);
        return;
      }
      if (isTypingTarget(document.activeElement) || (this.dialog && this.dialog.open)) return;
      if (e.key === ' ' || e.code === 'Space') {
        e.preventDefault();
        this.player.toggle();
      } else if (e.key === '/') {
        e.preventDefault();
        this.input.focus();
      }
    });
  }

  showLibraryState(status) {
    const box = document.getElementById('welcome-library');
    if (!box) return;
    box.replaceChildren(status.tracks
      ? h('p', { text: `${status.tracks.toLocaleString()} tracks (${status.hours.toFixed(1)} h) ready to search.` })
      : h('p', { class: 'empty-library' }, 'No music indexed yet — run ', h('code', { text: 'audiorium index ~/Music' }),
          ', then reload this page.'));
  }
}

const app = new App();
window.addEventListener('unhandledrejection', (e) => {
  announce(`Unexpected error: ${e.reason && e.reason.message ? e.reason.message : e.reason}`, true);
});
app.start();
