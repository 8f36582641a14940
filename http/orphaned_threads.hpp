// Where http::client's I/O threads go when the client is stopped from one of them.
#pragma once

#include <mutex>
#include <thread>
#include <vector>

namespace svc::http {

// The I/O threads of clients stopped from one of those threads (see client::stop()),
// which nobody else can join. They used to be detached, and a detached thread
// could still be tearing its client down (the io_context, SSL_CTX_free) when
// main returned: the exit handlers, OpenSSL's OPENSSL_cleanup among them, then
// freed the OpenSSL state that thread was using (ThreadSanitizer, at the exit of
// http_client_tests after destroyed_from_its_own_callback: a lock destroyed by
// OPENSSL_cleanup while the client's thread held it in SSL_CTX_free). Here they
// are joined instead: those already finished whenever another client is stopped
// this way, the rest at exit, by this object's destructor. That runs before
// OPENSSL_cleanup: exit handlers run in the reverse order of their registration,
// and this object is made (client::client) after the client's SSL context, that
// is after OpenSSL registered its cleanup.
class orphaned_threads {
public:
  static orphaned_threads& get();

  // From stop() on one of the client's threads, before the threads can end.
  void adopt(std::vector<std::thread> threads);

  // The last thing an adopted thread does, after its reference to the impl is gone.
  void finished();

  ~orphaned_threads();

private:
  orphaned_threads() = default;
  std::mutex mutex_;
  std::vector<std::thread> threads_;
  std::vector<std::thread::id> finished_;  // of threads_, ended
};

}  // namespace svc::http
