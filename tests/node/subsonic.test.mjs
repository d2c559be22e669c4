// The Subsonic API (/rest, src/server/subsonic.cpp) driven by a real third-party client, the npm package
// `subsonic-api` (token auth t = md5(password + salt) with a fresh salt per request, f=json), against a running
// `audiorium serve --user --password` on a library generated at test time. What the client cannot do (p= and
// p=enc: auth, XML, Range headers) goes through plain fetch or the client's own `fetch` hook.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import SubsonicAPI from 'subsonic-api';
import { startServer } from './support/server.mjs';

const USER = 'tester';
const PASSWORD = 'sesame & co'; // spaces and & exercise the encoding of p=

describe('Subsonic API through the subsonic-api client', { timeout: 240000 }, () => {
  let server;
  let api;
  let songs; // every song, from the albums: {id, title, artist, album, path (on disk)}
  const byTitle = (title) => songs.find((s) => s.title === title);

  const client = (options = {}) => new SubsonicAPI({ url: server.url, auth: { username: USER, password: PASSWORD }, ...options });
  const ok = (r) => {
    assert.equal(r.status, 'ok', `Subsonic failure: ${JSON.stringify(r.error)}`);
    return r;
  };
  const failed = (r, code) => {
    assert.equal(r.status, 'failed', `expected error ${code}, got ${JSON.stringify(r)}`);
    assert.equal(r.error.code, code, `expected error ${code}: ${JSON.stringify(r.error)}`);
    assert.ok(r.error.message && r.error.message.length > 0, 'errors carry a message');
  };
  // A raw /rest request with explicit parameters (no client involved).
  const raw = (method, params) => fetch(`${server.url}/rest/${method}?${new URLSearchParams({ v: '1.16.1', c: 'node-test', ...params })}`);

  before(async () => {
    server = await startServer({ user: USER, password: PASSWORD });
    api = client();
    // Map the catalog's songs to the files the test made (titles are unique in the generated library).
    const { artists } = ok(await api.getArtists());
    songs = [];
    for (const index of artists.index) {
      for (const ar of index.artist) {
        const { artist } = ok(await api.getArtist({ id: ar.id }));
        for (const al of artist.album) {
          const { album } = ok(await api.getAlbum({ id: al.id }));
          for (const s of album.song) songs.push({ ...s, file: server.tracks.find((t) => t.title === s.title)?.path });
        }
      }
    }
  });

  after(async () => {
    if (server) await server.stop();
  });

  test('ping, getLicense and getMusicFolders answer as an OpenSubsonic server', async () => {
    const ping = ok(await api.ping());
    assert.equal(ping.version, '1.16.1');
    assert.equal(ping.openSubsonic, true);
    assert.equal(ping.type, 'audiorium');
    assert.ok(ping.serverVersion);
    assert.equal(ok(await api.getLicense()).license.valid, true);
    const { musicFolders } = ok(await api.getMusicFolders());
    assert.deepEqual(musicFolders.musicFolder.map((f) => String(f.id)), ['1']);
  });

  test('getOpenSubsonicExtensions lists formPost and sonicSimilarity, without authentication too', async () => {
    const { openSubsonicExtensions } = ok(await api.getOpenSubsonicExtensions());
    const names = openSubsonicExtensions.map((e) => e.name).sort();
    assert.deepEqual(names, ['formPost', 'sonicSimilarity']);
    const anonymous = await (await raw('getOpenSubsonicExtensions', { f: 'json' })).json();
    assert.equal(anonymous['subsonic-response'].status, 'ok');
  });

  test('getArtists, getArtist and getAlbum browse the tags of the generated library', async () => {
    const { artists } = ok(await api.getArtists());
    const names = artists.index.flatMap((i) => i.artist.map((a) => a.name)).sort();
    assert.deepEqual(names, ['Beat Unit', 'Drone Collective', 'Noise Field', 'Unknown artist']);
    const drone = artists.index.flatMap((i) => i.artist).find((a) => a.name === 'Drone Collective');
    assert.match(drone.id, /^ar-[0-9a-f]{12}$/);
    const { artist } = ok(await api.getArtist({ id: drone.id }));
    assert.equal(artist.name, 'Drone Collective');
    assert.deepEqual(artist.album.map((a) => a.name), ['Low Hours']);
    const { album } = ok(await api.getAlbum({ id: artist.album[0].id }));
    assert.equal(album.name, 'Low Hours');
    assert.equal(album.songCount, 3);
    assert.deepEqual(album.song.map((s) => s.title), ['Dark Drone 1', 'Dark Drone 2', 'Dark Drone 3']);
    assert.deepEqual(album.song.map((s) => s.track), [1, 2, 3]);
    for (const s of album.song) {
      assert.equal(s.suffix, 'flac');
      assert.equal(s.genre, 'ambient');
      assert.ok(Math.abs(s.duration - 10) <= 1, `duration ${s.duration}`);
      assert.ok(!s.path.startsWith('/'), 'paths are relative, never absolute');
    }
    // The untagged WAV: "Unknown artist", album named after its folder.
    const untagged = songs.find((s) => s.title === 'untagged-tone');
    assert.ok(untagged, 'the untagged track is listed');
    assert.equal(untagged.artist, 'Unknown artist');
    assert.equal(untagged.album, 'loose');
    assert.equal(songs.length, server.tracks.length);
  });

  test('getSong returns one song; search3 finds artists, albums and songs', async () => {
    const d2 = byTitle('Dark Drone 2');
    const { song } = ok(await api.getSong({ id: d2.id }));
    assert.equal(song.title, 'Dark Drone 2');
    assert.equal(song.artist, 'Drone Collective');
    assert.equal(song.album, 'Low Hours');
    assert.equal(song.size, statSync(d2.file).size);
    // "created" is the file's modification time as a real date (the files were written moments ago).
    const mtime = statSync(d2.file).mtimeMs;
    assert.ok(Math.abs(new Date(song.created).getTime() - mtime) < 5000, `created ${song.created}, file written ${new Date(mtime).toISOString()}`);
    const { album } = ok(await api.getAlbum({ id: song.albumId }));
    assert.ok(Math.abs(new Date(album.created).getTime() - mtime) < 60000, `album created ${album.created}`);

    const { searchResult3: r } = ok(await api.search3({ query: 'drone' }));
    assert.deepEqual(r.artist.map((a) => a.name), ['Drone Collective']);
    assert.equal(r.song.length, 3);
    assert.ok(r.song.every((s) => s.title.startsWith('Dark Drone')));
    const { searchResult3: clicks } = ok(await api.search3({ query: 'click works', songCount: 2 }));
    assert.deepEqual(clicks.album.map((a) => a.name), ['Click Works']);
    assert.equal(clicks.song.length, 2, 'songCount limits the songs');
    const { searchResult3: none } = ok(await api.search3({ query: 'no such words anywhere' }));
    assert.equal((none.song || []).length, 0);
  });

  test('stream sends the file; a Range request gets 206 with exactly those bytes', async () => {
    const d1 = byTitle('Dark Drone 1');
    const file = readFileSync(d1.file);
    const res = await api.stream({ id: d1.id });
    assert.equal(res.status, 200);
    const body = Buffer.from(await res.arrayBuffer());
    assert.equal(body.length, file.length);
    assert.ok(body.equals(file), 'the streamed bytes are the file');
    assert.equal(body.subarray(0, 4).toString('latin1'), 'fLaC');

    // The client's fetch hook adds the Range header (the library has no option for it).
    const ranged = client({ fetch: (url, init) => fetch(url, { ...init, headers: { ...(init && init.headers), Range: 'bytes=100-1099' } }) });
    const part = await ranged.stream({ id: d1.id });
    assert.equal(part.status, 206);
    assert.equal(part.headers.get('content-range'), `bytes 100-1099/${file.length}`);
    const partBody = Buffer.from(await part.arrayBuffer());
    assert.ok(partBody.equals(file.subarray(100, 1100)), 'the ranged bytes are the file\'s');

    const tail = await client({ fetch: (url, init) => fetch(url, { ...init, headers: { Range: 'bytes=-10' } }) }).stream({ id: d1.id });
    assert.equal(tail.status, 206);
    assert.ok(Buffer.from(await tail.arrayBuffer()).equals(file.subarray(file.length - 10)));

    const beyond = await client({ fetch: (url, init) => fetch(url, { ...init, headers: { Range: `bytes=${file.length + 10}-` } }) }).stream({ id: d1.id });
    assert.equal(beyond.status, 416);
    await beyond.arrayBuffer();
  });

  test('getCoverArt answers an image for a song, an album and an artist', async () => {
    const d1 = byTitle('Dark Drone 1');
    for (const id of [d1.id, d1.albumId, d1.artistId]) {
      const res = await api.getCoverArt({ id, size: 64 });
      assert.equal(res.status, 200);
      assert.match(res.headers.get('content-type'), /^image\//);
      const bytes = Buffer.from(await res.arrayBuffer());
      assert.ok(bytes.length > 50);
      assert.deepEqual([...bytes.subarray(0, 4)], [0x89, 0x50, 0x4e, 0x47], 'a PNG placeholder (the files have no art)');
    }
  });

  test('getRandomSongs draws distinct songs and filters by genre', async () => {
    const { randomSongs } = ok(await api.getRandomSongs({ size: 5 }));
    assert.equal(randomSongs.song.length, 5);
    assert.equal(new Set(randomSongs.song.map((s) => s.id)).size, 5);
    const { randomSongs: ambient } = ok(await api.getRandomSongs({ size: 10, genre: 'ambient' }));
    assert.deepEqual(ambient.song.map((s) => s.title).sort(), ['Dark Drone 1', 'Dark Drone 2', 'Dark Drone 3']);
  });

  test('getSimilarSongs and getSimilarSongs2 recommend other songs, never the seed', async () => {
    const d1 = byTitle('Dark Drone 1');
    const ids = new Set(songs.map((s) => s.id));
    const { similarSongs } = ok(await api.getSimilarSongs({ id: d1.id, count: 4 }));
    assert.ok(similarSongs.song.length >= 1 && similarSongs.song.length <= 4);
    assert.ok(similarSongs.song.every((s) => s.id !== d1.id && ids.has(s.id)));
    const { similarSongs2 } = ok(await api.getSimilarSongs2({ id: d1.id, count: 4 }));
    assert.ok(similarSongs2.song.length >= 1 && similarSongs2.song.length <= 4);
    assert.ok(similarSongs2.song.every((s) => s.id !== d1.id && ids.has(s.id)));
    // An album as the seed: songs from outside it.
    const { similarSongs2: fromAlbum } = ok(await api.getSimilarSongs2({ id: d1.albumId, count: 3 }));
    assert.ok(fromAlbum.song.length >= 1);
    assert.ok(fromAlbum.song.every((s) => s.album !== 'Low Hours'));
  });

  test('sonicSimilarity: getSonicSimilarTracks ranks by sound, findSonicPath walks from A to B', async () => {
    const d1 = byTitle('Dark Drone 1');
    const b1 = byTitle('Fast Clicks 1');
    const r = ok(await api.customJSON('getSonicSimilarTracks', { id: d1.id, count: 2 }));
    const matches = r.sonicSimilarTracks.sonicMatch;
    assert.equal(matches.length, 2);
    for (const m of matches) {
      assert.notEqual(m.entry.id, d1.id);
      assert.ok(m.similarity >= 0 && m.similarity <= 1 && Math.abs(m.similarity + m.distance - 1) < 1e-9);
    }
    assert.ok(matches[0].similarity >= matches[1].similarity, 'best first');
    // The two nearest to a drone are the other drones: the generated styles are far apart in sound.
    assert.deepEqual(matches.map((m) => m.entry.title).sort(), ['Dark Drone 2', 'Dark Drone 3']);

    const path = ok(await api.customJSON('findSonicPath', { startSongId: d1.id, endSongId: b1.id, count: 5 }));
    const steps = path.sonicPath.sonicMatch.map((m) => m.entry.id);
    assert.ok(steps.length >= 2 && steps.length <= 5, `path of ${steps.length}`);
    assert.equal(steps[0], d1.id);
    assert.equal(steps[steps.length - 1], b1.id);
    assert.equal(new Set(steps).size, steps.length, 'no song twice');
    failed(await api.customJSON('findSonicPath', { startSongId: d1.id }), 10);
  });

  test('playlists: create, get, update (rename, add, remove), delete', async () => {
    const [a, b, c] = ['Dark Drone 1', 'Noise Wash 2', 'Fast Clicks 3'].map((t) => byTitle(t).id);
    const created = ok(await api.createPlaylist({ name: 'Client mix', songId: [a, b] }));
    const id = created.playlist.id;
    assert.equal(created.playlist.songCount, 2);
    const { playlists } = ok(await api.getPlaylists());
    assert.ok(playlists.playlist.some((p) => p.id === id && p.name === 'Client mix' && p.owner === USER));
    const got = ok(await api.getPlaylist({ id }));
    assert.deepEqual(got.playlist.entry.map((s) => s.id), [a, b]);

    ok(await api.updatePlaylist({ playlistId: id, name: 'Client mix 2', songIdToAdd: [c], songIndexToRemove: [0] }));
    const updated = ok(await api.getPlaylist({ id }));
    assert.equal(updated.playlist.name, 'Client mix 2');
    assert.deepEqual(updated.playlist.entry.map((s) => s.id), [b, c]);
    // The same playlist through the page's JSON API.
    const viaApi = await (await fetch(`${server.url}/api/playlists/${id}`)).json();
    assert.equal(viaApi.name, 'Client mix 2');
    assert.deepEqual(viaApi.tracks.map((t) => String(t.id)), [b, c]);

    ok(await api.deletePlaylist({ id }));
    failed(await api.getPlaylist({ id }), 70);
    failed(await api.deletePlaylist({ id }), 70);
  });

  test('scrobble records a play that /api/history shows; submission=false records nothing', async () => {
    const n2 = byTitle('Noise Wash 2');
    const before = (await (await fetch(`${server.url}/api/history?limit=100`)).json()).history.length;
    ok(await api.scrobble({ id: n2.id, submission: false }));
    let { history } = await (await fetch(`${server.url}/api/history?limit=100`)).json();
    assert.equal(history.length, before, 'a now-playing notification is not a play');
    ok(await api.scrobble({ id: n2.id }));
    ({ history } = await (await fetch(`${server.url}/api/history?limit=100`)).json());
    assert.equal(history.length, before + 1);
    assert.equal(String(history[0].track.id), n2.id);
    assert.equal(history[0].track.title, 'Noise Wash 2');
    assert.equal(history[0].source, 'subsonic');
  });

  test('errors: wrong password is 40, a missing parameter 10, an unknown id 70', async () => {
    const wrong = new SubsonicAPI({ url: server.url, auth: { username: USER, password: 'wrong' } });
    failed(await wrong.ping(), 40);
    failed(await new SubsonicAPI({ url: server.url, auth: { username: 'nobody', password: PASSWORD } }).ping(), 40);
    failed(await api.getSong({}), 10);
    failed(await api.getAlbum({}), 10);
    failed(await api.getSong({ id: '999999' }), 70);
    failed(await api.getAlbum({ id: 'al-000000000000' }), 70);
    failed(await api.getArtist({ id: 'ar-000000000000' }), 70);
    failed(await api.getPlaylist({ id: '424242' }), 70);
    failed(await api.customJSON('getSonicSimilarTracks', { id: '999999' }), 70);
  });

  test('formPost: the client\'s POST mode works', async () => {
    const poster = client({ post: true });
    ok(await poster.ping());
    const { searchResult3 } = ok(await poster.search3({ query: 'noise wash' }));
    assert.equal(searchResult3.song.length, 3);
  });

  test('p= (clear and enc:hex) authentication, and token auth by hand', async () => {
    const hex = Buffer.from(PASSWORD, 'utf8').toString('hex');
    const json = async (params) => (await (await raw('ping', { f: 'json', ...params })).json())['subsonic-response'];
    assert.equal((await json({ u: USER, p: `enc:${hex}` })).status, 'ok');
    assert.equal((await json({ u: USER, p: `enc:${hex.toUpperCase()}` })).status, 'ok');
    assert.equal((await json({ u: USER, p: PASSWORD })).status, 'ok');
    assert.equal((await json({ u: USER, p: 'enc:' + Buffer.from('wrong').toString('hex') })).error.code, 40);
    const salt = 'c0ffee42';
    const t = createHash('md5').update(PASSWORD + salt).digest('hex');
    assert.equal((await json({ u: USER, t, s: salt })).status, 'ok');
    assert.equal((await json({ u: USER, t })).error.code, 10, 'a token without its salt');
    assert.equal((await json({ u: USER })).error.code, 10, 'no credentials at all');
    assert.equal((await json({})).error.code, 10, 'no user');
  });

  test('XML (the default format) for answers and errors', async () => {
    const d3 = byTitle('Dark Drone 3');
    const auth = { u: USER, p: `enc:${Buffer.from(PASSWORD).toString('hex')}` };
    const res = await raw('getSong', { ...auth, id: d3.id });
    assert.match(res.headers.get('content-type'), /xml/);
    const xml = await res.text();
    assert.match(xml, /^<\?xml version="1\.0" encoding="UTF-8"\?>/);
    const root = /<subsonic-response [^>]*>/.exec(xml)[0];
    for (const attr of ['xmlns="http://subsonic.org/restapi"', 'status="ok"', 'version="1.16.1"', 'openSubsonic="true"']) {
      assert.ok(root.includes(attr), `${root} has ${attr}`);
    }
    assert.match(xml, new RegExp(`<song [^>]*id="${d3.id}"[^>]*/?>`));
    assert.match(xml, /title="Dark Drone 3"/);
    assert.match(xml, /artist="Drone Collective"/);

    const albums = await (await raw('getArtists', auth)).text();
    assert.equal((albums.match(/<artist /g) || []).length, 4);

    const err = await (await raw('getSong', { u: USER, p: 'wrong' })).text();
    assert.match(err, /status="failed"/);
    assert.match(err, /<error [^>]*code="40"/);
    const missing = await (await raw('getSong', auth)).text();
    assert.match(missing, /<error [^>]*code="10"/);
    const unknown = await (await raw('getSong', { ...auth, id: '999999' })).text();
    assert.match(unknown, /<error [^>]*code="70"/);
  });
});
