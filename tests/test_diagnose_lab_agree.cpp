// The in-memory diagnosis and the lab agree. Every pair of gateway configurations in the
// repository (examples/ and the published configurations of tests/data/real-configs/) whose
// ipsec policy names the other as its peer is diagnosed for the first flow its security ACL
// protects, and the same flow is carried through a lab of the two (a host behind each, a
// carrier between them): a pair the lab cannot carry the flow through never diagnoses as all
// passed, and a pair the lab carries never diagnoses as failed.
#include <catch2/catch.hpp>
#include <filesystem>

#include "cli/config_loader.hpp"
#include "verify/fix_proof.hpp"

using namespace vfw;

namespace {

struct Named {
  std::string file;
  config::Config cfg;
};

std::vector<Named> every_configuration() {
  std::vector<Named> all;
  for (const char* folder : {"/examples", "/tests/data/real-configs"}) {
    std::vector<std::filesystem::path> files;
    for (const auto& e : std::filesystem::directory_iterator(std::string(VFW_SOURCE_DIR) + folder))
      if (e.path().extension() == ".cfg") files.push_back(e.path());
    std::sort(files.begin(), files.end());
    for (const auto& f : files) {
      cli::LoadResult r = cli::load_config_file(f.string());
      if (r.ok()) all.push_back({f.filename().string(), std::move(r.config)});
    }
  }
  return all;
}

bool holds(const config::Config& c, Ipv4 address) {
  for (const auto& [name, i] : c.interfaces) {
    if (i.address && i.address->host == address) return true;
  }
  return false;
}

// A host of the wildcard's network that is not an address of the gateway beside it: its first
// such address after the network's own.
std::string host_of(const Wildcard& w, const config::Config& gateway) {
  const uint32_t net = w.addr.v & ~w.wild.v;
  if (w.wild.v == 0) return to_string(Ipv4{net});
  uint32_t a = net + 1;
  while (holds(gateway, Ipv4{a}) && a < (net | w.wild.v) - 1) ++a;
  return to_string(Ipv4{a});
}

struct Pair {
  const Named* a;
  const Named* b;
  std::string entry;
  diagnose::DiagnoseOptions flow;
};

// Every configuration whose ipsec policy entry names, as its ike peer's remote-address, an
// address another configuration holds: the two, and the first flow the entry's ACL protects.
std::vector<Pair> every_pair(const std::vector<Named>& all) {
  std::vector<Pair> pairs;
  for (const Named& a : all) {
    for (const auto& entry : a.cfg.ipsec_policies) {
      if (entry.manual || !entry.template_name.empty() || !entry.acl) continue;
      const config::IkePeer* p = a.cfg.find_ike_peer(entry.ike_peer);
      if (p == nullptr || !p->remote_address) continue;
      const auto acl = a.cfg.acls.find(*entry.acl);
      if (acl == a.cfg.acls.end() || acl->second.rules.empty()) continue;
      const config::AclRule& rule = acl->second.rules.front();
      if (!rule.permit || !rule.source || !rule.destination) continue;
      for (const Named& b : all) {
        if (&b == &a || !holds(b.cfg, *p->remote_address)) continue;
        diagnose::DiagnoseOptions o;
        o.from = host_of(*rule.source, a.cfg);
        o.to = host_of(*rule.destination, b.cfg);
        pairs.push_back({&a, &b, entry.name + " " + std::to_string(entry.seq), o});
      }
    }
  }
  return pairs;
}

}  // namespace

TEST_CASE("diagnose and the lab agree on every pair of gateways the repository holds",
          "[diagnose][proof][lab]") {
  static const std::vector<Named> all = every_configuration();
  static const std::vector<Pair> pairs = every_pair(all);
  REQUIRE(all.size() > 20);
  // The seed's pair both ways, its variants in examples/, and the published pairs.
  REQUIRE(pairs.size() >= 10);
  for (const Pair& p : pairs) {
    DYNAMIC_SECTION(p.a->file << " (ipsec policy " << p.entry << ") and " << p.b->file << ", "
                              << p.flow.from << " to " << p.flow.to) {
      const verify::LabOutcome lab = verify::carry_through_lab(p.a->cfg, p.b->cfg, p.flow);
      INFO(lab.what);
      // A pair the lab cannot be built of (no host network behind a gateway) has nothing to
      // hold the diagnosis to.
      if (lab.built) {
        const auto d = verify::diagnose_proven(p.a->cfg, &p.b->cfg, p.flow);
        REQUIRE(d);
        INFO(diagnose::format_diagnosis_text(*d));
        CHECK(d->failed() == !lab.delivered);
      }
    }
  }
}
