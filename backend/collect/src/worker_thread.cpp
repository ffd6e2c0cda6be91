#include "worker_thread.hpp"

#include <climits>
#include <cstring>

namespace prepaid::backend::collect {

bool WorkerThread::start(std::function<void()> body, std::size_t stackBytes, std::string& error) {
  if (m_started) {
    error = "already started";
    return false;
  }
  m_body = std::make_unique<std::function<void()>>(std::move(body));
  pthread_attr_t attributes;
  pthread_attr_init(&attributes);
  const auto minimum = static_cast<std::size_t>(PTHREAD_STACK_MIN);
  pthread_attr_setstacksize(&attributes, stackBytes < minimum ? minimum : stackBytes);
  const int rc = pthread_create(&m_thread, &attributes, &WorkerThread::trampoline, m_body.get());
  pthread_attr_destroy(&attributes);
  if (rc != 0) {
    error = std::strerror(rc);
    m_body.reset();
    return false;
  }
  m_started = true;
  return true;
}

void WorkerThread::join() {
  if (m_started) {
    pthread_join(m_thread, nullptr);
    m_started = false;
    m_body.reset();
  }
}

void* WorkerThread::trampoline(void* argument) {
  auto* body = static_cast<std::function<void()>*>(argument);
  (*body)();
  return nullptr;
}

}  // namespace prepaid::backend::collect
