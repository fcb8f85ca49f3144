// Large tables backed by transparent huge pages.
//
// The session table is read at random: with 4 KiB pages nearly every lookup also misses the TLB
// and walks the page tables. HugeArray maps its memory, asks for 2 MiB pages (madvise
// MADV_HUGEPAGE) before the first touch, and only then constructs the elements. Where the kernel
// has THP off the advice does nothing and the table works the same.
#pragma once

#include <sys/mman.h>

#include <cstddef>
#include <cstdint>
#include <new>
#include <type_traits>
#include <utility>

namespace vfw {

template <typename T>
class HugeArray {
 public:
  HugeArray() = default;
  explicit HugeArray(size_t n) : size_(n) {
    if (n == 0) return;
    bytes_ = (n * sizeof(T) + kHuge - 1) & ~(kHuge - 1);
    void* p = mmap(nullptr, bytes_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) throw std::bad_alloc();
    madvise(p, bytes_, MADV_HUGEPAGE);
    data_ = static_cast<T*>(p);
    for (size_t i = 0; i < n; ++i) new (&data_[i]) T();
  }
  HugeArray(const HugeArray&) = delete;
  HugeArray& operator=(const HugeArray&) = delete;
  HugeArray(HugeArray&& o) noexcept { swap(o); }
  HugeArray& operator=(HugeArray&& o) noexcept {
    swap(o);
    return *this;
  }
  ~HugeArray() {
    if (data_ != nullptr)
      munmap(data_, bytes_);  // T is trivially destructible (static_assert below)
  }
  static_assert(std::is_trivially_destructible_v<T>);

  T& operator[](size_t i) { return data_[i]; }
  const T& operator[](size_t i) const { return data_[i]; }
  T* begin() { return data_; }
  T* end() { return data_ + size_; }
  T* data() { return data_; }
  size_t size() const { return size_; }

 private:
  static constexpr size_t kHuge = size_t{2} << 20;
  void swap(HugeArray& o) noexcept {
    std::swap(data_, o.data_);
    std::swap(size_, o.size_);
    std::swap(bytes_, o.bytes_);
  }
  T* data_ = nullptr;
  size_t size_ = 0;
  size_t bytes_ = 0;
};

}  // namespace vfw
