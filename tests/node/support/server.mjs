// Test harness: makes a library in a temporary folder, indexes it with `audiorium index`, starts
// `audiorium serve --port 0` on it, reads the port it printed, waits until /api/status answers, and stops the
// server (and removes the folder) at the end — on failure too (stop() is idempotent and also runs at exit).
//
// Environment: AUDIORIUM_BIN (the binary; CTest passes it), AUDIORIUM_WEB (the web root; default: the source
// tree's web/), AUDIORIUM_SCREENSHOTS (where the browser tests save screenshots).

import { spawn, execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { makeLibrary } from './library.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
export const sourceRoot = path.resolve(here, '..', '..', '..');

export function audioriumBin() {
  const bin = process.env.AUDIORIUM_BIN || path.join(sourceRoot, 'build', 'audiorium');
  if (!existsSync(bin)) throw new Error(`audiorium binary not found at ${bin} (set AUDIORIUM_BIN; CTest does)`);
  return bin;
}

export function webRoot() {
  return process.env.AUDIORIUM_WEB || path.join(sourceRoot, 'web');
}

const live = new Set();
process.on('exit', () => {
  for (const child of live) {
    try { child.kill('SIGKILL'); } catch { /* already gone */ }
  }
});

// Starts a server on a fresh library. Options: user/password (Subsonic), perStyle, seconds.
export async function startServer({ user, password, perStyle = 3, seconds = 10 } = {}) {
  const bin = audioriumBin();
  const root = mkdtempSync(path.join(os.tmpdir(), 'audiorium-node-test-'));
  const musicDir = path.join(root, 'music');
  const dataDir = path.join(root, 'data');
  let child = null;
  let stopped = false;

  const stop = async () => {
    if (stopped) return;
    stopped = true;
    if (child && child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    }
    if (child) live.delete(child);
    rmSync(root, { recursive: true, force: true });
  };

  try {
    const tracks = makeLibrary(musicDir, { perStyle, seconds });
    execFileSync(bin, ['--data', dataDir, 'index', musicDir, '--jobs', '2'], { stdio: ['ignore', 'pipe', 'pipe'] });

    const args = ['--data', dataDir, 'serve', '--port', '0', '--web', webRoot()];
    if (user) args.push('--user', user, '--password', password);
    child = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, AUDIORIUM_USER: '', AUDIORIUM_PASSWORD: '' } });
    live.add(child);
    let output = '';
    child.stderr.on('data', (d) => { output += d; });
    const port = await new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`audiorium serve printed no port within 30 s:\n${output}`)), 30000);
      child.stdout.on('data', (d) => {
        output += d;
        const m = /listening on http:\/\/[^:\s]+:(\d+)\//.exec(output);
        if (m) { clearTimeout(timer); resolve(Number(m[1])); }
      });
      child.once('exit', (code, sig) => { clearTimeout(timer); reject(new Error(`audiorium serve exited (${code ?? sig}):\n${output}`)); });
    });
    const url = `http://127.0.0.1:${port}`;
    const deadline = Date.now() + 30000;
    for (;;) {
      try {
        const res = await fetch(`${url}/api/status`);
        if (res.ok) {
          const status = await res.json();
          if (status.tracks !== tracks.length) {
            throw new Error(`the index holds ${status.tracks} tracks, the library ${tracks.length}`);
          }
          break;
        }
      } catch (e) {
        if (e.message.startsWith('the index holds') || Date.now() > deadline) throw e;
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    return { url, port, root, musicDir, dataDir, tracks, stop, output: () => output };
  } catch (e) {
    await stop();
    throw e;
  }
}

// The catalog's tracks, as the JSON API lists them.
export async function apiTracks(url) {
  const res = await fetch(`${url}/api/tracks?limit=500`);
  const body = await res.json();
  return body.tracks || body.results || body;
}
