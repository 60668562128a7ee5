// Formatting of the node's values for people: amounts (decimal strings of base units,
// 10^8 per CAIRN: docs/consensus.md), hashes, times, sizes.

export const UNIT = 'CAIRN';
export const DECIMALS = 8;
const SCALE = 10n ** BigInt(DECIMALS);

const integerFormat = new Intl.NumberFormat('en-US');

export function formatInteger(n) {
  if (n === null || n === undefined) return '—';
  return integerFormat.format(typeof n === 'string' ? BigInt(n) : n);
}

// "5000000000" -> "50 CAIRN"; "123456789" -> "1.23456789 CAIRN" (every significant decimal).
export function formatAmount(units, { unit = true } = {}) {
  if (units === null || units === undefined) return '—';
  const value = BigInt(units);
  const negative = value < 0n;
  const abs = negative ? -value : value;
  const whole = integerFormat.format(abs / SCALE);
  let fraction = (abs % SCALE).toString().padStart(DECIMALS, '0').replace(/0+$/, '');
  const text = `${negative ? '−' : ''}${whole}${fraction ? '.' + fraction : ''}`;
  return unit ? `${text} ${UNIT}` : text;
}

export function sumAmounts(values) {
  return values.reduce((total, v) => total + BigInt(v ?? 0), 0n).toString();
}

export function shortHash(hash, head = 10, tail = 8) {
  if (!hash) return '';
  return hash.length <= head + tail + 1 ? hash : `${hash.slice(0, head)}…${hash.slice(-tail)}`;
}

export function formatBytes(n) {
  if (n === null || n === undefined) return '—';
  if (n < 1024) return `${formatInteger(n)} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let value = n / 1024;
  let i = 0;
  while (value >= 1024 && i < units.length - 1) {
    value /= 1024;
    i += 1;
  }
  return `${value.toFixed(value < 10 ? 2 : 1)} ${units[i]}`;
}

export function formatDuration(seconds) {
  if (seconds === null || seconds === undefined) return '—';
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${s % 60} s`;
  if (s < 86400) return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
  return `${Math.floor(s / 86400)} d ${Math.floor((s % 86400) / 3600)} h`;
}

// Axis labels: "45 s", "2.5 min", "1.2 h".
export function formatDurationShort(seconds) {
  const s = Math.abs(seconds);
  const trim = (v) => (Number.isInteger(v) ? String(v) : v.toFixed(1));
  if (s < 60) return `${trim(Math.round(seconds * 10) / 10)} s`;
  if (s < 3600) return `${trim(Math.round((seconds / 60) * 10) / 10)} min`;
  if (s < 86400) return `${trim(Math.round((seconds / 3600) * 10) / 10)} h`;
  return `${trim(Math.round((seconds / 86400) * 10) / 10)} d`;
}

export function timeAgo(unix) {
  const delta = Date.now() / 1000 - unix;
  if (delta < 5) return 'just now';  // also a block a few seconds ahead of this clock
  return `${formatDuration(delta)} ago`;
}

export function formatTime(unix) {
  const d = new Date(unix * 1000);
  const pad = (n) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

// Expected hashes to find a block at this target: 2^256 / (target + 1), as a Number.
export function difficultyOf(targetHex) {
  const target = BigInt('0x' + targetHex);
  return Number((1n << 256n) / (target + 1n));
}

export function formatCompact(n) {
  if (!Number.isFinite(n)) return '—';
  const abs = Math.abs(n);
  const steps = [
    [1e18, 'E'], [1e15, 'P'], [1e12, 'T'], [1e9, 'G'], [1e6, 'M'], [1e3, 'k'],
  ];
  for (const [size, suffix] of steps) {
    if (abs >= size) return `${(n / size).toFixed(abs / size < 10 ? 2 : 1)}${suffix}`;
  }
  return abs >= 100 || Number.isInteger(n) ? String(Math.round(n)) : n.toFixed(2);
}

// Hex bytes as text when they are printable ASCII (contract keys, values, event data often are).
export function hexToText(hex) {
  if (!hex || hex.length % 2 !== 0) return null;
  let text = '';
  for (let i = 0; i < hex.length; i += 2) {
    const code = parseInt(hex.slice(i, i + 2), 16);
    if (code < 0x20 || code > 0x7e) return null;
    text += String.fromCharCode(code);
  }
  return text;
}

export function formatPercent(ratio) {
  return `${(ratio * 100).toFixed(1)}%`;
}
