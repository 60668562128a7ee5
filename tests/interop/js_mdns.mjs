// A js-libp2p peer with @libp2p/mdns discovery, for Cairn's mDNS interop test
// (tests/net/mdns_multicast_tests.cpp, run in a network namespace whose loopback carries
// multicast).
//
//   node js_mdns.mjs <query interval ms>
//
// Listens on 127.0.0.1 (a free port), starts mDNS on 224.0.0.251:5353 and prints, one JSON
// object a line: {"event":"listening","peerId","addrs"} once started, then
// {"event":"discovered","peerId","addrs"} for every peer:discovery event. It exits on stdin
// EOF or SIGTERM; a failure prints {"event":"error","message"}.
import './polyfill.mjs'

const { createLibp2p } = await import('libp2p')
const { tcp } = await import('@libp2p/tcp')
const { noise } = await import('@chainsafe/libp2p-noise')
const { yamux } = await import('@chainsafe/libp2p-yamux')
const { identify } = await import('@libp2p/identify')
const { mdns } = await import('@libp2p/mdns')

const print = (object) => process.stdout.write(JSON.stringify(object) + '\n')
const fail = (error) => {
  print({ event: 'error', message: String(error?.stack ?? error) })
  process.exit(1)
}
process.on('uncaughtException', fail)
process.on('unhandledRejection', fail)

const interval = Number(process.argv[2] ?? 1000)
const node = await createLibp2p({
  addresses: { listen: ['/ip4/127.0.0.1/tcp/0'] },
  transports: [tcp()],
  connectionEncrypters: [noise()],
  streamMuxers: [yamux()],
  services: { identify: identify() },
  peerDiscovery: [mdns({ interval })]
})
node.addEventListener('peer:discovery', (event) => {
  print({
    event: 'discovered',
    peerId: event.detail.id.toString(),
    addrs: event.detail.multiaddrs.map((addr) => addr.toString())
  })
})
await node.start()
print({
  event: 'listening',
  peerId: node.peerId.toString(),
  addrs: node.getMultiaddrs().map((addr) => addr.toString())
})

const stop = async () => {
  await node.stop()
  process.exit(0)
}
process.on('SIGTERM', stop)
process.stdin.on('end', stop)
process.stdin.resume()
