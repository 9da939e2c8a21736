// The transport: Boost.Beast parses requests, answers are written as raw bytes so faults (reset,
// stall, trickle, truncated bodies) can be produced exactly. One coroutine per connection.
// Keep Beast out of every other translation unit (compile time, and never next to cpprest).
// clang-format off
#include <utility>  // before asio: Boost 1.74's awaitable.hpp uses std::exchange without including it
// clang-format on
#include <array>
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <thread>
#include <vector>

#include "adu/emulator/emulator.h"
#include "model.h"

namespace adu::emulator {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

namespace {

std::string_view Reason(int status) {
  switch (status) {
    case 200:
      return "OK";
    case 204:
      return "No Content";
    case 304:
      return "Not Modified";
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 408:
      return "Request Timeout";
    case 413:
      return "Payload Too Large";
    case 429:
      return "Too Many Requests";
    case 500:
      return "Internal Server Error";
    case 502:
      return "Bad Gateway";
    case 503:
      return "Service Unavailable";
    case 504:
      return "Gateway Timeout";
    default:
      return "Status";
  }
}

std::string Head(const detail::HttpResponse& res, bool keep_alive) {
  std::string head =
      "HTTP/1.1 " + std::to_string(res.status) + " " + std::string(Reason(res.status)) + "\r\n";
  for (const auto& [k, v] : res.headers) head += k + ": " + v + "\r\n";
  const bool bodiless = res.status == 304 || res.status == 204 || res.status < 200;
  if (!bodiless) head += "Content-Length: " + std::to_string(res.body.size()) + "\r\n";
  if (!keep_alive) head += "Connection: close\r\n";
  head += "\r\n";
  return head;
}

// Counts a request as in progress for the peak-concurrency statistic.
class InProgress {
 public:
  explicit InProgress(detail::Model& m) : m_(m) { m_.BeginRequest(); }
  ~InProgress() { m_.EndRequest(); }
  InProgress(const InProgress&) = delete;
  InProgress& operator=(const InProgress&) = delete;

 private:
  detail::Model& m_;
};

asio::awaitable<void> Session(tcp::socket socket, detail::Model& model, std::size_t body_limit) {
  beast::error_code ec;
  socket.set_option(tcp::no_delay(true), ec);
  beast::flat_buffer buffer;
  asio::steady_timer timer(socket.get_executor());
  for (;;) {
    http::request_parser<http::string_body> parser;
    parser.body_limit(body_limit);
    co_await http::async_read(socket, buffer, parser,
                              asio::redirect_error(asio::use_awaitable, ec));
    if (ec == http::error::body_limit) {
      detail::HttpResponse res;
      res.status = 413;
      const auto head = Head(res, false);
      co_await asio::async_write(socket, asio::buffer(head),
                                 asio::redirect_error(asio::use_awaitable, ec));
      break;
    }
    if (ec) break;  // end of stream, reset, malformed request: drop the connection
    auto& msg = parser.get();
    detail::HttpRequest req;
    req.method = std::string(msg.method_string());
    req.target = std::string(msg.target());
    for (const auto& field : msg) {
      req.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
    }
    req.body = std::move(msg.body());
    const bool keep_alive = msg.keep_alive();

    InProgress in_progress(model);
    detail::HttpResponse res = model.Handle(req);
    if (res.action == detail::Action::kReset) {
      // SO_LINGER 0 makes close() send RST instead of FIN: the client sees "connection reset".
      socket.set_option(asio::socket_base::linger(true, 0), ec);
      socket.close(ec);
      co_return;
    }
    if (res.action == detail::Action::kStall) {
      timer.expires_after(std::chrono::duration_cast<std::chrono::steady_clock::duration>(
          std::chrono::duration<double>(res.stall_seconds)));
      co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    }
    const std::string head = Head(res, keep_alive);
    if (res.action == detail::Action::kTrickle) {
      co_await asio::async_write(socket, asio::buffer(head),
                                 asio::redirect_error(asio::use_awaitable, ec));
      // Ten slices a second keep the rate smooth without a syscall per byte.
      const std::size_t slice =
          std::max<std::size_t>(1, static_cast<std::size_t>(res.bytes_per_second) / 10);
      const auto pause = std::chrono::duration_cast<std::chrono::steady_clock::duration>(
          std::chrono::duration<double>(static_cast<double>(slice) / res.bytes_per_second));
      for (std::size_t pos = 0; !ec && pos < res.body.size(); pos += slice) {
        timer.expires_after(pause);
        co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
        if (ec) break;
        co_await asio::async_write(
            socket, asio::buffer(res.body.data() + pos, std::min(slice, res.body.size() - pos)),
            asio::redirect_error(asio::use_awaitable, ec));
      }
    } else {
      const std::array<asio::const_buffer, 2> buffers{asio::buffer(head), asio::buffer(res.body)};
      co_await asio::async_write(socket, buffers, asio::redirect_error(asio::use_awaitable, ec));
    }
    if (ec) break;
    if (!keep_alive) {
      socket.shutdown(tcp::socket::shutdown_send, ec);
      break;
    }
  }
}

asio::awaitable<void> Listen(tcp::acceptor& acceptor, detail::Model& model,
                             std::size_t body_limit) {
  for (;;) {
    beast::error_code ec;
    tcp::socket socket =
        co_await acceptor.async_accept(asio::redirect_error(asio::use_awaitable, ec));
    if (ec == asio::error::operation_aborted || !acceptor.is_open()) co_return;
    if (ec) continue;  // e.g. EMFILE: keep serving the connections we have
    asio::co_spawn(acceptor.get_executor(), Session(std::move(socket), model, body_limit),
                   asio::detached);
  }
}

}  // namespace

struct Emulator::Impl {
  Impl(Scenario scenario, const Clock& clock, double scale, int threads)
      : model(std::move(scenario), clock, scale), ioc(threads), acceptor(ioc) {}
  // Declaration order matters: coroutine frames destroyed with `ioc` still touch `model`.
  detail::Model model;
  asio::io_context ioc;
  tcp::acceptor acceptor;
  std::vector<std::thread> threads;
  std::uint16_t port = 0;
  bool stopped = false;
};

Emulator::Emulator(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Emulator::~Emulator() { Stop(); }

Result<std::unique_ptr<Emulator>> Emulator::Start(Scenario scenario, EmulatorOptions options) {
  const Clock& clock = options.clock ? *options.clock : SystemClock();
  const int threads = std::max(1, options.threads);
  auto impl = std::make_unique<Impl>(std::move(scenario), clock, options.time_scale, threads);
  try {
    const tcp::endpoint endpoint(asio::ip::make_address("127.0.0.1"), options.port);
    impl->acceptor.open(endpoint.protocol());
    impl->acceptor.set_option(asio::socket_base::reuse_address(true));
    impl->acceptor.bind(endpoint);
    impl->acceptor.listen(asio::socket_base::max_listen_connections);
    impl->port = impl->acceptor.local_endpoint().port();
  } catch (const boost::system::system_error& e) {
    return Status::Error("cannot listen on 127.0.0.1:" + std::to_string(options.port) + ": " +
                         e.what());
  }
  asio::co_spawn(impl->ioc, Listen(impl->acceptor, impl->model, options.max_request_body),
                 asio::detached);
  for (int i = 0; i < threads; ++i) {
    impl->threads.emplace_back([ioc = &impl->ioc] { ioc->run(); });
  }
  return std::unique_ptr<Emulator>(new Emulator(std::move(impl)));
}

std::uint16_t Emulator::port() const { return impl_->port; }

std::string Emulator::BaseUrl() const { return "http://127.0.0.1:" + std::to_string(impl_->port); }

void Emulator::Stop() {
  if (!impl_ || impl_->stopped) return;
  impl_->stopped = true;
  impl_->ioc.stop();
  for (auto& t : impl_->threads) t.join();
  impl_->threads.clear();
  beast::error_code ec;
  impl_->acceptor.close(ec);
}

std::string Emulator::StatsJson() const { return impl_->model.StatsJson(); }
std::string Emulator::TimelineJson() const { return impl_->model.TimelineJson(); }

}  // namespace adu::emulator
