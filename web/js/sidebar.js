// The sidebar: library status, search history, playlists, liked and recently played tracks.

import { Api } from './api.js';
import { h, errorBox, timeAgo, announce } from './dom.js';
import { icon } from './icons.js';

// What the server searches with (/api/status model_packs): a CLAP pack's name, and CLIP's for photos, or dsp-v1.
function searchWith(mp) {
  if (!mp || !mp.clap) return 'sound features (dsp-v1)';
  return `CLAP pack '${mp.clap.name}'` + (mp.clip ? ` · photos via CLIP '${mp.clip.name}'` : '');
}

// Why the server chose that embedder, folded away: one line per note.
function packNotes(mp) {
  if (!mp || !mp.notes || !mp.notes.length) return null;
  return h('details', { class: 'hint pack-notes', id: 'pack-notes' },
    h('summary', { text: 'Model packs' }), ...mp.notes.map((n) => h('p', { text: n })));
}

export class Sidebar {
  constructor(app) {
    this.app = app;
    this.els = {
      status: document.getElementById('status-body'),
      searches: document.getElementById('searches-list'),
      playlists: document.getElementById('playlists-list'),
      newPlaylist: document.getElementById('new-playlist-form'),
      newPlaylistName: document.getElementById('new-playlist-name'),
      newPlaylistError: document.getElementById('new-playlist-error'),
      likesCount: document.getElementById('likes-count'),
      history: document.getElementById('history-list'),
    };
    this.playlists = [];
    document.getElementById('btn-open-likes').addEventListener('click', () => app.openLikes());
    document.getElementById('btn-refresh-status').addEventListener('click', () => this.loadStatus());
    this.els.newPlaylist.addEventListener('submit', (e) => {
      e.preventDefault();
      this.createPlaylist();
    });
  }

  loadAll() {
    return Promise.all([this.loadStatus(), this.loadSearches(), this.loadPlaylists(), this.loadHistory()]);
  }

  async loadStatus() {
    const box = this.els.status;
    clearTimeout(this.statusTimer);
    try {
      const s = await Api.status();
      const wasEmpty = this.app.libraryEmpty;
      this.app.libraryEmpty = !s.tracks;
      const ix = s.indexing || { available: false, state: 'idle' };
      const running = ix.state === 'running';
      const rows = [
        ['Tracks', s.tracks.toLocaleString()],
        ['Music', `${s.hours.toFixed(1)} h`],
        ['Index', s.index ? `${s.index.type || '—'} · ${s.index.size} × ${s.index.dim}` : '—'],
        ['Embedder', s.embedder],
        ['Search with', searchWith(s.model_packs)],
        ['Scan errors', String(s.scan_errors)],
      ];
      box.replaceChildren(...[
        s.tracks || running ? null : h('p', { class: 'empty-library', role: 'status' },
          'No music indexed yet — run ', h('code', { text: 'audiorium index ~/Music' }),
          ' or start the server with ', h('code', { text: '--music ~/Music' })),
        this.indexingView(ix),
        h('dl', { class: 'facts', id: 'library-facts' }, rows.map(([k, v]) => [h('dt', { text: k }), h('dd', { text: v })])),
        packNotes(s.model_packs),
        s.scan_errors ? h('p', { class: 'hint' }, 'Files that could not be read are listed by ', h('code', { text: 'audiorium info' }), '.') : null,
        h('p', { class: 'hint', text: `Audiorium ${s.version}` })].filter(Boolean));
      this.app.showLibraryState(s);
      // While a scan runs, follow it; new tracks are searchable as soon as they are analysed.
      if (running) this.statusTimer = setTimeout(() => this.loadStatus(), 1500);
      else if (wasEmpty && s.tracks) this.loadAll();
    } catch (e) {
      box.replaceChildren(errorBox(e, 'Status'));
    }
  }

  // The background scan of `audiorium serve --music DIR`: progress while it runs, the last outcome, a rescan button.
  indexingView(ix) {
    if (!ix.available) return null;
    const wrap = h('div', { class: 'indexing', id: 'indexing-status' });
    if (ix.state === 'running') {
      const p = ix.progress || { analysed: 0, to_analyse: 0 };
      const pct = p.to_analyse ? Math.round((100 * p.analysed) / p.to_analyse) : 0;
      wrap.append(
        h('p', { role: 'status', text: p.to_analyse
          ? `Indexing ${p.analysed} of ${p.to_analyse} new files${p.failed ? ` (${p.failed} unreadable)` : ''}…`
          : 'Looking for music…' }),
        h('progress', { max: '100', value: String(pct), 'aria-label': 'Indexing progress' }),
        ix.phase && ix.phase !== 'scanning' ? h('p', { class: 'hint', text: ix.phase }) : null,
        p.current ? h('p', { class: 'hint', text: `${p.current}${p.eta_s > 1 ? ` · about ${Math.ceil(p.eta_s)} s left` : ''}` }) : null,
      );
    } else {
      const r = ix.report;
      const text = ix.state === 'failed' ? `Indexing failed: ${ix.error}`
        : ix.state === 'cancelled' ? 'Indexing stopped; a rescan continues where it ended.'
        : r ? `Last scan: ${r.added} added, ${r.updated} updated, ${r.removed} removed, ${r.failed} unreadable (${r.seconds.toFixed(1)} s).${ix.after_scan ? ` ${ix.after_scan}.` : ''}`
        : 'Not scanned yet.';
      const button = h('button', { class: 'button small', type: 'button', id: 'btn-rescan', text: 'Rescan music folder' });
      button.addEventListener('click', async () => {
        button.disabled = true;
        try {
          await Api.reindex();
        } catch (e) {
          announce(e.message, true);
        }
        this.loadStatus();
      });
      wrap.append(h('p', { class: ix.state === 'failed' ? 'error' : 'hint', text }), button);
    }
    return wrap;
  }

  async loadSearches() {
    const list = this.els.searches;
    try {
      const { searches } = await Api.searches(30);
      // Most recent first; the same prompt twice is shown once.
      const seen = new Set();
      const unique = searches.filter((s) => {
        const key = `${s.kind}:${s.query}`;
        if (seen.has(key)) return false;
        seen.add(key);
        return true;
      }).slice(0, 15);
      if (!unique.length) {
        list.replaceChildren(h('li', { class: 'empty', text: 'No searches yet.' }));
        return;
      }
      list.replaceChildren(...unique.map((s) => h('li', {},
        s.kind === 'text'
          ? h('button', { type: 'button', class: 'link', title: `Search again (${timeAgo(s.at)})`,
                          'aria-label': `Search again: ${s.query}`, onclick: () => this.app.runSearch(s.query) }, s.query)
          : h('span', { class: 'muted', title: 'Photo searches cannot be re-run: the photo is not kept' }, icon('camera'), ' ', s.query,
            h('span', { class: 'visually-hidden', text: ' (photo search)' })))));
    } catch (e) {
      list.replaceChildren(h('li', {}, errorBox(e, 'Search history')));
    }
  }

  async loadPlaylists() {
    const list = this.els.playlists;
    try {
      const { playlists } = await Api.playlists();
      this.playlists = playlists;
      if (!playlists.length) {
        list.replaceChildren(h('li', { class: 'empty', text: 'No playlists yet.' }));
        return;
      }
      list.replaceChildren(...playlists.map((p) => h('li', {},
        h('button', { type: 'button', class: 'link', 'aria-label': `Open playlist ${p.name} (${p.track_count} tracks)`,
                      onclick: () => this.app.openPlaylist(p.id) },
          p.name, h('span', { class: 'count', 'aria-hidden': 'true', text: String(p.track_count) })))));
    } catch (e) {
      list.replaceChildren(h('li', {}, errorBox(e, 'Playlists')));
    }
  }

  async createPlaylist(trackIds = []) {
    const name = this.els.newPlaylistName.value.trim();
    this.els.newPlaylistError.replaceChildren();
    if (!name) {
      this.els.newPlaylistError.append(errorBox(new Error('Give the playlist a name.'), 'New playlist'));
      this.els.newPlaylistName.focus();
      return;
    }
    try {
      const p = await Api.createPlaylist(name, trackIds);
      this.els.newPlaylistName.value = '';
      announce(`Created playlist “${p.name}”.`);
      await this.loadPlaylists();
    } catch (e) {
      this.els.newPlaylistError.append(errorBox(e, 'New playlist'));
    }
  }

  async loadHistory() {
    const list = this.els.history;
    try {
      const { history } = await Api.history(15);
      const items = history.filter((e) => e.track);
      if (!items.length) {
        list.replaceChildren(h('li', { class: 'empty', text: 'Nothing played yet.' }));
        return;
      }
      list.replaceChildren(...items.map((e) => h('li', {},
        h('button', { type: 'button', class: 'link', title: `Played ${timeAgo(e.played_at)}`,
                      'aria-label': `Play ${e.track.title} again and start a queue from it`,
                      onclick: () => this.app.player.playFrom(e.track) },
          e.track.title, h('span', { class: 'count', text: timeAgo(e.played_at) })))));
    } catch (e) {
      list.replaceChildren(h('li', {}, errorBox(e, 'Recently played')));
    }
  }

  historyChanged() { this.loadHistory(); }

  setLikesCount(n) { this.els.likesCount.textContent = n ? String(n) : ''; }
}
