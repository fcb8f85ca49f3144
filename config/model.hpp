// The configuration model: what the commands of a USG6000 (V500) build, as typed data.
//
// The CLI is one view of this model (cli/commands_*.cpp fill it; config/render.cpp prints it
// back in the device's own form). The data plane never reads it: pipeline/snapshot.cpp turns a
// validated model into an immutable Snapshot.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "config/ike_keywords.hpp"
#include "config/service_manage.hpp"
#include "packet/address.hpp"

namespace vfw::config {

// Lines that vfw accepts but does not emulate (aaa, hrp, snmp-agent, ...): kept verbatim, with
// the indented lines that belong to them, and printed again by display current-configuration.
struct OpaqueBlock {
  std::vector<std::string> lines;  // first line is the command, the rest indented children
};

struct ServiceManage {
  bool enabled = true;
  ManageSet permitted;
};

struct Interface {
  std::string name;  // normalised: GigabitEthernet0/0/1, LoopBack0, NULL0
  std::string description;
  struct Address {
    Ipv4 host;
    uint8_t length = 0;
    Prefix network() const { return Prefix::make(host, length); }
  };
  std::optional<Address> address;
  uint32_t mtu = 1500;
  bool shutdown = false;
  bool undo_shutdown_shown = false;  // the device prints `undo shutdown` where it was given
  ServiceManage service_manage;
  std::optional<uint16_t> tcp_adjust_mss;
  std::string ipsec_policy;
  bool ipsec_auto_neg = false;      // `ipsec policy NAME auto-neg`: negotiate before traffic
  std::optional<uint16_t> dot1q;    // a subinterface's `vlan-type dot1q VLAN`
  std::optional<uint16_t> trunk;    // a member port's `eth-trunk N`: it forwards as Eth-TrunkN
  std::vector<std::string> opaque;  // unemulated sub-commands, verbatim
};

struct Zone {
  std::string name;
  uint32_t priority = 0;
  uint32_t id = 0;  // `firewall zone name Z id N`: the number the device gave it, 0 when unsaid
  std::vector<std::string> interfaces;
  bool builtin = false;
  std::vector<std::string> opaque;  // sub-commands vfw does not emulate, verbatim
};

struct StaticRoute {
  Prefix destination;
  std::optional<Ipv4> next_hop;
  std::string interface;  // an egress interface, or NULL0
  uint32_t preference = 60;
  std::string description;
};

// An address as security-policy, nat-policy and address-set accept it.
struct AddressItem {
  enum class Kind : uint8_t { Prefix, Range, Set } kind = Kind::Prefix;
  Prefix prefix;
  Ipv4 lo, hi;
  std::string set;  // address-set name
  friend bool operator==(const AddressItem&, const AddressItem&) = default;
};

struct AddressSet {
  std::string name;
  std::string description;
  std::map<uint32_t, AddressItem> items;  // by element id, as `address ID ...`
  std::vector<std::string> opaque;
  bool group = false;          // `type group`: members may be other address sets
  std::optional<uint32_t> id;  // the ID the device numbered it with, if given
};

struct ServiceItem {
  uint8_t protocol = 0;  // 0: any IP protocol
  uint16_t src_lo = 0, src_hi = 65535;
  uint16_t dst_lo = 0, dst_hi = 65535;
  // The source ports were given: printed back then, even as 0 to 65535 (some releases print
  // them always, V500R005 only when given).
  bool source_port_given = false;
  friend bool operator==(const ServiceItem&, const ServiceItem&) = default;
};

struct ServiceSet {
  std::string name;
  std::string description;
  std::map<uint32_t, ServiceItem> items;
  std::vector<std::string> opaque;
  std::optional<uint32_t> id;
};

struct AclRule {
  uint32_t id = 0;
  bool permit = true;
  uint8_t protocol = 0;  // 0: "ip"
  std::optional<Wildcard> source;
  std::optional<Wildcard> destination;
  std::optional<std::pair<uint16_t, uint16_t>> src_port;  // "eq" as lo==hi, or "range"
  std::optional<std::pair<uint16_t, uint16_t>> dst_port;
};

struct Acl {
  uint32_t number = 0;
  uint32_t step = 5;
  std::string description;
  std::vector<AclRule> rules;  // ordered by id
  std::vector<std::string> opaque;
};

enum class PolicyAction : uint8_t { Unset, Permit, Deny };

// What the rules of security-policy, nat-policy and traffic-policy have in common: a name, a
// description, enable/disable and the match conditions (cli/rule_match_commands.hpp types them,
// config/render.cpp prints them, zones/rule_match.hpp compiles them).
struct PolicyRule {
  std::string name;
  std::string description;
  bool disabled = false;
  std::vector<std::string> source_zones;
  std::vector<std::string> destination_zones;
  std::vector<AddressItem> source_addresses;
  std::vector<AddressItem> destination_addresses;
  std::vector<std::string> services;  // predefined or service-set names
};

struct SecurityRule : PolicyRule {
  PolicyAction action = PolicyAction::Unset;
  std::vector<std::string> opaque;  // unemulated sub-commands (profile, application ...), verbatim
};

// Finds a rule by name without scanning the list: a name -> position cache beside it. A hit is
// checked against the list; the cache is complete while it has as many names as the list has
// rules, and is rebuilt otherwise. Commands that remove or reorder rules clear it. Loading
// 40,000 rules was quadratic with a scan per `rule name` line and per line inside a rule.
class NameIndex {
 public:
  template <typename Rule>
  Rule* find(std::vector<Rule>& rules, const std::string& name) {
    for (int attempt = 0; attempt < 2; ++attempt) {
      auto it = positions_.find(name);
      if (it != positions_.end() && it->second < rules.size() && rules[it->second].name == name)
        return &rules[it->second];
      if (it == positions_.end() && positions_.size() == rules.size()) return nullptr;
      positions_.clear();
      for (size_t i = 0; i < rules.size(); ++i) positions_.emplace(rules[i].name, i);
    }
    return nullptr;
  }
  // A rule was appended at position.
  void added(const std::string& name, size_t position) { positions_.emplace(name, position); }
  void clear() { positions_.clear(); }

 private:
  std::unordered_map<std::string, size_t> positions_;
};

struct SecurityPolicy {
  std::vector<SecurityRule> rules;  // in match order
  NameIndex index;                  // rules by name
  PolicyAction default_action = PolicyAction::Deny;
  std::vector<std::string> opaque;
};

enum class NatAction : uint8_t {
  Unset,
  NoNat,
  SourceEasyIp,
  SourceAddressGroup,
  DestinationStatic,  // destination-nat static address-to-address address IP [port]
  DestinationGroup,   // destination-nat address-group G [port]
};

struct NatRule : PolicyRule {
  std::string egress_interface;
  NatAction action = NatAction::Unset;
  std::string address_group;
  Ipv4 destination_address;
  std::optional<uint16_t> destination_port;
  std::vector<std::string> opaque;
};

struct NatPolicy {
  bool shown = false;  // the view was entered: printed even without rules, as the device does
  std::vector<NatRule> rules;
  NameIndex index;  // rules by name
  std::vector<std::string> opaque;
};

// traffic-policy (bandwidth management). vfw emulates its connection limits: a profile's
// `bandwidth ... connection-limit`, applied by the first matching rule whose action is
// `qos profile NAME` to the sessions it admits. Bandwidth and rate lines are kept verbatim.
struct ConnectionLimit {
  bool per_ip = true;  // per-ip: each address's sessions; whole: all the rule's sessions together
  // upstream | downstream | both, or V500's `total`. Per-ip, a downstream limit counts the
  // sessions each destination address receives, the others those each source opens.
  std::string direction;
  // V500 R001 wrote the direction first (`bandwidth total connection-limit per-ip N`), the V600
  // reference after the scope (`bandwidth connection-limit per-ip upstream N`): printed as given.
  bool direction_first = false;
  uint32_t count = 0;
  bool by_destination() const { return per_ip && direction == "downstream"; }
};

struct TrafficProfile {
  std::string name;
  std::vector<ConnectionLimit> limits;  // one per scope and direction, in the order given
  std::vector<std::string> opaque;
};

struct TrafficRule : PolicyRule {
  std::string egress_interface;
  enum class Action : uint8_t { Unset, Qos, NoQos } action = Action::Unset;
  std::string profile;  // action qos profile NAME
  std::vector<std::string> opaque;
};

struct TrafficPolicy {
  bool shown = false;  // the view was entered (or loaded): printed even when empty
  std::vector<TrafficProfile> profiles;
  std::vector<TrafficRule> rules;  // in match order
  NameIndex index;                 // rules by name
  std::vector<std::string> opaque;
};

struct AddressGroupSection {
  uint32_t id = 0;
  Ipv4 start, end;
};

struct AddressGroup {
  std::string name;
  uint32_t id = 0;
  bool no_pat = false;  // mode no-pat (local); default mode pat
  std::vector<AddressGroupSection> sections;
  std::vector<std::string> opaque;
};

struct NatServer {
  std::string name;
  uint32_t id = 0;
  uint8_t protocol = 0;  // 0: any
  Ipv4 global;
  std::optional<uint16_t> global_port;
  Ipv4 inside;
  std::optional<uint16_t> inside_port;
  bool no_reverse = false;
  bool unr_route = false;
};

// ipsec proposal NAME
struct IpsecProposal {
  std::string name;
  enum class Transform : uint8_t { Esp, Ah, AhEsp } transform = Transform::Esp;
  bool tunnel = true;      // encapsulation-mode tunnel | transport
  bool auto_mode = false;  // encapsulation-mode auto: the peer's choice, tunnel when initiating
  std::string esp_encryption = "aes-256";  // keyword (ipsec/algorithms.hpp)
  std::string esp_authentication = "sha2-256";
  std::string ah_authentication = "sha2-256";
  std::vector<std::string> opaque;
};

// ike proposal NUMBER, or the built-in `ike proposal default`: algorithms as the device's keywords,
// in the order typed (the order they are offered in).
struct IkeProposal {
  std::string name;  // "default" or the number
  std::vector<std::string> encryption = {"aes-256"};
  std::vector<std::string> dh = {"group14"};
  std::vector<std::string> authentication = {"sha2-256"};  // IKEv1's; IKEv2 uses integrity and prf
  AuthenticationMethod authentication_method = AuthenticationMethod::PreShare;
  std::vector<std::string> integrity = {"hmac-sha2-256"};
  std::vector<std::string> prf = {"hmac-sha2-256"};
  uint32_t duration = 86400;  // sa duration, seconds
  std::vector<std::string> opaque;
  // The default proposal's own algorithms, as the device ships it.
  static IkeProposal builtin_default();
};

// ike peer NAME
struct IkePeer {
  std::string name;
  ExchangeMode exchange_mode = ExchangeMode::Unset;  // IKEv1's phase 1
  std::string pre_shared_key;  // in clear: only ever printed sealed (config/secret.hpp)
  std::string foreign_psk;     // a cipher text another device sealed: kept as written, unusable
  std::string ike_proposal;    // the proposal's number; "" the default proposal
  IdType local_id_type = IdType::Unset;
  std::string local_id;
  IdType remote_id_type = IdType::Unset;
  std::string remote_id;
  bool remote_id_inline = false;  // given as `remote-id-type ip ADDRESS`, printed so
  std::optional<Ipv4> remote_address;
  std::optional<Ipv4> authentication_address;  // remote-address authentication-address
  bool version1 = true;                        // undo version 1 turns IKEv1 off
  bool version2 = true;
  std::optional<bool> nat_traversal;  // typed `nat traversal` / `undo nat traversal`
  std::vector<std::string> opaque;    // dpd and the rest, as written
};

// The keys of a manual SA pair, one direction each (`sa spi`, `sa encryption-hex`,
// `sa authentication-hex`).
struct ManualSaKeys {
  std::optional<uint32_t> spi;
  std::string encryption_hex;
  std::string authentication_hex;
};

// ipsec policy NAME SEQ isakmp|manual
struct IpsecPolicy {
  std::string name;
  uint32_t seq = 0;
  bool manual = false;
  std::optional<uint32_t> acl;
  std::string proposal;
  std::string ike_peer;
  std::string pfs;                   // dh-group14 ...
  std::optional<Ipv4> tunnel_local;  // unset: the applied interface's address
  // How the configuration said "the applied interface's address", to print it back the same way:
  // "tunnel local applied-interface" or "local-address applied-interface" (older releases).
  std::string local_applied_spelling;
  // `ipsec policy NAME SEQ isakmp template T`: answers the peers that template accepts, and
  // never starts a negotiation itself (the template names no remote address).
  std::string template_name;
  bool is_template = false;  // an entry of `ipsec policy-template NAME SEQ`
  std::optional<Ipv4> tunnel_remote;
  std::optional<uint32_t> duration_time;
  std::optional<uint32_t> duration_traffic;
  TriggerMode trigger_mode = TriggerMode::Unset;  // unset: traffic-based
  ManualSaKeys esp_in, esp_out, ah_in, ah_out;
  std::vector<std::string> opaque;
};

struct Config {
  std::string sysname = "USG6000V1";
  std::map<std::string, Interface> interfaces;  // keyed by normalised name
  std::vector<Zone> zones;                      // local, trust, untrust, dmz, then user zones
  std::vector<StaticRoute> routes;              // in the order given, as the device prints them
  // The (destination, next hop, interface) of every route, so that a route typed again is found
  // without a scan; rebuilt by route_index() whenever it no longer matches routes.
  std::unordered_set<std::string> route_keys;
  std::vector<AddressSet> address_sets;
  std::vector<ServiceSet> service_sets;
  std::map<uint32_t, Acl> acls;
  SecurityPolicy security_policy;
  NatPolicy nat_policy;
  TrafficPolicy traffic_policy;
  std::vector<AddressGroup> address_groups;
  std::vector<NatServer> nat_servers;
  std::vector<IpsecProposal> ipsec_proposals;
  std::vector<IkeProposal> ike_proposals;  // in the order created
  std::vector<IkePeer> ike_peers;
  std::string ike_local_name;  // ike local-name: IKE's identity when local-id-type is fqdn
  std::vector<IpsecPolicy> ipsec_policies;   // by name, then sequence number
  std::vector<IpsecPolicy> ipsec_templates;  // ipsec policy-template, by name and number
  bool ipsec_sha2_compatible = false;
  uint32_t ipsec_anti_replay_window = 64;
  std::vector<OpaqueBlock> opaque;  // unemulated top-level blocks, in the order given
  // What a saved file holds after the root system's `return`: the virtual systems' sections
  // (`switch vsys NAME` ... `return`), kept verbatim; vfw emulates the root system.
  std::vector<std::string> vsys_sections;

  // The factory state of a USG6000V: the four built-in zones and GigabitEthernet0/0/0
  // (the management port) in trust, with its management services.
  static Config factory_default();

  Interface& interface(const std::string& name);  // creates it on first use
  Zone* find_zone(const std::string& name);
  const Zone* find_zone(const std::string& name) const;
  const AddressSet* find_address_set(const std::string& name) const;
  const ServiceSet* find_service_set(const std::string& name) const;
  const AddressGroup* find_address_group(const std::string& name) const;
  const IkePeer* find_ike_peer(const std::string& name) const;
  // The proposal a peer uses: its ike-proposal, or the default one.
  IkeProposal ike_proposal_of(const IkePeer& peer) const;
  // The route key set, brought up to date with routes first.
  std::unordered_set<std::string>& route_index();
  static std::string route_key(const StaticRoute& r);
  // The zone an interface was added to, or "" when it is in none.
  std::string zone_of(const std::string& interface) const;
};

}  // namespace vfw::config
