// Result rows and the "messages" of the conversation (one per search, photo, similar list or collection).

import { h, formatTime, artistAlbum, errorBox } from './dom.js';
import { icon } from './icons.js';

let messageCounter = 0;

// One track row with its actions. `opts.extra` adds buttons (e.g. remove from a playlist);
// `opts.onPlay` replaces the default (start the automatic queue from this track).
export function trackRow(app, t, opts = {}) {
  const label = `“${t.title}”`;
  const score = typeof t.score === 'number' ? h('span', { class: 'score', title: 'Match score (0–1)',
    'aria-label': `score ${t.score.toFixed(2)}` }, t.score.toFixed(2)) : null;
  const like = h('button', { type: 'button', class: 'icon like' });
  app.renderLikeButton(like, t);
  like.addEventListener('click', () => app.toggleLike(t));
  const reasons = t.summary ? h('p', { class: 'reasons', text: t.summary }) : null;
  return h('li', { class: 'track', dataset: { trackId: String(t.id) } },
    h('button', { type: 'button', class: 'play', 'aria-label': `Play ${label}${opts.onPlay ? '' : ' and start a queue from it'}`,
                  title: 'Play', onclick: () => (opts.onPlay ? opts.onPlay(t) : app.player.playFrom(t)) }, icon('play')),
    h('div', { class: 'track-main' },
      h('p', { class: 'track-title' }, t.rank ? h('span', { class: 'rank', text: `${t.rank}.` }) : null,
        h('span', { text: t.title }), score),
      h('p', { class: 'track-meta' }, artistAlbum(t), t.duration_s ? ` · ${formatTime(t.duration_s)}` : ''),
      reasons),
    h('div', { class: 'track-actions' },
      h('button', { type: 'button', class: 'icon', 'aria-label': `More like ${label}`, title: 'More like this',
                    onclick: () => app.showSimilar(t), text: '≈' }),
      h('button', { type: 'button', class: 'icon', 'aria-label': `Journey from or to ${label}`,
                    title: 'Journey: the first ⇝ picks where it starts, the next where it ends', text: '⇝',
                    onclick: () => app.journeyButton(t) }),
      h('button', { type: 'button', class: 'icon', 'aria-label': `Add ${label} to a playlist`, title: 'Add to playlist',
                    onclick: (e) => app.addToPlaylist(t, e.currentTarget) }, icon('plus')),
      like,
      ...(opts.extra ? opts.extra(t) : [])));
}

export function trackList(app, tracks, opts = {}) {
  if (!tracks.length) return h('p', { class: 'empty', text: opts.emptyText || 'No tracks.' });
  return h('ol', { class: 'tracks' }, tracks.map((t) => trackRow(app, t, opts)));
}

// A message: the user's side (a prompt, a photo) and the answer, which starts as "working…".
export function createMessage(conversation, { kind, promptNodes, label }) {
  const id = `msg-${++messageCounter}`;
  const answer = h('div', { class: 'answer', 'aria-live': 'polite', 'aria-busy': 'true' },
    h('p', { class: 'working' }, h('span', { class: 'spinner', 'aria-hidden': 'true' }), 'Listening through the library…'));
  const article = h('article', { class: `message message-${kind}`, 'aria-labelledby': `${id}-label` },
    h('div', { class: 'prompt' }, h('h2', { id: `${id}-label`, class: 'visually-hidden', text: label }), promptNodes),
    answer);
  const empty = conversation.querySelector('.welcome');
  if (empty) empty.hidden = true;
  conversation.append(article);
  article.scrollIntoView({ behavior: 'smooth', block: 'start' });
  return {
    article,
    done(...nodes) {
      answer.setAttribute('aria-busy', 'false');
      answer.replaceChildren(...nodes.flat().filter(Boolean));
    },
    fail(err, context) {
      answer.setAttribute('aria-busy', 'false');
      answer.replaceChildren(errorBox(err, context));
    },
  };
}

// "Understood / ignored / notes" of a search answer.
export function understanding(data) {
  const rows = [];
  if (data.mood && data.mood.words && data.mood.words.length) {
    rows.push(h('p', { class: 'understood' }, h('span', { class: 'label', text: 'Photo mood:' }),
      data.mood.words.map((w) => h('span', { class: 'chip chip-mood', text: w }))));
  }
  if (data.understood && data.understood.length) {
    rows.push(h('p', { class: 'understood' }, h('span', { class: 'label', text: 'Understood:' }),
      data.understood.map((w) => h('span', { class: 'chip chip-ok', text: w }))));
  }
  if (data.ignored && data.ignored.length) {
    rows.push(h('p', { class: 'understood' }, h('span', { class: 'label', text: 'Ignored (unknown words):' }),
      data.ignored.map((w) => h('span', { class: 'chip chip-ignored', text: w }))));
  }
  for (const note of data.notes || []) rows.push(h('p', { class: 'note', text: note }));
  if (!rows.length && data.query !== undefined) {
    rows.push(h('p', { class: 'note', text: 'No words of this prompt were understood; the results are a random draw.' }));
  }
  return rows;
}
