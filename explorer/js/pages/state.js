// Pages of state and the node: address, contract, mempool, network (peers), validators and
// finality.

import { h, clear, hashLink, badge, keyValues, table, tableRow, card, stat, append } from '../dom.js';
import { formatAmount, formatInteger, formatBytes, formatTime, timeAgo, formatDuration, hexToText, formatPercent } from '../format.js';
import { RpcError, NOT_FOUND } from '../rpc.js';
import { addressLink } from './chain.js';

const PAGE_SIZE = 50;

const blockHref = (hash) => `#/block/${hash}`;
const txHref = (txid) => `#/tx/${txid}`;

// An unknown or malformed address or contract is "Not found", with the node's reason.
function invalidToNotFound(error, what) {
  if (error instanceof RpcError && error.code === NOT_FOUND) {
    return new RpcError(NOT_FOUND, `${error.message.charAt(0).toUpperCase()}${error.message.slice(1)}.`);
  }
  if (error instanceof RpcError && error.code === -32602) return new RpcError(NOT_FOUND, `${what}: ${error.message}`);
  return error;
}

// A table whose rows come in pages: `load(cursor)` resolves to {rows, next}; a "Load more"
// button fetches the next page.
function pagedTable(headers, load, { id, empty, numeric } = {}) {
  const wrap = table(headers, [], { id, empty, numeric });
  const body = wrap.querySelector('tbody');
  const more = h('button', { type: 'button', class: 'button more-button', hidden: true }, 'Load more');
  let cursor = null;
  let first = true;
  const fetchPage = async () => {
    more.disabled = true;
    try {
      const { rows, next } = await load(cursor);
      if (first && rows.length) clear(body);
      first = false;
      for (const row of rows) body.append(tableRow(row, numeric));
      cursor = next;
      more.hidden = next === null || next === undefined;
    } catch (error) {
      more.hidden = false;
      more.textContent = `Load failed (${error.message}): retry`;
    } finally {
      more.disabled = false;
    }
  };
  more.addEventListener('click', fetchPage);
  return { element: h('div', null, wrap, more), ready: fetchPage() };
}

// ---------------------------------------------------------------------------------------
// Address

export async function address(ctx, addr) {
  const { rpc } = ctx;
  let balance;
  try {
    balance = await rpc.call('address_get_balance', { address: addr });
  } catch (error) {
    throw invalidToNotFound(error, `Not an address of this network (${addr})`);
  }
  ctx.setTitle(`Address ${addr.slice(0, 14)}…`);
  const stats = h('div', { class: 'stats' },
    stat('Balance', formatAmount(balance.confirmed), { field: 'confirmed', units: balance.confirmed, sub: 'spendable by the next block' }),
    stat('Immature', formatAmount(balance.immature), { field: 'immature', units: balance.immature, sub: 'coinbase outputs not yet mature' }),
    stat('Unconfirmed', `+${formatAmount(balance.unconfirmed_incoming, { unit: false })} / −${formatAmount(balance.unconfirmed_outgoing)}`, { field: 'unconfirmed', sub: 'incoming / outgoing in the mempool' }),
    stat('Unspent outputs', formatInteger(balance.utxo_count), { field: 'utxo_count' }));

  const history = pagedTable(['Transaction', 'Output', 'Block', 'Received', 'Spent by'], async (cursor) => {
    const page = await rpc.call('address_get_history', { address: addr, limit: PAGE_SIZE, ...(cursor ? { cursor } : {}) });
    return {
      next: page.next_cursor,
      rows: page.items.map((item) => [
        hashLink(item.txid, txHref(item.txid)),
        h('span', null, String(item.index), item.coinbase ? badge('coinbase', 'badge-coinbase') : null),
        h('a', { href: blockHref(item.height) }, formatInteger(item.height)),
        formatAmount(item.received),
        item.spent ? h('span', null, hashLink(item.spent.txid, txHref(item.spent.txid)), h('span', { class: 'muted' }, ` at ${formatInteger(item.spent.height)}`)) : badge('unspent', 'badge-ok'),
      ]),
    };
  }, { id: 'address-history', empty: 'Nothing was ever paid to this address.', numeric: [3] });

  const utxos = pagedTable(['Output', 'Block', 'Value', 'State'], async (cursor) => {
    const page = await rpc.call('address_get_utxos', { address: addr, limit: PAGE_SIZE, ...(cursor ? { cursor } : {}) });
    return {
      next: page.next_cursor,
      rows: page.items.map((u) => [
        h('span', null, hashLink(u.txid, txHref(u.txid)), h('span', { class: 'muted' }, `:${u.index}`)),
        h('a', { href: blockHref(u.height) }, formatInteger(u.height)),
        formatAmount(u.value),
        u.mature ? badge('mature', 'badge-ok') : badge('immature', 'badge-pending'),
      ]),
    };
  }, { id: 'address-utxos', empty: 'No unspent outputs.', numeric: [2] });
  await Promise.all([history.ready, utxos.ready]);

  return h('div', { class: 'page page-address', dataset: { address: addr } },
    h('div', { class: 'page-head' }, h('h1', null, 'Address'), hashLink(addr, null, { full: true })),
    stats,
    card('History', history.element),
    card('Unspent outputs', utxos.element));
}

// ---------------------------------------------------------------------------------------
// Contract

function bytesCell(hex) {
  const text = hexToText(hex);
  return h('div', null, h('code', { class: 'hex' }, hex || '(empty)'), text ? h('div', { class: 'muted' }, `“${text}”`) : null);
}

export async function contract(ctx, id) {
  const { rpc } = ctx;
  let c;
  try {
    c = await rpc.call('contract_get', { contract: id });
  } catch (error) {
    throw invalidToNotFound(error, `Not a contract address or id (${id})`);
  }
  ctx.setTitle(`Contract ${c.address.slice(0, 14)}…`);
  const summary = keyValues([
    ['Address', hashLink(c.address, null, { full: true }), 'address'],
    ['Contract id', hashLink(c.id, null), 'id'],
    ['Balance', formatAmount(c.balance), 'balance'],
    ['Free balance', formatAmount(c.free_balance)],
    ['Storage deposit', formatAmount(c.deposit)],
    ['Storage', formatBytes(c.storage_bytes)],
    ['Code hash', hashLink(c.code_hash, null)],
    ['Admin', c.admin ? addressLink(c.admin) : h('span', { class: 'muted' }, 'none: the code cannot be upgraded')],
  ]);
  const storage = pagedTable(['Key', 'Value'], async (after) => {
    const page = await rpc.call('contract_list_storage', { contract: c.id, limit: PAGE_SIZE, ...(after ? { after } : {}) });
    return { next: page.next, rows: page.entries.map((e) => [bytesCell(e.key), bytesCell(e.value)]) };
  }, { id: 'contract-storage', empty: 'The contract stores nothing.' });
  const events = pagedTable(['Block', 'Transaction', 'Topics', 'Data'], async (after) => {
    const page = await rpc.call('contract_get_events', { contract: c.id, limit: PAGE_SIZE, ...(after ? { after } : {}) });
    return {
      next: page.next,
      rows: page.events.map((e) => [
        h('a', { href: blockHref(e.height) }, formatInteger(e.height)),
        hashLink(e.txid, txHref(e.txid)),
        h('div', null, e.topics.map((t) => h('div', null, hashLink(t, null)))),
        bytesCell(e.data),
      ]),
    };
  }, { id: 'contract-events', empty: 'No events yet.' });
  await Promise.all([storage.ready, events.ready]);
  return h('div', { class: 'page page-contract', dataset: { contract: c.id } },
    h('div', { class: 'page-head' }, h('h1', null, 'Contract')),
    card('Summary', summary),
    card('Events', events.element),
    card('Storage', storage.element));
}

// ---------------------------------------------------------------------------------------
// Mempool

export async function mempool(ctx) {
  const { rpc } = ctx;
  const container = h('div', { class: 'stack' });
  const draw = async () => {
    const [info, page] = await rpc.batch([['mempool_get_info'], ['mempool_get_transactions', { limit: 100, verbose: true }]]);
    if (info instanceof Error) throw info;
    if (page instanceof Error) throw page;
    if (ctx.stale()) return;
    const items = [...page.items].sort((a, b) => b.time - a.time);
    const rows = items.map((tx) => [
      hashLink(tx.txid, txHref(tx.txid)),
      h('span', { title: formatTime(tx.time) }, timeAgo(tx.time)),
      formatBytes(tx.size),
      formatAmount(tx.fee),
      `${formatInteger(tx.fee_rate)} /kB`,
      formatAmount(tx.outputs.reduce((a, o) => a + BigInt(o.value), 0n).toString()),
    ]);
    clear(container);
    append(container, [
      h('div', { class: 'stats' },
        stat('Transactions', formatInteger(info.count), { field: 'count' }),
        stat('Size', formatBytes(info.bytes), { sub: `${formatPercent(info.bytes / info.max_bytes)} of ${formatBytes(info.max_bytes)}` }),
        stat('Total fees', formatAmount(info.total_fees)),
        stat('Minimum fee rate', `${formatAmount(info.min_fee_rate)} /kB`)),
      card(`Waiting transactions${page.next_cursor ? ' (first 100)' : ''}`,
        table(['Transaction', 'Arrived', 'Size', 'Fee', 'Fee rate', 'Output value'], rows, { id: 'mempool-txs', empty: 'The mempool is empty: every transaction is in a block.', numeric: [2, 3, 4, 5] })),
    ]);
  };
  await draw();
  let timer = null;
  const soon = () => {
    clearTimeout(timer);
    timer = setTimeout(() => draw().catch(() => {}), 500);
  };
  ctx.cleanup(rpc.on('mempool', soon));
  ctx.cleanup(rpc.on('new_heads', soon));
  ctx.cleanup(() => clearTimeout(timer));
  return h('div', { class: 'page page-mempool' }, h('div', { class: 'page-head' }, h('h1', null, 'Mempool')), container);
}

// ---------------------------------------------------------------------------------------
// Network

export async function peers(ctx) {
  const { rpc } = ctx;
  const [node, net, list] = await rpc.batch([['node_get_info'], ['net_get_info'], ['net_get_peers']]);
  if (node instanceof Error) throw node;
  const nodeCard = card('This node', keyValues([
    ['Version', node.version],
    ['User agent', h('span', { class: 'mono' }, node.user_agent)],
    ['Network', node.network],
    ['Uptime', formatDuration(node.uptime_seconds)],
    ['Height', h('a', { href: blockHref(node.best_hash) }, formatInteger(node.height))],
    ['Sync', `${node.sync.state}${node.sync.state === 'synced' ? '' : ` · ${formatInteger(node.sync.height)} of ${formatInteger(node.sync.target_height)}`}`, 'sync'],
    net instanceof Error ? ['Peer-to-peer', h('span', { class: 'muted' }, 'off on this node')] : ['Peer id', hashLink(net.peer_id, null, { head: 14, tail: 8 })],
    net instanceof Error ? null : ['Listening on', h('div', null, net.listen_addresses.length ? net.listen_addresses.map((a) => h('div', { class: 'mono wrap' }, a)) : h('span', { class: 'muted' }, 'nothing'))],
    net instanceof Error ? null : ['Peers', `${net.inbound} inbound · ${net.outbound} outbound`, 'peer_counts'],
  ]));
  const rows = list instanceof Error ? [] : list.map((p) => [
    hashLink(p.peer_id, null, { head: 12, tail: 6 }),
    h('span', { class: 'mono' }, p.address),
    badge(p.direction, p.direction === 'inbound' ? '' : 'badge-ok'),
    formatInteger(p.best_height),
    p.ping_micros === null || p.ping_micros === undefined ? '—' : `${(p.ping_micros / 1000).toFixed(1)} ms`,
    formatDuration(p.connected_seconds),
    p.user_agent || '—',
    formatInteger(p.ban_score),
  ]);
  return h('div', { class: 'page page-peers' },
    h('div', { class: 'page-head' }, h('h1', null, 'Network')),
    nodeCard,
    card(`Peers (${rows.length})`, table(['Peer', 'Address', 'Direction', 'Height', 'Ping', 'Connected', 'Agent', 'Ban score'], rows, { id: 'peers', empty: list instanceof Error ? 'Peer-to-peer networking is off on this node.' : 'No peers connected.', numeric: [3, 4, 7] })));
}

// ---------------------------------------------------------------------------------------
// Validators and finality

function finalityCards(f) {
  const inEpoch = f.height % f.epoch_length;
  const progress = h('div', { class: 'progress' }, h('div', { class: 'progress-bar' }));
  progress.firstChild.style.width = `${((inEpoch + 1) / f.epoch_length) * 100}%`;
  return h('div', { class: 'stats' },
    stat('Finalized', h('a', { href: blockHref(f.last_finalized.hash) }, formatInteger(f.last_finalized.height)), { field: 'finalized_height', sub: `epoch ${formatInteger(f.last_finalized.epoch)}` }),
    stat('Justified', h('a', { href: blockHref(f.last_justified.hash) }, formatInteger(f.last_justified.height)), { field: 'justified_height', sub: `epoch ${formatInteger(f.last_justified.epoch)}` }),
    stat('Epoch', formatInteger(f.epoch), { sub: h('div', null, `block ${inEpoch + 1} of ${f.epoch_length}`, progress) }),
    stat('Dynasty', formatInteger(f.dynasty), { sub: `since epoch ${formatInteger(f.dynasty_start_epoch)}` }));
}

export async function finality(ctx) {
  const { rpc } = ctx;
  const container = h('div', { class: 'stack' });
  const draw = async () => {
    const f = await rpc.call('finality_get_status');
    if (ctx.stale()) return;
    const lag = f.height - f.last_finalized.height;
    clear(container);
    append(container, [
      finalityCards(f),
      card('Checkpoints', keyValues([
        ['Tip height', formatInteger(f.height)],
        ['Last finalized checkpoint', h('span', null, hashLink(f.last_finalized.hash, blockHref(f.last_finalized.hash)), ` at height ${formatInteger(f.last_finalized.height)}`), 'last_finalized'],
        ['Last justified checkpoint', h('span', null, hashLink(f.last_justified.hash, blockHref(f.last_justified.hash)), ` at height ${formatInteger(f.last_justified.height)}`), 'last_justified'],
        ['Blocks since finality', `${formatInteger(lag)} (${(lag / f.epoch_length).toFixed(1)} epochs)`],
        ['Epoch length', `${f.epoch_length} blocks`],
        ['Validators', h('a', { href: '#/validators' }, formatInteger(f.validator_count))],
        ['Current dynasty stake', formatAmount(f.current_dynasty_stake)],
        ['Previous dynasty stake', formatAmount(f.previous_dynasty_stake)],
      ])),
    ]);
  };
  await draw();
  const redraw = () => draw().catch(() => {});
  ctx.cleanup(rpc.on('new_heads', redraw));
  ctx.cleanup(rpc.on('finalized', redraw));
  return h('div', { class: 'page page-finality' }, h('div', { class: 'page-head' }, h('h1', null, 'Finality')), container);
}

export async function validators(ctx) {
  const { rpc } = ctx;
  const f = await rpc.call('finality_get_status');
  const list = pagedTable(['Voting key', 'Owner', 'Stake', 'State', 'From dynasty', 'Until', 'Bond'], async (cursor) => {
    const page = await rpc.call('staking_get_validators', { limit: PAGE_SIZE, ...(cursor ? { cursor } : {}) });
    return {
      next: page.next_cursor,
      rows: page.items.map((v) => [
        hashLink(v.voting_key, null, { head: 12, tail: 6 }),
        addressLink(v.owner),
        formatAmount(v.stake),
        v.slashed ? badge('slashed', 'badge-bad') : v.active ? badge('active', 'badge-ok') : badge('inactive', ''),
        formatInteger(v.start_dynasty),
        v.end_dynasty === null ? '—' : `dynasty ${formatInteger(v.end_dynasty)}`,
        hashLink(v.bond_txid, txHref(v.bond_txid)),
      ]),
    };
  }, { id: 'validators', empty: 'No validators have bonded yet: blocks are not finalized by votes.', numeric: [2, 4] });
  await list.ready;
  return h('div', { class: 'page page-validators' },
    h('div', { class: 'page-head' }, h('h1', null, 'Validators'), h('a', { href: '#/finality', class: 'more' }, 'finality →')),
    finalityCards(f),
    card(`Validator set (${formatInteger(f.validator_count)} in the current dynasty)`, list.element));
}
