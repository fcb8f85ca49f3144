// IKEv2's encoding and its cryptographic building blocks, checked against the RFCs' examples.
#include <catch2/catch.hpp>

#include "ike/dh.hpp"
#include "ike/encrypted_payload.hpp"
#include "ike/keys.hpp"
#include "ike/message.hpp"

using namespace vfw;
using namespace vfw::ike;

namespace {

Bytes hex(const std::string& s) {
  Bytes out;
  for (size_t i = 0; i + 1 < s.size(); i += 2)
    out.push_back(static_cast<uint8_t>(std::stoi(s.substr(i, 2), nullptr, 16)));
  return out;
}

Bytes text(const std::string& s) {
  return Bytes(s.begin(), s.end());
}

}  // namespace

TEST_CASE("every payload vfw writes decodes back to what was written", "[ike]") {
  PayloadWriter w;
  Proposal p;
  p.number = 1;
  p.protocol = protocol::kIke;
  p.transforms = {{transform::kEncryption, encr::kAesCbc, 256},
                  {transform::kPrf, prf_id::kHmacSha256, std::nullopt},
                  {transform::kIntegrity, integ::kHmacSha256_128, std::nullopt},
                  {transform::kDhGroup, 14, std::nullopt}};
  Proposal esp;
  esp.number = 2;
  esp.protocol = protocol::kEsp;
  esp.spi = {1, 2, 3, 4};
  esp.transforms = {{transform::kEncryption, encr::kAesGcm16, 128},
                    {transform::kEsn, 0, std::nullopt}};
  w.sa({p, esp});
  w.ke({14, Bytes(256, 7)});
  w.nonce(Bytes(32, 9));
  Identification id;
  id.type = id_type::kFqdn;
  id.data = text("fw1");
  w.id(payload::kIdi, id);
  w.auth({auth_method::kSharedKeyMic, Bytes(32, 1)});
  TrafficSelector ts;
  ts.start = *parse_ipv4("10.1.1.0");
  ts.end = *parse_ipv4("10.1.1.255");
  w.ts(payload::kTsi, {ts});
  w.notify(notify::kNatDetectionSourceIp, Bytes(20, 3));
  w.del({protocol::kEsp, 4, {{9, 9, 9, 9}}});
  Header h;
  h.spi_i = 0x0102030405060708ULL;
  h.exchange = exchange::kIkeSaInit;
  h.flags = flag::kInitiator;
  const Bytes m = encode_message(h, w);

  DecodeError e;
  auto back = decode_header(m, e);
  REQUIRE(back);
  CHECK(back->spi_i == h.spi_i);
  CHECK(back->length == m.size());
  CHECK(back->next_payload == payload::kSa);
  Payloads d;
  REQUIRE(decode_payloads(std::span(m).subspan(kHeaderBytes), back->next_payload, d, e));
  REQUIRE(d.sa);
  REQUIRE(d.sa->size() == 2);
  CHECK((*d.sa)[0].transforms == p.transforms);
  CHECK((*d.sa)[1].spi == esp.spi);
  CHECK((*d.sa)[1].transforms == esp.transforms);
  CHECK(d.ke->group == 14);
  CHECK(d.ke->data.size() == 256);
  CHECK(d.nonce->size() == 32);
  CHECK(d.idi->text() == "fw1");
  CHECK(d.auth->data.size() == 32);
  REQUIRE(d.tsi);
  CHECK((*d.tsi)[0] == ts);
  CHECK(d.find_notify(notify::kNatDetectionSourceIp)->data.size() == 20);
  CHECK(d.deletes.at(0).spis.at(0) == Bytes{9, 9, 9, 9});
}

TEST_CASE("decoding refuses what does not fit: INVALID_SYNTAX, never a read past the end",
          "[ike][hostile]") {
  PayloadWriter w;
  w.nonce(Bytes(32, 1));
  Header h;
  h.exchange = exchange::kIkeSaInit;
  const Bytes m = encode_message(h, w);
  DecodeError e;
  // Length field of the header disagreeing with the datagram.
  Bytes longer = m;
  longer.push_back(0);
  CHECK_FALSE(decode_header(longer, e));
  CHECK(e.notify == notify::kInvalidSyntax);
  // A version 1 header.
  Bytes v1 = m;
  v1[17] = 0x10;
  CHECK_FALSE(decode_header(v1, e));
  CHECK(e.notify == notify::kInvalidMajorVersion);
  // A nonce of 8 bytes (RFC 7296 2.10: at least 16).
  PayloadWriter short_nonce;
  short_nonce.nonce(Bytes(8, 1));
  Payloads p;
  CHECK_FALSE(decode_payloads(short_nonce.bytes(), short_nonce.first(), p, e));
  CHECK(e.notify == notify::kInvalidSyntax);
  // Two SA payloads.
  PayloadWriter two;
  Proposal prop;
  prop.transforms = {{transform::kDhGroup, 14, std::nullopt}};
  two.sa({prop});
  two.sa({prop});
  Payloads q;
  CHECK_FALSE(decode_payloads(two.bytes(), two.first(), q, e));
  // A proposal claiming more transforms than it holds.
  PayloadWriter lying;
  lying.sa({prop});
  Bytes bytes = lying.bytes();
  bytes[4 + 7] = 5;
  Payloads r;
  CHECK_FALSE(decode_payloads(bytes, lying.first(), r, e));
  CHECK(e.notify == notify::kInvalidSyntax);
}

TEST_CASE("the PRF is HMAC as RFC 4231 gives it, and prf+ chains it as RFC 7296 2.13 says",
          "[ike]") {
  const PrfAlgorithm& sha256 = *find_prf("hmac-sha2-256");
  // RFC 4231 test case 2.
  CHECK(prf(sha256, text("Jefe"), text("what do ya want for nothing?")) ==
        hex("5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"));
  // prf+: T1 = prf(K, S | 0x01), T2 = prf(K, T1 | S | 0x02).
  const Bytes key = text("key");
  const Bytes seed = text("seed");
  Bytes s1 = seed;
  s1.push_back(1);
  const Bytes t1 = prf(sha256, key, s1);
  Bytes s2 = t1;
  s2.insert(s2.end(), seed.begin(), seed.end());
  s2.push_back(2);
  const Bytes t2 = prf(sha256, key, s2);
  Bytes expected = t1;
  expected.insert(expected.end(), t2.begin(), t2.begin() + 8);
  CHECK(prf_plus(sha256, key, seed, 40) == expected);
}

TEST_CASE("Diffie-Hellman in every group: both sides reach the same secret, a bad value is refused",
          "[ike]") {
  for (const auto& g : dh_groups()) {
    INFO(g.display);
    auto a = DhKey::generate(g, system_random());
    auto b = DhKey::generate(g, system_random());
    REQUIRE(a);
    REQUIRE(b);
    CHECK(a->public_value().size() == g.public_bytes);
    auto s1 = a->shared_secret(b->public_value());
    auto s2 = b->shared_secret(a->public_value());
    REQUIRE(s1);
    CHECK(s1 == s2);
    // RFC 6989: 1, p-1 and points off the curve are not used.
    Bytes one(g.public_bytes, 0);
    one.back() = 1;
    CHECK_FALSE(a->shared_secret(one));
    CHECK_FALSE(a->shared_secret(Bytes(g.public_bytes, 0xff)));
    CHECK_FALSE(a->shared_secret(Bytes(g.public_bytes - 1, 1)));
  }
}

TEST_CASE("a seeded random source repeats itself, a label gives its own stream, keys follow it",
          "[ike]") {
  SeededRandom a("lab seed/FW1");
  SeededRandom b("lab seed/FW1");
  SeededRandom c("lab seed/FW3");
  // Draws of odd sizes across the 64-byte blocks give the same stream as one long draw.
  Bytes pieces;
  for (size_t n : {1, 63, 7, 100, 2}) {
    const Bytes part = a.bytes(n);
    pieces.insert(pieces.end(), part.begin(), part.end());
  }
  CHECK(pieces == b.bytes(173));
  CHECK(a.bytes(32) != c.bytes(32));
  CHECK(SeededRandom("x").bytes(32) != Bytes(32, 0));
  for (const auto& g : dh_groups()) {
    INFO(g.display);
    SeededRandom r1("dh");
    SeededRandom r2("dh");
    auto k1 = DhKey::generate(g, r1);
    auto k2 = DhKey::generate(g, r2);
    auto other = DhKey::generate(g, r1);
    REQUIRE(k1);
    REQUIRE(k2);
    REQUIRE(other);
    CHECK(k1->public_value() == k2->public_value());
    CHECK(k1->public_value() != other->public_value());
    CHECK(k1->shared_secret(other->public_value()) == other->shared_secret(k2->public_value()));
  }
}

TEST_CASE("the Encrypted payload: sealed and opened, any change to the message refused",
          "[ike][hostile]") {
  for (const char* cipher : {"aes-256", "3des", "aes-gcm-128"}) {
    INFO(cipher);
    SkProtection p;
    p.encryption = find_encryption(cipher);
    p.integrity = p.encryption->aead ? nullptr : find_integrity("hmac-sha2-256");
    p.encryption_key = Bytes(p.encryption->key_bytes + (p.encryption->aead ? 4 : 0), 0x11);
    if (p.integrity != nullptr) p.integrity_key = Bytes(p.integrity->key_bytes, 0x22);
    PayloadWriter inner;
    inner.nonce(Bytes(40, 5));
    inner.notify(notify::kInitialContact);
    Header h;
    h.spi_i = 1;
    h.spi_r = 2;
    h.exchange = exchange::kIkeAuth;
    h.message_id = 1;
    auto m = seal_message(h, inner, p, system_random());
    REQUIRE(m);
    DecodeError e;
    auto back = decode_header(*m, e);
    REQUIRE(back);
    Payloads outer;
    REQUIRE(decode_payloads(std::span(*m).subspan(kHeaderBytes), back->next_payload, outer, e));
    REQUIRE(outer.encrypted);
    Payloads got;
    REQUIRE(open_message(*m, outer, p, got, e));
    CHECK(got.nonce->size() == 40);
    CHECK(got.find_notify(notify::kInitialContact) != nullptr);
    for (size_t at = 0; at < m->size(); ++at) {
      Bytes changed = *m;
      changed[at] ^= 0x01;
      Payloads o2;
      Payloads g2;
      DecodeError e2;
      auto h2 = decode_header(changed, e2);
      if (!h2 ||
          !decode_payloads(std::span(changed).subspan(kHeaderBytes), h2->next_payload, o2, e2))
        continue;
      CHECK_FALSE(open_message(changed, o2, p, g2, e2));
    }
  }
}
