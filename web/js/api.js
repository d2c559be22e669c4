// The JSON API of `audiorium serve` (src/server/server.cpp). Every failure becomes an ApiError carrying the
// server's own message ({"error": {"code", "message"}}) so the page can show it to the user.

export class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
  }
}

export async function api(path, { method = 'GET', json, form } = {}) {
  const init = { method, headers: { Accept: 'application/json' } };
  if (json !== undefined) {
    init.headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(json);
  } else if (form) {
    init.body = form;
  }
  let res;
  try {
    res = await fetch(path, init);
  } catch (e) {
    throw new ApiError(0, `Cannot reach the Audiorium server (${e.message}). Is \`audiorium serve\` still running?`);
  }
  const text = await res.text();
  let data = null;
  if (text) {
    try {
      data = JSON.parse(text);
    } catch {
      throw new ApiError(res.status, res.ok ? `The server sent something that is not JSON for ${path}`
                                            : `${res.status} ${text.slice(0, 300)}`);
    }
  }
  if (!res.ok) {
    const message = data && data.error && data.error.message ? data.error.message : `HTTP ${res.status} for ${path}`;
    throw new ApiError(data && data.error && data.error.code ? data.error.code : res.status, message);
  }
  return data;
}

const q = (params) => {
  const s = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null) s.set(k, String(v));
  const str = s.toString();
  return str ? `?${str}` : '';
};

export const Api = {
  status: () => api('/api/status'),
  reindex: () => api('/api/index', { method: 'POST' }),
  track: (id) => api(`/api/tracks/${id}`),
  search: (text, k = 10) => api(`/api/search${q({ q: text, k })}`),
  searchImage: (file) => {
    const form = new FormData();
    form.append('image', file, file.name || 'photo');
    return api('/api/search/image', { method: 'POST', form });
  },
  searches: (limit = 30) => api(`/api/searches${q({ limit })}`),
  similar: (id, k = 10) => api(`/api/similar/${id}${q({ k })}`),
  queue: (id, length = 20) => api(`/api/queue/${id}${q({ length })}`),
  map: () => api('/api/map'),
  journey: (from, to, steps = 10) => api(`/api/journey${q({ from, to, steps })}`),
  streamUrl: (id) => `/api/stream/${id}`,
  history: (limit = 30) => api(`/api/history${q({ limit })}`),
  addHistory: (trackId) => api('/api/history', { method: 'POST', json: { track_id: trackId, source: 'web' } }),
  likes: () => api('/api/likes'),
  like: (id, on) => api(`/api/likes/${id}`, { method: on ? 'PUT' : 'DELETE' }),
  playlists: () => api('/api/playlists'),
  playlist: (id) => api(`/api/playlists/${id}`),
  createPlaylist: (name, trackIds = []) => api('/api/playlists', { method: 'POST', json: { name, track_ids: trackIds } }),
  updatePlaylist: (id, body) => api(`/api/playlists/${id}`, { method: 'PUT', json: body }),
  deletePlaylist: (id) => api(`/api/playlists/${id}`, { method: 'DELETE' }),
  m3uUrl: (id) => `/api/playlists/${id}.m3u`,
};
