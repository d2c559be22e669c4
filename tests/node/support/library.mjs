// A small music library made at test time, like tests/support/generated_library.cpp: three styles whose members
// share their sound (slow minor drones, fast click tracks over a bright tone, filtered noise washes), tagged with
// artist / album / title / genre through the ffmpeg command (FLAC), plus one untagged WAV in a folder of its own.
// No audio is committed.

import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync, rmSync } from 'node:fs';
import path from 'node:path';

const SR = 22050;

// A deterministic PRNG (mulberry32) so every run makes the same library.
function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (((t ^ (t >>> 14)) >>> 0) / 4294967296) * 2 - 1;
  };
}

const midiHz = (note) => 440 * 2 ** ((note - 69) / 12);

function chord(notes, seconds, amplitude) {
  const out = new Float32Array(Math.floor(seconds * SR));
  for (const note of notes) {
    const w = (2 * Math.PI * midiHz(note)) / SR;
    for (let i = 0; i < out.length; i++) out[i] += amplitude * Math.sin(w * i);
  }
  return out;
}

function sine(hz, seconds, amplitude) {
  const out = new Float32Array(Math.floor(seconds * SR));
  const w = (2 * Math.PI * hz) / SR;
  for (let i = 0; i < out.length; i++) out[i] = amplitude * Math.sin(w * i);
  return out;
}

function noise(seconds, amplitude, seed) {
  const r = rng(seed);
  const out = new Float32Array(Math.floor(seconds * SR));
  for (let i = 0; i < out.length; i++) out[i] = amplitude * r();
  return out;
}

function clicks(bpm, seconds, amplitude, seed) {
  const r = rng(seed);
  const out = new Float32Array(Math.floor(seconds * SR));
  const period = (60 / bpm) * SR;
  const burst = Math.floor(0.02 * SR);
  for (let t = 0; t < out.length; t += period) {
    const start = Math.floor(t);
    for (let j = 0; j < burst && start + j < out.length; j++) out[start + j] = amplitude * Math.exp(-j / (0.004 * SR)) * r();
  }
  return out;
}

const mix = (a, b) => a.map((v, i) => v + b[i]);

// 16-bit PCM mono WAV.
export function wavBytes(samples, sampleRate = SR) {
  const data = Buffer.alloc(samples.length * 2);
  for (let i = 0; i < samples.length; i++) {
    data.writeInt16LE(Math.round(Math.max(-1, Math.min(1, samples[i])) * 32767), i * 2);
  }
  const header = Buffer.alloc(44);
  header.write('RIFF', 0);
  header.writeUInt32LE(36 + data.length, 4);
  header.write('WAVE', 8);
  header.write('fmt ', 12);
  header.writeUInt32LE(16, 16);
  header.writeUInt16LE(1, 20);            // PCM
  header.writeUInt16LE(1, 22);            // mono
  header.writeUInt32LE(sampleRate, 24);
  header.writeUInt32LE(sampleRate * 2, 28);
  header.writeUInt16LE(2, 32);
  header.writeUInt16LE(16, 34);
  header.write('data', 36);
  header.writeUInt32LE(data.length, 40);
  return Buffer.concat([header, data]);
}

export const STYLES = {
  drone: { artist: 'Drone Collective', album: 'Low Hours', title: (i) => `Dark Drone ${i + 1}`, genre: 'ambient' },
  beat: { artist: 'Beat Unit', album: 'Click Works', title: (i) => `Fast Clicks ${i + 1}`, genre: 'electronic' },
  noise: { artist: 'Noise Field', album: 'Washes', title: (i) => `Noise Wash ${i + 1}`, genre: 'noise' },
};

function signal(style, i, seconds) {
  if (style === 'drone') return mix(chord([45 + i, 48 + i, 52 + i], seconds, 0.2), noise(seconds, 0.01, 100 + i));
  if (style === 'beat') return mix(clicks(150 + 6 * i, seconds, 0.7, 7 + i), sine(3000 + 150 * i, seconds, 0.05));
  // A breathing noise texture: one-pole low-pass with a slowly moving cutoff.
  const wash = noise(seconds, 0.3, 200 + i);
  let y = 0;
  for (let j = 0; j < wash.length; j++) {
    const a = 0.05 + 0.04 * Math.sin(2 * Math.PI * (0.2 + 0.05 * i) * (j / SR));
    y += a * (wash[j] - y);
    wash[j] = y * 3;
  }
  return wash;
}

// Writes the library into dir and returns its tracks: {path, style, title, artist, album, genre}.
// `perStyle` tagged FLAC tracks per style and one untagged WAV (loose/untagged-tone.wav).
export function makeLibrary(dir, { perStyle = 3, seconds = 10 } = {}) {
  mkdirSync(dir, { recursive: true });
  const tracks = [];
  for (const [style, tags] of Object.entries(STYLES)) {
    const folder = path.join(dir, tags.album);
    mkdirSync(folder, { recursive: true });
    for (let i = 0; i < perStyle; i++) {
      const title = tags.title(i);
      const wav = path.join(folder, `${style}-${i}.wav`);
      const flac = path.join(folder, `${String(i + 1).padStart(2, '0')} ${title}.flac`);
      writeFileSync(wav, wavBytes(signal(style, i, seconds)));
      execFileSync('ffmpeg', ['-nostdin', '-loglevel', 'error', '-y', '-i', wav,
        '-metadata', `title=${title}`, '-metadata', `artist=${tags.artist}`, '-metadata', `album=${tags.album}`,
        '-metadata', `genre=${tags.genre}`, '-metadata', `track=${i + 1}`, flac]);
      rmSync(wav);
      tracks.push({ path: flac, style, title, artist: tags.artist, album: tags.album, genre: tags.genre });
    }
  }
  const loose = path.join(dir, 'loose');
  mkdirSync(loose, { recursive: true });
  const wav = path.join(loose, 'untagged-tone.wav');
  writeFileSync(wav, wavBytes(mix(sine(440, seconds, 0.3), sine(660, seconds, 0.1))));
  tracks.push({ path: wav, style: 'tone', title: 'untagged-tone', artist: null, album: 'loose', genre: null });
  return tracks;
}
