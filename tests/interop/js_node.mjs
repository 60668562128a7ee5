// A js-libp2p peer for Cairn's interop tests.
//
//   node js_node.mjs listen            listens on 127.0.0.1 (a free port) and prints
//                                      {"event":"listening","peerId":...,"addrs":[...]}
//   node js_node.mjs dial <multiaddr>  dials a Cairn node, pings it and identifies it
//   node js_node.mjs gossip <StrictSign|StrictNoSign> <topic> [<multiaddr>]
//                                      listens, runs gossipsub (flood publishing and IP
//                                      colocation scoring off; under StrictNoSign with Cairn's
//                                      message id, BLAKE3 keyed by "cairn v1 gossip id" over
//                                      topic ‖ data), subscribes to <topic> and dials the
//                                      address if given
//
//   node js_node.mjs kad <protocol> [<multiaddr>...]
//                                      listens, runs the Kademlia DHT on <protocol> in server
//                                      mode keeping loopback addresses, and dials each address
//                                      given; commands on stdin: {"cmd":"table"} prints
//                                      {"event":"table","peers"} (the routing table's peer
//                                      ids); {"cmd":"findPeer","peerId"} prints
//                                      {"event":"found","peerId","addrs"} or {"event":
//                                      "notFound"}; {"cmd":"connections"} prints
//                                      {"event":"connections","peers"}
//
//   --psk <file>  (anywhere on the command line) joins the private network of the pnet key
//                 file: js-libp2p's connectionProtector preSharedKey() from @libp2p/pnet
//
// Every line on stdout is one JSON object. After a connection is identified it prints
// {"event":"identified", "agentVersion", "protocolVersion", "protocols", "listenAddrs",
// "observedAddr"} for what it learned about the remote; after a ping {"event":"ping","rtt"}.
// In gossip mode it also prints {"event":"graft"|"prune","peerId","topic","direction"},
// {"event":"message","topic","data","msgId" (hex),"from"} for every message received, and
// reads commands, one JSON object a line, on stdin: {"cmd":"publish","data":<text>} prints
// {"event":"published","recipients"}; {"cmd":"status"} prints {"event":"status","protocols"
// (of every open stream),"mesh" (peer ids in the topic's mesh)}.
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

const args = process.argv.slice(2)
const pskAt = args.indexOf('--psk')
const pskFile = pskAt >= 0 ? args.splice(pskAt, 2)[1] : undefined
const [mode, ...rest] = args
const target = mode === 'gossip' ? rest[2] : mode === 'kad' ? undefined : rest[0]
const services = { identify: identify(), ping: ping() }
if (mode === 'gossip') {
  const [policy, topic] = rest
  const { gossipsub } = await import('@libp2p/gossipsub')
  const { blake3 } = await import('@noble/hashes/blake3.js')
  const utf8 = new TextEncoder()
  const idKey = blake3(new Uint8Array(0), { context: utf8.encode('cairn v1 gossip id') })
  const cairnMsgId = (msg) => {
    const topicBytes = utf8.encode(msg.topic)
    const input = new Uint8Array(topicBytes.length + msg.data.length)
    input.set(topicBytes, 0)
    input.set(msg.data, topicBytes.length)
    return blake3(input, { key: idKey })
  }
  services.pubsub = gossipsub({
    globalSignaturePolicy: policy,
    ...(policy === 'StrictNoSign' ? { msgIdFn: cairnMsgId } : {}),
    floodPublish: false,
    allowPublishToZeroTopicPeers: true,
    scoreParams: { IPColocationFactorWeight: 0 }
  })
}
if (mode === 'kad') {
  const { kadDHT, passthroughMapper } = await import('@libp2p/kad-dht')
  services.dht = kadDHT({
    protocol: rest[0],
    clientMode: false,
    // Loopback addresses are all these tests have; the default mapper drops them.
    peerInfoMapper: passthroughMapper,
    allowQueryWithZeroPeers: true
  })
}
let connectionProtector
if (pskFile !== undefined) {
  const { preSharedKey } = await import('@libp2p/pnet')
  const { readFileSync } = await import('node:fs')
  connectionProtector = preSharedKey({ psk: readFileSync(pskFile) })
}
const node = await createLibp2p({
  ...(connectionProtector ? { connectionProtector } : {}),
  addresses: { listen: mode === 'dial' ? [] : ['/ip4/127.0.0.1/tcp/0'] },
  transports: [tcp()],
  connectionEncrypters: [noise()],
  streamMuxers: [yamux()],
  services
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

if (mode === 'gossip') {
  const pubsub = node.services.pubsub
  const topic = rest[1]
  const hex = (bytes) => Buffer.from(bytes).toString('hex')
  for (const name of ['graft', 'prune']) {
    pubsub.addEventListener(`gossipsub:${name}`, (event) => {
      const { peerId, topic, direction } = event.detail
      print({ event: name, peerId: peerId.toString(), topic, direction })
    })
  }
  pubsub.addEventListener('gossipsub:message', (event) => {
    const { msg, msgId } = event.detail
    print({
      event: 'message',
      topic: msg.topic,
      data: new TextDecoder().decode(msg.data),
      msgId: hex(Buffer.from(msgId, 'base64')), // gossipsub gives it in unpadded base64
      from: msg.from?.toString()
    })
  })
  pubsub.subscribe(topic)
  const { createInterface } = await import('node:readline')
  createInterface({ input: process.stdin }).on('line', async (line) => {
    try {
      const command = JSON.parse(line)
      if (command.cmd === 'publish') {
        const result = await pubsub.publish(topic, new TextEncoder().encode(command.data))
        print({ event: 'published', recipients: result.recipients.map((p) => p.toString()) })
      } else if (command.cmd === 'status') {
        const protocols = node.getConnections().flatMap((c) => c.streams.map((s) => s.protocol))
        print({ event: 'status', protocols, mesh: pubsub.getMeshPeers(topic).map((p) => p.toString()) })
      }
    } catch (error) {
      fail(error)
    }
  })
}

if (mode === 'kad') {
  const dht = node.services.dht
  const { peerIdFromString } = await import('@libp2p/peer-id')
  const { createInterface } = await import('node:readline')
  createInterface({ input: process.stdin }).on('line', async (line) => {
    try {
      const command = JSON.parse(line)
      if (command.cmd === 'table') {
        const peers = [...dht.routingTable.kb.toIterable()].map((p) => p.peerId.toString())
        print({ event: 'table', peers })
      } else if (command.cmd === 'connections') {
        print({ event: 'connections', peers: node.getConnections().map((c) => c.remotePeer.toString()) })
      } else if (command.cmd === 'findPeer') {
        const id = peerIdFromString(command.peerId)
        let found = null
        try {
          for await (const event of dht.findPeer(id, { useCache: false, signal: AbortSignal.timeout(15000) })) {
            if (event.name === 'FINAL_PEER' && event.peer.id.equals(id)) {
              found = event.peer
              break
            }
          }
        } catch (error) {
          print({ event: 'log', message: String(error) })
        }
        if (found != null) {
          print({ event: 'found', peerId: found.id.toString(), addrs: found.multiaddrs.map((a) => a.toString()) })
        } else {
          print({ event: 'notFound' })
        }
      }
    } catch (error) {
      fail(error)
    }
  })
}

print({ event: 'listening', peerId: node.peerId.toString(), addrs: node.getMultiaddrs().map((a) => a.toString()) })

if (mode === 'gossip' && target) {
  try {
    await node.dial(multiaddr(target))
  } catch (error) {
    fail(error)
  }
}

if (mode === 'kad') {
  for (const address of rest.slice(1)) {
    try {
      await node.dial(multiaddr(address))
    } catch (error) {
      fail(error)
    }
  }
}

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
