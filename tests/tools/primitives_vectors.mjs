#!/usr/bin/env node
// Independent implementation of Cairn's primitive encodings and ids (docs/consensus.md §4–§6,
// §8–§10) on @noble/hashes' BLAKE3, sharing no code with the C++ encoders. It builds the
// sample structures of tests/primitives/samples.h byte by byte from the doc's layouts and
// writes tests/data/primitives_vectors.json, which tests/primitives/known_answer_test.cpp
// checks the C++ code against.
//
//   node tests/tools/primitives_vectors.mjs           regenerate the file
//   node tests/tools/primitives_vectors.mjs --check   exit 1 if the committed file differs
//
// Run from the project root after `npm ci`. Exits 77 (ctest's skip code) when
// @noble/hashes is not installed.

import { keyedHash, loadBlake3, toHex, utf8, writeOrCheck } from './vectors_common.mjs';

const OUTPUT = 'tests/data/primitives_vectors.json';

const blake3 = await loadBlake3('primitives_vectors');

// §2: H(context, data) = BLAKE3-keyed(derive_key(context, ""), data).
const H = (context, data) => keyedHash(blake3, context, data);

// §1: the canonical codec.
const cat = (...parts) => Uint8Array.from(parts.flatMap((p) => Array.from(p)));
const u8 = (v) => Uint8Array.of(v);
const le = (v, n) => Uint8Array.from({ length: n }, (_, i) => Number((BigInt(v) >> BigInt(8 * i)) & 0xffn));
const u32 = (v) => le(v, 4);
const u64 = (v) => le(v, 8);
function varint(v) {
  const out = [];
  let x = BigInt(v);
  while (x >= 0x80n) {
    out.push(Number(x & 0x7fn) | 0x80);
    x >>= 7n;
  }
  out.push(Number(x));
  return Uint8Array.from(out);
}
const bytes = (b) => cat(varint(b.length), b);
const list = (items) => cat(varint(items.length), ...items);

// The sample values of tests/primitives/samples.h.
const filled = (seed, n) => Uint8Array.from({ length: n }, (_, i) => (seed + i) & 0xff);
const COIN = 100_000_000n;
const key = (seed) => filled(seed, 32);
const typedSig = (seed) => cat(filled(seed, 64), u8(0x01));

// §5 LockNode by tag.
const keyNode = (seed) => cat(u8(1), key(seed));
const multiNode = (threshold, n, seed) =>
  cat(u8(2), u8(threshold), list(Array.from({ length: n }, (_, i) => key(seed + i))));
const hashNode = (digest) => cat(u8(3), digest);
const lockTime = (kind, value) => cat(u8(kind), u64(value));
const afterNode = (kind, value) => cat(u8(4), lockTime(kind, value));
const olderNode = (kind, value) => cat(u8(5), lockTime(kind, value));
const allNode = (children) => cat(u8(6), list(children));
const anyNode = (children) => cat(u8(7), list(children));
const HEIGHT = 0;
const SECONDS = 1;

const sampleLock = cat(
  u8(1),
  anyNode([
    allNode([keyNode(0x10), afterNode(HEIGHT, 100)]),
    multiNode(2, 3, 0x20),
    allNode([hashNode(filled(0x90, 32)), olderNode(SECONDS, 3600), keyNode(0x30)]),
  ]),
);
const optSig = (seed) => (seed === null ? u8(0) : cat(u8(1), typedSig(seed)));
const sampleSatisfaction = cat(u8(7), u8(1), cat(u8(2), list([optSig(0x40), optSig(null), optSig(0x50)])));

// §5 OutputLock, §4 TxOut / OutPoint / Payload.
const keyHash = (publicKey) => H('cairn v1 key hash', publicKey);
const lockHash = (lock) => H('cairn v1 lock', lock);
const outputLock = (kind, hash) => cat(u8(kind), hash);
const txOut = (value, lock) => cat(u64(value), lock);
const outPoint = (txid, index) => cat(txid, u32(index));
const payload = (kind, body) => cat(u8(kind), bytes(body));

function transaction({ inputs, outputs, payload: p, lockTime: t }) {
  const prefix = cat(u32(1), list(inputs.map((i) => i.prevout)), list(outputs), p, u64(t));
  const full = cat(prefix, ...inputs.map((i) => i.witness));
  return { prefix, full, txid: H('cairn v1 txid', prefix), wtxid: H('cairn v1 wtxid', full) };
}

const sampleTxParts = {
  inputs: [
    { prevout: outPoint(filled(0xa0, 32), 0), witness: cat(u8(1), key(0x01), typedSig(0x02)) },
    { prevout: outPoint(filled(0xb0, 32), 7), witness: cat(u8(2), sampleLock, sampleSatisfaction) },
  ],
  outputs: [
    txOut(50n * COIN, outputLock(1, filled(0xc0, 32))),
    txOut(12_345n, outputLock(2, lockHash(sampleLock))),
  ],
  payload: payload(0, new Uint8Array(0)),
  lockTime: 1000,
};
const sampleTx = transaction(sampleTxParts);
const spent = [
  txOut(70n * COIN, outputLock(1, keyHash(key(0x01)))),
  txOut(5n * COIN, outputLock(2, lockHash(sampleLock))),
];

const coinbase = (height) =>
  transaction({
    inputs: [],
    outputs: [txOut(50n * COIN, outputLock(1, filled(0xd0, 32)))],
    payload: payload(1, cat(u64(height), bytes(utf8('hi')))),
    lockTime: 0,
  });

// §6: digests of the concatenated encodings, then the per-input message.
const genesis = filled(0x77, 32);
const digests = {
  prevouts: H('cairn v1 sighash prevouts', cat(...sampleTxParts.inputs.map((i) => i.prevout))),
  values: H('cairn v1 sighash values', cat(...spent.map((o) => o.subarray(0, 8)))),
  locks: H('cairn v1 sighash locks', cat(...spent.map((o) => o.subarray(8)))),
  outputs: H('cairn v1 sighash outputs', cat(...sampleTxParts.outputs)),
  payload: H('cairn v1 sighash payload', sampleTxParts.payload),
};
const sighash = (index, type) =>
  H(
    'cairn v1 sighash',
    cat(u8(type), genesis, u32(1), u64(sampleTxParts.lockTime), digests.prevouts, digests.values, digests.locks,
      digests.outputs, digests.payload, u32(index)),
  );

// §10 Merkle trees (RFC 6962 shape).
function merkleRoot(items) {
  if (items.length === 0) return H('cairn v1 merkle node', new Uint8Array(0));
  if (items.length === 1) return H('cairn v1 merkle leaf', items[0]);
  let k = 1;
  while (k * 2 < items.length) k *= 2;
  return H('cairn v1 merkle node', cat(merkleRoot(items.slice(0, k)), merkleRoot(items.slice(k))));
}

// §8 header, §9 votes and blocks.
const header = (roots) =>
  cat(u32(1), u64(42), filled(0x01, 32), roots.tx, roots.witness, filled(0x61, 32), roots.vote,
    u64(1_700_000_000), u32(0x1d00ffff), u64(0x0123456789abcdefn));
const sampleHeader = header({ tx: filled(0x21, 32), witness: filled(0x41, 32), vote: filled(0x81, 32) });
const unsignedVote = (seed) =>
  cat(u8(1), filled(seed, 32), filled(seed + 1, 32), u64(3), filled(seed + 2, 32), u64(4));
const vote = (seed) => cat(unsignedVote(seed), filled(seed + 3, 64));

const blockTxs = [coinbase(42), sampleTx];
const blockVotes = [vote(0x11), vote(0x22)];
const blockRoots = {
  tx: merkleRoot(blockTxs.map((t) => t.txid)),
  witness: merkleRoot(blockTxs.map((t) => t.wtxid)),
  vote: merkleRoot(blockVotes.map((v) => H('cairn v1 vote', v))),
};
const blockHeader = header(blockRoots);
const block = cat(blockHeader, list(blockTxs.map((t) => t.full)), list(blockVotes));

function generate() {
  const cb = coinbase(3);
  const vectors = {
    _comment:
      'Generated by tests/tools/primitives_vectors.mjs with @noble/hashes from the layouts of docs/consensus.md; ' +
      'do not edit. The structures are the samples of tests/primitives/samples.h.',
    key_hash: { public_key: toHex(key(0x01)), key_hash: toHex(keyHash(key(0x01))) },
    lock: { encoding: toHex(sampleLock), lock_hash: toHex(lockHash(sampleLock)) },
    transaction: {
      encoding: toHex(sampleTx.full),
      txid: toHex(sampleTx.txid),
      wtxid: toHex(sampleTx.wtxid),
      sighash: {
        genesis: toHex(genesis),
        spent: spent.map(toHex),
        digests: Object.fromEntries(Object.entries(digests).map(([k, v]) => [k, toHex(v)])),
        inputs: [0, 1].map((index) => ({ index, type: 1, sighash: toHex(sighash(index, 1)) })),
      },
    },
    coinbase: { height: 3, encoding: toHex(cb.full), txid: toHex(cb.txid), wtxid: toHex(cb.wtxid) },
    header: { encoding: toHex(sampleHeader), hash: toHex(H('cairn v1 header', sampleHeader)) },
    vote: {
      encoding: toHex(vote(0x11)),
      id: toHex(H('cairn v1 vote', vote(0x11))),
      genesis: toHex(genesis),
      signing_message: toHex(H('cairn v1 vote sign', cat(genesis, unsignedVote(0x11)))),
    },
    block: {
      encoding: toHex(block),
      tx_root: toHex(blockRoots.tx),
      witness_root: toHex(blockRoots.witness),
      vote_root: toHex(blockRoots.vote),
      hash: toHex(H('cairn v1 header', blockHeader)),
    },
  };
  return JSON.stringify(vectors, null, 2) + '\n';
}

writeOrCheck(OUTPUT, generate(), 'tests/tools/primitives_vectors.mjs');
