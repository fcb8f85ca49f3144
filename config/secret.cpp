#include "config/secret.hpp"

#include <fcntl.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cstdlib>
#include <stdexcept>
#include <vector>

namespace vfw::config {
namespace {

using Key = std::array<unsigned char, 32>;

std::string key_path() {
  if (const char* path = std::getenv("VFW_DEVICE_KEY"); path != nullptr && *path != '\0')
    return path;
  return machine_folder() + "/device.key";
}

// This machine's key: read, or made once and written atomically (temporary file, rename), 0600.
Key load_or_make_key() {
  const std::string path = key_path();
  Key key{};
  if (const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC); fd >= 0) {
    const ssize_t n = read(fd, key.data(), key.size());
    close(fd);
    if (n == static_cast<ssize_t>(key.size())) return key;
    throw std::runtime_error("the device key " + path + " is damaged (32 bytes expected)");
  }
  if (RAND_bytes(key.data(), static_cast<int>(key.size())) != 1)
    throw std::runtime_error("the random generator failed");
  make_folders_for(path);
  const std::string tmp = path + ".tmp";
  const int fd = open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0 || write(fd, key.data(), key.size()) != static_cast<ssize_t>(key.size()) ||
      fsync(fd) != 0 || close(fd) != 0 || rename(tmp.c_str(), path.c_str()) != 0) {
    throw std::runtime_error("cannot write the device key " + path);
  }
  return key;
}

const Key& device_key() {
  static const Key key = load_or_make_key();
  return key;
}

constexpr size_t kNonce = 12;
constexpr size_t kTag = 16;

}  // namespace

std::string machine_folder() {
  const char* home = std::getenv("HOME");
  return std::string(home != nullptr && *home != '\0' ? home : "/tmp") + "/.config/vfw";
}

void make_folders_for(const std::string& path) {
  for (size_t slash = path.find('/', 1); slash != std::string::npos;
       slash = path.find('/', slash + 1)) {
    mkdir(path.substr(0, slash).c_str(), 0700);  // an existing folder is fine
  }
}

bool is_sealed(std::string_view text) {
  return text.size() > 2 * kSealMark.size() && text.substr(0, kSealMark.size()) == kSealMark &&
         text.substr(text.size() - kSealMark.size()) == kSealMark;
}

bool is_cipher_text(std::string_view text) {
  for (std::string_view mark : {kSealMark, std::string_view("%$%$"), std::string_view("@%@%")}) {
    if (text.size() > 2 * mark.size() && text.substr(0, mark.size()) == mark &&
        text.substr(text.size() - mark.size()) == mark)
      return true;
  }
  return false;
}

std::string seal_secret(std::string_view clear) {
  const Key& key = device_key();
  unsigned char mac[32];
  size_t mac_len = 0;
  if (EVP_Q_mac(nullptr, "HMAC", nullptr, "SHA256", nullptr, key.data(), key.size(),
                reinterpret_cast<const unsigned char*>(clear.data()), clear.size(), mac, sizeof mac,
                &mac_len) == nullptr)
    throw std::runtime_error("OpenSSL HMAC failed");
  std::vector<unsigned char> out(kNonce + clear.size() + kTag);
  std::copy_n(mac, kNonce, out.begin());
  EVP_CIPHER_CTX* ctx = EVP_CIPHER_CTX_new();
  int len = 0;
  const bool ok =
      ctx != nullptr && EVP_EncryptInit_ex(ctx, EVP_aes_256_gcm(), nullptr, key.data(), mac) == 1 &&
      EVP_EncryptUpdate(ctx, out.data() + kNonce, &len,
                        reinterpret_cast<const unsigned char*>(clear.data()),
                        static_cast<int>(clear.size())) == 1 &&
      EVP_EncryptFinal_ex(ctx, out.data() + kNonce + len, &len) == 1 &&
      EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, kTag, out.data() + kNonce + clear.size()) == 1;
  EVP_CIPHER_CTX_free(ctx);
  if (!ok) throw std::runtime_error("OpenSSL AES-GCM failed");
  std::string b64(4 * ((out.size() + 2) / 3) + 1, '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(b64.data()), out.data(),
                                static_cast<int>(out.size()));
  b64.resize(static_cast<size_t>(n));
  return std::string(kSealMark) + b64 + std::string(kSealMark);
}

std::optional<std::string> open_secret(std::string_view sealed) {
  if (!is_sealed(sealed)) return std::nullopt;
  const std::string_view b64 =
      sealed.substr(kSealMark.size(), sealed.size() - 2 * kSealMark.size());
  if (b64.size() % 4 != 0) return std::nullopt;
  std::vector<unsigned char> raw(b64.size() / 4 * 3);
  const int n = EVP_DecodeBlock(raw.data(), reinterpret_cast<const unsigned char*>(b64.data()),
                                static_cast<int>(b64.size()));
  if (n < 0) return std::nullopt;
  size_t size = static_cast<size_t>(n);
  for (size_t i = b64.size(); i-- > 0 && b64[i] == '=';) --size;  // the padding decoded as 0s
  if (size < kNonce + kTag) return std::nullopt;
  const size_t clear_size = size - kNonce - kTag;
  std::string clear(clear_size, '\0');
  const Key& key = device_key();
  EVP_CIPHER_CTX* ctx = EVP_CIPHER_CTX_new();
  int len = 0;
  const bool ok =
      ctx != nullptr &&
      EVP_DecryptInit_ex(ctx, EVP_aes_256_gcm(), nullptr, key.data(), raw.data()) == 1 &&
      EVP_DecryptUpdate(ctx, reinterpret_cast<unsigned char*>(clear.data()), &len,
                        raw.data() + kNonce, static_cast<int>(clear_size)) == 1 &&
      EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, kTag, raw.data() + kNonce + clear_size) == 1 &&
      EVP_DecryptFinal_ex(ctx, reinterpret_cast<unsigned char*>(clear.data()) + len, &len) == 1;
  EVP_CIPHER_CTX_free(ctx);
  OPENSSL_cleanse(raw.data(), raw.size());
  if (!ok) {
    OPENSSL_cleanse(clear.data(), clear.size());
    return std::nullopt;
  }
  return clear;
}

}  // namespace vfw::config
