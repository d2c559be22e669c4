// Inline SVG icons (no icon font, no emoji font needed). The markup below is constant, never user data.

const PATHS = {
  play: '<path fill="currentColor" d="M8 5v14l11-7z"/>',
  pause: '<path fill="currentColor" d="M6 5h4v14H6zM14 5h4v14h-4z"/>',
  prev: '<path fill="currentColor" d="M6 6h2v12H6zm3.5 6 8.5 6V6z"/>',
  next: '<path fill="currentColor" d="M16 6h2v12h-2zM6 18l8.5-6L6 6z"/>',
  volume: '<path fill="currentColor" d="M3 9v6h4l5 5V4L7 9z"/><path fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" d="M15.5 8.5a5 5 0 0 1 0 7M18.5 5.5a9 9 0 0 1 0 13"/>',
  mute: '<path fill="currentColor" d="M3 9v6h4l5 5V4L7 9z"/><path fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" d="M16 9l6 6M22 9l-6 6"/>',
  camera: '<path fill="none" stroke="currentColor" stroke-width="2" stroke-linejoin="round" d="M3 8h4l2-3h6l2 3h4v11H3z"/><circle cx="12" cy="13" r="3.5" fill="none" stroke="currentColor" stroke-width="2"/>',
  plus: '<path fill="none" stroke="currentColor" stroke-width="2.2" stroke-linecap="round" d="M12 5v14M5 12h14"/>',
  send: '<path fill="currentColor" d="M3 20l18-8L3 4v6l12 2-12 2z"/>',
  menu: '<path fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" d="M4 6h16M4 12h16M4 18h16"/>',
  queue: '<path fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" d="M4 6h12M4 12h12M4 18h7"/><path fill="currentColor" d="M15 14v7l6-3.5z"/>',
};

export function icon(name) {
  const svg = document.createElementNS('http://www.w3.org/2000/svg', 'svg');
  svg.setAttribute('viewBox', '0 0 24 24');
  svg.setAttribute('width', '1em');
  svg.setAttribute('height', '1em');
  svg.setAttribute('aria-hidden', 'true');
  svg.setAttribute('focusable', 'false');
  svg.classList.add('svg-icon');
  svg.innerHTML = PATHS[name] || '';
  return svg;
}

// Fills every <span data-icon="name"> of the static page.
export function fillIcons(root = document) {
  for (const el of root.querySelectorAll('[data-icon]')) el.replaceChildren(icon(el.dataset.icon));
}

export function setIcon(el, name) {
  el.replaceChildren(icon(name));
}
