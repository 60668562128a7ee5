// A js-libp2p peer for Cairn's interop tests.
//
//   node js_node.mjs listen            listens on 127.0.0.1 (a free port) and prints
//                                      {"event":"listening","peerId":...,"addrs":[...]}
//   node js_node.mjs dial <multiaddr>  dials a Cairn node, pings it and identifies it
//
// Every line on stdout is one JSON object. After a connection is identified it prints
// {"event":"identified", "agentVersion", "protocolVersion", "protocols", "listenAddrs",
// "observedAddr"} for what it learned about the remote; after a ping {"event":"ping","rtt"}.
// It exits on stdin EOF or SIGTERM; a failure prints {"event":"error","message"}.
import './polyfill.mjs'

const { createLibp2p } = await import('libp2p')
const { tcp } = await import('@libp2p/tcp')
const { noise } = await import('@chainsafe/libp2p-noise')
const { yamux } = await import('@chainsafe/libp2p-yamux')
const { identify } = await import('@libp2p/identify')
const { ping } = await import('@libp2p/ping')
const { multiaddr } = await import('@multiformats/multiaddr')

const print = (object) => process.stdout.write(JSON.stringify(object) + '\n')
const fail = (error) => {
  print({ event: 'error', message: String(error?.stack ?? error) })
  process.exit(1)
}

const [mode, target] = process.argv.slice(2)
const node = await createLibp2p({
  addresses: { listen: mode === 'listen' ? ['/ip4/127.0.0.1/tcp/0'] : [] },
  transports: [tcp()],
  connectionEncrypters: [noise()],
  streamMuxers: [yamux()],
  services: { identify: identify(), ping: ping() }
})

node.addEventListener('peer:identify', (event) => {
  const result = event.detail
  print({
    event: 'identified',
    peerId: result.peerId.toString(),
    agentVersion: result.agentVersion,
    protocolVersion: result.protocolVersion,
    protocols: result.protocols,
    listenAddrs: result.listenAddrs.map((a) => a.toString()),
    observedAddr: result.observedAddr?.toString()
  })
})

const shutdown = async () => {
  await node.stop()
  process.exit(0)
}
process.on('SIGTERM', shutdown)
process.stdin.on('end', shutdown)
process.stdin.resume()

print({ event: 'listening', peerId: node.peerId.toString(), addrs: node.getMultiaddrs().map((a) => a.toString()) })

if (mode === 'dial') {
  try {
    const address = multiaddr(target)
    await node.dial(address)
    const rtt = await node.services.ping.ping(address)
    print({ event: 'ping', rtt })
  } catch (error) {
    fail(error)
  }
}
