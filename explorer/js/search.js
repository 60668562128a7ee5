// What a search box entry names: a block height, a block hash, a txid, a contract id (all
// 64 hex digits, told apart by asking the node), an address or a contract address (bech32m,
// kind symbol 'q'/'p' for keys and locks, 'z' for contracts: docs/consensus.md §11).

import { RpcError, NOT_FOUND } from './rpc.js';

const ADDRESS = /^(cairn|tcairn|rcairn)1[qpzry9x8gf2tvdw0s3jn54khce6mua7l]{20,}$/;

async function exists(rpc, method, params) {
  try {
    await rpc.call(method, params);
    return true;
  } catch (error) {
    if (error instanceof RpcError && (error.code === NOT_FOUND || error.code === -32602)) return false;
    throw error;
  }
}

// The route for the query ("block/<hash>", "tx/<txid>", ...) or null when nothing matches.
export async function classify(rpc, query) {
  const q = query.trim();
  if (/^\d+$/.test(q)) {
    const height = Number(q);
    if (!Number.isSafeInteger(height)) return null;
    try {
      return `block/${await rpc.call('chain_get_block_hash', { height })}`;
    } catch (error) {
      if (error instanceof RpcError) return null;
      throw error;
    }
  }
  const lower = q.toLowerCase();
  if (/^[0-9a-f]{64}$/.test(lower)) {
    if (await exists(rpc, 'chain_get_header', { block: lower })) return `block/${lower}`;
    if (await exists(rpc, 'tx_get', { txid: lower })) return `tx/${lower}`;
    if (await exists(rpc, 'contract_get', { contract: lower })) return `contract/${lower}`;
    return null;
  }
  if (ADDRESS.test(lower)) {
    const kind = lower[lower.indexOf('1') + 1];
    return kind === 'z' ? `contract/${lower}` : `address/${lower}`;
  }
  return null;
}
