#include "actors/redis_connection.hpp"

#include <optional>

#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <hiredis/async.h>
#include <hiredis/hiredis.h>

namespace svc {
namespace {

using descriptor = boost::asio::posix::stream_descriptor;

// Replies nest only as deep as the limiter's commands make them: a cap keeps a
// hostile or confused server from recursing us off the stack.
constexpr int max_reply_depth = 8;

redis_value to_value(const redisReply* r, int depth = 0) {
  redis_value v;
  switch (r->type) {
    case REDIS_REPLY_INTEGER:
      v.type = redis_value::kind::integer;
      v.integer = r->integer;
      break;
    case REDIS_REPLY_STRING:
      v.type = redis_value::kind::string;
      v.text.assign(r->str, r->len);
      break;
    case REDIS_REPLY_STATUS:
      v.type = redis_value::kind::status;
      v.text.assign(r->str, r->len);
      break;
    case REDIS_REPLY_ERROR:
      v.type = redis_value::kind::error;
      v.text.assign(r->str, r->len);
      break;
    case REDIS_REPLY_ARRAY:
      v.type = redis_value::kind::array;
      if (depth < max_reply_depth)
        for (std::size_t i = 0; i < r->elements; ++i)
          v.elements.push_back(to_value(r->element[i], depth + 1));
      break;
    default: break;
  }
  return v;
}

}  // namespace

struct redis_connection::impl {
  impl(boost::asio::io_context& context, notify_fn n) : io(context), notify(std::move(n)) {}

  boost::asio::io_context& io;
  notify_fn notify;
  redisAsyncContext* ctx = nullptr;  // hiredis frees it itself on a failed connect or EOF
  // hiredis' socket in the io_context, never owning it (hiredis closes it).
  std::optional<descriptor> socket;
  // Bumped whenever the socket is let go: a late event of an earlier socket is dropped.
  std::uint64_t generation = 0;
  bool want_read = false, want_write = false;
  bool read_armed = false, write_armed = false;
  bool is_connected = false;
  std::optional<event> happened;  // set by hiredis' callbacks while we are inside hiredis
  std::string error;

  void arm(bool writable) {
    bool& armed = writable ? write_armed : read_armed;
    if (armed || !socket)
      return;
    armed = true;
    socket->async_wait(
      writable ? descriptor::wait_write : descriptor::wait_read,
      [notify = notify, generation = generation, writable](const boost::system::error_code& ec) {
        if (ec != boost::asio::error::operation_aborted)
          notify(generation, writable);
      });
  }

  void release_socket() {
    if (socket) {
      // release(), not close(): the descriptor is hiredis'. Pending waits end
      // with operation_aborted; the generation makes queued events stale.
      socket->release();
      socket.reset();
    }
    want_read = want_write = read_armed = write_armed = false;
    ++generation;
  }

  static impl& of(void* data) { return *static_cast<impl*>(data); }
  static impl& of(const redisAsyncContext* ac) { return *static_cast<impl*>(ac->data); }

  // The event-loop hooks hiredis calls (redisAsyncContext::ev).
  static void add_read(void* data) {
    of(data).want_read = true;
    of(data).arm(false);
  }
  static void del_read(void* data) { of(data).want_read = false; }
  static void add_write(void* data) {
    of(data).want_write = true;
    of(data).arm(true);
  }
  static void del_write(void* data) { of(data).want_write = false; }
  // Called as hiredis frees the context, just before it closes the socket.
  static void cleanup(void* data) {
    auto& self = of(data);
    self.release_socket();
    self.ctx = nullptr;
    self.is_connected = false;
  }

  static void on_connect(const redisAsyncContext* ac, int status) {
    auto& self = of(ac);
    if (status == REDIS_OK) {
      self.is_connected = true;
      self.happened = event::connected;
    } else {
      self.error = ac->errstr;
      self.happened = event::connect_failed;  // hiredis frees the context next
    }
  }

  static void on_disconnect(const redisAsyncContext* ac, int status) {
    auto& self = of(ac);
    self.error = status == REDIS_OK ? "connection closed" : ac->errstr;
    self.is_connected = false;
    if (!self.happened)
      self.happened = event::closed;
  }

  static void on_reply(redisAsyncContext*, void* reply, void* privdata) {
    std::unique_ptr<reply_fn> done{static_cast<reply_fn*>(privdata)};
    try {  // nothing may unwind through hiredis' C frames
      if (!reply) {
        (*done)(nullptr);
        return;
      }
      auto value = to_value(static_cast<redisReply*>(reply));
      (*done)(&value);
    } catch (...) {
    }
  }
};

redis_connection::redis_connection(boost::asio::io_context& io, notify_fn notify)
    : impl_(std::make_unique<impl>(io, std::move(notify))) {
}

redis_connection::~redis_connection() {
  close();
}

bool redis_connection::open(const std::string& address, std::uint16_t port) {
  close();
  auto& s = *impl_;
  s.error.clear();
  auto* ac = redisAsyncConnect(address.c_str(), port);
  if (!ac) {
    s.error = "out of memory";
    return false;
  }
  if (ac->err) {
    s.error = ac->errstr;
    redisAsyncFree(ac);
    return false;
  }
  s.ctx = ac;
  ac->data = &s;
  ac->ev.data = &s;
  ac->ev.addRead = &impl::add_read;
  ac->ev.delRead = &impl::del_read;
  ac->ev.addWrite = &impl::add_write;
  ac->ev.delWrite = &impl::del_write;
  ac->ev.cleanup = &impl::cleanup;
  redisAsyncSetConnectCallback(ac, &impl::on_connect);
  redisAsyncSetDisconnectCallback(ac, &impl::on_disconnect);
  s.socket.emplace(s.io, ac->c.fd);
  impl::add_write(&s);  // a non-blocking connect completes when the socket turns writable
  return true;
}

redis_connection::event redis_connection::on_socket_ready(std::uint64_t generation, bool writable) {
  auto& s = *impl_;
  if (!s.ctx || generation != s.generation)
    return event::nothing;
  (writable ? s.write_armed : s.read_armed) = false;
  s.happened.reset();
  if (writable && s.want_write)
    redisAsyncHandleWrite(s.ctx);
  else if (!writable && s.want_read)
    redisAsyncHandleRead(s.ctx);
  if (s.ctx) {  // still there: watch for what hiredis still wants
    if (s.want_read)
      s.arm(false);
    if (s.want_write)
      s.arm(true);
  }
  auto what = s.happened.value_or(event::nothing);
  s.happened.reset();
  return what;
}

bool redis_connection::send(const std::vector<std::string>& args, reply_fn done) {
  auto& s = *impl_;
  if (!s.ctx)
    return false;
  std::vector<const char*> argv;
  std::vector<std::size_t> lengths;
  for (const auto& a : args) {
    argv.push_back(a.data());
    lengths.push_back(a.size());
  }
  auto callback = std::make_unique<reply_fn>(std::move(done));
  if (redisAsyncCommandArgv(s.ctx, &impl::on_reply, callback.get(), static_cast<int>(argv.size()),
                            argv.data(), lengths.data()) != REDIS_OK)
    return false;
  (void)callback.release();  // on_reply owns it now
  return true;
}

void redis_connection::close() {
  auto& s = *impl_;
  if (s.ctx) {
    auto* ac = s.ctx;
    s.happened.reset();
    redisAsyncFree(ac);  // replies awaited get nullptr; cleanup() lets the socket go
  }
  s.ctx = nullptr;
  s.is_connected = false;
  s.happened.reset();
}

bool redis_connection::is_open() const {
  return impl_->ctx != nullptr;
}

bool redis_connection::connected() const {
  return impl_->ctx != nullptr && impl_->is_connected;
}

const std::string& redis_connection::last_error() const {
  return impl_->error;
}

}  // namespace svc
