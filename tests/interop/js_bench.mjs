// js-libp2p doing what bench/net_bench.cpp measures for Cairn, for the ratios bench/net_bench.sh
// prints: two js-libp2p nodes in this process over loopback TCP (Noise + Yamux), a sink
// protocol that reads a stream to its end and answers "ok".
//
//   node js_bench.mjs [--mib 64] [--messages 10000]
//
// Prints one JSON object: {"noise_yamux_1_MBps", "noise_yamux_16_MBps", "small_messages_per_s",
// "handshakes_per_s"}. MB here is 2^20 bytes, as Google Benchmark's bytes_per_second.
import './polyfill.mjs'

const { createLibp2p } = await import('libp2p')
const { tcp } = await import('@libp2p/tcp')
const { noise } = await import('@chainsafe/libp2p-noise')
const { yamux } = await import('@chainsafe/libp2p-yamux')
const { pEvent } = await import('p-event')

const option = (name, fallback) => {
  const at = process.argv.indexOf(`--${name}`)
  return at >= 0 ? Number(process.argv[at + 1]) : fallback
}
const mib = option('mib', 64)
const smallMessages = option('messages', 10000)
const protocol = '/cairn/bench/sink/1.0.0'
const chunkSize = 64 * 1024

const make = (listen) =>
  createLibp2p({
    addresses: { listen: listen ? ['/ip4/127.0.0.1/tcp/0'] : [] },
    transports: [tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    connectionManager: { maxConnections: 10000, inboundConnectionThreshold: 100000, maxIncomingPendingConnections: 1000 }
  })

const receiver = await make(true)
const sender = await make(false)
await receiver.handle(
  protocol,
  async (stream) => {
    let got = 0
    for await (const buf of stream) got += buf.byteLength
    stream.send(new TextEncoder().encode('ok'))
    await stream.close()
    return got
  },
  { maxInboundStreams: 1024, runOnLimitedConnection: true }
)
const address = receiver.getMultiaddrs()[0]
await sender.dial(address)

// Sends `count` messages of `data` on a new stream, closes it and waits for "ok".
async function sendOnStream (count, data) {
  const stream = await sender.dialProtocol(address, protocol, { maxOutboundStreams: 1024 })
  for (let i = 0; i < count; i++) {
    if (!stream.send(data)) await pEvent(stream, 'drain', { rejectionEvents: ['close'] })
  }
  await stream.close()
  for await (const _ of stream) { /* the answer */ }
}

async function throughput (streams) {
  const chunk = new Uint8Array(chunkSize).fill(0x5a)
  const perStream = Math.floor((mib * 1024 * 1024) / streams / chunkSize)
  const start = process.hrtime.bigint()
  await Promise.all(Array.from({ length: streams }, () => sendOnStream(perStream, chunk)))
  const seconds = Number(process.hrtime.bigint() - start) / 1e9
  return (perStream * streams * chunkSize) / (1024 * 1024) / seconds
}

async function small () {
  const start = process.hrtime.bigint()
  await sendOnStream(smallMessages, new Uint8Array(64).fill(0x5a))
  return smallMessages / (Number(process.hrtime.bigint() - start) / 1e9)
}

// A new connection each time (the previous one hung up first, outside nothing else).
async function handshakes (count) {
  await sender.hangUp(address)
  const start = process.hrtime.bigint()
  for (let i = 0; i < count; i++) {
    await sender.dial(address)
    await sender.hangUp(address)
  }
  return count / (Number(process.hrtime.bigint() - start) / 1e9)
}

await throughput(1) // warm-up
const result = {
  noise_yamux_1_MBps: await throughput(1),
  noise_yamux_16_MBps: await throughput(16),
  small_messages_per_s: await small(),
  handshakes_per_s: await handshakes(50)
}
process.stdout.write(JSON.stringify(result) + '\n')
await sender.stop()
await receiver.stop()
process.exit(0)
