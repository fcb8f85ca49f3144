// INFORMATIONAL (RFC 7296 1.4): deletes, liveness checks and the notifications that end SAs.
#include "ike/v2/engine.hpp"

#include <algorithm>

#include "ike/crypto_failure.hpp"
#include "ike/proposals.hpp"
#include "ike/v2/engine_internal.hpp"
#include "packet/packet.hpp"

namespace vfw::ike {

using namespace engine_detail;

void Engine::on_informational_request(IkeSa& sa, const Header& h, const Payloads& p,
                                      uint64_t now_ms) {
  ++sa.peer_request_id;
  PayloadWriter w;
  bool delete_ike = false;
  for (const auto& d : p.deletes) {
    if (d.protocol == protocol::kIke) {
      delete_ike = true;
      continue;
    }
    Delete answer{d.protocol, 4, {}};
    for (const auto& spi : d.spis) {
      if (spi.size() != 4) continue;
      const uint32_t peer_spi = load32(spi.data());
      auto it = std::find_if(sa.children.begin(), sa.children.end(), [&](const ChildSa& c) {
        return c.protocol == d.protocol && c.spi_out == peer_spi;
      });
      if (it == sa.children.end()) continue;
      Bytes own(4);
      store32(own.data(), it->spi_in);
      answer.spis.push_back(own);
      removals_.push_back({it->child, it->protocol, it->spi_in, it->spi_out});
      sa.children.erase(it);
    }
    if (!answer.spis.empty()) w.del(answer);
  }
  // An empty request is a liveness check (the device's dpd): an empty answer.
  send_protected(sa, exchange::kInformational, true, h.message_id, w, now_ms);
  if (delete_ike) remove(&sa);
}

void Engine::delete_all(uint64_t now_ms) {
  std::vector<IkeSa*> doomed;
  for (const auto& sa : sas_) doomed.push_back(sa.get());
  for (IkeSa* sa : doomed) {
    if (sa->state == IkeSaState::Established && sa->outbound.encryption != nullptr) {
      PayloadWriter w;
      w.del({protocol::kIke, 0, {}});
      send_protected(*sa, exchange::kInformational, false, sa->next_request_id++, w, now_ms);
    }
    remove(sa);
  }
}

void Engine::delete_children(uint64_t now_ms) {
  for (const auto& sa : sas_) {
    if (sa->state != IkeSaState::Established || sa->children.empty()) continue;
    std::map<uint8_t, Delete> by_protocol;
    for (const auto& c : sa->children) {
      Delete& d = by_protocol[c.protocol];
      d.protocol = c.protocol;
      d.spi_size = 4;
      Bytes spi(4);
      store32(spi.data(), c.spi_in);
      d.spis.push_back(spi);
      removals_.push_back({c.child, c.protocol, c.spi_in, c.spi_out});
    }
    sa->children.clear();
    PayloadWriter w;
    for (const auto& [protocol, d] : by_protocol) w.del(d);
    send_protected(*sa, exchange::kInformational, false, sa->next_request_id++, w, now_ms);
  }
}

void Engine::delete_child(IkeSa& sa, size_t index, uint64_t now_ms) {
  const ChildSa c = sa.children[index];
  sa.children.erase(sa.children.begin() + static_cast<long>(index));
  removals_.push_back({c.child, c.protocol, c.spi_in, c.spi_out});
  if (sa.awaiting_response) return;  // one request at a time: the peer's own lifetime ends it
  PayloadWriter w;
  w.del({c.protocol, 4, {spi_bytes32(c.spi_in)}});
  send_protected(sa, exchange::kInformational, false, sa.next_request_id++, w, now_ms);
}

}  // namespace vfw::ike
