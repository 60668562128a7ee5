// The explorer's shell: header with search and connection state, the hash router
// (#/block/<hash>, so a reload keeps the page), and error panels.

import { Rpc, RpcError, UnreachableError, NOT_FOUND } from './rpc.js';
import { h, clear } from './dom.js';
import * as chain from './pages/chain.js';
import * as state from './pages/state.js';
import { classify } from './search.js';

const rpc = new Rpc().start();
const main = document.getElementById('main');
const statusPill = document.getElementById('status');
const networkBadge = document.getElementById('network');

const routes = [
  [/^$/, chain.home, 'Dashboard'],
  [/^blocks(?:\/(\d+))?$/, chain.blocks, 'Blocks'],
  [/^block\/([0-9a-f]{64}|\d+)$/, chain.block, 'Block'],
  [/^tx\/([0-9a-f]{64})$/, chain.transaction, 'Transaction'],
  [/^charts(?:\/(\d+))?$/, chain.charts, 'Charts'],
  [/^address\/([a-z0-9]+)$/, state.address, 'Address'],
  [/^contract\/([a-z0-9]+)$/, state.contract, 'Contract'],
  [/^mempool$/, state.mempool, 'Mempool'],
  [/^peers$/, state.peers, 'Network'],
  [/^validators$/, state.validators, 'Validators'],
  [/^finality$/, state.finality, 'Finality'],
  [/^search\/(.+)$/, search, 'Search'],
];

let current = null; // {cleanups, token, route}
let renderToken = 0;

function routePath() {
  const hash = decodeURIComponent(location.hash.replace(/^#\/?/, ''));
  return hash.replace(/\/+$/, '');
}

async function render() {
  for (const fn of current?.cleanups ?? []) fn();
  const token = ++renderToken;
  const path = routePath();
  const cleanups = [];
  current = { cleanups, token, path, failed: null };
  const ctx = {
    rpc,
    main,
    navigate,
    stale: () => token !== renderToken,
    cleanup: (fn) => cleanups.push(fn),
    setTitle: (title) => {
      document.title = `${title} · Cairn Explorer`;
    },
  };
  highlightNav(path);
  clear(main);
  main.append(h('div', { class: 'loading' }, h('span', { class: 'spinner' }), 'Loading…'));
  const match = routes.map(([re, page, title]) => [path.match(re), page, title]).find(([m]) => m);
  try {
    if (!match) {
      ctx.setTitle('Not found');
      throw new RpcError(NOT_FOUND, `There is no page “${path}”.`);
    }
    const [m, page, title] = match;
    ctx.setTitle(title);
    const content = await page(ctx, ...m.slice(1));
    if (ctx.stale()) return;
    clear(main);
    main.append(content);
  } catch (error) {
    if (ctx.stale()) return;
    current.failed = error;
    clear(main);
    main.append(errorPanel(error));
  }
  main.focus({ preventScroll: true });
}

function errorPanel(error) {
  if (error instanceof UnreachableError) {
    return h('section', { class: 'card error-panel', id: 'error' },
      h('h1', null, 'Node unreachable'),
      h('p', null, `The explorer cannot reach the node that served it (${error.message}). It keeps trying; this page reloads when the node is back.`),
      h('button', { type: 'button', class: 'button', onclick: () => rpc.retryNow() }, 'Retry now'));
  }
  if (error instanceof RpcError && error.code === NOT_FOUND) {
    return h('section', { class: 'card error-panel', id: 'error' },
      h('h1', null, 'Not found'),
      h('p', null, error.message),
      h('p', null, h('a', { href: '#/' }, '← Back to the dashboard')));
  }
  if (error instanceof RpcError) {
    return h('section', { class: 'card error-panel', id: 'error' },
      h('h1', null, 'The node refused the request'),
      h('p', null, `${error.message} (error ${error.code})`));
  }
  console.warn(error); // a bug in the explorer: keep the details for whoever debugs it
  return h('section', { class: 'card error-panel', id: 'error' }, h('h1', null, 'Something went wrong'), h('p', null, String(error.message || error)));
}

function navigate(path, { replace = false } = {}) {
  const target = `#/${path}`;
  if (replace) {
    history.replaceState(null, '', target);
    render();
  } else if (location.hash === target) {
    render();
  } else {
    location.hash = target;
  }
}

async function search(ctx, query) {
  const kind = await classify(ctx.rpc, query.trim());
  if (ctx.stale()) return h('div');
  if (!kind) throw new RpcError(NOT_FOUND, `Nothing matches “${query}”: enter a block height, a block hash, a transaction id, an address or a contract address.`);
  navigate(kind, { replace: true });
  return h('div');
}

// The navigation entry a page belongs to: blocks and transactions under "Blocks".
const NAV_SECTION = { block: 'blocks', tx: 'blocks', address: null, contract: null, search: null };

function highlightNav(path) {
  const first = path.split('/')[0];
  const section = first in NAV_SECTION ? NAV_SECTION[first] : first;
  for (const link of document.querySelectorAll('nav.primary a')) {
    link.classList.toggle('active', link.getAttribute('href').replace(/^#\/?/, '') === section);
  }
}

function updateStatus({ state: connection, retryAt }) {
  statusPill.className = `status status-${connection}`;
  clearInterval(updateStatus.timer);
  if (connection === 'live') {
    statusPill.textContent = 'Live';
    statusPill.title = 'Connected to the node over a WebSocket: new blocks and transactions appear as they come.';
  } else if (connection === 'connecting') {
    statusPill.textContent = 'Connecting…';
  } else {
    const tick = () => {
      const seconds = Math.max(0, Math.ceil((retryAt - Date.now()) / 1000));
      statusPill.textContent = seconds > 0 ? `Reconnecting in ${seconds} s` : 'Reconnecting…';
    };
    tick();
    updateStatus.timer = setInterval(tick, 1000);
    statusPill.title = 'The WebSocket to the node is closed: pages still load over HTTP when the node answers.';
  }
}

rpc.addEventListener('state', (event) => updateStatus(event.detail));
rpc.addEventListener('reconnected', () => {
  // A page that failed while the node was away, or that shows live data, is drawn again.
  if (current && (current.failed instanceof UnreachableError || current.path === '')) render();
});
// Which live topics are subscribed, for tests and the curious: <body data-subscribed="new_heads mempool">.
const subscribed = new Set();
rpc.addEventListener('subscribed', (event) => {
  subscribed.add(event.detail.topic);
  document.body.dataset.subscribed = [...subscribed].join(' ');
});
rpc.addEventListener('unsubscribed', () => {
  subscribed.clear();
  document.body.dataset.subscribed = '';
});
statusPill.addEventListener('click', () => rpc.retryNow());

document.getElementById('search-form').addEventListener('submit', (event) => {
  event.preventDefault();
  const input = document.getElementById('search');
  const query = input.value.trim();
  if (!query) return;
  input.blur();
  input.value = '';
  navigate(`search/${encodeURIComponent(query)}`);
});

window.addEventListener('hashchange', render);

async function showNetwork() {
  try {
    const info = await rpc.call('chain_get_info');
    networkBadge.textContent = info.network;
    networkBadge.hidden = false;
    networkBadge.className = `network network-${info.network}`;
  } catch {
    setTimeout(showNetwork, 3000);
  }
}

showNetwork();
render();
