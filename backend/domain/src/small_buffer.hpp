#pragma once

// A push-only buffer that keeps its first N elements inline and spills to the heap beyond, so the
// common short interval is rated without allocating. T must be trivially copyable.

#include <array>
#include <cstddef>
#include <type_traits>
#include <vector>

namespace prepaid::domain::detail {

template <typename T, std::size_t N>
class SmallBuffer {
  static_assert(std::is_trivially_copyable_v<T>);

 public:
  SmallBuffer() = default;
  /// `count` value-initialised elements.
  explicit SmallBuffer(std::size_t count) { resize(count); }

  void push_back(const T& value) {
    if (m_heap.empty() && m_size < N) {
      m_inline[m_size++] = value;
      return;
    }
    spill();
    m_heap.push_back(value);
    ++m_size;
  }

  void resize(std::size_t count) {
    if (count <= N && m_heap.empty()) {
      for (std::size_t i = m_size; i < count; ++i) {
        m_inline[i] = T{};
      }
    } else {
      spill();
      m_heap.resize(count);
    }
    m_size = count;
  }

  [[nodiscard]] std::size_t size() const { return m_size; }
  [[nodiscard]] T* data() { return m_heap.empty() ? m_inline.data() : m_heap.data(); }
  [[nodiscard]] const T* data() const { return m_heap.empty() ? m_inline.data() : m_heap.data(); }
  T& operator[](std::size_t index) { return data()[index]; }
  const T& operator[](std::size_t index) const { return data()[index]; }
  T* begin() { return data(); }
  T* end() { return data() + m_size; }
  const T* begin() const { return data(); }
  const T* end() const { return data() + m_size; }

 private:
  void spill() {
    if (m_heap.empty()) {
      m_heap.reserve(N * 2 > m_size + 1 ? N * 2 : m_size + 1);
      m_heap.assign(m_inline.begin(), m_inline.begin() + static_cast<std::ptrdiff_t>(m_size));
    }
  }

  std::array<T, N> m_inline;
  std::vector<T> m_heap;
  std::size_t m_size = 0;
};

}  // namespace prepaid::domain::detail
