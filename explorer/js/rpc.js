// JSON-RPC 2.0 client for the node that served this page: requests and subscriptions over a
// WebSocket to the same origin, HTTP POST to the same origin while the socket is down, and
// reconnection with exponential backoff. Only `public` methods are called (docs/rpc.md).

const REQUEST_TIMEOUT_MS = 20000;
const BACKOFF_FIRST_MS = 1000;
const BACKOFF_MAX_MS = 30000;
const MAX_BATCH = 100;
const POLL_MS = 5000; // while the WebSocket is down: how often new blocks are polled over HTTP
const POLL_MAX_BLOCKS = 10; // new blocks announced per poll at most (the newest ones) // requests in a batch (docs/rpc.md "Limits")
export const NOT_FOUND = -32000;

export class RpcError extends Error {
  constructor(code, message, data) {
    super(message);
    this.name = 'RpcError';
    this.code = code;
    this.data = data;
  }
}

// A failure to reach the node at all (as opposed to the node answering with an error).
export class UnreachableError extends Error {
  constructor(message) {
    super(message);
    this.name = 'UnreachableError';
  }
}

export class Rpc extends EventTarget {
  constructor(base = location) {
    super();
    this.httpUrl = `${base.protocol}//${base.host}/`;
    this.wsUrl = `${base.protocol === 'https:' ? 'wss' : 'ws'}://${base.host}/`;
    this.nextId = 1;
    this.pending = new Map(); // id -> {resolve, reject, timer}
    this.topics = new Map(); // topic -> Set of handlers
    this.subscriptionTopic = new Map(); // subscription id -> topic
    this.socket = null;
    this.backoff = BACKOFF_FIRST_MS;
    this.retryTimer = null;
    this.state = 'connecting';
    this.everOpened = false;
  }

  // Opens the WebSocket (and keeps reopening it).
  start() {
    this.connect();
    return this;
  }

  setState(state, detail = {}) {
    this.state = state;
    this.dispatchEvent(new CustomEvent('state', { detail: { state, ...detail } }));
    if (state === 'live') {
      clearInterval(this.pollTimer);
      this.pollTimer = null;
    } else if (!this.pollTimer) {
      this.pollTimer = setInterval(() => this.poll(), POLL_MS);
    }
  }

  deliver(topic, result) {
    if (topic === 'new_heads' && result.event === 'connected') this.lastHeight = result.height;
    for (const handler of this.topics.get(topic) || []) handler(result);
  }

  // Without a WebSocket, new_heads listeners still learn of new blocks: the tip is polled over
  // HTTP and the blocks above the last one announced are delivered as `connected` events.
  async poll() {
    if (!this.topics.get('new_heads')?.size) return;
    let info;
    try {
      info = await this.call('chain_get_info');
    } catch {
      return; // unreachable: the page says so when it next asks for something
    }
    if (this.state === 'live') return;
    if (this.lastHeight === undefined || info.height < this.lastHeight) {
      this.lastHeight = info.height;
      return;
    }
    const from = Math.max(this.lastHeight + 1, info.height - POLL_MAX_BLOCKS + 1);
    const calls = [];
    for (let height = from; height <= info.height; height += 1) calls.push(['chain_get_header', { block: height }]);
    const headers = await this.batch(calls).catch(() => []);
    for (const header of headers) {
      if (!(header instanceof Error) && this.state !== 'live') this.deliver('new_heads', { ...header, event: 'connected' });
    }
  }

  connect() {
    clearTimeout(this.retryTimer);
    this.setState(this.everOpened ? 'reconnecting' : 'connecting');
    let socket;
    try {
      socket = new WebSocket(this.wsUrl);
    } catch (error) {
      this.scheduleReconnect();
      return;
    }
    this.socket = socket;
    socket.addEventListener('open', () => {
      this.backoff = BACKOFF_FIRST_MS;
      const reopened = this.everOpened;
      this.everOpened = true;
      this.setState('live');
      this.resubscribe();
      if (reopened) this.dispatchEvent(new CustomEvent('reconnected'));
    });
    socket.addEventListener('message', (event) => this.onMessage(event.data));
    socket.addEventListener('close', () => {
      if (this.socket !== socket) return;
      this.socket = null;
      this.subscriptionTopic.clear();
      this.dispatchEvent(new CustomEvent('unsubscribed'));
      // Requests sent on this socket will not be answered: fail them so callers can retry.
      for (const [id, entry] of this.pending) {
        if (entry.viaSocket) {
          clearTimeout(entry.timer);
          this.pending.delete(id);
          entry.reject(new UnreachableError('the connection to the node closed'));
        }
      }
      this.scheduleReconnect();
    });
  }

  scheduleReconnect() {
    const delay = Math.round(this.backoff * (0.75 + Math.random() * 0.5));
    this.backoff = Math.min(this.backoff * 2, BACKOFF_MAX_MS);
    this.setState('reconnecting', { retryAt: Date.now() + delay });
    this.retryTimer = setTimeout(() => this.connect(), delay);
  }

  // Reconnects now rather than at the end of the backoff (the "retry" button).
  retryNow() {
    if (this.socket) return;
    this.backoff = BACKOFF_FIRST_MS;
    this.connect();
  }

  onMessage(text) {
    let message;
    try {
      message = JSON.parse(text);
    } catch {
      return;
    }
    const messages = Array.isArray(message) ? message : [message];
    for (const m of messages) {
      if (m && m.method === 'node_subscription' && m.params) {
        this.deliver(this.subscriptionTopic.get(m.params.subscription) || m.params.topic, m.params.result);
      } else if (m && m.id != null && this.pending.has(m.id)) {
        const entry = this.pending.get(m.id);
        this.pending.delete(m.id);
        clearTimeout(entry.timer);
        entry.settle(m);
      }
    }
  }

  // Sends one request object, or an array of them (a batch), and resolves with the response
  // object or array (responses matched by id).
  exchange(request) {
    if (!this.socket || this.socket.readyState !== WebSocket.OPEN) return this.post(request);
    const requests = Array.isArray(request) ? request : [request];
    const settled = requests.map(
      (r) =>
        new Promise((resolve, reject) => {
          const timer = setTimeout(() => {
            this.pending.delete(r.id);
            reject(new UnreachableError(`${r.method}: no answer in ${REQUEST_TIMEOUT_MS / 1000} s`));
          }, REQUEST_TIMEOUT_MS);
          this.pending.set(r.id, { settle: resolve, reject, timer, viaSocket: true });
        }),
    );
    this.socket.send(JSON.stringify(request));
    return Array.isArray(request) ? Promise.all(settled) : settled[0];
  }

  async post(body) {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), REQUEST_TIMEOUT_MS);
    let response;
    try {
      response = await fetch(this.httpUrl, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify(body),
        signal: controller.signal,
        cache: 'no-store',
      });
    } catch (error) {
      throw new UnreachableError('the node is unreachable');
    } finally {
      clearTimeout(timer);
    }
    let reply;
    try {
      reply = await response.json();
    } catch {
      throw new UnreachableError(`the node answered HTTP ${response.status}`);
    }
    // A refusal of the whole request (rate limit, busy, too large) has id null.
    if (!Array.isArray(reply) && reply.error && reply.id === null) {
      throw new RpcError(reply.error.code, reply.error.message, reply.error.data);
    }
    return reply;
  }

  async call(method, params = {}) {
    const request = { jsonrpc: '2.0', id: this.nextId++, method, params };
    const reply = await this.exchange(request);
    if (reply.error) throw new RpcError(reply.error.code, reply.error.message, reply.error.data);
    return reply.result;
  }

  // Several calls in JSON-RPC batches of at most 100 (docs/rpc.md "Limits"; a batch takes one
  // token of the rate limit): an array of results, or of RpcErrors where a call failed.
  async batch(calls) {
    const results = [];
    for (let start = 0; start < calls.length; start += MAX_BATCH) {
      const requests = calls
        .slice(start, start + MAX_BATCH)
        .map(([method, params]) => ({ jsonrpc: '2.0', id: this.nextId++, method, params: params || {} }));
      const replies = await this.exchange(requests);
      const byId = new Map((Array.isArray(replies) ? replies : [replies]).map((r) => [r.id, r]));
      for (const request of requests) {
        const reply = byId.get(request.id);
        if (!reply) throw new UnreachableError('the node did not answer every request of a batch');
        results.push(reply.error ? new RpcError(reply.error.code, reply.error.message, reply.error.data) : reply.result);
      }
    }
    return results;
  }

  // Calls handler(result) for each notification of the topic until the returned function is
  // called. Subscriptions are renewed after every reconnection.
  on(topic, handler) {
    if (!this.topics.has(topic)) {
      this.topics.set(topic, new Set());
      this.subscribeTopic(topic);
    }
    this.topics.get(topic).add(handler);
    return () => this.topics.get(topic).delete(handler);
  }

  async subscribeTopic(topic) {
    if (!this.socket || this.socket.readyState !== WebSocket.OPEN) return; // resubscribe() on open
    try {
      const id = await this.call('node_subscribe', { topic });
      this.subscriptionTopic.set(id, topic);
      this.dispatchEvent(new CustomEvent('subscribed', { detail: { topic } }));
    } catch {
      // The socket closed meanwhile: resubscribe() runs when it reopens.
    }
  }

  resubscribe() {
    for (const topic of this.topics.keys()) this.subscribeTopic(topic);
  }
}
