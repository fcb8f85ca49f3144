#include "config/model.hpp"

#include <algorithm>

namespace vfw::config {

std::string Config::route_key(const StaticRoute& r) {
  std::string key = to_string(r.destination.addr) + "/" + std::to_string(r.destination.len) + " ";
  if (r.next_hop) key += to_string(*r.next_hop);
  return key + " " + r.interface;
}

std::unordered_set<std::string>& Config::route_index() {
  if (route_keys.size() != routes.size()) {
    route_keys.clear();
    for (const auto& r : routes) route_keys.insert(route_key(r));
  }
  return route_keys;
}

Config Config::factory_default() {
  Config c;
  c.zones = {
      Zone{"local", 100, 0, {}, true, {}},
      Zone{"trust", 85, 0, {}, true, {}},
      Zone{"untrust", 5, 0, {}, true, {}},
      Zone{"dmz", 50, 0, {}, true, {}},
  };
  Interface& mgmt = c.interface("GigabitEthernet0/0/0");
  mgmt.address = Interface::Address{Ipv4{0xc0a80001}, 24};  // 192.168.0.1/24
  mgmt.service_manage.permitted = {ManageService::Http, ManageService::Https, ManageService::Ping,
                                   ManageService::Ssh, ManageService::Telnet};
  c.zones[1].interfaces.push_back("GigabitEthernet0/0/0");
  return c;
}

Interface& Config::interface(const std::string& name) {
  auto [it, inserted] = interfaces.try_emplace(name);
  if (inserted) it->second.name = name;
  return it->second;
}

Zone* Config::find_zone(const std::string& name) {
  auto it = std::find_if(zones.begin(), zones.end(), [&](const Zone& z) { return z.name == name; });
  return it == zones.end() ? nullptr : &*it;
}

const Zone* Config::find_zone(const std::string& name) const {
  return const_cast<Config*>(this)->find_zone(name);
}

const AddressSet* Config::find_address_set(const std::string& name) const {
  for (const auto& s : address_sets) {
    if (s.name == name) return &s;
  }
  return nullptr;
}

const ServiceSet* Config::find_service_set(const std::string& name) const {
  for (const auto& s : service_sets) {
    if (s.name == name) return &s;
  }
  return nullptr;
}

const AddressGroup* Config::find_address_group(const std::string& name) const {
  for (const auto& g : address_groups) {
    if (g.name == name) return &g;
  }
  return nullptr;
}

std::string Config::zone_of(const std::string& interface) const {
  for (const auto& z : zones) {
    if (std::find(z.interfaces.begin(), z.interfaces.end(), interface) != z.interfaces.end()) {
      return z.name;
    }
  }
  return "";
}

IkeProposal IkeProposal::builtin_default() {
  IkeProposal p;
  p.name = "default";
  p.encryption = {"aes-256", "aes-192", "aes-128"};
  p.authentication = {"sha2-512", "sha2-384", "sha2-256"};
  return p;
}

const IkePeer* Config::find_ike_peer(const std::string& name) const {
  for (const auto& p : ike_peers) {
    if (p.name == name) return &p;
  }
  return nullptr;
}

IkeProposal Config::ike_proposal_of(const IkePeer& peer) const {
  const std::string wanted = peer.ike_proposal.empty() ? "default" : peer.ike_proposal;
  for (const auto& p : ike_proposals) {
    if (p.name == wanted) return p;
  }
  return IkeProposal::builtin_default();
}

}  // namespace vfw::config
