#!/usr/bin/env node
// End-to-end test of the block explorer (explorer/, docs/explorer.md) as cairnd serves it,
// in headless Chromium (Debian's /usr/bin/chromium, or $CAIRN_CHROMIUM) driven by
// playwright-core from the root package.json (`npm ci`).
//
//   node tests/apps/explorer_test.mjs CAIRND [EXPLORER_DIR]
//
// Starts cairnd on regtest (RPC on a free loopback port, P2P on another, serving EXPLORER_DIR
// with --explorer-dir), mines blocks to a fresh address with miner_generate (admin, through
// the cookie), opens the explorer and checks: the security headers of the page; a block mined
// during the test appears on the dashboard within 10 s without a reload; searching its hash
// lands on its page; the address page shows the balance address_get_balance reports; every
// page type renders without console errors; a narrow screen does not scroll sideways; when
// cairnd stops, the page says it is reconnecting. Screenshots go to $CAIRN_ARTIFACTS_DIR
// (default build/artifacts/explorer/). cairnd and Chromium are killed by PID on every path;
// every wait is bounded. Exits 0 (pass), 1 (fail) or 77 (skipped: no Chromium or no
// playwright-core).

import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const SKIP = 77;
const START_TIMEOUT_MS = 30000; // cairnd serving RPC
const LIVE_BLOCK_TIMEOUT_MS = 10000; // a mined block on the dashboard (the requirement)
const PAGE_TIMEOUT_MS = 15000; // any page rendering
const STOP_TIMEOUT_MS = 15000; // cairnd exiting after SIGTERM
const TEST_TIMEOUT_MS = 240000; // the whole test (ctest's TIMEOUT is above it)
const INITIAL_BLOCKS = 15; // > regtest coinbase maturity (10): some balance is confirmed

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const [cairndPath, explorerDirArg] = process.argv.slice(2);
if (!cairndPath) {
  console.error('usage: explorer_test.mjs CAIRND [EXPLORER_DIR]');
  process.exit(2);
}
const explorerDir = path.resolve(explorerDirArg || path.join(root, 'explorer'));
const artifacts = path.resolve(process.env.CAIRN_ARTIFACTS_DIR || path.join(root, 'build/artifacts/explorer'));
const chromiumPath = process.env.CAIRN_CHROMIUM || '/usr/bin/chromium';

function log(message) {
  console.log(`[${new Date().toISOString().slice(11, 19)}] ${message}`);
}

if (!fs.existsSync(chromiumPath)) {
  log(`explorer_test: ${chromiumPath} not found (apt install chromium, or set CAIRN_CHROMIUM); skipping`);
  process.exit(SKIP);
}
let chromium;
try {
  ({ chromium } = await import('playwright-core'));
} catch {
  log('explorer_test: playwright-core is not installed (run `npm ci` in the project root); skipping');
  process.exit(SKIP);
}

// ---------------------------------------------------------------------------------------
// Processes, killed by PID on every path.

const children = new Set(); // PIDs of cairnd and Chromium still to kill
let datadir = null;

function killAll() {
  for (const pid of children) {
    for (const target of [-pid, pid]) {
      try {
        process.kill(target, 'SIGKILL'); // -pid: Chromium's renderers are in its process group
      } catch {
        // already gone, or not a group leader
      }
    }
  }
  children.clear();
  if (datadir) fs.rmSync(datadir, { recursive: true, force: true });
  datadir = null;
}
process.on('exit', killAll);
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    log(`explorer_test: ${signal}`);
    process.exit(1);
  });
}
const watchdog = setTimeout(() => {
  log(`FAIL: the test ran past ${TEST_TIMEOUT_MS / 1000} s`);
  process.exit(1);
}, TEST_TIMEOUT_MS);

function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// Polls fn() until it returns a true value (returned) or the time is up; giveUp() true ends
// the wait at once with fn()'s error.
async function waitFor(what, fn, timeoutMs, intervalMs = 200, giveUp = () => false) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const value = await fn();
      if (value) return value;
    } catch (error) {
      if (giveUp()) throw error;
    }
    if (Date.now() >= deadline) throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}`);
    await sleep(intervalMs);
  }
}

// ---------------------------------------------------------------------------------------
// Addresses: bech32m (BIP 350) of a kind symbol and a 32-byte hash (docs/consensus.md §11).

const CHARSET = 'qpzry9x8gf2tvdw0s3jn54khce6mua7l';
function polymod(values) {
  const generators = [0x3b6a57b2, 0x26508e6d, 0x1ea119fa, 0x3d4233dd, 0x2a1462b3];
  let chk = 1;
  for (const v of values) {
    const top = chk >>> 25;
    chk = ((chk & 0x1ffffff) << 5) ^ v;
    for (let i = 0; i < 5; i += 1) if ((top >>> i) & 1) chk ^= generators[i];
  }
  return chk >>> 0;
}
function bech32mAddress(hrp, kind, hash) {
  const data = [kind];
  let acc = 0;
  let bits = 0;
  for (const byte of hash) {
    acc = (acc << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      data.push((acc >>> bits) & 31);
    }
  }
  if (bits > 0) data.push((acc << (5 - bits)) & 31);
  const expanded = [...hrp].map((c) => c.charCodeAt(0) >> 5).concat([0], [...hrp].map((c) => c.charCodeAt(0) & 31));
  const mod = polymod([...expanded, ...data, 0, 0, 0, 0, 0, 0]) ^ 0x2bc830a3;
  const checksum = [0, 1, 2, 3, 4, 5].map((i) => (mod >>> (5 * (5 - i))) & 31);
  return `${hrp}1${[...data, ...checksum].map((d) => CHARSET[d]).join('')}`;
}

// ---------------------------------------------------------------------------------------
// cairnd

class Cairnd {
  async start() {
    datadir = fs.mkdtempSync(path.join(os.tmpdir(), 'cairn-explorer-'));
    this.rpcPort = await freePort();
    this.p2pPort = await freePort();
    this.url = `http://127.0.0.1:${this.rpcPort}/`;
    this.logPath = path.join(datadir, 'cairnd.log');
    const out = fs.openSync(this.logPath, 'w');
    this.process = spawn(cairndPath, [
      '--network', 'regtest', '--datadir', datadir,
      '--rpc-listen', `127.0.0.1:${this.rpcPort}`,
      '--p2p-listen', `/ip4/127.0.0.1/tcp/${this.p2pPort}`,
      '--explorer-dir', explorerDir,
    ], { stdio: ['ignore', out, out] });
    fs.closeSync(out);
    children.add(this.process.pid);
    this.spawnError = null;
    this.process.once('error', (error) => {
      this.spawnError = error;
    });
    this.exited = new Promise((resolve) => this.process.once('close', (code, signal) => {
      children.delete(this.process.pid);
      resolve(code ?? signal);
    }));
    const cookie = path.join(datadir, 'regtest', 'rpc.cookie');
    await waitFor('cairnd to serve RPC', async () => {
      if (this.spawnError) throw new Error(`cannot run ${cairndPath}: ${this.spawnError.message}`);
      if (this.process.exitCode !== null) throw new Error(`cairnd exited ${this.process.exitCode}: ${this.tail()}`);
      if (!fs.existsSync(cookie)) return false;
      this.auth = `Basic ${Buffer.from(fs.readFileSync(cookie, 'utf8').trim()).toString('base64')}`;
      return (await this.rpc('chain_get_info')).network === 'regtest';
    }, START_TIMEOUT_MS, 100, () => this.spawnError || this.process.exitCode !== null).catch((error) => {
      throw new Error(`${error.message}\n${this.tail()}`);
    });
    log(`cairnd PID ${this.process.pid} serves ${this.url}`);
  }

  async rpc(method, params = {}) {
    const response = await fetch(this.url, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Authorization: this.auth },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }),
      signal: AbortSignal.timeout(PAGE_TIMEOUT_MS),
    });
    const reply = await response.json();
    if (reply.error) throw new Error(`${method}: ${reply.error.message}`);
    return reply.result;
  }

  async stop() {
    if (this.spawnError || this.process.exitCode !== null || this.process.signalCode !== null) return;
    this.process.kill('SIGTERM');
    const timer = sleep(STOP_TIMEOUT_MS).then(() => 'timeout');
    if ((await Promise.race([this.exited, timer])) === 'timeout') {
      this.process.kill('SIGKILL');
      await this.exited;
    }
  }

  tail(chars = 3000) {
    try {
      return fs.readFileSync(this.logPath, 'utf8').slice(-chars);
    } catch {
      return '';
    }
  }
}

// ---------------------------------------------------------------------------------------
// The test

const failures = [];
function check(condition, what) {
  if (condition) log(`ok: ${what}`);
  else {
    failures.push(what);
    log(`FAIL: ${what}`);
  }
  return condition;
}

const node = new Cairnd();
let server = null;
let browser = null;
try {
  fs.mkdirSync(artifacts, { recursive: true });
  await node.start();
  const miner = bech32mAddress('rcairn', 0, randomBytes(32));
  const noContract = bech32mAddress('rcairn', 2, randomBytes(32));
  await node.rpc('miner_generate', { address: miner, count: INITIAL_BLOCKS });
  log(`mined ${INITIAL_BLOCKS} blocks to ${miner}`);

  server = await chromium.launchServer({ executablePath: chromiumPath, headless: true, args: ['--no-sandbox'] });
  children.add(server.process().pid);
  log(`chromium PID ${server.process().pid}`);
  browser = await chromium.connect(server.wsEndpoint(), { timeout: PAGE_TIMEOUT_MS });
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  context.setDefaultTimeout(PAGE_TIMEOUT_MS);
  const page = await context.newPage();
  const consoleErrors = [];
  page.on('console', (message) => {
    if (message.type() === 'error') consoleErrors.push(`${page.url()}: ${message.text()}`);
  });
  page.on('pageerror', (error) => consoleErrors.push(`${page.url()}: uncaught ${error.message}`));
  const shot = async (name) => page.screenshot({ path: path.join(artifacts, `${name}.png`), fullPage: true });

  // The page and its headers, as cairnd serves them.
  const response = await page.goto(node.url, { waitUntil: 'domcontentloaded' });
  const headers = response.headers();
  check(response.status() === 200 && (headers['content-type'] || '').startsWith('text/html'), `GET / is the explorer's HTML (${response.status()} ${headers['content-type']})`);
  check((headers['content-security-policy'] || '').includes("default-src 'self'"), `Content-Security-Policy: ${headers['content-security-policy']}`);
  check(headers['x-content-type-options'] === 'nosniff', 'X-Content-Type-Options: nosniff');
  check(headers['cache-control'] === 'no-cache' && Boolean(headers.etag), 'Cache-Control: no-cache and an ETag');

  // Dashboard: the mined blocks, then live over the WebSocket.
  await page.waitForSelector('#latest-blocks tr[data-height]');
  const rows = await page.locator('#latest-blocks tr[data-height]').count();
  check(rows === 10, `the dashboard lists the latest 10 blocks (${rows})`);
  await page.waitForSelector('body[data-subscribed~="new_heads"]');
  await page.evaluate(() => {
    window.explorerTestMarker = 'not reloaded';
  });
  const started = Date.now();
  const [liveHash] = await node.rpc('miner_generate', { address: miner, count: 1 });
  const liveHeight = INITIAL_BLOCKS + 1;
  let appeared = false;
  try {
    await page.waitForSelector(`#latest-blocks tr[data-hash="${liveHash}"]`, { timeout: LIVE_BLOCK_TIMEOUT_MS });
    appeared = true;
  } catch {
    // reported below
  }
  check(appeared, `block ${liveHeight} mined during the test appears on the dashboard within ${LIVE_BLOCK_TIMEOUT_MS / 1000} s (${Date.now() - started} ms)`);
  check((await page.evaluate(() => window.explorerTestMarker)) === 'not reloaded', 'without a reload');
  const topHeight = await page.locator('#latest-blocks tbody tr').first().getAttribute('data-height');
  check(topHeight === String(liveHeight), `it is the top row (height ${topHeight})`);
  check((await page.locator('#status').textContent()) === 'Live', 'the connection state says Live');
  await shot('dashboard');

  // Search the new block's hash: its page.
  await page.fill('#search', liveHash);
  await page.press('#search', 'Enter');
  await page.waitForSelector(`.page-block[data-hash="${liveHash}"]`);
  check(page.url().endsWith(`#/block/${liveHash}`), `searching the hash opens #/block/<hash> (${page.url()})`);
  check((await page.locator('h1').textContent()) === `Block ${liveHeight}`, `the block page's title is "Block ${liveHeight}"`);
  check((await page.locator('[data-field="hash"] .hash').getAttribute('data-value')) === liveHash, 'the block page shows the hash');
  const block = await node.rpc('chain_get_block', { block: liveHash, transactions: 'ids' });
  check((await page.locator('#block-txs tbody tr').count()) === block.tx_count, `the block page lists its ${block.tx_count} transaction(s)`);
  await shot('block');

  // The block's coinbase: the transaction page.
  const coinbase = block.transactions[0];
  await page.click(`#block-txs a[href="#/tx/${coinbase}"]`);
  await page.waitForSelector(`.page-tx[data-txid="${coinbase}"]`);
  check((await page.locator('#tx-outputs tbody tr').count()) >= 1, 'the transaction page lists the outputs');
  check((await page.locator('[data-field="value"]').textContent()) === '50 CAIRN', 'the coinbase pays 50 CAIRN');
  await shot('transaction');

  // The miner's address: the balance the node reports, via the search box.
  const balance = await node.rpc('address_get_balance', { address: miner });
  await page.fill('#search', miner);
  await page.press('#search', 'Enter');
  await page.waitForSelector(`.page-address[data-address="${miner}"]`);
  await page.waitForSelector('#address-history tbody tr .hash');
  const shownUnits = await page.locator('[data-field="confirmed"]').getAttribute('data-units');
  const shownText = await page.locator('[data-field="confirmed"]').textContent();
  const expectedText = `${(BigInt(balance.confirmed) / 100000000n).toLocaleString('en-US')} CAIRN`;
  check(shownUnits === balance.confirmed, `the address page's balance is address_get_balance's confirmed (${shownUnits} = ${balance.confirmed})`);
  check(shownText === expectedText, `it reads "${shownText}" (expected "${expectedText}")`);
  check((await page.locator('[data-field="utxo_count"]').textContent()) === String(balance.utxo_count), `${balance.utxo_count} unspent outputs`);
  check((await page.locator('#address-history tbody tr').count()) === liveHeight, `the history lists the ${liveHeight} coinbase outputs`);
  await shot('address');

  // Every other page type once.
  const pages = [
    ['blocks', '#blocks tbody tr', 'blocks'],
    ['mempool', '#mempool-txs', 'mempool'],
    ['charts', '.page-charts svg.chart', 'charts'],
    ['validators', '#validators', 'validators'],
    ['finality', '[data-field="last_finalized"]', 'finality'],
    ['peers', '#peers', 'peers'],
    [`contract/${noContract}`, '#error', 'contract-not-found'],
    ['block/999999', '#error', 'block-not-found'],
  ];
  for (const [route, selector, name] of pages) {
    await page.goto(`${node.url}#/${route}`);
    await page.waitForSelector(selector);
    check(true, `#/${route} renders ${selector}`);
    await shot(name);
  }
  const charts = await page.goto(`${node.url}#/charts/50`).then(() => page.waitForSelector('.page-charts svg.chart'));
  check(Boolean(charts) && (await page.locator('.page-charts svg.chart').count()) === 3, 'three charts: block time, difficulty, transactions per block');
  const bars = await page.locator('.chart-kind-bar rect.chart-bar').count();
  check(bars === liveHeight + 1, `the transactions chart has a bar per block (${bars})`);
  await page.goto(`${node.url}#/contract/${noContract}`);
  await page.waitForSelector('#error');
  check((await page.locator('#error h1').textContent()) === 'Not found', 'an unknown contract says "Not found"');

  // A narrow screen: no sideways scrolling.
  await page.setViewportSize({ width: 390, height: 844 });
  for (const route of ['', `block/${liveHash}`, `address/${miner}`]) {
    await page.goto(`${node.url}#/${route}`);
    await page.waitForSelector('.page');
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    check(overflow <= 0, `#/${route} fits a 390 px screen (overflow ${overflow} px)`);
  }
  await page.goto(`${node.url}#/`);
  await page.waitForSelector('#latest-blocks tr[data-height]');
  await shot('dashboard-narrow');

  check(consoleErrors.length === 0, `no console errors${consoleErrors.length ? ':\n  ' + consoleErrors.join('\n  ') : ''}`);

  // The node goes away: the page says so (its reconnection attempts may log errors now).
  await node.stop();
  await page.waitForSelector('#status.status-reconnecting', { timeout: LIVE_BLOCK_TIMEOUT_MS });
  check(/Reconnecting/.test(await page.locator('#status').textContent()), 'after cairnd stops, the page says it is reconnecting');
  await shot('node-stopped');
} catch (error) {
  failures.push(error.message);
  log(`FAIL: ${error.stack || error.message}`);
  log(`cairnd log:\n${node.tail()}`);
} finally {
  if (browser) await browser.close().catch(() => {});
  if (server) await server.close().catch(() => {});
  await node.stop().catch(() => {});
  clearTimeout(watchdog);
  killAll();
}
log(`screenshots in ${artifacts}`);
if (failures.length) {
  log(`explorer_test: ${failures.length} failure(s)`);
  process.exit(1);
}
log('explorer_test: passed');
process.exit(0);
