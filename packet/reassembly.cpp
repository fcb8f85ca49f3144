#include "packet/reassembly.hpp"

#include <algorithm>

namespace vfw {
namespace {

constexpr size_t kChargePerFragment = 64;  // the map node and vector a fragment costs
constexpr uint32_t kMaxDatagram = 65535;   // RFC 791's total length field

}  // namespace

void Reassembler::forget(std::unordered_map<Key, Datagram, KeyHash>::iterator it, DropReason why,
                         DropCounters& drops) {
  for (size_t i = 0; i < it->second.pieces.size(); ++i) drops.add(why);
  bytes_ -= it->second.charge;
  datagrams_.erase(it);
}

void Reassembler::expire(uint32_t now, DropCounters& drops) {
  // At most one sweep a second: a flood of fragments does not rescan the table per fragment.
  if (now == last_sweep_) return;
  last_sweep_ = now;
  for (auto it = datagrams_.begin(); it != datagrams_.end();) {
    auto next = std::next(it);
    if (now - it->second.first_seen >= limits_.lifetime_s)
      forget(it, DropReason::ReassemblyTimeout, drops);
    it = next;
  }
}

std::vector<uint8_t> Reassembler::join(const Datagram& d) {
  std::vector<uint8_t> out(d.header);
  out.reserve(d.header.size() + d.length);
  for (const auto& [offset, bytes] : d.pieces) out.insert(out.end(), bytes.begin(), bytes.end());
  store16(&out[2], static_cast<uint16_t>(out.size()));
  // Whole again: no MF, no offset; DF as the first fragment had it.
  store16(&out[6], static_cast<uint16_t>(load16(&out[6]) & 0x4000));
  store16(&out[10], 0);
  store16(&out[10], internet_checksum({out.data(), d.header.size()}));
  return out;
}

Reassembler::Outcome Reassembler::add(std::span<const uint8_t> packet, const PacketInfo& info,
                                      uint32_t now, DropCounters& drops) {
  Outcome out;
  auto refuse = [&](DropReason why) {
    drops.add(why);
    out.dropped = why;
    return out;
  };
  expire(now, drops);
  const uint32_t offset = info.fragment_offset;
  const std::span<const uint8_t> payload =
      packet.subspan(info.header_length, info.total_length - info.header_length);
  const auto end = static_cast<uint32_t>(offset + payload.size());
  const Key key{info.src.v, info.dst.v, info.ip_id, info.protocol};
  auto it = datagrams_.find(key);
  auto drop_datagram = [&](DropReason why) {
    if (it != datagrams_.end()) forget(it, why, drops);
    return refuse(why);
  };
  // RFC 791: every fragment but the last carries a multiple of 8 bytes, and none is empty.
  if (payload.empty() || (info.more_fragments && payload.size() % 8 != 0))
    return drop_datagram(DropReason::FragmentMalformed);
  // The ping of death: fragments that would make a datagram longer than IP allows.
  if (info.header_length + end > kMaxDatagram) return drop_datagram(DropReason::FragmentTooLong);

  if (it == datagrams_.end()) {
    if (datagrams_.size() >= limits_.datagrams) return refuse(DropReason::ReassemblyTableFull);
    it = datagrams_.emplace(key, Datagram{}).first;
    it->second.first_seen = now;
  }
  Datagram& d = it->second;
  const size_t charge = payload.size() + kChargePerFragment;
  if (bytes_ + charge > limits_.bytes) return drop_datagram(DropReason::ReassemblyTableFull);

  // The pieces that share bytes with this one: the one before it may reach into it.
  auto at = d.pieces.lower_bound(offset);
  if (at != d.pieces.begin()) {
    auto before = std::prev(at);
    if (before->first + before->second.size() > offset) at = before;
  }
  if (at != d.pieces.end() && at->first < end) {
    const bool duplicate = at->first == offset && at->second.size() == payload.size() &&
                           std::equal(payload.begin(), payload.end(), at->second.begin());
    if (!duplicate) return drop_datagram(DropReason::FragmentOverlap);
    return out;  // the same fragment again: already held
  }
  // The last fragment fixes the length; nothing may lie beyond it, and no second last.
  if (!info.more_fragments) {
    const bool beyond =
        !d.pieces.empty() &&
        std::prev(d.pieces.end())->first + std::prev(d.pieces.end())->second.size() > end;
    if (d.have_last || beyond) return drop_datagram(DropReason::FragmentMalformed);
    d.have_last = true;
    d.length = end;
  } else if (d.have_last && end > d.length) {
    return drop_datagram(DropReason::FragmentMalformed);
  }
  if (offset == 0) d.header.assign(packet.begin(), packet.begin() + info.header_length);
  d.pieces.emplace(offset, std::vector<uint8_t>(payload.begin(), payload.end()));
  d.charge += charge;
  bytes_ += charge;

  if (!d.have_last || d.header.empty()) return out;
  uint32_t covered = 0;
  for (const auto& [piece_offset, bytes] : d.pieces) {
    if (piece_offset != covered) return out;  // a hole still
    covered += static_cast<uint32_t>(bytes.size());
  }
  out.fragments = d.pieces.size();
  out.datagram = join(d);
  bytes_ -= d.charge;
  datagrams_.erase(it);
  return out;
}

}  // namespace vfw
