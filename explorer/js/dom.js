// Building DOM nodes without HTML strings: everything from the node is set as text, so
// nothing it returns can inject markup (and the Content-Security-Policy forbids inline code).

import { shortHash } from './format.js';

export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  applyAttrs(el, attrs);
  append(el, children);
  return el;
}

const SVG_NS = 'http://www.w3.org/2000/svg';
export function s(tag, attrs, ...children) {
  const el = document.createElementNS(SVG_NS, tag);
  applyAttrs(el, attrs);
  append(el, children);
  return el;
}

function applyAttrs(el, attrs) {
  if (!attrs) return;
  for (const [key, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    if (key.startsWith('on') && typeof value === 'function') el.addEventListener(key.slice(2), value);
    else if (key === 'dataset') Object.assign(el.dataset, value);
    else el.setAttribute(key, value === true ? '' : String(value));
  }
}

export function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

export function clear(el) {
  while (el.firstChild) el.firstChild.remove();
  return el;
}

async function copyText(text) {
  if (navigator.clipboard && window.isSecureContext) {
    await navigator.clipboard.writeText(text);
    return;
  }
  const area = h('textarea', { class: 'copy-buffer', readonly: true });
  area.value = text;
  document.body.append(area);
  area.select();
  const ok = document.execCommand('copy');
  area.remove();
  if (!ok) throw new Error('copy refused');
}

function copyIcon() {
  return s('svg', { viewBox: '0 0 16 16', class: 'icon', 'aria-hidden': 'true' },
    s('rect', { x: 5.5, y: 5.5, width: 8, height: 8, rx: 1.5 }),
    s('path', { d: 'M3.5 10.5h-1a1 1 0 0 1-1-1v-7a1 1 0 0 1 1-1h7a1 1 0 0 1 1 1v1' }));
}

function checkIcon() {
  return s('svg', { viewBox: '0 0 16 16', class: 'icon', 'aria-hidden': 'true' }, s('path', { d: 'M3 8.5l3 3 7-7' }));
}

export function copyButton(text) {
  const button = h('button', { type: 'button', class: 'copy', title: 'Copy to the clipboard', 'aria-label': `Copy ${text}` }, copyIcon());
  button.addEventListener('click', async (event) => {
    event.preventDefault();
    event.stopPropagation();
    try {
      await copyText(text);
      button.replaceChildren(checkIcon());
      button.classList.add('copied');
    } catch {
      button.title = 'The browser refused to copy';
    }
    setTimeout(() => {
      button.replaceChildren(copyIcon());
      button.classList.remove('copied');
    }, 1200);
  });
  return button;
}

// A hash or address: shortened (the whole value in the title), linked, with a copy button.
export function hashLink(value, href, { full = false, head, tail } = {}) {
  const text = full ? value : shortHash(value, head, tail);
  const inner = href ? h('a', { href, title: value, class: 'mono' }, text) : h('span', { title: value, class: 'mono' }, text);
  return h('span', { class: 'hash', dataset: { value } }, inner, copyButton(value));
}

export function badge(text, kind = '') {
  return h('span', { class: `badge ${kind}` }, text);
}

// A two-column table of labelled values.
export function keyValues(rows) {
  return h(
    'dl',
    { class: 'kv' },
    rows.filter(Boolean).map(([label, value, field]) => [
      h('dt', null, label),
      h('dd', field ? { dataset: { field } } : null, value ?? '—'),
    ]),
  );
}

// A table with a header row, wrapped so it scrolls sideways on narrow screens.
export function table(headers, rows, { empty = 'Nothing here yet.', id, numeric = [] } = {}) {
  const head = h('thead', null, h('tr', null, headers.map((label, i) => h('th', numeric.includes(i) ? { class: 'num' } : null, label))));
  const body = h('tbody', null);
  for (const row of rows) body.append(tableRow(row, numeric));
  const wrap = h('div', { class: 'table-wrap' }, h('table', { id }, head, body));
  if (rows.length === 0) body.append(h('tr', { class: 'empty' }, h('td', { colspan: headers.length }, empty)));
  return wrap;
}

export function tableRow(cells, numeric = [], attrs = null) {
  return h('tr', attrs, cells.map((cell, i) => h('td', numeric.includes(i) ? { class: 'num' } : null, cell)));
}

export function card(title, ...children) {
  return h('section', { class: 'card' }, title ? h('h2', null, title) : null, ...children);
}

export function stat(label, value, { field, sub, units } = {}) {
  return h(
    'div',
    { class: 'stat' },
    h('div', { class: 'stat-label' }, label),
    h('div', { class: 'stat-value', dataset: { ...(field ? { field } : {}), ...(units !== undefined ? { units } : {}) } }, value),
    sub ? h('div', { class: 'stat-sub' }, sub) : null,
  );
}
