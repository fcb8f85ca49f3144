// A lab: several firewalls and hosts in one process, joined by in-memory links, on one simulated
// clock. A packet leaves a node by an interface, crosses the link (its delay, loss, MTU and
// filter) and arrives at the other end; a firewall runs it through its pipeline as `vfw run`
// would, and IKE between firewalls is the same engines' datagrams, carried as UDP packets across
// the links (and through whatever firewalls sit between, the carrier included). The same inputs
// give the same outputs: events run in time order, ties in the order they were made, and a link's
// loss is drawn from a generator seeded by the lab.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <queue>
#include <random>
#include <string>
#include <vector>

#include "device/device.hpp"
#include "device/ethernet_front_end.hpp"
#include "device/own_traffic.hpp"
#include "device/pcap_writer.hpp"
#include "device/wireshark_tables.hpp"
#include "ike/random_source.hpp"
#include "lab/host.hpp"
#include "lab/topology.hpp"
#include "packet/ethernet.hpp"

namespace vfw::lab {

class Lab {
 public:
  // Sessions each firewall of a lab can hold: a lab carries a few flows per device, and a
  // 50-firewall chain must start in seconds (the device's own default is sized for `vfw run`).
  static constexpr uint32_t kSessionCapacity = 1U << 14;

  // Loads every node's configuration (relative to the topology's folder, or from files by the
  // name the topology gives when files is set: the built-in lab); errors name the file.
  static std::unique_ptr<Lab> create(const Topology& topology, std::vector<std::string>& errors,
                                     const std::map<std::string, std::string>* files = nullptr);

  const std::string& name() const { return name_; }
  Device* device(const std::string& name);
  Host* host(const std::string& name);
  std::vector<std::string> node_names() const;
  std::vector<std::string> host_names() const;
  // Both ends of every link as `lab capture` and `lab link` take them: "fw2:GigabitEthernet0/0/2".
  std::vector<std::string> link_endpoints() const;

  // The lab as containerlab deploys it (lab/clab_export.cpp): a topology in containerlab's own
  // style (linux nodes, the vfw image on each firewall's running configuration, Alpine hosts
  // configured by exec lines, eth endpoints) and the configuration files it binds, by name.
  struct ContainerlabExport {
    std::string topology;
    std::map<std::string, std::string> files;
  };
  ContainerlabExport containerlab_export() const;
  // The addresses at the far ends of node's links (a firewall's interface address, a host's
  // address): the routers a route of node's may name as its next hop.
  std::vector<Ipv4> neighbours(const std::string& node) const;

  // The simulated clock, in milliseconds; run() moves it to each event's time.
  uint64_t now_ms() const { return now_ms_; }
  // Runs every pending event (packets in flight, IKE's answers) until the lab is quiet, or up to
  // until_ms when given.
  void run(uint64_t until_ms = UINT64_MAX);
  // Moves the clock on by ms, running what falls due and the devices' timers.
  void advance(uint64_t ms);
  // Carries what the firewalls sent themselves since (their ping's probes, IKE) onto the links.
  void carry_device_traffic();

  // A packet that host sends now, out of its interface.
  bool send(const std::string& host, std::vector<uint8_t> packet);

  // `lab ping HOST DEST`: count echo requests a second apart, with the output a Linux host's ping
  // prints. received: how many replies came back.
  struct PingResult {
    std::string text;
    int transmitted = 0;
    int received = 0;
  };
  PingResult ping(const std::string& host, Ipv4 destination, int count = 5, uint32_t size = 84,
                  bool dont_fragment = false);

  // `lab list`: the nodes (the attached one marked) and the links with their state.
  std::string describe(const std::string& attached) const;

  // `lab trace HOST DEST`: one packet followed hop by hop across every firewall it crosses, each
  // with its stages as packet-trace shows them (and their warnings), to its destination or its
  // drop; then the reply the destination sends, the same way back. A packet held while IKE
  // negotiates is followed by the negotiation's outcome and a second attempt.
  struct Hop {
    std::string node;
    std::string input;
    Trace trace;
  };
  // X(enum, id): the legs of a lab trace, as the text and the JSON name them.
#define VFW_TRACE_LEGS(X)            \
  X(Packet, "packet")                \
  X(SecondAttempt, "second attempt") \
  X(Reply, "reply")
  enum class LegKind : uint8_t {
#define VFW_ENUM(e, id) e,
    VFW_TRACE_LEGS(VFW_ENUM)
#undef VFW_ENUM
  };
  static constexpr std::string_view leg_id(LegKind k) {
    constexpr std::array kIds = {
#define VFW_ID(e, id) std::string_view{id},
        VFW_TRACE_LEGS(VFW_ID)
#undef VFW_ID
    };
    return kIds[static_cast<size_t>(k)];
  }
  // X(enum, id): how a leg ended, for a program (the disposition says it in a sentence).
#define VFW_LEG_OUTCOMES(X)                   \
  X(Delivered, "delivered")                   \
  X(DeliveredToDevice, "delivered-to-device") \
  X(ReachedOtherHost, "reached-other-host")   \
  X(Dropped, "dropped")                       \
  X(Held, "held")                             \
  X(Lost, "lost")                             \
  X(WaitingForArp, "waiting-for-arp")         \
  X(NotForwarded, "not-forwarded")
  enum class LegOutcome : uint8_t {
#define VFW_ENUM(e, id) e,
    VFW_LEG_OUTCOMES(VFW_ENUM)
#undef VFW_ENUM
  };
  static constexpr std::string_view leg_outcome_id(LegOutcome o) {
    constexpr std::array kIds = {
#define VFW_ID(e, id) std::string_view{id},
        VFW_LEG_OUTCOMES(VFW_ID)
#undef VFW_ID
    };
    return kIds[static_cast<size_t>(o)];
  }
  struct Leg {
    LegKind kind = LegKind::Packet;
    std::vector<Hop> hops;
    std::string disposition;  // "delivered to pc2 (10.2.1.2)", "dropped at fw1 by ..."
    bool delivered = false;
    // The disposition's twin: how it ended, at which node (empty: on a link), and for a drop or
    // a hold the stage and the reason.
    LegOutcome outcome = LegOutcome::NotForwarded;
    std::string at;
    std::optional<StageId> stage;
    DropReason drop = DropReason::None;
    void end(LegOutcome o, std::string node, std::string sentence) {
      outcome = o;
      at = std::move(node);
      disposition = std::move(sentence);
      stage.reset();
      drop = DropReason::None;
    }
  };
  struct TraceResult {
    std::vector<Leg> legs;    // the packet (a second attempt after a negotiation), then the reply
    std::string negotiation;  // what the held packet's negotiation did, when there was one
  };
  TraceResult trace(const std::string& host, const PacketSpec& packet);
  static std::string format_trace_text(const TraceResult& t);     // every hop's stages
  static std::string format_trace_summary(const TraceResult& t);  // a line per hop
  // docs/schemas/lab-trace.schema.json, version kTraceJsonVersion: it embeds packet-trace's
  // JSON, so the two versions move together.
  static std::string format_trace_json(const TraceResult& t);

  // What the links dropped, by reason ("loss", "mtu", "filter udp 500", "link down").
  const std::map<std::string, uint64_t>& link_drops() const {
    return link_drops_;
  }
  bool set_link(const std::string& endpoint, bool up);  // "fw1:GigabitEthernet0/0/2"
  // The link's filter and MTU from now on (a carrier that drops UDP 500, a smaller path MTU).
  bool set_link_impairment(const std::string& endpoint, const std::vector<std::string>& drop,
                           uint32_t mtu);
  // `lab capture LINK FILE`: every packet that crosses the link from now on, both ways, into a
  // pcap file (link type RAW) stamped with the lab's clock; an empty file stops it. "" on success.
  Status capture(const std::string& endpoint, const std::string& file);

  // `lab keys`: every IPSec SA of the lab's firewalls as a line of Wireshark's esp_sa table
  // ("IPv4","*","*","0xSPI","AES-CBC [RFC3602]","0xKEY","HMAC-SHA-256-128 [RFC4868]","0xKEY"),
  // one per SPI: with them a capture's ESP decrypts.
  std::vector<std::string> esp_keys() const {
    return keys().esp_sa;
  }
  // Every firewall's, for `lab keys DIR`: esp_sa and the IKE SAs' keys (device/wireshark_tables).
  WiresharkTables keys() const;

  // A number from the lab's seeded generator (`lab fault inject random`).
  uint64_t random() {
    return random_();
  }

 private:
  using Mac = MacAddress;
  // What a followed packet's frames carry through the front ends and the links, to find its leg
  // (0: not followed).
  using Tag = EthernetFrontEnd::Tag;
  struct Port {
    size_t node = 0;
    std::string interface;  // the device's normalised name, or the host's as written
    std::string written;    // as the topology file wrote it (`eth1`), which commands accept too
    Mac mac{};
  };
  // An IP packet a host holds while it asks for the MAC address of its next hop.
  struct Pending {
    std::vector<uint8_t> packet;
    Tag tag = 0;
  };
  struct Link {
    Port a, b;
    LinkSpec spec;
    bool up = true;
    std::shared_ptr<PcapWriter> capture;  // set by `lab capture`
    // A host side's ARP cache and what waits on it: [0] for a's side, [1] for b's. A firewall
    // keeps its own in its front end (Device::arp).
    std::array<std::map<uint32_t, Mac>, 2> arp;
    std::array<std::map<uint32_t, std::vector<Pending>>, 2> waiting;
  };
  struct Node {
    std::string name;
    std::unique_ptr<Device> device;
    // The firewall on Ethernet, as `vfw run --bind` puts it: its frames, ARP and own traffic.
    std::unique_ptr<EthernetFrontEnd> frames;
    // The device's IKE randomness: seeded by the lab's and the node's names, so that a lab
    // repeats its SPIs, nonces, keys and captures byte for byte (its keys are printed by
    // `lab keys` anyway: a lab's secrets are for learning, not for protecting).
    std::unique_ptr<ike::SeededRandom> random;
    std::unique_ptr<Host> host;
  };
  struct Event {
    uint64_t at_ms;
    uint64_t order;
    size_t node;
    std::string interface;
    std::vector<uint8_t> bytes;
    Tag tag = 0;  // set for the packet `lab trace` follows
    bool operator>(const Event& o) const {
      return at_ms != o.at_ms ? at_ms > o.at_ms : order > o.order;
    }
  };

  Lab() = default;
  Link* link_at(const std::string& endpoint);
  // The link and the side (0: a, 1: b) a node's interface is on; nullptr when none.
  Link* link_of(size_t node, const std::string& interface, int& side);
  Tag follow(Leg* leg);
  Leg* leg_of(Tag tag) const;
  // An Ethernet frame onto the link from side: the link's state, MTU, filter and loss decide.
  void put_on_link(Link& l, int side, std::vector<uint8_t> frame, Tag tag);
  // A frame a firewall's front end sends out of its interface.
  void from_firewall(size_t node, uint16_t out, std::span<const uint8_t> frame, Tag tag);
  void arrive(Event& e);
  void arrive_at_firewall(Event& e);
  void arrive_at_host(Event& e, Link& l, int side);
  // A host's side: its ARP and the packets it sends.
  void host_arp(Link& l, int side, const std::vector<uint8_t>& frame);
  void transmit(size_t host, const std::string& interface, std::vector<uint8_t> bytes, Tag tag = 0);
  void flush(size_t node);  // IKE datagrams, released packets, ARP's retries
  void set_clock(uint64_t ms);

  std::string name_;
  std::vector<Node> nodes_;
  std::vector<Link> links_;
  std::priority_queue<Event, std::vector<Event>, std::greater<>> events_;
  uint64_t now_ms_ = 0;
  uint64_t order_ = 0;
  std::mt19937_64 random_{1};
  std::map<std::string, uint64_t> link_drops_;
  Leg* reply_leg_ = nullptr;   // where a traced packet's reply goes, while a trace runs
  uint16_t ping_id_ = 0x4c61;  // the next lab ping's ICMP identifier ("La", then on)
  // The legs of the trace running now, tagged from followed_base_ + 1 on; a trace's end moves
  // the base past them, so that a tag still waiting somewhere names no leg.
  std::vector<Leg*> followed_;
  Tag followed_base_ = 0;
};

}  // namespace vfw::lab
