// Pages of the chain: dashboard (live blocks and transactions), block list, block,
// transaction and charts.

import { h, clear, hashLink, badge, keyValues, table, tableRow, card, stat, append } from '../dom.js';
import {
  formatAmount, formatInteger, formatBytes, formatTime, timeAgo, sumAmounts, difficultyOf, formatCompact,
  formatDurationShort, hexToText,
} from '../format.js';
import { chart, chartCard } from '../charts.js';
import { RpcError, NOT_FOUND } from '../rpc.js';

const LATEST_BLOCKS = 10;
const LATEST_TXS = 12;
const BLOCKS_PER_PAGE = 25;
const PREVOUT_LOOKUPS = 50; // inputs whose spent output is looked up on a transaction page
const CHART_SIZES = [50, 100, 250, 500];
const DEFAULT_CHART_BLOCKS = 100;

const blockHref = (hash) => `#/block/${hash}`;
const txHref = (txid) => `#/tx/${txid}`;
const addressHref = (address) => (address && address[address.indexOf('1') + 1] === 'z' ? `#/contract/${address}` : `#/address/${address}`);

export function addressLink(address) {
  if (!address) return h('span', { class: 'muted' }, '—');
  return hashLink(address, addressHref(address), { head: 14, tail: 8 });
}

function heightLink(height, hash) {
  return h('a', { href: blockHref(hash ?? height), class: 'height' }, formatInteger(height));
}

function txValue(tx) {
  return sumAmounts(tx.outputs.map((o) => o.value));
}

function kindBadge(tx) {
  if (tx.coinbase) return badge('coinbase', 'badge-coinbase');
  const kind = tx.payload?.kind;
  if (kind && kind !== 'none') return badge(kind, `badge-${kind}`);
  return badge('transfer', 'badge-transfer');
}

// ---------------------------------------------------------------------------------------
// Dashboard

function blockRow(block) {
  return tableRow(
    [
      heightLink(block.height, block.hash),
      hashLink(block.hash, blockHref(block.hash)),
      h('span', { title: formatTime(block.time), class: 'ago', dataset: { time: block.time } }, timeAgo(block.time)),
      formatInteger(block.tx_count),
      formatBytes(block.size),
    ],
    [3, 4],
    { dataset: { hash: block.hash, height: block.height }, class: 'fresh' },
  );
}

function txRow(tx, where) {
  return tableRow(
    [
      hashLink(tx.txid, txHref(tx.txid)),
      kindBadge(tx),
      where === null ? badge('pending', 'badge-pending') : heightLink(where.height, where.hash),
      formatAmount(txValue(tx)),
    ],
    [3],
    { dataset: { txid: tx.txid }, class: 'fresh' },
  );
}

export async function home(ctx) {
  const { rpc } = ctx;
  const [info, mempool, net, finality] = await rpc.batch([
    ['chain_get_info'],
    ['mempool_get_info'],
    ['net_get_info'],
    ['finality_get_status'],
  ]);
  if (info instanceof Error) throw info;
  const first = Math.max(0, info.height - LATEST_BLOCKS + 1);
  const heights = [];
  for (let height = info.height; height >= first; height -= 1) heights.push(height);
  const blocks = (await rpc.batch(heights.map((height) => ['chain_get_block', { block: height, transactions: 'full' }]))).filter(
    (b) => !(b instanceof Error),
  );
  let pending = [];
  const page = await rpc.call('mempool_get_transactions', { limit: LATEST_TXS, verbose: true }).catch(() => null);
  if (page) pending = page.items;

  const stats = h('div', { class: 'stats' });
  const drawStats = (chainInfo, pool, network, fin) => {
    clear(stats);
    append(stats, [
      stat('Height', h('a', { href: blockHref(chainInfo.best_hash) }, formatInteger(chainInfo.height)), { field: 'height', sub: `best block ${timeAgo(chainInfo.best_time)}` }),
      stat('Finalized', formatInteger(chainInfo.finalized_height), { field: 'finalized', sub: fin && !(fin instanceof Error) ? `epoch ${formatInteger(fin.epoch)}, ${formatInteger(fin.validator_count)} validators` : null }),
      stat('Mempool', pool instanceof Error ? '—' : `${formatInteger(pool.count)} txs`, { field: 'mempool', sub: pool instanceof Error ? null : formatBytes(pool.bytes) }),
      stat('Peers', network instanceof Error ? '—' : formatInteger(network.inbound + network.outbound), { field: 'peers', sub: network instanceof Error ? 'networking off' : `${network.inbound} in · ${network.outbound} out` }),
    ]);
  };
  drawStats(info, mempool, net, finality);

  const blocksTable = table(['Height', 'Hash', 'Age', 'Txs', 'Size'], [], { id: 'latest-blocks', numeric: [3, 4], empty: 'No blocks yet.' });
  const blocksBody = blocksTable.querySelector('tbody');
  if (blocks.length) clear(blocksBody);
  for (const block of blocks) blocksBody.append(blockRow(block));

  const txTable = table(['Transaction', 'Kind', 'Block', 'Outputs'], [], { id: 'latest-txs', numeric: [3], empty: 'No transactions yet.' });
  const txBody = txTable.querySelector('tbody');
  const txRows = [];
  for (const tx of pending) txRows.push(txRow(tx, null));
  for (const block of blocks) {
    for (const tx of [...block.transactions].reverse()) txRows.push(txRow(tx, block));
  }
  if (txRows.length) clear(txBody);
  for (const row of txRows.slice(0, LATEST_TXS)) txBody.append(row);

  const trim = (body, max) => {
    while (body.children.length > max) body.lastElementChild.remove();
    const empty = body.querySelector('tr.empty');
    if (empty && body.children.length > 1) empty.remove();
  };

  // Live: each connected block is fetched once (its size, transaction count and transactions).
  ctx.cleanup(rpc.on('new_heads', async (head) => {
    if (head.event === 'disconnected') {
      blocksBody.querySelector(`tr[data-hash="${head.hash}"]`)?.remove();
      return;
    }
    let block;
    try {
      block = await rpc.call('chain_get_block', { block: head.hash, transactions: 'full' });
    } catch {
      return;
    }
    if (ctx.stale() || blocksBody.querySelector(`tr[data-hash="${block.hash}"]`)) return;
    blocksBody.prepend(blockRow(block));
    trim(blocksBody, LATEST_BLOCKS);
    for (const tx of block.transactions) {
      txBody.querySelector(`tr[data-txid="${tx.txid}"]`)?.remove();
      txBody.prepend(txRow(tx, block));
    }
    trim(txBody, LATEST_TXS);
    const fresh = await rpc.batch([['chain_get_info'], ['mempool_get_info'], ['net_get_info'], ['finality_get_status']]);
    if (!ctx.stale() && !(fresh[0] instanceof Error)) drawStats(...fresh);
  }));
  ctx.cleanup(rpc.on('mempool', (tx) => {
    if (ctx.stale() || txBody.querySelector(`tr[data-txid="${tx.txid}"]`)) return;
    txBody.prepend(txRow(tx, null));
    trim(txBody, LATEST_TXS);
  }));
  // Ages ("12 s ago") stay current.
  const ticker = setInterval(() => {
    for (const el of document.querySelectorAll('.ago[data-time]')) el.textContent = timeAgo(Number(el.dataset.time));
  }, 5000);
  ctx.cleanup(() => clearInterval(ticker));

  return h('div', { class: 'page page-home' },
    h('div', { class: 'page-head' }, h('h1', null, 'Dashboard'), h('span', { class: 'muted' }, `${info.network} · genesis `, hashLink(info.genesis_hash, blockHref(info.genesis_hash)))),
    stats,
    h('div', { class: 'columns' },
      card(['Latest blocks', h('a', { href: '#/blocks', class: 'more' }, 'all blocks →')], blocksTable),
      card(['Latest transactions', h('a', { href: '#/mempool', class: 'more' }, 'mempool →')], txTable)));
}

// ---------------------------------------------------------------------------------------
// Block list

export async function blocks(ctx, fromText) {
  const { rpc } = ctx;
  const info = await rpc.call('chain_get_info');
  const top = fromText === undefined ? info.height : Math.min(Number(fromText), info.height);
  const bottom = Math.max(0, top - BLOCKS_PER_PAGE + 1);
  const heights = [];
  for (let height = top; height >= bottom; height -= 1) heights.push(height);
  const list = await rpc.batch(heights.map((height) => ['chain_get_block', { block: height, transactions: 'none' }]));
  const rows = list.filter((b) => !(b instanceof Error)).map((b) => [
    heightLink(b.height, b.hash),
    hashLink(b.hash, blockHref(b.hash)),
    h('span', { title: formatTime(b.time) }, formatTime(b.time)),
    formatInteger(b.tx_count),
    formatBytes(b.size),
    formatCompact(difficultyOf(b.target)),
    b.finalized ? badge('finalized', 'badge-final') : badge(`${formatInteger(b.confirmations)} conf.`, ''),
  ]);
  const pager = h('div', { class: 'pager' },
    top < info.height ? h('a', { class: 'button', href: `#/blocks/${Math.min(info.height, top + BLOCKS_PER_PAGE)}` }, '← Newer') : h('span'),
    h('span', { class: 'muted' }, `Blocks ${formatInteger(bottom)}–${formatInteger(top)} of ${formatInteger(info.height + 1)}`),
    bottom > 0 ? h('a', { class: 'button', href: `#/blocks/${bottom - 1}` }, 'Older →') : h('span'));
  return h('div', { class: 'page' },
    h('div', { class: 'page-head' }, h('h1', null, 'Blocks')),
    card(null, table(['Height', 'Hash', 'Time', 'Txs', 'Size', 'Difficulty', 'Status'], rows, { id: 'blocks', numeric: [3, 4, 5] }), pager));
}

// ---------------------------------------------------------------------------------------
// Block

export async function block(ctx, id) {
  const { rpc } = ctx;
  const ref = /^\d+$/.test(id) ? Number(id) : id;
  let b;
  try {
    b = await rpc.call('chain_get_block', { block: ref, transactions: 'full' });
  } catch (error) {
    if (error instanceof RpcError && (error.code === NOT_FOUND || error.code === -32602)) {
      throw new RpcError(NOT_FOUND, `This node knows no block ${typeof ref === 'number' ? 'at height ' + ref : ref}.`);
    }
    throw error;
  }
  ctx.setTitle(`Block ${formatInteger(b.height)}`);
  let next = null;
  if (b.in_best_chain) next = await rpc.call('chain_get_block_hash', { height: b.height + 1 }).catch(() => null);

  const status = b.finalized
    ? badge('finalized', 'badge-final')
    : b.in_best_chain
      ? badge(`${formatInteger(b.confirmations)} confirmation${b.confirmations === 1 ? '' : 's'}`, 'badge-ok')
      : badge('not in the best chain', 'badge-warn');
  const summary = keyValues([
    ['Hash', hashLink(b.hash, null, { full: true }), 'hash'],
    ['Height', formatInteger(b.height), 'height'],
    ['Status', status, 'status'],
    ['Time', `${formatTime(b.time)} (${timeAgo(b.time)})`, 'time'],
    ['Transactions', formatInteger(b.tx_count), 'tx_count'],
    ['Size', formatBytes(b.size), 'size'],
    ['Previous block', b.height > 0 ? hashLink(b.prev_hash, blockHref(b.prev_hash)) : h('span', { class: 'muted' }, 'none (genesis)'), 'prev_hash'],
    ['Next block', next ? hashLink(next, blockHref(next)) : h('span', { class: 'muted' }, b.in_best_chain ? 'not yet mined' : '—'), 'next_hash'],
    ['Difficulty', `${formatCompact(difficultyOf(b.target))} expected hashes`, 'difficulty'],
    ['Target', h('span', { class: 'mono wrap' }, b.target)],
    ['Bits', `0x${b.bits.toString(16).padStart(8, '0')}`],
    ['Nonce', formatInteger(b.nonce)],
    ['Chain work', h('span', { class: 'mono wrap' }, b.chain_work)],
    ['Median time past', formatTime(b.median_time_past)],
    ['Votes', formatInteger(b.vote_count ?? 0)],
    ['Transaction root', hashLink(b.tx_root, null)],
    ['State root', hashLink(b.state_root, null)],
    b.witness_root ? ['Witness root', hashLink(b.witness_root, null)] : null,
    b.vote_root ? ['Vote root', hashLink(b.vote_root, null)] : null,
    ['Version', String(b.version)],
  ]);
  const rows = b.transactions.map((tx, i) => [
    String(i),
    hashLink(tx.txid, txHref(tx.txid)),
    kindBadge(tx),
    formatInteger(tx.inputs.length),
    formatInteger(tx.outputs.length),
    formatBytes(tx.size),
    formatAmount(txValue(tx)),
  ]);
  const nav = h('div', { class: 'pager' },
    b.height > 0 ? h('a', { class: 'button', href: blockHref(b.prev_hash) }, `← Block ${formatInteger(b.height - 1)}`) : h('span'),
    next ? h('a', { class: 'button', href: blockHref(next) }, `Block ${formatInteger(b.height + 1)} →`) : h('span'));
  return h('div', { class: 'page page-block', dataset: { hash: b.hash } },
    h('div', { class: 'page-head' }, h('h1', null, `Block ${formatInteger(b.height)}`), nav),
    card('Summary', summary),
    card(`Transactions (${formatInteger(b.tx_count)})`, table(['#', 'Transaction', 'Kind', 'Inputs', 'Outputs', 'Size', 'Output value'], rows, { id: 'block-txs', numeric: [3, 4, 5, 6] })));
}

// ---------------------------------------------------------------------------------------
// Transaction

function payloadView(payload) {
  if (!payload || payload.kind === 'none') return null;
  const rows = [['Kind', badge(payload.kind, `badge-${payload.kind}`)]];
  const c = payload.contract;
  if (c) {
    if (c.contract) rows.push(['Contract', addressLink(c.address)]);
    if (c.method) rows.push(['Method', h('span', { class: 'mono' }, c.method)]);
    if (c.code_hash) rows.push(['Code hash', hashLink(c.code_hash, null)]);
    if (c.code_size !== undefined) rows.push(['Code size', formatBytes(c.code_size)]);
    if (c.value !== undefined) rows.push(['Value', formatAmount(c.value)]);
    if (c.admin !== undefined) rows.push(['Admin', c.admin ? addressLink(c.admin) : 'none (immutable)']);
    if (c.salt !== undefined) rows.push(['Salt', hashLink(c.salt, null)]);
    rows.push(['Gas limit', formatInteger(c.gas_limit)]);
    rows.push(['Gas price', `${formatAmount(c.gas_price)} per gas`]);
    if (c.args !== undefined) rows.push(['Arguments', hexBlock(c.args)]);
  } else {
    rows.push(['Body', hexBlock(payload.body)]);
  }
  return card('Payload', keyValues(rows));
}

function hexBlock(hex) {
  if (!hex) return h('span', { class: 'muted' }, 'empty');
  const text = hexToText(hex);
  return h('div', null, h('code', { class: 'hex' }, hex.length > 512 ? `${hex.slice(0, 512)}… (${formatBytes(hex.length / 2)})` : hex), text ? h('div', { class: 'muted' }, `as text: “${text}”`) : null);
}

function receiptView(r) {
  const ok = r.status === 'success';
  const rows = [
    ['Outcome', badge(r.status.replaceAll('_', ' '), ok ? 'badge-ok' : 'badge-warn'), 'receipt_status'],
    ['Contract', addressLink(r.address)],
    ['Gas used', formatInteger(r.gas_used)],
    r.message ? ['Message', r.message] : null,
    ['Return data', hexBlock(r.return_data)],
  ];
  const events = r.events.map((e, i) => [String(i), addressLink(e.address), h('div', null, e.topics.map((t) => h('div', null, hashLink(t, null)))), hexBlock(e.data)]);
  const outputs = r.created_outputs.map((o) => [String(o.index), addressLink(o.address), o.value === null ? '—' : formatAmount(o.value), o.spent ? badge('spent', '') : badge('unspent', 'badge-ok')]);
  return card('Contract receipt', keyValues(rows),
    h('h3', null, `Events (${r.events.length})`), table(['#', 'Emitter', 'Topics', 'Data'], events, { empty: 'No events.' }),
    h('h3', null, `Created outputs (${r.created_outputs.length})`), table(['Index', 'Pays', 'Value', 'State'], outputs, { empty: 'None.', numeric: [2] }));
}

export async function transaction(ctx, txid) {
  const { rpc } = ctx;
  let tx;
  try {
    tx = await rpc.call('tx_get', { txid });
  } catch (error) {
    if (error instanceof RpcError && error.code === NOT_FOUND) throw new RpcError(NOT_FOUND, `No transaction ${txid} in this node's best chain or mempool.`);
    throw error;
  }
  ctx.setTitle(`Transaction ${txid.slice(0, 10)}…`);
  const receipt = await rpc.call('tx_get_receipt', { txid }).catch(() => null);
  // The outputs the inputs spend: their address and value come from their transactions.
  const prevTxids = [...new Set(tx.inputs.slice(0, PREVOUT_LOOKUPS).map((i) => i.txid))];
  const prevs = new Map();
  (await rpc.batch(prevTxids.map((id) => ['tx_get', { txid: id }]))).forEach((p, i) => {
    if (!(p instanceof Error)) prevs.set(prevTxids[i], p);
  });
  const inputRows = tx.inputs.map((input, i) => {
    const spent = prevs.get(input.txid)?.outputs[input.index];
    return [String(i), h('span', null, hashLink(input.txid, txHref(input.txid)), h('span', { class: 'muted' }, `:${input.index}`)), spent ? addressLink(spent.address) : h('span', { class: 'muted' }, '—'), spent ? formatAmount(spent.value) : '—', input.witness_kind];
  });
  const inputTotal = tx.inputs.every((input) => prevs.get(input.txid)?.outputs[input.index])
    ? sumAmounts(tx.inputs.map((input) => prevs.get(input.txid).outputs[input.index].value))
    : null;
  const outputRows = tx.outputs.map((o, i) => [String(i), addressLink(o.address), o.lock.kind.replace('_', ' '), formatAmount(o.value)]);
  const loc = tx.location;
  const status = tx.in_mempool
    ? badge('pending in the mempool', 'badge-pending')
    : loc
      ? badge(`confirmed · ${formatInteger(loc.confirmations)} confirmation${loc.confirmations === 1 ? '' : 's'}`, 'badge-ok')
      : badge('unknown', 'badge-warn');
  const summary = keyValues([
    ['Transaction id', hashLink(tx.txid, null, { full: true }), 'txid'],
    ['Status', status, 'status'],
    loc ? ['Block', h('span', null, heightLink(loc.height, loc.block_hash), ' · ', hashLink(loc.block_hash, blockHref(loc.block_hash)), h('span', { class: 'muted' }, ` position ${loc.position}`)), 'block'] : null,
    ['Kind', kindBadge(tx)],
    ['Output value', formatAmount(txValue(tx)), 'value'],
    inputTotal !== null && !tx.coinbase ? ['Input value', formatAmount(inputTotal)] : null,
    receipt && receipt.fee !== undefined && !tx.coinbase ? ['Fee', formatAmount(receipt.fee), 'fee'] : null,
    ['Size', formatBytes(tx.size)],
    ['Witness hash', hashLink(tx.wtxid, null)],
    ['Version', String(tx.version)],
    ['Lock time', tx.lock_time === 0 ? 'none' : formatInteger(tx.lock_time)],
  ]);
  return h('div', { class: 'page page-tx', dataset: { txid: tx.txid } },
    h('div', { class: 'page-head' }, h('h1', null, tx.coinbase ? 'Coinbase transaction' : 'Transaction')),
    card('Summary', summary),
    h('div', { class: 'columns' },
      card(`Inputs (${tx.inputs.length})`, table(['#', 'Spends', 'From', 'Value', 'Witness'], inputRows, { id: 'tx-inputs', empty: tx.coinbase ? 'A coinbase spends nothing: it creates the block reward.' : 'No inputs.', numeric: [3] })),
      card(`Outputs (${tx.outputs.length})`, table(['#', 'To', 'Lock', 'Value'], outputRows, { id: 'tx-outputs', numeric: [3] }))),
    payloadView(tx.payload),
    tx.receipt ? receiptView(tx.receipt) : null);
}

// ---------------------------------------------------------------------------------------
// Charts

export async function charts(ctx, countText) {
  const { rpc } = ctx;
  const count = CHART_SIZES.includes(Number(countText)) ? Number(countText) : DEFAULT_CHART_BLOCKS;
  const info = await rpc.call('chain_get_info');
  const first = Math.max(0, info.height - count); // one more than shown: the first block time needs its parent
  const heights = [];
  for (let height = first; height <= info.height; height += 1) heights.push(height);
  const list = (await rpc.batch(heights.map((height) => ['chain_get_block', { block: height, transactions: 'none' }]))).filter((b) => !(b instanceof Error));
  const container = h('div', { class: 'chart-grid-wrap' });
  const caption = h('p', { class: 'muted' });
  const draw = () => {
    const shown = list.slice(-count);
    // Seconds since the parent block; not for block 1, whose parent (genesis) has a fixed,
    // old timestamp.
    const times = [];
    for (let i = 1; i < list.length; i += 1) {
      if (list[i].height > 1) times.push({ x: list[i].height, y: list[i].time - list[i - 1].time });
    }
    const shownTimes = times.slice(-count);
    const difficulty = shown.map((b) => ({ x: b.height, y: difficultyOf(b.target) }));
    const txs = shown.map((b) => ({ x: b.height, y: b.tx_count }));
    const mean = (points) => (points.length ? points.reduce((a, p) => a + p.y, 0) / points.length : 0);
    caption.textContent = shown.length
      ? `Blocks ${formatInteger(shown[0].height)} to ${formatInteger(shown.at(-1).height)} (${formatInteger(shown.length)}); new blocks are added as they arrive.`
      : 'No blocks yet.';
    clear(container);
    container.append(
      chartCard('Block time', `average ${formatDurationShort(mean(shownTimes))} over ${shownTimes.length} blocks`,
        chart(shownTimes, { kind: 'line', format: formatDurationShort, label: 'Seconds between blocks' })),
      chartCard('Difficulty', `latest ${formatCompact(difficulty.at(-1)?.y ?? NaN)} expected hashes per block`,
        chart(difficulty, { kind: 'line', format: formatCompact, label: 'Difficulty (expected hashes per block)', average: false })),
      chartCard('Transactions per block', `${formatInteger(txs.reduce((a, p) => a + p.y, 0))} in ${txs.length} blocks`,
        chart(txs, { kind: 'bar', format: formatCompact, label: 'Transactions per block', integer: true })),
    );
  };
  draw();
  ctx.cleanup(rpc.on('new_heads', async (head) => {
    if (head.event !== 'connected' || ctx.stale()) return;
    const b = await rpc.call('chain_get_block', { block: head.hash, transactions: 'none' }).catch(() => null);
    if (!b || ctx.stale()) return;
    while (list.length && list.at(-1).height >= b.height) list.pop();
    list.push(b);
    while (list.length > count + 1) list.shift();
    draw();
  }));
  const choices = h('div', { class: 'segmented' }, CHART_SIZES.map((n) => h('a', { href: `#/charts/${n}`, class: n === count ? 'active' : '' }, `${n} blocks`)));
  return h('div', { class: 'page page-charts' },
    h('div', { class: 'page-head' }, h('h1', null, 'Charts'), choices),
    caption,
    container);
}
