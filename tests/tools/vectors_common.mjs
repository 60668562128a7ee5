// What the independent vector generators share: loading @noble/hashes' BLAKE3, Cairn's keyed
// hash H(context, data) (docs/consensus.md §2), hex helpers, and the write-or-check step.

import { readFileSync, writeFileSync } from 'node:fs';

// Exits 77 (ctest's skip code) when @noble/hashes is not installed.
export async function loadBlake3(tool) {
  try {
    return (await import('@noble/hashes/blake3.js')).blake3;
  } catch {
    console.error(`${tool}: @noble/hashes is not installed (run \`npm ci\` in the project root); skipping`);
    process.exit(77);
  }
}

export const utf8 = (s) => new TextEncoder().encode(s);
export const toHex = (bytes) => Buffer.from(bytes).toString('hex');
export const fromHex = (hex) => new Uint8Array(Buffer.from(hex, 'hex'));

// key(context) = BLAKE3-derive_key(context, ""); H(context, data) = BLAKE3-keyed(key, data).
export const contextKey = (blake3, context) => blake3(new Uint8Array(0), { context: utf8(context) });
export const keyedHash = (blake3, context, data) => blake3(data, { key: contextKey(blake3, context) });

// With --check, exits 1 when `output` differs from `generated`; otherwise writes it.
export function writeOrCheck(output, generated, script) {
  if (!process.argv.includes('--check')) {
    writeFileSync(output, generated);
    console.log(`wrote ${output}`);
    return;
  }
  let committed = null;
  try {
    committed = readFileSync(output, 'utf8');
  } catch {
    // Reported below as a difference.
  }
  if (committed !== generated) {
    console.error(`${output} is out of date: run \`node ${script}\` and commit the result`);
    process.exit(1);
  }
  console.log(`${output} matches the independent implementation`);
}
