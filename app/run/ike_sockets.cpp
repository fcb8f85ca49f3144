#include "app/run/ike_sockets.hpp"

#include "packet/headers.hpp"
#include "packet/packet.hpp"

namespace vfw {

namespace asio = boost::asio;
using asio::ip::udp;

void IkeSockets::open() {
  for (const auto& [name, ifc] : device_.config().interfaces) {
    if (!ifc.address) continue;
    for (const uint16_t port : {ike::kIkePort, ike::kNatTraversalPort}) {
      auto s = std::make_unique<Socket>();
      s->address = ifc.address->host;
      s->port = port;
      s->socket = std::make_unique<udp::socket>(io_);
      boost::system::error_code ec;
      const udp::endpoint at(asio::ip::address_v4(ifc.address->host.v), port);
      s->socket->open(udp::v4(), ec);
      if (!ec) s->socket->set_option(udp::socket::reuse_address(true), ec);
      if (!ec) s->socket->bind(at, ec);
      if (ec) {
        if (port == ike::kIkePort)
          log_.line("IKE/6/BIND: " + to_string(ifc.address->host) + " (" + name +
                    ") is not an address of this host: " + ec.message());
        continue;
      }
      log_.line("IKE/6/BIND: listening on " + to_string(ifc.address->host) + ":" +
                std::to_string(port) + " (" + name + ")");
      interface_of_[ifc.address->host.v] = name;
      Socket& ref = *s;
      sockets_.push_back(std::move(s));
      receive(ref);
    }
  }
}

IkeSockets::Socket* IkeSockets::socket_for(Ipv4 address, uint16_t port) {
  for (const auto& s : sockets_) {
    if (s->address == address && s->port == port) return s.get();
  }
  return nullptr;
}

void IkeSockets::receive(Socket& s) {
  s.socket->async_receive_from(asio::buffer(s.buffer), s.sender,
                               [this, &s](const boost::system::error_code& ec, size_t n) {
                                 if (ec == asio::error::operation_aborted) return;
                                 if (!ec) datagram(s, n);
                                 receive(s);
                               });
}

void IkeSockets::datagram(Socket& s, size_t n) {
  const ike::Endpoint local{s.address, s.port};
  const ike::Endpoint remote{Ipv4{s.sender.address().to_v4().to_uint()}, s.sender.port()};
  std::span<const uint8_t> bytes(s.buffer.data(), n);
  if (s.port == ike::kNatTraversalPort) {
    if (n == 1 && bytes[0] == 0xff) return;  // NAT keepalive (RFC 3948 2.3)
    if (n >= 4 && load32(bytes.data()) != 0) {
      esp_in_udp(local, remote, bytes);
      return;
    }
    if (n < 4) return;
    bytes = bytes.subspan(4);  // the non-ESP marker before an IKE message
  }
  device_.ike_receive(local, remote, bytes);
  pump_();
}

// ESP in UDP from a peer: the packet as it arrived on the wire, through the data plane.
void IkeSockets::esp_in_udp(const ike::Endpoint& local, const ike::Endpoint& remote,
                            std::span<const uint8_t> payload) {
  std::vector<uint8_t> packet(kIpv4HeaderBytes + kUdpHeaderBytes + payload.size());
  write_ipv4_header(packet.data(), {0, static_cast<uint16_t>(packet.size()), 0, false, 64,
                                    ipproto::kUdp, remote.address, local.address});
  write_udp_header(&packet[kIpv4HeaderBytes], remote.port, local.port,
                   static_cast<uint16_t>(kUdpHeaderBytes + payload.size()));
  std::copy(payload.begin(), payload.end(), packet.begin() + kIpv4HeaderBytes + kUdpHeaderBytes);
  Trace trace;
  const auto it = interface_of_.find(local.address.v);
  if (it == interface_of_.end()) return;
  const Action a = device_.receive(packet, it->second, &trace);
  const auto& r = trace.result;
  std::string what;
  if (a == Action::Drop) {
    what = " dropped: " + std::string(drop_reason_id(r.drop));
  } else {
    PacketInfo inner;
    parse_ipv4(packet, inner);
    what = ", decrypted: " + to_string(inner.src) + " -> " + to_string(inner.dst) + " protocol " +
           std::to_string(inner.protocol) + ", to " +
           (a == Action::ToDevice ? std::string("the device") : r.output);
  }
  // One line a packet, but at most 10 a second: ESP from outside may be a flood.
  if (packet_log_.allow(device_.now_ms()))
    log_.line("IPSEC/6/ESP: ESP from " + to_string(remote.address) + ":" +
              std::to_string(remote.port) + what + packet_log_.unlogged_note());
  pump_();
}

void IkeSockets::egress(std::span<const uint8_t> packet, uint16_t out) {
  PacketInfo info;
  if (parse_ipv4(packet, info) != DropReason::None) return;
  if (info.protocol == ipproto::kUdp && info.src_port == ike::kNatTraversalPort) {
    if (Socket* s = socket_for(info.src, ike::kNatTraversalPort)) {
      const auto payload = packet.subspan(info.header_length + kUdpHeaderBytes);
      boost::system::error_code ec;
      s->socket->send_to(asio::buffer(payload.data(), payload.size()),
                         udp::endpoint(asio::ip::address_v4(info.dst.v), info.dst_port), 0, ec);
      if (packet_log_.allow(device_.now_ms()))
        log_.line("IPSEC/6/ESP: ESP in UDP to " + to_string(info.dst) + ":" +
                  std::to_string(info.dst_port) + (ec ? " not sent: " + ec.message() : " sent") +
                  packet_log_.unlogged_note());
      return;
    }
  }
  if (packet_log_.allow(device_.now_ms()))
    log_.line("VFW/6/EGRESS: " + to_string(info.src) + " -> " + to_string(info.dst) + " leaves " +
              device_.snapshot().interfaces[out].name +
              " (not sent: only UDP-encapsulated tunnels leave a daemon without bound interfaces)" +
              packet_log_.unlogged_note());
}

void IkeSockets::send_datagrams() {
  for (auto& d : device_.ike_take_datagrams()) {
    Socket* s = socket_for(d.local.address, d.local.port);
    if (s == nullptr) {
      log_.line("IKE/4/SEND: no socket on " + to_string(d.local.address) + ":" +
                std::to_string(d.local.port));
      continue;
    }
    std::vector<uint8_t> bytes;
    if (d.local.port == ike::kNatTraversalPort && !d.keepalive)
      bytes.assign(4, 0);  // non-ESP marker
    bytes.insert(bytes.end(), d.bytes.begin(), d.bytes.end());
    boost::system::error_code ec;
    s->socket->send_to(asio::buffer(bytes),
                       udp::endpoint(asio::ip::address_v4(d.remote.address.v), d.remote.port), 0,
                       ec);
    if (ec) log_.line("IKE/4/SEND: to " + to_string(d.remote.address) + ": " + ec.message());
  }
  // The packets held while IKE negotiated, after the negotiation's last message.
  for (const auto& p : device_.take_released()) egress(p.bytes, p.interface);
}

}  // namespace vfw
