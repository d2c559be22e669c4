// Small DOM helpers: h() builds elements (text is always set as text, never parsed as HTML).

export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key === 'class') el.className = value;
    else if (key === 'text') el.textContent = value;
    else if (key === 'dataset') Object.assign(el.dataset, value);
    else if (key.startsWith('on') && typeof value === 'function') el.addEventListener(key.slice(2), value);
    else if (value === true) el.setAttribute(key, '');
    else el.setAttribute(key, String(value));
  }
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

export function formatTime(seconds) {
  if (!Number.isFinite(seconds) || seconds < 0) return '0:00';
  const s = Math.floor(seconds);
  const hours = Math.floor(s / 3600);
  const mins = Math.floor((s % 3600) / 60);
  const secs = String(s % 60).padStart(2, '0');
  return hours ? `${hours}:${String(mins).padStart(2, '0')}:${secs}` : `${mins}:${secs}`;
}

export function artistAlbum(t) {
  return [t.artist, t.album].filter(Boolean).join(' — ') || 'Unknown artist';
}

// An inline error the user sees (role=alert so screen readers hear it too).
export function errorBox(err, context) {
  const message = err && err.message ? err.message : String(err);
  return h('p', { class: 'error', role: 'alert' }, h('strong', { text: context ? `${context}: ` : 'Error: ' }), message);
}

// Polite announcements for actions that change nothing visible nearby ("Added to playlist …").
export function announce(message, isError = false) {
  const region = document.getElementById('announce');
  if (!region) return;
  region.textContent = '';
  region.classList.toggle('is-error', isError);
  region.classList.add('is-visible');
  // A fresh text node so the same message twice is still announced.
  requestAnimationFrame(() => { region.textContent = message; });
  clearTimeout(announce.timer);
  announce.timer = setTimeout(() => region.classList.remove('is-visible'), isError ? 8000 : 3500);
}

export function timeAgo(unixSeconds) {
  if (!unixSeconds) return '';
  const d = Date.now() / 1000 - unixSeconds;
  if (d < 60) return 'just now';
  if (d < 3600) return `${Math.floor(d / 60)} min ago`;
  if (d < 86400) return `${Math.floor(d / 3600)} h ago`;
  return new Date(unixSeconds * 1000).toLocaleDateString();
}

export function isTypingTarget(el) {
  if (!el) return false;
  const tag = el.tagName;
  return tag === 'INPUT' || tag === 'TEXTAREA' || tag === 'SELECT' || tag === 'BUTTON' || tag === 'A' ||
         el.isContentEditable || tag === 'SUMMARY';
}
